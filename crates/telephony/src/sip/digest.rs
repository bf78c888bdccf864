//! Server-side HTTP digest (RFC 2617 / RFC 3261 §22) for REGISTER from agent phones and
//! INVITE from trunks with credentials.
//!
//! Secrets are kept as HA1 = MD5(user:realm:password), never as the password itself, so the
//! store holds a hash. Nonces are stateless: the issue time and an MD5 of it with a
//! per-process secret, valid for [`NONCE_TTL_SECS`].

use md5::{Digest, Md5};
use std::time::{SystemTime, UNIX_EPOCH};

pub const NONCE_TTL_SECS: u64 = 300;

/// MD5(user:realm:password) as lowercase hex: what is stored for a SIP account.
pub fn ha1(user: &str, realm: &str, password: &str) -> String {
    md5_hex(&format!("{user}:{realm}:{password}"))
}

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// Issues and checks nonces.
pub struct Nonces {
    secret: String,
}

impl Nonces {
    pub fn new() -> Self {
        Nonces {
            secret: hex::encode(rand::random::<[u8; 16]>()),
        }
    }

    pub fn issue(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.issue_at(now)
    }

    fn issue_at(&self, secs: u64) -> String {
        let mac = md5_hex(&format!("{}:{secs:x}", self.secret));
        format!("{secs:x}{}", &mac[..16])
    }

    /// Whether `nonce` was issued by this process within the last [`NONCE_TTL_SECS`].
    pub fn valid(&self, nonce: &str) -> bool {
        if nonce.len() <= 16 || !nonce.is_ascii() {
            return false;
        }
        let (ts, _) = nonce.split_at(nonce.len() - 16);
        let Ok(secs) = u64::from_str_radix(ts, 16) else {
            return false;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        now.saturating_sub(secs) <= NONCE_TTL_SECS
            && secs <= now + 5
            && self.issue_at(secs) == nonce
    }
}

impl Default for Nonces {
    fn default() -> Self {
        Self::new()
    }
}

/// The challenge header value for a 401.
pub fn challenge(realm: &str, nonce: &str) -> String {
    format!(r#"Digest realm="{realm}", nonce="{nonce}", algorithm=MD5, qop="auth""#)
}

/// The parameters of an `Authorization: Digest ...` header.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
}

/// Parses a Digest Authorization header value; `None` when it is not digest or lacks a field.
pub fn parse(value: &str) -> Option<Credentials> {
    let rest = value.trim();
    let rest = rest
        .strip_prefix("Digest")
        .or_else(|| rest.strip_prefix("digest"))?;
    let mut c = Credentials::default();
    for (k, v) in split_params(rest) {
        match k.to_ascii_lowercase().as_str() {
            "username" => c.username = v,
            "realm" => c.realm = v,
            "nonce" => c.nonce = v,
            "uri" => c.uri = v,
            "response" => c.response = v.to_ascii_lowercase(),
            "qop" => c.qop = Some(v),
            "nc" => c.nc = Some(v),
            "cnonce" => c.cnonce = Some(v),
            _ => {}
        }
    }
    (!c.username.is_empty() && !c.nonce.is_empty() && !c.response.is_empty()).then_some(c)
}

fn split_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        if chars.peek() != Some(&'=') {
            continue;
        }
        chars.next();
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            val.push(n);
                        }
                    }
                    '"' => break,
                    _ => val.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                val.push(c);
                chars.next();
            }
        }
        out.push((key.trim().to_string(), val.trim().to_string()));
    }
    out
}

/// Checks a response against the stored HA1 for `method`.
pub fn verify(c: &Credentials, stored_ha1: &str, method: &str) -> bool {
    let ha2 = md5_hex(&format!("{method}:{}", c.uri));
    let expected = match (&c.qop, &c.nc, &c.cnonce) {
        (Some(qop), Some(nc), Some(cnonce)) if qop.eq_ignore_ascii_case("auth") => md5_hex(
            &format!("{stored_ha1}:{}:{nc}:{cnonce}:auth:{ha2}", c.nonce),
        ),
        (None, _, _) => md5_hex(&format!("{stored_ha1}:{}:{ha2}", c.nonce)),
        _ => return false,
    };
    expected == c.response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_example_verifies() {
        // RFC 2617 §3.5, with the "auth" qop.
        let h = r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
        let c = parse(h).unwrap();
        let stored = ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
        assert!(verify(&c, &stored, "GET"));
        assert!(!verify(&c, &stored, "POST"));
        assert!(!verify(
            &c,
            &ha1("Mufasa", "testrealm@host.com", "x"),
            "GET"
        ));
    }

    #[test]
    fn nonces_expire_and_cannot_be_forged() {
        let n = Nonces::new();
        let good = n.issue();
        assert!(n.valid(&good));
        assert!(!Nonces::new().valid(&good));
        assert!(!n.valid("zz"));
        assert!(!n.valid("ffffffffffffffffffffffffffffffffffff"));
        let old = n.issue_at(1);
        assert!(!n.valid(&old));
    }

    #[test]
    fn parse_rejects_non_digest_and_garbage() {
        assert!(parse("Basic abc").is_none());
        assert!(parse("Digest").is_none());
        assert!(parse("Digest ,,,=,\"").is_none());
    }
}
