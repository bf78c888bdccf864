//! Users, passwords (argon2), browser sessions and scoped API tokens.

use crate::*;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use sha2::{Digest, Sha256};
use voltdesk_domain::auth::{Permission, allows};
use voltdesk_domain::trace::{self, TraceEvent};
use voltdesk_store::UserRow;

/// Session lifetime: one working shift and some.
const SESSION_MS: i64 = 12 * voltdesk_domain::HOUR_MS;
const MIN_PASSWORD: usize = 8;
/// How long a resolved API token is remembered.
const TOKEN_CACHE_MS: i64 = 5_000;

/// An authenticated caller and what it may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    /// For API tokens: the scopes that narrow the user's role; `None` for sessions.
    pub scopes: Option<Vec<Permission>>,
}

impl Principal {
    pub fn may(&self, p: Permission) -> bool {
        allows(self.actor.role, p) && self.scopes.as_ref().is_none_or(|s| s.contains(&p))
    }
}

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ServiceError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::invalid("password", e.to_string()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn secret_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 24] = rand::random();
    format!("{prefix}{}", hex::encode(bytes))
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    pub station_id: Option<i64>,
    pub department_id: Option<i64>,
}

impl Service {
    pub async fn add_user(&self, by: &Actor, u: NewUser) -> Result<UserRow> {
        let name = u.username.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return Err(ServiceError::invalid(
                "username",
                "1 to 64 letters, digits, '.', '_' or '-'",
            ));
        }
        let hash = hash_password(&u.password)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let display = if u.display_name.trim().is_empty() {
            name
        } else {
            u.display_name.trim()
        };
        let id = self
            .store
            .insert_user(
                &mut tx,
                name,
                display,
                u.role,
                &hash,
                u.station_id,
                u.department_id,
                now,
            )
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::UserCreated(trace::UserCreated {
                user_id: id,
                username: name.to_string(),
                role: u.role,
            }),
        )
        .await?;
        commit(tx).await?;
        self.store
            .user(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })
    }

    pub async fn users(&self) -> Result<Vec<UserRow>> {
        Ok(self.store.users().await?)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<UserRow> {
        self.store
            .user_by_name(username)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })
    }

    pub async fn set_password(&self, by: &Actor, username: &str, password: &str) -> Result<()> {
        let u = self.user_by_name(username).await?;
        let hash = hash_password(password)?;
        let mut tx = self.store.begin().await?;
        self.store.set_password(&mut tx, u.id, &hash).await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::UserPasswordChanged(trace::UserRef { user_id: u.id }),
        )
        .await?;
        commit(tx).await
    }

    /// Checks a password and opens a browser session; returns the session secret.
    pub async fn login(&self, username: &str, password: &str) -> Result<(String, UserRow)> {
        let u = self.store.user_by_name(username).await?;
        let Some(u) = u.filter(|u| u.active && verify_password(password, &u.password_hash)) else {
            return Err(ServiceError::Unauthorized);
        };
        let secret = new_secret("vds_");
        let now = self.now();
        let mut tx = self.store.begin().await?;
        self.store
            .insert_session(&mut tx, &secret_hash(&secret), u.id, now, now + SESSION_MS)
            .await?;
        let actor = actor_of(&u);
        self.trace_admin(
            &mut tx,
            &actor,
            TraceEvent::UserSignedIn(trace::UserRef { user_id: u.id }),
        )
        .await?;
        commit(tx).await?;
        Ok((secret, u))
    }

    pub async fn logout(&self, secret: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.store
            .delete_session(&mut tx, &secret_hash(secret))
            .await?;
        commit(tx).await
    }

    pub async fn authenticate_session(&self, secret: &str) -> Result<Principal> {
        let u = self
            .store
            .session_user(&secret_hash(secret), self.now())
            .await?;
        let u = u.filter(|u| u.active).ok_or(ServiceError::Unauthorized)?;
        Ok(Principal {
            actor: actor_of(&u),
            scopes: None,
        })
    }

    /// Creates an API token acting as `username`, narrowed to `scopes` (empty: everything the
    /// user's role allows). Returns the secret, shown once.
    ///
    /// A person makes a token for themselves; only an administrator makes one for another
    /// user, and then only with named scopes that cannot show personal data
    /// (`token_scopes_for_another`): the token holds at most the other user's permissions,
    /// and every act done with it is traced in the administrator's name (`issued_by`), so an
    /// administrator cannot borrow an agent's account to reveal data and leave the agent
    /// blamed. The command line (`Actor::system`) makes tokens for any user, as the user.
    pub async fn create_token(
        &self,
        by: &Actor,
        username: &str,
        name: &str,
        scopes: &[String],
        ttl_days: Option<i64>,
    ) -> Result<String> {
        let u = self.user_by_name(username).await?;
        let issued_by = by.user_id.filter(|&id| id != u.id);
        if issued_by.is_some() && !allows(by.role, Permission::UserAdmin) {
            return Err(ServiceError::Forbidden(
                "only an administrator makes a token for another user".into(),
            ));
        }
        let mut perms = Vec::new();
        for s in scopes.iter().filter(|s| !s.is_empty()) {
            let p = Permission::parse(s)
                .ok_or_else(|| ServiceError::invalid("scopes", format!("unknown scope `{s}`")))?;
            if !allows(u.role, p) {
                return Err(ServiceError::invalid(
                    "scopes",
                    format!("role {} does not hold `{s}`", u.role),
                ));
            }
            perms.push(p);
        }
        if issued_by.is_some() {
            token_scopes_for_another(&perms)?;
        }
        let perms: Vec<&str> = perms.iter().map(|p| p.code()).collect();
        if name.trim().is_empty() {
            return Err(ServiceError::invalid("name", "a token needs a name"));
        }
        let secret = new_secret("vdt_");
        let now = self.now();
        let expires = ttl_days.map(|d| now + d * voltdesk_domain::DAY_MS);
        let mut tx = self.store.begin().await?;
        let id = self
            .store
            .insert_token(
                &mut tx,
                name.trim(),
                &secret_hash(&secret),
                u.id,
                issued_by,
                &perms.join(","),
                now,
                expires,
            )
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::TokenCreated(trace::TokenCreated {
                token_id: id,
                user_id: u.id,
                scopes: perms.iter().map(|p| p.to_string()).collect(),
            }),
        )
        .await?;
        commit(tx).await?;
        Ok(secret)
    }

    /// Resolves an API token. Resolved tokens are remembered for a few seconds: other systems
    /// send request after request with one token. A revocation through this server forgets
    /// them at once; another server sharing the database notices within `TOKEN_CACHE_MS`.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Principal> {
        let hash = secret_hash(secret);
        let now = self.now();
        if let Some((p, until)) = self
            .token_cache
            .lock()
            .expect("token cache lock")
            .get(&hash)
            && *until > now
        {
            return Ok(p.clone());
        }
        let (t, u) = self
            .store
            .token_by_hash(&hash, now)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        if !u.active {
            return Err(ServiceError::Unauthorized);
        }
        let scopes: Option<Vec<Permission>> = if t.scopes.is_empty() {
            None
        } else {
            Some(t.scopes.split(',').filter_map(Permission::parse).collect())
        };
        let mut actor = actor_of(&u);
        let scopes = match t.issued_by {
            None => scopes,
            Some(issuer) => {
                // The administrator's act with the other user's permissions: never an
                // unmasked read, whatever the row says.
                let issuer = self
                    .store
                    .user(issuer)
                    .await?
                    .filter(|i| i.active)
                    .ok_or(ServiceError::Unauthorized)?;
                actor.user_id = Some(issuer.id);
                actor.name = issuer.username;
                let mut s = scopes.unwrap_or_default();
                s.retain(|p| !PERSONAL_SCOPES.contains(p));
                Some(s)
            }
        };
        let p = Principal { actor, scopes };
        let until = t
            .expires_at
            .map_or(now + TOKEN_CACHE_MS, |e| e.min(now + TOKEN_CACHE_MS));
        let mut cache = self.token_cache.lock().expect("token cache lock");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(hash, (p.clone(), until));
        Ok(p)
    }

    pub async fn tokens(&self) -> Result<Vec<voltdesk_store::TokenRow>> {
        Ok(self.store.tokens().await?)
    }

    pub async fn revoke_token(&self, by: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.begin().await?;
        self.store
            .revoke_token(&mut tx, id, self.now())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound { what: "token" },
                e => e.into(),
            })?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::TokenRevoked(trace::TokenRef { token_id: id }),
        )
        .await?;
        commit(tx).await?;
        self.token_cache.lock().expect("token cache lock").clear();
        Ok(())
    }

    pub(crate) async fn trace_admin(
        &self,
        tx: &mut voltdesk_store::Tx,
        by: &Actor,
        event: TraceEvent,
    ) -> Result<()> {
        self.store
            .insert_traces(
                tx,
                &[voltdesk_store::NewTrace {
                    at: self.now(),
                    station_id: by.station_id,
                    customer_id: None,
                    order_id: None,
                    channel: None,
                    actor_id: by.user_id,
                    actor: by.name.clone(),
                    event,
                }],
            )
            .await?;
        Ok(())
    }
}

/// The scopes that show personal data unmasked: never on a token made for another user.
pub const PERSONAL_SCOPES: &[Permission] = &[Permission::PiiReveal];

/// What a token made by an administrator for another user may carry: named scopes (an empty
/// list would mean the whole role), none of them personal.
pub fn token_scopes_for_another(scopes: &[Permission]) -> Result<()> {
    if scopes.is_empty() {
        return Err(ServiceError::invalid(
            "scopes",
            "a token for another user needs its scopes named",
        ));
    }
    if let Some(p) = scopes.iter().find(|p| PERSONAL_SCOPES.contains(p)) {
        return Err(ServiceError::invalid(
            "scopes",
            format!(
                "a token for another user may not carry `{}`: it shows personal data",
                p.code()
            ),
        ));
    }
    Ok(())
}

pub fn actor_of(u: &UserRow) -> Actor {
    Actor {
        user_id: Some(u.id),
        name: u.username.clone(),
        role: u.role,
        station_id: u.station_id,
    }
}
