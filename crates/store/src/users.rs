//! Users, browser sessions and API tokens. Secrets are stored as hashes only.

use crate::*;

const COLS: &str = "id, username, display_name, role, password_hash, station_id, department_id, active, created_at";

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
    })
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

impl Store {
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
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The user of a live session.
    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<UserRow>> {
        let sql = format!(
            "SELECT {} FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND s.expires_at > $2",
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
        r.as_ref().map(user).transpose()
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
