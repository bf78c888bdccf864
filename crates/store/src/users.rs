//! Users, browser sessions and API tokens. Secrets are stored as hashes only.

use crate::*;

const COLS: &str = "id, username, display_name, role, password_hash, station_id, department_id, active, created_at, locked_at";

fn user(r: &AnyRow) -> Result<UserRow> {
    Ok(UserRow {
        id: get_i64(r, "id")?,
        username: get_str(r, "username")?,
        display_name: get_str(r, "display_name")?,
        role: get_enum(r, "role")?,
        password_hash: get_str(r, "password_hash")?,
        station_id: get_opt_i64(r, "station_id")?,
        department_id: get_opt_i64(r, "department_id")?,
        active: get_bool(r, "active")?,
        created_at: get_i64(r, "created_at")?,
        locked_at: get_opt_i64(r, "locked_at")?,
    })
}

/// A session as stored: its user and the instants the session rules look at.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user: UserRow,
    pub created_at: i64,
    pub last_seen_at: i64,
}

const TOKEN_COLS: &str = "id, name, user_id, issued_by, scopes, created_at, expires_at, revoked_at";

fn token(r: &AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        id: get_i64(r, "id")?,
        name: get_str(r, "name")?,
        user_id: get_i64(r, "user_id")?,
        issued_by: get_opt_i64(r, "issued_by")?,
        scopes: get_str(r, "scopes")?,
        created_at: get_i64(r, "created_at")?,
        expires_at: get_opt_i64(r, "expires_at")?,
        revoked_at: get_opt_i64(r, "revoked_at")?,
    })
}

/// Filter, sort and page of the users list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// A `LIKE` pattern (escape `\\`) matched against the username and the display name,
    /// ignoring ASCII case.
    pub like: Option<String>,
    pub role: Option<voltdesk_domain::Role>,
    pub active: Option<bool>,
    pub sort: UserSort,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

/// What the users list is sorted by; the username breaks ties.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserSort {
    #[default]
    Username,
    Role,
    /// Active first, then disabled; locked ones among them last.
    State,
}

