//! Customers: bulk insert for imports, lookup by phone and account number, search.

use crate::*;
use voltdesk_domain::CareGroup;

pub(crate) const COLS: &str = "id, account_no, name, phone, phone2, id_number, address, usage_class, station_id, area_id, meter_id, \
                    payment_method, care_groups, segment, sensitive, grid_manager_id, arrears_fen, created_at, updated_at";

pub(crate) fn customer(r: &AnyRow) -> Result<CustomerRow> {
    let care = get_str(r, "care_groups")?;
    Ok(CustomerRow {
        id: get_i64(r, "id")?,
        account_no: get_str(r, "account_no")?,
        name: get_str(r, "name")?,
        phone: get_opt_str(r, "phone")?,
        phone2: get_opt_str(r, "phone2")?,
        id_number: get_opt_str(r, "id_number")?,
        address: get_str(r, "address")?,
        usage_class: get_enum(r, "usage_class")?,
        station_id: get_i64(r, "station_id")?,
        area_id: get_i64(r, "area_id")?,
        meter_id: get_opt_str(r, "meter_id")?,
        payment_method: get_opt_enum(r, "payment_method")?,
        care_groups: care
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| CareGroup::parse(s).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<_>>()?,
        segment: get_enum(r, "segment")?,
        sensitive: get_bool(r, "sensitive")?,
        grid_manager_id: get_opt_i64(r, "grid_manager_id")?,
        arrears_fen: get_i64(r, "arrears_fen")?,
        created_at: get_i64(r, "created_at")?,
        updated_at: get_i64(r, "updated_at")?,
    })
}

/// Rows per INSERT statement in bulk loads (19 parameters a row stays under both backends' limits).
const BATCH: usize = 400;

/// The customer columns searched by prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixColumn {
    Account,
    Phone,
    Name,
    Address,
}

impl Store {
    /// Inserts customers in multi-row statements inside the caller's transaction.
    pub async fn insert_customers(
        &self,
        tx: &mut Tx,
        rows: &[NewCustomer],
        now: i64,
    ) -> Result<()> {
        for chunk in rows.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO customers (account_no, name, phone, phone2, id_number, address, usage_class, station_id, area_id, \
                 meter_id, payment_method, care_groups, segment, sensitive, grid_manager_id, arrears_fen, created_at, updated_at) VALUES {}",
                self.dialect.values(chunk.len(), 18)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(c.account_no.as_str().to_string())
                    .bind(c.name.clone())
                    .bind(c.phone.as_ref().map(|p| p.as_str().to_string()))
                    .bind(c.phone2.as_ref().map(|p| p.as_str().to_string()))
                    .bind(c.id_number.as_ref().map(|p| p.as_str().to_string()))
                    .bind(c.address.clone())
                    .bind(c.usage_class.code())
                    .bind(c.station_id)
                    .bind(c.area_id)
                    .bind(c.meter_id.as_ref().map(|p| p.as_str().to_string()))
                    .bind(c.payment_method.map(|p| p.code()))
                    .bind(
                        c.care_groups
                            .iter()
                            .map(|g| g.code())
                            .collect::<Vec<_>>()
                            .join(","),
                    )
                    .bind(c.segment.code())
                    .bind(crate::b(c.sensitive))
                    .bind(c.grid_manager_id)
                    .bind(c.arrears_fen)
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub async fn customer(&self, id: i64) -> Result<Option<CustomerRow>> {
        let sql = format!("SELECT {COLS} FROM customers WHERE id = $1");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(customer).transpose()
    }

    pub async fn customer_by_account(&self, account_no: &str) -> Result<Option<CustomerRow>> {
        let sql = format!("SELECT {COLS} FROM customers WHERE account_no = $1");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account_no)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(customer).transpose()
    }

