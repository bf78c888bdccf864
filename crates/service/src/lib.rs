//! Use cases as commands. A command opens one transaction, asks the domain what happens,
//! writes the projection rows and their trace events together, commits, and then publishes
//! what was committed on the in-process bus. Nothing outside this crate writes to the store.

mod attachments;
mod auth;
mod bulk;
mod calls;
mod care;
mod contact;
mod customers;
mod delivery;
mod desk;
mod imports;
mod intake;
mod notify;
mod orders;
mod org;
mod outages;
mod quality;
mod replies;
mod rules;
mod saved_filters;
pub mod scheduler;
mod stats;
mod switchboard;
mod users;
mod views;

pub use attachments::*;
pub use auth::*;
pub use bulk::*;
pub use calls::*;
pub use care::*;
pub use contact::*;
pub use customers::*;
pub use delivery::*;
pub use desk::*;
pub use imports::*;
pub use notify::*;
pub use orders::*;
pub use org::*;
pub use outages::*;
pub use quality::*;
pub use replies::*;
pub use rules::*;
pub use stats::*;
pub use switchboard::*;
pub use users::*;
pub use views::*;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;
use voltdesk_domain::calendar::Calendar;
use voltdesk_domain::policy::Policy;
use voltdesk_domain::{Millis, Role};
pub use voltdesk_store::{Backend, Store, StoreError};

/// Where the time comes from: the system clock in production, a hand-moved one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> Millis;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that only moves when told to.
#[derive(Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(at: Millis) -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(at)))
    }
    pub fn set(&self, at: Millis) {
        self.0.store(at, Ordering::SeqCst);
    }
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// Who is acting: a signed-in user, an API token's user, or the system itself.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub role: Role,
    pub station_id: Option<i64>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".into(),
            role: Role::Admin,
            station_id: None,
        }
    }
}

/// A failure of a command, with a stable code for the API.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{field} already exists")]
    Conflict { field: String },
    #[error(transparent)]
    Transition(#[from] voltdesk_domain::order::TransitionError),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("sign-in required or credentials invalid")]
    Unauthorized,
    /// Too many failed sign-ins for the account or the address: try again after the wait.
    #[error("too many failed sign-ins; retry after {retry_after_s} s")]
    Throttled { retry_after_s: i64 },
    /// The account is locked after failed sign-ins until an admin unlocks it.
    #[error("the account is locked; an administrator can unlock it")]
    Locked,
    /// A change to an account that would lock the asking administrator out or leave no
    /// active administrator; `field` is the input it concerns, if one.
    #[error("{}", .guard.explain())]
    Guard {
        guard: voltdesk_domain::auth::AccountGuard,
        field: Option<&'static str>,
    },
    #[error("import rejected: {} row(s) invalid", .0.len())]
    Import(Vec<voltdesk_domain::import::RowError>),
    /// A part of the service that the request needs is not running (e.g. intake while the
    /// server starts or stops); the request may be retried.
    #[error("{what} is not available")]
    Unavailable { what: &'static str },
    /// A file refused as an attachment (too large, an unsupported type, empty).
    #[error(transparent)]
    Attachment(voltdesk_domain::attachment::AttachmentFault),
    /// A stored file that no longer matches its checksum, or is gone.
    #[error("the stored file of this {what} is damaged or missing")]
    Corrupt { what: &'static str },
    /// A user who keeps as many saved filters as allowed saves one under a new name.
    #[error("{}", voltdesk_domain::saved_filter::SavedFilterFault::Full)]
    SavedFiltersFull,
    /// The switchboard refused an agent's state change.
    #[error("{}", .0.explain())]
    AgentState(voltdesk_domain::call::StateRefusal),
    /// A callback already done or cancelled is marked done.
    #[error("the callback is no longer open")]
    CallbackClosed,
    #[error("storage failure")]
    Store(#[source] StoreError),
}

impl From<voltdesk_domain::intake::DraftError> for ServiceError {
    fn from(e: voltdesk_domain::intake::DraftError) -> Self {
        ServiceError::invalid(e.field, e.message)
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { field } => ServiceError::Conflict { field },
            StoreError::NotFound => ServiceError::NotFound { what: "record" },
            e => ServiceError::Store(e),
        }
    }
}

impl ServiceError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The stable error code the API reports.
    pub fn code(&self) -> &'static str {
        use voltdesk_domain::order::TransitionError as T;
        match self {
            ServiceError::NotFound { .. } => "not_found",
            ServiceError::Invalid { .. } => "invalid_field",
            ServiceError::Conflict { .. } => "conflict",
            ServiceError::Transition(T::NotAllowed { .. }) => "transition_not_allowed",
            ServiceError::Transition(T::RepairOnly { .. }) => "transition_repair_only",
            ServiceError::Transition(T::Missing { .. }) => "missing_field",
            ServiceError::Transition(T::ReturnVisitRequired) => "return_visit_required",
            ServiceError::Transition(T::MergeIntoSelf) => "merge_into_self",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::Unauthorized => "unauthorized",
            ServiceError::Throttled { .. } => "login_throttled",
            ServiceError::Locked => "account_locked",
            ServiceError::Guard { guard, .. } => guard.code(),
            ServiceError::Import(_) => "import_invalid_rows",
            ServiceError::Unavailable { .. } => "unavailable",
            ServiceError::Attachment(f) => f.code(),
            ServiceError::Corrupt { .. } => "attachment_corrupt",
            ServiceError::SavedFiltersFull => "saved_filters_full",
            ServiceError::AgentState(r) => r.code(),
            ServiceError::CallbackClosed => "callback_not_open",
            ServiceError::Store(_) => "internal",
        }
    }
}

