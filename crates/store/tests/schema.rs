//! The two schemas stay alike: every migration has a file of the same number for each
//! backend, and after all of them a fresh SQLite database and a fresh PostgreSQL database
//! (when `VOLTDESK_TEST_PG` is set) have the same tables, the same columns per table, the
//! same primary keys and the same indexes (names, columns, unique, partial). The schema is
//! read back from the databases themselves, not from the SQL.

use sqlx::{AnyConnection, Connection, Row};
use std::collections::BTreeMap;
use std::path::Path;
use voltdesk_store::{Backend, Store, testing};

/// An index as both backends can describe it. Columns are `<expr>` for an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    table: String,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Schema {
    /// Table → its columns in order.
    tables: BTreeMap<String, Vec<String>>,
    /// Table → its primary key's columns.
    primary_keys: BTreeMap<String, Vec<String>>,
    /// Index name → index. A UNIQUE constraint's index (named by each backend its own way)
    /// is named `unique <table>(<columns>)`.
    indexes: BTreeMap<String, Index>,
}

/// The migrations' own bookkeeping, which sqlx keeps alike on both; and the full-text index
/// of orders, the one structure each backend keeps its own way (an FTS5 table and its shadow
/// tables on SQLite, a tsvector table with a GIN index on PostgreSQL; migration 0016).
const SKIP_TABLES: &[&str] = &[
    "_sqlx_migrations",
    "order_search",
    "order_search_config",
    "order_search_content",
    "order_search_data",
    "order_search_docsize",
    "order_search_idx",
];

fn unique_name(table: &str, columns: &[String]) -> String {
    format!("unique {table}({})", columns.join(", "))
}

async fn sqlite_schema(conn: &mut AnyConnection) -> Schema {
    let mut s = Schema::default();
    let tables = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("sqlite tables");
    for t in tables {
        let table: String = t.get("name");
        if SKIP_TABLES.contains(&table.as_str()) {
            continue;
        }
        let cols = sqlx::query("SELECT name, pk FROM pragma_table_info($1) ORDER BY cid")
            .bind(&table)
            .fetch_all(&mut *conn)
            .await
            .expect("sqlite columns");
        let mut pk: Vec<(i64, String)> = Vec::new();
        let mut columns = Vec::new();
        for c in &cols {
            let name: String = c.get("name");
            let k: i64 = c.get("pk");
            if k > 0 {
                pk.push((k, name.clone()));
            }
            columns.push(name);
        }
        pk.sort();
        s.primary_keys
            .insert(table.clone(), pk.into_iter().map(|(_, c)| c).collect());
        s.tables.insert(table.clone(), columns);
        let indexes = sqlx::query(
            "SELECT name, \"unique\" AS uniq, origin, partial FROM pragma_index_list($1)",
        )
        .bind(&table)
        .fetch_all(&mut *conn)
        .await
        .expect("sqlite indexes");
        for i in indexes {
            let name: String = i.get("name");
            let origin: String = i.get("origin");
            if origin == "pk" {
                continue; // compared as the table's primary key
            }
            let cols = sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .expect("sqlite index columns");
            let columns: Vec<String> = cols
                .iter()
                .map(|c| {
                    c.get::<Option<String>, _>("name")
                        .unwrap_or_else(|| "<expr>".into())
                })
                .collect();
            let index = Index {
                table: table.clone(),
                unique: i.get::<i64, _>("uniq") != 0,
                partial: i.get::<i64, _>("partial") != 0,
                columns,
            };
            let key = if origin == "u" {
                unique_name(&table, &index.columns)
            } else {
                name
            };
            s.indexes.insert(key, index);
        }
    }
    s
}

async fn postgres_schema(conn: &mut AnyConnection) -> Schema {
    let mut s = Schema::default();
    let cols = sqlx::query(
        "SELECT c.table_name::text AS t, c.column_name::text AS c FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("postgres columns");
    for c in cols {
        let table: String = c.get("t");
        if SKIP_TABLES.contains(&table.as_str()) {
            continue;
        }
        s.tables.entry(table).or_default().push(c.get("c"));
    }
    for table in s.tables.keys() {
        s.primary_keys.insert(table.clone(), Vec::new());
    }
    // Key columns only (INCLUDE columns have no counterpart on SQLite); attnum 0 is an
    // expression.
    let indexes = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS t, \
         CAST(ix.indisunique AS INT) AS uniq, CAST(ix.indisprimary AS INT) AS pk, \
         CAST(ix.indpred IS NOT NULL AS INT) AS partial, \
         CAST(EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid AND k.contype = 'u') AS INT) AS constraint_index, \
         array_to_string(ARRAY(SELECT COALESCE(a.attname::text, '<expr>') \
             FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
             WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord), ',') AS cols \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("postgres indexes");
    for i in indexes {
        let table: String = i.get("t");
        if SKIP_TABLES.contains(&table.as_str()) {
            continue;
        }
        let columns: Vec<String> = i
            .get::<String, _>("cols")
            .split(',')
            .map(str::to_string)
            .collect();
        if i.get::<i32, _>("pk") != 0 {
            s.primary_keys.insert(table, columns);
            continue;
        }
        let name: String = i.get("name");
        let index = Index {
            table: table.clone(),
            unique: i.get::<i32, _>("uniq") != 0,
            partial: i.get::<i32, _>("partial") != 0,
            columns,
        };
        let key = if i.get::<i32, _>("constraint_index") != 0 {
            unique_name(&table, &index.columns)
        } else {
            name
        };
        s.indexes.insert(key, index);
    }
    s
}

