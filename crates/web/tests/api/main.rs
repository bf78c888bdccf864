//! HTTP API tests: the real server on port 0 over a fresh database, on SQLite and (when
//! VOLTDESK_TEST_PG is set) PostgreSQL.

mod support;

mod attachments;
mod calls;
mod exposure;
mod flows;
mod forms;
mod notify;
mod pages;
mod reply_templates;
mod roles;
mod saved_filters;
mod schema;
mod search;
mod security;
mod sessions;
mod users;
mod words;

/// Generates one test per backend from `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() {
            let app = $crate::support::TestApp::spawn(voltdesk_store::Backend::Sqlite).await.expect("sqlite app");
            super::$name(app).await;
        } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() {
            if !voltdesk_store::testing::postgres_available() {
                eprintln!("VOLTDESK_TEST_PG not set: PostgreSQL case skipped");
                return;
            }
            let app = $crate::support::TestApp::spawn(voltdesk_store::Backend::Postgres).await.expect("postgres app");
            super::$name(app).await;
        } )* }
    };
}