pub type Result<T> = std::result::Result<T, ServiceError>;

/// What a committed command announces on the bus (screens, rules, pushes listen).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Committed {
    pub kind: voltdesk_domain::trace::TraceKind,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub station_id: Option<i64>,
    pub at: Millis,
}

/// The policies found in `config/policy`, by id.
#[derive(Clone)]
pub struct Policies(pub Arc<HashMap<String, Policy>>);

/// The bundled defaults, so the binary runs from any directory.
pub const BUNDLED_POLICIES: &[(&str, &str)] = &[
    ("sgcc", include_str!("../../../config/policy/sgcc.toml")),
    ("csg", include_str!("../../../config/policy/csg.toml")),
];
pub const BUNDLED_CALENDAR: &str = include_str!("../../../config/calendar/cn.toml");

impl Policies {
    pub fn bundled() -> Policies {
        let mut m = HashMap::new();
        for (_, text) in BUNDLED_POLICIES {
            let p = Policy::from_toml(text).expect("bundled policy is valid (checked by tests)");
            m.insert(p.id.clone(), p);
        }
        Policies(Arc::new(m))
    }

    /// Loads every `*.toml` in `dir` over the bundled defaults.
    pub fn load_dir(dir: &std::path::Path) -> std::result::Result<Policies, String> {
        let mut m: HashMap<String, Policy> = (*Policies::bundled().0).clone();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().and_then(|x| x.to_str()) == Some("toml") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let p = Policy::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                m.insert(p.id.clone(), p);
            }
        }
        Ok(Policies(Arc::new(m)))
    }

    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.0.get(id)
    }
}

/// Organisation facts every intake needs, kept in memory and reloaded after changes.
#[derive(Default, Clone)]
pub(crate) struct OrgCache {
    pub stations: HashMap<i64, voltdesk_store::StationRow>,
    pub areas: HashMap<i64, voltdesk_store::AreaRow>,
    /// How each area's addresses begin, up to its village or community
    /// (`桐溪县城南街道迎春社区`); learnt from the customers on the first address search.
    pub localities: Option<HashMap<i64, String>>,
}

/// The service: every use case is a method.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policies: Policies,
    pub(crate) calendar: Arc<RwLock<Calendar>>,
    pub(crate) org: Arc<RwLock<OrgCache>>,
    pub(crate) bus: broadcast::Sender<Committed>,
    /// Resolved API tokens by secret hash, with the instant they must be checked again.
    pub(crate) intake: intake::Intake,
    pub(crate) token_cache: Arc<std::sync::Mutex<HashMap<String, (Principal, Millis)>>>,
    pub(crate) stats: Arc<std::sync::Mutex<stats::StatsCache>>,
    pub(crate) jobs: Arc<imports::Jobs>,
    pub(crate) sign_in: Arc<RwLock<voltdesk_domain::signin::SignInPolicy>>,
    /// The users whose notifications changed (for their open pages).
    pub(crate) notes: broadcast::Sender<i64>,
    /// Where attachments are kept (`set_attachments`); none until set.
    pub(crate) attachments: Arc<RwLock<Option<AttachmentSettings>>>,
    /// The contact centre's live side (`set_switchboard`); [`NoSwitchboard`] until set.
    /// Shared by every clone of the service, hence the outer `Arc`.
    pub(crate) switchboard: Arc<RwLock<Arc<dyn Switchboard>>>,
}

impl Service {
    /// Opens the service on a migrated store; seeds the calendar on first run.
    pub async fn open(store: Store, clock: Arc<dyn Clock>, policies: Policies) -> Result<Service> {
        if store.calendar_is_empty().await? {
            let cal = Calendar::from_toml(BUNDLED_CALENDAR)
                .map_err(|e| ServiceError::invalid("calendar", e.to_string()))?;
            let mut tx = store.begin().await?;
            for e in cal.entries() {
                store.set_calendar_day(&mut tx, &e).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
        }
        let calendar = Calendar::from_entries(store.calendar().await?);
        let (bus, _) = broadcast::channel(4096);
        let intake = intake::Intake::default();
        let svc = Service {
            store,
            clock,
            policies,
            calendar: Arc::new(RwLock::new(calendar)),
            org: Arc::new(RwLock::new(OrgCache::default())),
            bus,
            intake,
            token_cache: Arc::default(),
            stats: Arc::default(),
            jobs: Arc::default(),
            sign_in: Arc::default(),
            notes: broadcast::channel(1024).0,
            attachments: Arc::default(),
            switchboard: Arc::new(RwLock::new(Arc::new(NoSwitchboard))),
        };
        svc.reload_org().await?;
        svc.intake.start(svc.clone());
        Ok(svc)
    }

    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Committed> {
        self.bus.subscribe()
    }

    pub(crate) fn publish(&self, c: Committed) {
        // No subscriber is fine: the bus is for live screens only; the trace is the record.
        let _ = self.bus.send(c);
    }

    pub(crate) async fn reload_org(&self) -> Result<()> {
        let stations = self.store.stations().await?;
        let (areas, _) = self.store.areas(None, i64::MAX / 2, 0).await?;
        let mut cache = OrgCache::default();
        for s in stations {
            cache.stations.insert(s.id, s);
        }
        for a in areas {
            cache.areas.insert(a.id, a);
        }
        *self.org.write().expect("org cache lock") = cache;
        Ok(())
    }
}

pub(crate) async fn commit(tx: voltdesk_store::Tx) -> Result<()> {
    tx.commit()
        .await
        .map_err(|e| ServiceError::from(StoreError::from(e)))
}
