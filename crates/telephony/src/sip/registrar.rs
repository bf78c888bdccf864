//! Where each agent's softphone can be reached: bindings made by REGISTER (RFC 3261 §10),
//! expiring on their own, plus static contacts set by an administrator for desk phones that do
//! not register.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How a registered phone is reached: the Contact URI it gave and the address its REGISTER
/// came from (used when the Contact names a private address).
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub contact: String,
    pub source: SocketAddr,
    pub tcp: bool,
    pub expires_at: Instant,
}

#[derive(Default)]
pub struct Registrar {
    bindings: Mutex<HashMap<String, Binding>>,
}

pub const MIN_EXPIRES: u32 = 60;
pub const MAX_EXPIRES: u32 = 3600;

impl Registrar {
    /// Records or refreshes a binding; `expires` 0 removes it. Returns the expiry granted.
    pub fn bind(
        &self,
        user: &str,
        contact: String,
        source: SocketAddr,
        tcp: bool,
        expires: u32,
    ) -> u32 {
        let mut map = self.bindings.lock().unwrap_or_else(|e| e.into_inner());
        if expires == 0 {
            map.remove(user);
            return 0;
        }
        let granted = expires.clamp(MIN_EXPIRES, MAX_EXPIRES);
        map.insert(
            user.to_string(),
            Binding {
                contact,
                source,
                tcp,
                expires_at: Instant::now() + Duration::from_secs(granted as u64),
            },
        );
        granted
    }

    /// The live binding of `user`, dropping it when expired.
    pub fn lookup(&self, user: &str) -> Option<Binding> {
        let mut map = self.bindings.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(user) {
            Some(b) if b.expires_at > Instant::now() => Some(b.clone()),
            Some(_) => {
                map.remove(user);
                None
            }
            None => None,
        }
    }

    pub fn registered(&self, user: &str) -> bool {
        self.lookup(user).is_some()
    }

    /// Users with a live binding.
    pub fn users(&self) -> Vec<String> {
        let now = Instant::now();
        let mut map = self.bindings.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, b| b.expires_at > now);
        let mut v: Vec<String> = map.keys().cloned().collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_refresh_and_unbind() {
        let r = Registrar::default();
        let a: SocketAddr = "127.0.0.1:5070".parse().unwrap();
        assert_eq!(
            r.bind("agent1", "sip:agent1@127.0.0.1:5070".into(), a, false, 10),
            MIN_EXPIRES
        );
        assert!(r.registered("agent1"));
        assert_eq!(r.bind("agent1", "x".into(), a, false, 99_999), MAX_EXPIRES);
        assert_eq!(r.lookup("agent1").unwrap().contact, "x");
        assert_eq!(r.users(), vec!["agent1".to_string()]);
        r.bind("agent1", "x".into(), a, false, 0);
        assert!(!r.registered("agent1"));
    }
}
