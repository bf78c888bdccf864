use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use voltdesk_domain::Role;
use voltdesk_service::{Actor, ManualClock, NewUser, Policies, Service};
use voltdesk_store::{Backend, Store};

pub const ORG_CSV: &str = "station_code,station_name,grid_code,grid_name,feeder_code,feeder_name,area_code,area_name,region_class
ZJ-CN,城南供电所,G01,城关网格,F01,10kV城关线,TA001,城关1号台区,urban
ZJ-CN,城南供电所,G02,李村网格,F02,10kV李村线,TA002,李村2号台区,rural
ZJ-CN,城南供电所,G02,李村网格,F02,10kV李村线,TA003,高山3号台区,remote
";

pub const CUSTOMERS_CSV: &str = "account_no,name,phone,address,usage_class,area_code
3300000001,张三,13812345678,浙江省杭州市桐庐县城南街道城关路1号,residential,TA001
3300000002,李四,13912345679,浙江省杭州市桐庐县李村镇李村2组5号,residential,TA002
3300000003,王五,13712345670,浙江省杭州市桐庐县高山乡高山村3号,residential,TA003
";

/// Friday 2026-11-20 10:00 in Beijing.
pub const T0: i64 = 1_795_140_000_000;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub tokens: HashMap<Role, String>,
    pub users: HashMap<Role, i64>,
    pub svc: Service,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> anyhow_free::Result<TestApp> {
        let dir = tempfile::tempdir()?;
        let url = voltdesk_store::testing::fresh_database(backend, dir.path()).await?;
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        let clock = ManualClock::new(T0);
        let svc = Service::open(store, clock.clone(), Policies::bundled()).await?;
        svc.set_attachments(
            dir.path().join("attachments"),
            voltdesk_domain::attachment::DEFAULT_MAX_BYTES,
        );
        let admin = Actor::system();
        let org: Vec<_> = voltdesk_domain::import::org_rows(ORG_CSV)
            .unwrap()
            .map(|r| r.unwrap().1)
            .collect();
        svc.import_org(&admin, &org).await?;
        let rows: Vec<_> = voltdesk_domain::import::customer_rows(CUSTOMERS_CSV)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        svc.import_customers(&admin, rows, vec![], false, &|_| {})
            .await?;
        let station = svc.stations().await?[0].id;
        let mut tokens = HashMap::new();
        let mut users = HashMap::new();
        for role in Role::ALL {
            let u = svc
                .add_user(
                    &admin,
                    NewUser {
                        username: format!("{}1", role.code()),
                        display_name: role.zh().into(),
                        role: *role,
                        password: "correct horse".into(),
                        station_id: Some(station),
                        department_id: None,
                    },
                )
                .await?;
            users.insert(*role, u.id);
            tokens.insert(
                *role,
                svc.create_token(&admin, &u.username, "test", &[], None)
                    .await?,
            );
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let router = voltdesk_web::router(svc.clone());
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        Ok(TestApp {
            base,
            client: reqwest::Client::new(),
            tokens,
            users,
            svc,
            clock,
            _dir: dir,
        })
    }

    pub async fn call(
        &self,
        role: Option<Role>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(r) = role {
            req = req.bearer_auth(&self.tokens[&r]);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, role: Role, path: &str) -> (StatusCode, Value) {
        self.call(Some(role), Method::GET, path, None).await
    }

    pub async fn post(&self, role: Role, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(role), Method::POST, path, Some(body)).await
    }

    pub async fn department(&self, kind: &str) -> i64 {
        let (_, v) = self.get(Role::Agent, "/api/v1/departments").await;
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == kind)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    }
}

/// A tiny boxed error so test support can use `?` on every error type.
pub mod anyhow_free {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}
