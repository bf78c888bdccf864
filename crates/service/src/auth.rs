//! Users, passwords (argon2), browser sessions and scoped API tokens.

use crate::*;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use sha2::{Digest, Sha256};
use voltdesk_domain::auth::{Permission, allows};
use voltdesk_domain::trace::{self, TraceEvent};
use voltdesk_store::UserRow;

use voltdesk_domain::signin::{Failures, SignInPolicy, retry_after_secs};

/// How often a busy session's last use is written (at most; less with a shorter idle time).
const TOUCH_MS: i64 = 60_000;
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

/// The longest display name, in characters (the form says it as `maxlength`).
pub const DISPLAY_NAME_MAX: usize = 64;

/// Hashes a new password for `username`, after the password policy
/// (`signin::password_fault`).
pub fn hash_password(username: &str, password: &str) -> Result<String> {
    if let Some(fault) = voltdesk_domain::signin::password_fault(username, password) {
        return Err(ServiceError::invalid("password", fault.explain()));
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

/// A hash of a password nobody knows: an unknown user's sign-in is checked against it, so a
/// wrong password costs the same time whether the user exists or not.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let unknowable = hex::encode(rand::random::<[u8; 16]>());
    Argon2::default()
        .hash_password(unknowable.as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Checks a password off the async threads (argon2 takes tens of milliseconds).
async fn verify_blocking(password: &str, hash: Option<&str>) -> bool {
    let password = password.to_string();
    let hash = hash.map(str::to_string);
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            verify_password(&password, &DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

fn account_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

fn address_key(address: std::net::IpAddr) -> String {
    format!("addr:{address}")
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
        let hash = hash_password(name, &u.password)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let display = if u.display_name.trim().is_empty() {
            name
        } else {
            crate::users::display_name(&u.display_name)?
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

    /// Sets a user's password and ends every session of theirs.
    pub async fn set_password(&self, by: &Actor, username: &str, password: &str) -> Result<()> {
        let u = self.user_by_name(username).await?;
        let hash = hash_password(&u.username, password)?;
        let mut tx = self.store.begin().await?;
        self.store.set_password(&mut tx, u.id, &hash).await?;
        self.store.delete_sessions_of(&mut tx, u.id).await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::UserPasswordChanged(trace::UserRef { user_id: u.id }),
        )
        .await?;
        commit(tx).await
    }

    /// An admin sets a user's password (by id); every session of the user ends.
    pub async fn reset_password(&self, by: &Actor, user_id: i64, password: &str) -> Result<()> {
        let u = self
            .store
            .user(user_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        self.set_password(by, &u.username, password).await
    }

    /// A user changes their own password, proving the current one. Every session of the
    /// user ends; the returned secret is a fresh session for the device that asked.
    pub async fn change_own_password(
        &self,
        user_id: i64,
        current: &str,
        new: &str,
    ) -> Result<String> {
        let u = self
            .store
            .user(user_id)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        if !verify_blocking(current, Some(&u.password_hash)).await {
            return Err(ServiceError::invalid(
                "current_password",
                "the current password is wrong",
            ));
        }
        self.set_password(&actor_of(&u), &u.username, new)
            .await
            .map_err(|e| match e {
                ServiceError::Invalid { field, message } if field == "password" => {
                    ServiceError::invalid("new_password", message)
                }
                e => e,
            })?;
        let secret = new_secret("vds_");
        let now = self.now();
        let mut tx = self.store.begin().await?;
        self.store
            .insert_session(
                &mut tx,
                &secret_hash(&secret),
                u.id,
                now,
                now + self.sign_in_policy().session_max_ms,
            )
            .await?;
        commit(tx).await?;
        Ok(secret)
    }

    /// The sign-in and session rules in force.
    pub fn sign_in_policy(&self) -> SignInPolicy {
        self.sign_in.read().expect("sign-in policy lock").clone()
    }

    pub fn set_sign_in_policy(&self, p: SignInPolicy) {
        *self.sign_in.write().expect("sign-in policy lock") = p;
    }

    async fn failures(&self, key: &str, p: &SignInPolicy, now: i64) -> Result<Failures> {
        let f = self.store.login_failures(key).await?;
        Ok(p.current(f.map(|(count, last_at)| Failures { count, last_at }), now))
    }

    /// Checks a password and opens a browser session; returns the session secret.
    pub async fn login(&self, username: &str, password: &str) -> Result<(String, UserRow)> {
        self.login_from(username, password, None).await
    }

    /// Signs in from a client address. Failures are counted per account and per address:
    /// beyond the policy's free failures a sign-in is refused unchecked until a growing wait
    /// has passed (`Throttled`), and an account that fails too often is locked until an
    /// admin unlocks it. Every failure and lock is traced.
    pub async fn login_from(
        &self,
        username: &str,
        password: &str,
        address: Option<std::net::IpAddr>,
    ) -> Result<(String, UserRow)> {
        let p = self.sign_in_policy();
        let now = self.now();
        let acc_key = account_key(username);
        let addr_key = address.map(address_key);
        let acc = self.failures(&acc_key, &p, now).await?;
        let addr = match &addr_key {
            Some(k) => self.failures(k, &p, now).await?,
            None => Failures::default(),
        };
        let wait =
            p.wait(acc, p.free_failures, now)
                .max(p.wait(addr, p.free_failures_per_address, now));
        if let Some(ms) = wait {
            return Err(ServiceError::Throttled {
                retry_after_s: retry_after_secs(ms),
            });
        }
        let u = self.store.user_by_name(username).await?;
        let ok = verify_blocking(password, u.as_ref().map(|u| u.password_hash.as_str())).await;
        let mut tx = self.store.begin().await?;
        match u {
            Some(u) if ok && u.active && u.locked_at.is_none() => {
                let secret = new_secret("vds_");
                self.store.clear_login_failures(&mut tx, &acc_key).await?;
                self.store
                    .insert_session(
                        &mut tx,
                        &secret_hash(&secret),
                        u.id,
                        now,
                        now + p.session_max_ms,
                    )
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
            u => {
                let acc = p.failed(acc, now);
                self.store
                    .set_login_failures(&mut tx, &acc_key, acc.count, now)
                    .await?;
                if let Some(k) = &addr_key {
                    let addr = p.failed(addr, now);
                    self.store
                        .set_login_failures(&mut tx, k, addr.count, now)
                        .await?;
                }
                let actor = match &u {
                    Some(u) => actor_of(u),
                    None => Actor {
                        user_id: None,
                        name: username.chars().take(64).collect(),
                        role: Role::Agent,
                        station_id: None,
                    },
                };
                let user_id = u.as_ref().map(|u| u.id);
                self.trace_admin(
                    &mut tx,
                    &actor,
                    TraceEvent::UserSignInFailed(trace::SignInFailed {
                        username: actor.name.clone(),
                        user_id,
                        address: address.map(|a| a.to_string()),
                        failures: acc.count,
                    }),
                )
                .await?;
                let was_locked = u.as_ref().is_some_and(|u| u.locked_at.is_some());
                let locks = user_id.is_some() && !was_locked && p.locks(acc);
                if let Some(id) = user_id.filter(|_| locks) {
                    self.store.set_user_locked(&mut tx, id, Some(now)).await?;
                    self.trace_admin(
                        &mut tx,
                        &actor,
                        TraceEvent::UserLocked(trace::UserRef { user_id: id }),
                    )
                    .await?;
                }
                commit(tx).await?;
                Err(if locks || was_locked {
                    ServiceError::Locked
                } else {
                    ServiceError::Unauthorized
                })
            }
        }
    }

    /// Lifts a lock and forgets the account's failures.
    pub async fn unlock_user(&self, by: &Actor, user_id: i64) -> Result<UserRow> {
        let u = self
            .store
            .user(user_id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })?;
        let mut tx = self.store.begin().await?;
        self.store.set_user_locked(&mut tx, u.id, None).await?;
        self.store
            .clear_login_failures(&mut tx, &account_key(&u.username))
            .await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::UserUnlocked(trace::UserRef { user_id: u.id }),
        )
        .await?;
        commit(tx).await?;
        self.store
            .user(u.id)
            .await?
            .ok_or(ServiceError::NotFound { what: "user" })
    }

    /// Signs out: ends every session of the session's user, on every device.
    pub async fn logout(&self, secret: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let hash = secret_hash(secret);
        match self.store.session_owner(&mut tx, &hash).await? {
            Some(user_id) => {
                self.store.delete_sessions_of(&mut tx, user_id).await?;
            }
            None => self.store.delete_session(&mut tx, &hash).await?,
        }
        commit(tx).await
    }

    /// The principal of a live session: not past its absolute lifetime, not idle too long,
    /// its user active. A session found dead is removed.
    pub async fn authenticate_session(&self, secret: &str) -> Result<Principal> {
        let p = self.sign_in_policy();
        let now = self.now();
        let hash = secret_hash(secret);
        let s = self
            .store
            .session(&hash, now)
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        if !p.session_alive(s.created_at, s.last_seen_at, now) {
            let mut tx = self.store.begin().await?;
            self.store.delete_session(&mut tx, &hash).await?;
            commit(tx).await?;
            return Err(ServiceError::Unauthorized);
        }
        if !s.user.active {
            return Err(ServiceError::Unauthorized);
        }
        if now - s.last_seen_at >= TOUCH_MS.min(p.session_idle_ms / 10) {
            let mut tx = self.store.begin().await?;
            self.store.touch_session(&mut tx, &hash, now).await?;
            commit(tx).await?;
        }
        Ok(Principal {
            actor: actor_of(&s.user),
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