impl Store {
    /// One page of users matching the filter, and how many match in all.
    pub async fn find_users(&self, f: &UserFilter) -> Result<(Vec<UserRow>, i64)> {
        let dir = if f.desc { "DESC" } else { "ASC" };
        let order = match f.sort {
            UserSort::Username => format!("username {dir}"),
            UserSort::Role => format!("role {dir}, username"),
            UserSort::State => format!(
                "active {}, CASE WHEN locked_at IS NULL THEN 0 ELSE 1 END {dir}, username",
                if f.desc { "ASC" } else { "DESC" }
            ),
        };
        let filter = "($1 IS NULL OR LOWER(username) LIKE LOWER($1) ESCAPE '\\' OR LOWER(display_name) LIKE LOWER($1) ESCAPE '\\') \
             AND ($2 IS NULL OR role = $2) AND ($3 IS NULL OR active = $3)";
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM users WHERE {filter} ORDER BY {order} LIMIT $4 OFFSET $5"
        )))
        .bind(f.like.as_deref())
        .bind(f.role.map(|r| r.code()))
        .bind(f.active.map(b))
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM users WHERE {filter}"
        )))
        .bind(f.like.as_deref())
        .bind(f.role.map(|r| r.code()))
        .bind(f.active.map(b))
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter().map(user).collect::<Result<_>>()?,
            get_i64(&total, "n")?,
        ))
    }

    /// A user read inside a transaction, locked until it ends (PostgreSQL; SQLite's one
    /// writer excludes the others anyway).
    pub async fn user_for_update(&self, tx: &mut Tx, id: i64) -> Result<Option<UserRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM users WHERE id = $1{}",
            self.dialect.for_update()
        )))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        r.as_ref().map(user).transpose()
    }

    /// The active administrators, locked until the transaction ends, so that two
    /// administrators disabling each other cannot both succeed.
    pub async fn active_admins(&self, tx: &mut Tx) -> Result<Vec<i64>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM users WHERE role = $1 AND active = 1 ORDER BY id{}",
            self.dialect.for_update()
        )))
        .bind(voltdesk_domain::Role::Admin.code())
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(|r| get_i64(r, "id")).collect()
    }

    /// Sets a user's display name, role, station and department.
    pub async fn update_user(
        &self,
        tx: &mut Tx,
        id: i64,
        display_name: &str,
        role: voltdesk_domain::Role,
        station_id: Option<i64>,
        department_id: Option<i64>,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE users SET display_name = $1, role = $2, station_id = $3, department_id = $4 WHERE id = $5",
        )
        .bind(display_name)
        .bind(role.code())
        .bind(station_id)
        .bind(department_id)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        changed_one(n)
    }

    /// Revokes every live API token of a user; returns how many there were.
    pub async fn revoke_tokens_of(&self, tx: &mut Tx, user_id: i64, now: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE (user_id = $2 OR issued_by = $2) AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?
        .rows_affected())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_user(
        &self,
        tx: &mut Tx,
        username: &str,
        display_name: &str,
        role: voltdesk_domain::Role,
        password_hash: &str,
        station_id: Option<i64>,
        department_id: Option<i64>,
        now: i64,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO users (username, display_name, role, password_hash, station_id, department_id, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
        )
        .bind(username)
        .bind(display_name)
        .bind(role.code())
        .bind(password_hash)
        .bind(station_id)
        .bind(department_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(user).transpose()
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM users WHERE username = $1"
        )))
        .bind(username)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(user).transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM users ORDER BY username"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(user).collect()
    }

    pub async fn set_password(&self, tx: &mut Tx, user_id: i64, hash: &str) -> Result<()> {
        let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        changed_one(n)
    }

    pub async fn set_user_active(&self, tx: &mut Tx, user_id: i64, active: bool) -> Result<()> {
        let n = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(b(active))
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        changed_one(n)
    }

    pub async fn insert_session(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        user_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// A session that has not passed its stored expiry, with its user.
    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        let sql = format!(
            "SELECT {}, s.created_at AS s_created_at, s.last_seen_at FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND s.expires_at > $2",
            COLS.split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref()
            .map(|r| {
                Ok(SessionRow {
                    user: user(r)?,
                    created_at: get_i64(r, "s_created_at")?,
                    last_seen_at: get_i64(r, "last_seen_at")?,
                })
            })
            .transpose()
    }

    /// Records that a session was used at `now`.
    pub async fn touch_session(&self, tx: &mut Tx, token_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Ends every session of a user; returns how many there were.
    pub async fn delete_sessions_of(&self, tx: &mut Tx, user_id: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected())
    }

    /// The user of a session's secret hash, whatever its age.
    pub async fn session_owner(&self, tx: &mut Tx, token_hash: &str) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT user_id FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut **tx)
            .await?;
        r.as_ref().map(|r| get_i64(r, "user_id")).transpose()
    }

    /// The failed sign-ins counted under `key` (an account or an address).
    pub async fn login_failures(&self, key: &str) -> Result<Option<(i64, i64)>> {
        let r = sqlx::query("SELECT failures, last_failed_at FROM login_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref()
            .map(|r| Ok((get_i64(r, "failures")?, get_i64(r, "last_failed_at")?)))
            .transpose()
    }

    pub async fn set_login_failures(
        &self,
        tx: &mut Tx,
        key: &str,
        failures: i64,
        at: i64,
    ) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO login_failures (key, failures, last_failed_at) VALUES ($1, $2, $3){}",
            self.dialect
                .upsert(&["key"], &["failures", "last_failed_at"])
        )))
        .bind(key)
        .bind(failures)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, tx: &mut Tx, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Locks (`Some(at)`) or unlocks (`None`) an account.
    pub async fn set_user_locked(&self, tx: &mut Tx, user_id: i64, at: Option<i64>) -> Result<()> {
        let n = sqlx::query("UPDATE users SET locked_at = $1 WHERE id = $2")
            .bind(at)
            .bind(user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        changed_one(n)
    }

    pub async fn delete_session(&self, tx: &mut Tx, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_token(
        &self,
        tx: &mut Tx,
        name: &str,
        token_hash: &str,
        user_id: i64,
        issued_by: Option<i64>,
        scopes: &str,
        now: i64,
        expires_at: Option<i64>,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO api_tokens (name, token_hash, user_id, issued_by, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(user_id)
        .bind(issued_by)
        .bind(scopes)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut **tx)
        .await?;
        get_i64(&r, "id")
    }

    /// The token and its user, when the token is live. A token made by an administrator for
    /// another user also names its issuer (`issued_by`).
    pub async fn token_by_hash(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(TokenRow, UserRow)>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.reader())
        .await?;
        let Some(r) = r else { return Ok(None) };
        let t = token(&r)?;
        Ok(self.user(t.user_id).await?.map(|u| (t, u)))
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLS} FROM api_tokens ORDER BY id"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(token).collect()
    }

    pub async fn revoke_token(&self, tx: &mut Tx, id: i64, now: i64) -> Result<()> {
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        changed_one(n)
    }
}