    /// Customers with this number as first or second phone (a household may share one).
    pub async fn customers_by_phone(&self, phone: &str) -> Result<Vec<CustomerRow>> {
        let sql = format!(
            "SELECT {COLS} FROM customers WHERE phone = $1 UNION SELECT {COLS} FROM customers WHERE phone2 = $1 ORDER BY id LIMIT 20"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(phone)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(customer).collect()
    }

    pub async fn customers(&self, f: &CustomerFilter) -> Result<(Vec<CustomerRow>, i64)> {
        let mut where_ = String::from(" WHERE 1=1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let mut binds: Vec<Bind> = Vec::new();
        if let Some(s) = f.station_id {
            where_ += &format!(" AND station_id = {}", next());
            binds.push(Bind::I(s));
        }
        if let Some(a) = f.area_id {
            where_ += &format!(" AND area_id = {}", next());
            binds.push(Bind::I(a));
        }
        if let Some(s) = f.segment {
            where_ += &format!(" AND segment = {}", next());
            binds.push(Bind::S(s.code().to_string()));
        }
        if let Some(s) = f.sensitive {
            where_ += &format!(" AND sensitive = {}", next());
            binds.push(Bind::I(s as i64));
        }
        if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
            // Prefix matches stay on the indexes (account_no unique index, phone and name indexes).
            let (a, b2, c) = (next(), next(), next());
            where_ += &format!(
                " AND (account_no >= {a} AND account_no < {a} || '~' OR phone >= {b2} AND phone < {b2} || '~' OR name >= {c} AND name < {c} || '\u{10FFFF}')"
            );
            binds.push(Bind::S(q.to_string()));
            binds.push(Bind::S(q.to_string()));
            binds.push(Bind::S(q.to_string()));
        }
        let sql = format!(
            "SELECT {COLS} FROM customers{where_} ORDER BY id LIMIT {} OFFSET {}",
            f.limit.clamp(1, 500),
            f.offset.max(0)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bnd in &binds {
            q = bnd.bind(q);
        }
        let rows = q.fetch_all(self.reader()).await?;
        let csql = format!("SELECT COUNT(*) AS n FROM customers{where_}");
        let mut cq = sqlx::query(sqlx::AssertSqlSafe(csql));
        for bnd in &binds {
            cq = bnd.bind(cq);
        }
        let total = get_i64(&cq.fetch_one(self.reader()).await?, "n")?;
        Ok((rows.iter().map(customer).collect::<Result<_>>()?, total))
    }

    /// Up to `limit` customers whose `column` (account_no, phone, name or address) starts
    /// with `prefix`, on that column's index.
    pub async fn customers_with_prefix(
        &self,
        column: PrefixColumn,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<CustomerRow>> {
        let col = match column {
            PrefixColumn::Account => "account_no",
            PrefixColumn::Phone => "phone",
            PrefixColumn::Name => "name",
            PrefixColumn::Address => "address",
        };
        let sql = format!(
            "SELECT {COLS} FROM customers WHERE {col} >= $1 AND {col} < $2 ORDER BY {col} LIMIT {}",
            limit.clamp(1, 200)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(prefix)
            .bind(format!("{prefix}\u{10FFFF}"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(customer).collect()
    }

    /// Customers whose phone ends with `digits` (at least four), on the index of the last
    /// four digits (尾号).
    pub async fn customers_with_phone_suffix(
        &self,
        digits: &str,
        limit: i64,
    ) -> Result<Vec<CustomerRow>> {
        let Some(tail) = digits
            .get(digits.len().saturating_sub(4)..)
            .filter(|t| t.len() == 4)
        else {
            return Ok(Vec::new());
        };
        let tail_expr = self.dialect.right("phone", 4);
        let sql = format!(
            "SELECT {COLS} FROM customers WHERE {tail_expr} = $1 AND phone LIKE $2 ORDER BY id LIMIT {}",
            limit.clamp(1, 200)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tail)
            .bind(format!("%{digits}"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(customer).collect()
    }

    /// One address per transformer area (its first customer's), from which the service
    /// learns how the area's addresses begin (county, town, village).
    pub async fn first_address_per_area(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT area_id, address FROM customers WHERE id IN \
             (SELECT MIN(id) FROM customers GROUP BY area_id)",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
            .collect()
    }

    /// Customers of these transformer areas whose address contains `part`.
    pub async fn customers_in_areas_matching(
        &self,
        area_ids: &[i64],
        part: &str,
        limit: i64,
    ) -> Result<Vec<CustomerRow>> {
        if area_ids.is_empty() {
            return Ok(Vec::new());
        }
        let escaped = crate::like_escape(part);
        let mut p = self.dialect.params();
        let sql = format!(
            "SELECT {COLS} FROM customers WHERE area_id IN ({}) AND address LIKE {} ESCAPE '\\' ORDER BY id LIMIT {}",
            p.list(area_ids.len()),
            p.next(),
            limit.clamp(1, 200)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in area_ids {
            q = q.bind(*a);
        }
        let rows = q
            .bind(format!("%{escaped}%"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(customer).collect()
    }

    pub async fn set_customer_sensitive(
        &self,
        tx: &mut Tx,
        id: i64,
        sensitive: bool,
        now: i64,
    ) -> Result<()> {
        let n = sqlx::query("UPDATE customers SET sensitive = $1, updated_at = $2 WHERE id = $3")
            .bind(b(sensitive))
            .bind(now)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        changed_one(n)
    }

    pub async fn count_customers(&self) -> Result<i64> {
        self.count_rows("customers").await
    }

    /// Account numbers among `accounts` that already exist.
    pub async fn existing_accounts(&self, accounts: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in accounts.chunks(500) {
            let sql = format!(
                "SELECT account_no FROM customers WHERE account_no IN ({})",
                self.dialect.marks(chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in chunk {
                q = q.bind(a.clone());
            }
            for r in q.fetch_all(self.reader()).await? {
                out.push(get_str(&r, "account_no")?);
            }
        }
        Ok(out)
    }
}

/// A bind value of a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    I(i64),
    S(String),
}

impl Bind {
    pub(crate) fn bind<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        match self {
            Bind::I(v) => q.bind(*v),
            Bind::S(v) => q.bind(v.clone()),
        }
    }
}

impl Store {
    /// Customers by account number, inside a transaction (the intake writer's batch).
    pub async fn customers_by_accounts(
        &self,
        tx: &mut Tx,
        accounts: &[String],
    ) -> Result<Vec<CustomerRow>> {
        let mut out = Vec::new();
        for chunk in accounts.chunks(500) {
            let marks = self.dialect.marks(chunk.len());
            let sql = format!("SELECT {COLS} FROM customers WHERE account_no IN ({marks})");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in chunk {
                q = q.bind(a.clone());
            }
            for r in q.fetch_all(&mut **tx).await? {
                out.push(customer(&r)?);
            }
        }
        Ok(out)
    }
}