/// What one schema has that the other lacks or has otherwise, one line each.
fn differences(sqlite: &Schema, pg: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (t, cols) in &sqlite.tables {
        match pg.tables.get(t) {
            None => out.push(format!("table {t}: only on SQLite")),
            Some(other) if other != cols => out.push(format!(
                "table {t}: columns differ\n  sqlite:     {cols:?}\n  postgres:   {other:?}"
            )),
            Some(_) => {}
        }
    }
    for t in pg.tables.keys().filter(|t| !sqlite.tables.contains_key(*t)) {
        out.push(format!("table {t}: only on PostgreSQL"));
    }
    for (t, pk) in &sqlite.primary_keys {
        if let Some(other) = pg.primary_keys.get(t)
            && other != pk
        {
            out.push(format!(
                "table {t}: primary key differs: sqlite {pk:?}, postgres {other:?}"
            ));
        }
    }
    for (name, i) in &sqlite.indexes {
        match pg.indexes.get(name) {
            None => out.push(format!("index {name} on {}: only on SQLite", i.table)),
            Some(other) if other != i => out.push(format!(
                "index {name}: differs\n  sqlite:   {i:?}\n  postgres: {other:?}"
            )),
            Some(_) => {}
        }
    }
    for (name, i) in pg
        .indexes
        .iter()
        .filter(|(n, _)| !sqlite.indexes.contains_key(*n))
    {
        out.push(format!("index {name} on {}: only on PostgreSQL", i.table));
    }
    out
}

/// The numbers of the migration files of one backend (`NNNN_name.sql` → NNNN).
fn migration_numbers(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| f.ends_with(".sql"))
        .map(|f| f.split('_').next().unwrap_or(&f).to_string())
        .collect();
    n.sort();
    n
}

async fn migrated(backend: Backend, dir: &Path) -> AnyConnection {
    let url = testing::fresh_database(backend, dir)
        .await
        .expect("fresh database");
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store.close().await;
    AnyConnection::connect(&url).await.expect("connect again")
}

#[test]
fn every_migration_has_a_file_of_the_same_number_on_both_backends() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let sqlite = migration_numbers(&root.join("sqlite"));
    let pg = migration_numbers(&root.join("postgres"));
    assert!(!sqlite.is_empty(), "no SQLite migrations found");
    assert_eq!(sqlite, pg, "migration numbers: SQLite vs PostgreSQL");
}

#[tokio::test]
async fn both_backends_build_the_same_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = sqlite_schema(&mut migrated(Backend::Sqlite, dir.path()).await).await;
    assert!(sqlite.tables.contains_key("work_orders"), "{sqlite:?}");
    assert!(
        sqlite.indexes.contains_key("work_orders_queue"),
        "{sqlite:?}"
    );
    if !testing::postgres_available() {
        eprintln!("note: VOLTDESK_TEST_PG is unset; skipped the PostgreSQL half");
        return;
    }
    let pg = postgres_schema(&mut migrated(Backend::Postgres, dir.path()).await).await;
    let diff = differences(&sqlite, &pg);
    assert!(diff.is_empty(), "the schemas differ:\n{}", diff.join("\n"));
}

/// The comparison itself: a column or an index missing from one side is reported.
#[tokio::test]
async fn a_missing_column_or_index_is_a_difference() {
    let dir = tempfile::tempdir().expect("temp dir");
    let full = sqlite_schema(&mut migrated(Backend::Sqlite, dir.path()).await).await;
    assert!(differences(&full, &full).is_empty());

    let mut no_column = full.clone();
    no_column
        .tables
        .get_mut("customers")
        .expect("customers")
        .retain(|c| c != "phone2");
    let diff = differences(&full, &no_column);
    assert!(
        diff.iter().any(|d| d.contains("customers: columns differ")),
        "{diff:?}"
    );

    let mut no_index = full.clone();
    no_index.indexes.remove("customers_phone_tail");
    let diff = differences(&no_index, &full);
    assert_eq!(
        diff,
        vec!["index customers_phone_tail on customers: only on PostgreSQL".to_string()]
    );

    let mut no_unique = full.clone();
    let key = unique_name("customers", &["account_no".to_string()]);
    assert!(no_unique.indexes.remove(&key).is_some(), "{key}");
    assert_eq!(differences(&full, &no_unique).len(), 1);
}
