//! Delivery of the outbox: the notifier. Commands write notices into the outbox in their
//! own transaction; this engine claims the due ones a batch at a time, renders their text
//! from the editable templates, sends them through one sender per channel (an HTTP SMS
//! gateway, signed webhooks, or any [`NoticeSender`]), and settles each row: delivered,
//! retried later with exponential backoff, or dead after the last allowed attempt.
//!
//! Delivery is at-least-once: a claim leases the rows, so a server that dies mid-batch
//! loses nothing, its rows come due again when the lease ends. A repeat is not a second
//! message because every send carries an idempotency key fixed per outbox row
//! (`voltdesk-outbox-<id>`), which the gateway answers with its first result.
//!
//! Quiet hours (22:00–07:00 Beijing time by default) hold back SMS that are not urgent
//! until the quiet period ends, without spending an attempt.

use crate::*;
use chrono::{NaiveTime, TimeZone};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use voltdesk_domain::auth::{Permission, allows};
use voltdesk_domain::trace::{self, TraceEvent};
use voltdesk_domain::{Channel, ClockKind, HOUR_MS};
use voltdesk_store::{NewTrace, NoticeRecipient, NoticeTemplate, OutboxItem, Settled};

/// The header that carries a webhook's signature: `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Voltdesk-Signature";
/// The header that carries the idempotency key of a send.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

// ---- channels and senders ----

/// How a notice leaves the building.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum NoticeChannel {
    Sms,
    Webhook,
    Email,
}

impl NoticeChannel {
    pub const ALL: &'static [NoticeChannel] = &[
        NoticeChannel::Sms,
        NoticeChannel::Webhook,
        NoticeChannel::Email,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NoticeChannel::Sms => "sms",
            NoticeChannel::Webhook => "webhook",
            NoticeChannel::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeChannel> {
        NoticeChannel::ALL.iter().copied().find(|c| c.code() == s)
    }
}

/// One notice, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub outbox_id: i64,
    /// The same on every attempt of this notice.
    pub idempotency_key: String,
    pub channel: NoticeChannel,
    pub topic: String,
    pub kind: String,
    pub created_at: Millis,
    /// The SMS recipient's mobile number.
    pub to: Option<String>,
    /// The rendered template (always for SMS; for a webhook when one exists).
    pub text: Option<String>,
    pub payload: serde_json::Value,
}

/// Why a send failed, which decides whether it is tried again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A timeout, a refused connection, a 5xx, 408 or 429: worth another try.
    #[error("{0}")]
    Transient(String),
    /// Refused in a way no retry changes (a 4xx, no recipient, no template).
    #[error("{0}")]
    Permanent(String),
}

pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = std::result::Result<(), SendError>> + Send + 'a>>;

/// Sends notices of one channel. Boxed futures keep it usable as `dyn NoticeSender`.
pub trait NoticeSender: Send + Sync {
    fn channel(&self) -> NoticeChannel;
    fn send<'a>(&'a self, msg: &'a Outgoing) -> SendFuture<'a>;
}

/// How the SMS gateway wants to be authenticated.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum SmsAuth {
    #[default]
    None,
    Bearer {
        token: String,
    },
    Basic {
        username: String,
        password: String,
    },
}

impl std::fmt::Debug for SmsAuth {
    // Secrets stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsAuth::None => f.write_str("None"),
            SmsAuth::Bearer { .. } => f.write_str("Bearer(***)"),
            SmsAuth::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub url: String,
    #[serde(default)]
    pub auth: SmsAuth,
}

#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// Signs every body with HMAC-SHA256; without it webhooks go unsigned.
    pub secret: Option<String>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Maps an HTTP answer to the outcome of a send.
fn outcome_of(status: reqwest::StatusCode, body: &str) -> std::result::Result<(), SendError> {
    if status.is_success() {
        return Ok(());
    }
    let body: String = body.chars().take(200).collect();
    let e = format!("HTTP {}: {}", status.as_u16(), body.trim());
    if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Err(SendError::Transient(e))
    } else {
        Err(SendError::Permanent(e))
    }
}

async fn post(req: reqwest::RequestBuilder) -> std::result::Result<(), SendError> {
    let resp = req
        .send()
        .await
        .map_err(|e| SendError::Transient(format!("request failed: {e}")))?;
    let status = resp.status();
    // A body that cannot be read after a success changes nothing: the gateway took it.
    let body = resp.text().await.unwrap_or_default();
    outcome_of(status, &body)
}

/// SMS through an HTTP gateway: `POST {to, text, idempotency_key}` as JSON.
pub struct HttpSms {
    client: reqwest::Client,
    cfg: SmsConfig,
}

impl HttpSms {
    pub fn new(client: reqwest::Client, cfg: SmsConfig) -> HttpSms {
        HttpSms { client, cfg }
    }
}

impl NoticeSender for HttpSms {
    fn channel(&self) -> NoticeChannel {
        NoticeChannel::Sms
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let (Some(to), Some(text)) = (&msg.to, &msg.text) else {
                return Err(SendError::Permanent(
                    "an SMS needs a recipient and a text".into(),
                ));
            };
            let body =
                serde_json::json!({"to": to, "text": text, "idempotency_key": msg.idempotency_key});
            let mut req = self
                .client
                .post(&self.cfg.url)
                .header(IDEMPOTENCY_HEADER, &msg.idempotency_key)
                .json(&body);
            req = match &self.cfg.auth {
                SmsAuth::None => req,
                SmsAuth::Bearer { token } => req.bearer_auth(token),
                SmsAuth::Basic { username, password } => req.basic_auth(username, Some(password)),
            };
            post(req).await
        })
    }
}

/// Webhooks: `POST` the notice as JSON, signed with HMAC-SHA256 when a secret is set.
pub struct Webhook {
    client: reqwest::Client,
    cfg: WebhookConfig,
}

impl Webhook {
    pub fn new(client: reqwest::Client, cfg: WebhookConfig) -> Webhook {
        Webhook { client, cfg }
    }

    /// The body of a notice's webhook: the same bytes on every attempt.
    pub fn body(msg: &Outgoing) -> Vec<u8> {
        let mut v = serde_json::json!({
            "id": msg.outbox_id,
            "topic": msg.topic,
            "kind": msg.kind,
            "created_at": msg.created_at,
            "payload": msg.payload,
        });
        if let Some(text) = &msg.text {
            v["text"] = serde_json::Value::String(text.clone());
        }
        v.to_string().into_bytes()
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`.
pub fn webhook_signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl NoticeSender for Webhook {
    fn channel(&self) -> NoticeChannel {
        NoticeChannel::Webhook
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let body = Webhook::body(msg);
            let mut req = self
                .client
                .post(&self.cfg.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(IDEMPOTENCY_HEADER, &msg.idempotency_key)
                .header("X-Voltdesk-Kind", &msg.kind);
            if let Some(secret) = &self.cfg.secret {
                req = req.header(SIGNATURE_HEADER, webhook_signature(secret, &body));
            }
            post(req.body(body)).await
        })
    }
}

// ---- configuration ----

/// The quiet period, as wall-clock times in a time zone; `start == end` means none.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// `HH:MM`, e.g. `22:00`.
    pub start: String,
    /// `HH:MM`, e.g. `07:00` (before `start`: the period runs over midnight).
    pub end: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
}

fn default_time_zone() -> String {
    "Asia/Shanghai".into()
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start: "22:00".into(),
            end: "07:00".into(),
            time_zone: default_time_zone(),
        }
    }
}

/// How the outbox is delivered: where to, how often to try, when to keep quiet. Read from
/// the `[delivery]` section of a TOML file ([`DeliveryConfig::from_toml`]); every field has
/// a default, and a channel without a section has no sender (its notices wait).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    pub sms: Option<SmsConfig>,
    pub webhook: Option<WebhookConfig>,
    /// Outbox topic → channel: `sms` → sms, `webhook` and `notify` (staff notices) → webhook.
    pub routes: BTreeMap<String, NoticeChannel>,
    /// Attempts before a notice is a dead letter.
    pub max_attempts: i64,
    /// The wait after the first failure; it doubles per failure up to `backoff_cap_ms`.
    pub backoff_base_ms: i64,
    pub backoff_cap_ms: i64,
    pub quiet_hours: QuietHours,
    /// Kinds sent during quiet hours too. The receipt of a contact the customer has just
    /// made is awaited, so `order.accepted` is urgent.
    pub urgent_kinds: Vec<String>,
    /// The language of the templates used.
    pub lang: String,
    /// Notices claimed per round.
    pub batch_size: i64,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// One request's time limit.
    pub timeout_ms: u64,
    /// How long a claim holds its rows; a sender that has not settled them by then is taken
    /// for dead and the rows are sent again. Must exceed the time a batch can take.
    pub lease_ms: i64,
    /// The idempotency key of outbox row `id` is this prefix followed by the id.
    pub idempotency_prefix: String,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            sms: None,
            webhook: None,
            routes: [
                ("sms".to_string(), NoticeChannel::Sms),
                ("webhook".to_string(), NoticeChannel::Webhook),
                ("notify".to_string(), NoticeChannel::Webhook),
            ]
            .into_iter()
            .collect(),
            max_attempts: 8,
            backoff_base_ms: 30_000,
            backoff_cap_ms: HOUR_MS,
            quiet_hours: QuietHours::default(),
            urgent_kinds: vec!["order.accepted".into()],
            lang: "zh-CN".into(),
            batch_size: 200,
            concurrency: 32,
            timeout_ms: 10_000,
            lease_ms: 5 * 60_000,
            idempotency_prefix: "voltdesk-outbox-".into(),
        }
    }
}

impl DeliveryConfig {
    /// Reads the `[delivery]` table of a TOML document (defaults when it has none).
    pub fn from_toml(text: &str) -> Result<DeliveryConfig> {
        #[derive(Deserialize, Default)]
        struct Doc {
            #[serde(default)]
            delivery: DeliveryConfig,
        }
        // Other sections belong to other parts of the server.
        let doc: Doc =
            toml::from_str(text).map_err(|e| ServiceError::invalid("delivery", e.to_string()))?;
        Ok(doc.delivery)
    }

    /// The wait before attempt `attempt + 1` of row `id`, after attempt `attempt` failed:
    /// `base · 2^(attempt-1)` capped, of which the upper half is spread by the row id, so
    /// rows that failed together do not come back together (and tests know the number).
    pub fn backoff_ms(&self, id: i64, attempt: i64) -> i64 {
        let full = self.backoff_max_ms(attempt);
        let half = full / 2;
        half + (spread(id, attempt) % (full - half + 1) as u64) as i64
    }

    /// The longest wait `backoff_ms` gives after attempt `attempt`.
    pub fn backoff_max_ms(&self, attempt: i64) -> i64 {
        let exp = (attempt - 1).clamp(0, 40) as u32;
        self.backoff_base_ms
            .saturating_mul(1i64.checked_shl(exp).unwrap_or(i64::MAX))
            .min(self.backoff_cap_ms)
            .max(1)
    }

    pub fn idempotency_key(&self, outbox_id: i64) -> String {
        format!("{}{outbox_id}", self.idempotency_prefix)
    }

    fn validate(&self) -> Result<QuietWindow> {
        let bad =
            |field: &str, m: &str| Err(ServiceError::invalid(&format!("delivery.{field}"), m));
        if self.max_attempts < 1 {
            return bad("max_attempts", "must be at least 1");
        }
        if self.backoff_base_ms < 1 || self.backoff_cap_ms < self.backoff_base_ms {
            return bad(
                "backoff_base_ms",
                "must be positive and at most backoff_cap_ms",
            );
        }
        if self.batch_size < 1 || self.concurrency < 1 {
            return bad(
                "batch_size",
                "batch_size and concurrency must be at least 1",
            );
        }
        if self.lease_ms <= self.timeout_ms as i64 {
            return bad("lease_ms", "must exceed timeout_ms");
        }
        QuietWindow::parse(&self.quiet_hours)
    }
}

/// splitmix64: a well-spread number from the row id and attempt, the same every time.
fn spread(id: i64, attempt: i64) -> u64 {
    let mut z = (id as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(attempt as u64);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Quiet hours, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietWindow {
    start: NaiveTime,
    end: NaiveTime,
    tz: chrono_tz::Tz,
}

impl QuietWindow {
    pub fn parse(q: &QuietHours) -> Result<QuietWindow> {
        let time = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| {
                ServiceError::invalid("delivery.quiet_hours", format!("`{s}` is not HH:MM"))
            })
        };
        let tz: chrono_tz::Tz = q.time_zone.parse().map_err(|_| {
            ServiceError::invalid(
                "delivery.quiet_hours",
                format!("unknown time zone `{}`", q.time_zone),
            )
        })?;
        Ok(QuietWindow {
            start: time(&q.start)?,
            end: time(&q.end)?,
            tz,
        })
    }

    /// When the quiet period that `at` falls in ends; `None` outside quiet hours.
    pub fn until(&self, at: Millis) -> Option<Millis> {
        if self.start == self.end {
            return None;
        }
        let local = chrono::Utc
            .timestamp_millis_opt(at)
            .single()?
            .with_timezone(&self.tz);
        let t = local.time();
        let day = local.date_naive();
        let over_midnight = self.start > self.end;
        let quiet = if over_midnight {
            t >= self.start || t < self.end
        } else {
            t >= self.start && t < self.end
        };
        if !quiet {
            return None;
        }
        let end_day = if over_midnight && t >= self.start {
            day.succ_opt()?
        } else {
            day
        };
        let end = self
            .tz
            .from_local_datetime(&end_day.and_time(self.end))
            .earliest()?;
        Some(end.timestamp_millis())
    }
}

/// The configured senders: what `deliver_due` sends with. Cheap to clone.
#[derive(Clone)]
pub struct Delivery {
    cfg: Arc<DeliveryConfig>,
    quiet: QuietWindow,
    senders: HashMap<NoticeChannel, Arc<dyn NoticeSender>>,
    /// The topics routed to a channel that has a sender: only these are claimed.
    topics: Vec<String>,
}

impl Delivery {
    /// The HTTP senders the configuration names (SMS gateway, webhook).
    pub fn from_config(cfg: DeliveryConfig) -> Result<Delivery> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(cfg.timeout_ms))
            .pool_max_idle_per_host(cfg.concurrency)
            .build()
            .map_err(|e| ServiceError::invalid("delivery", format!("HTTP client: {e}")))?;
        let mut senders: Vec<Arc<dyn NoticeSender>> = Vec::new();
        if let Some(s) = &cfg.sms {
            senders.push(Arc::new(HttpSms::new(client.clone(), s.clone())));
        }
        if let Some(w) = &cfg.webhook {
            senders.push(Arc::new(Webhook::new(client, w.clone())));
        }
        Delivery::with_senders(cfg, senders)
    }

    /// Any senders, one per channel (an SMTP sender, a fake that records what it got).
    pub fn with_senders(
        cfg: DeliveryConfig,
        senders: Vec<Arc<dyn NoticeSender>>,
    ) -> Result<Delivery> {
        let quiet = cfg.validate()?;
        let senders: HashMap<NoticeChannel, Arc<dyn NoticeSender>> =
            senders.into_iter().map(|s| (s.channel(), s)).collect();
        let topics = cfg
            .routes
            .iter()
            .filter(|(_, ch)| senders.contains_key(ch))
            .map(|(t, _)| t.clone())
            .collect();
        Ok(Delivery {
            cfg: Arc::new(cfg),
            quiet,
            senders,
            topics,
        })
    }

    pub fn config(&self) -> &DeliveryConfig {
        &self.cfg
    }

    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    fn is_urgent(&self, kind: &str) -> bool {
        self.cfg.urgent_kinds.iter().any(|k| k == kind)
    }
}

/// What one `deliver_due` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub delivered: usize,
    /// Failed and due again later.
    pub retried: usize,
    /// Became dead letters.
    pub dead: usize,
    /// Held back by quiet hours.
    pub deferred: usize,
}

impl DeliveryReport {
    fn add(&mut self, o: &Settled) {
        match o {
            Settled::Delivered { .. } => self.delivered += 1,
            Settled::Retry { .. } => self.retried += 1,
            Settled::Dead { .. } => self.dead += 1,
            Settled::Deferred { .. } => self.deferred += 1,
        }
    }
}

/// The first mobile number of a customer (SMS cannot go to a landline).
fn mobile_of(r: &NoticeRecipient) -> Option<String> {
    [&r.phone, &r.phone2].into_iter().flatten().find_map(|p| {
        let b = p.as_bytes();
        (b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit)).then(|| p.clone())
    })
}

/// The names a template can use: the notice's payload, plus `customer_name`, `clock_name`
/// (the clock kind in Chinese) and `notice_id`.
fn template_context(item: &OutboxItem, recipient: Option<&NoticeRecipient>) -> serde_json::Value {
    let mut ctx = match &item.payload {
        serde_json::Value::Object(m) => m.clone(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("payload".into(), other.clone());
            m
        }
    };
    ctx.insert("notice_id".into(), item.id.into());
    if let Some(r) = recipient {
        ctx.insert("customer_name".into(), r.name.clone().into());
    }
    if let Some(kind) = item.payload.get("kind").and_then(|k| k.as_str())
        && let Ok(k) = ClockKind::parse(kind)
    {
        ctx.insert("clock_name".into(), k.zh().into());
    }
    serde_json::Value::Object(ctx)
}

fn template_name(kind: &str, channel: NoticeChannel, lang: &str) -> String {
    format!("{kind}|{}|{lang}", channel.code())
}

/// The templates of the language, compiled once per round. A template that no longer
/// parses is left out (its notices fail as having no template) rather than stopping all.
fn environment(templates: Vec<NoticeTemplate>, lang: &str) -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    for t in templates.into_iter().filter(|t| t.lang == lang) {
        let Some(ch) = NoticeChannel::parse(&t.channel) else {
            continue;
        };
        let name = template_name(&t.kind, ch, lang);
        if let Err(e) = env.add_template_owned(name.clone(), t.body) {
            tracing::warn!(template = %name, error = %e, "notice template does not parse");
        }
    }
    env
}

impl Service {
    /// Delivers every notice due at the service clock's now, a batch at a time: claims,
    /// sends (at most `concurrency` at once) and settles each row.
    pub async fn deliver_due(&self, d: &Delivery) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        loop {
            let now = self.now();
            let items = self
                .store
                .claim_outbox(now, now + d.cfg.lease_ms, &d.topics, d.cfg.batch_size)
                .await?;
            if items.is_empty() {
                break;
            }
            let claimed = items.len();
            report.claimed += claimed;
            let (outcomes, traces) = self.deliver_batch(d, items, now).await?;
            for o in &outcomes {
                report.add(o);
            }
            let mut tx = self.store.begin().await?;
            self.store
                .settle_outbox(&mut tx, self.now(), &outcomes)
                .await?;
            self.store.insert_traces(&mut tx, &traces).await?;
            commit(tx).await?;
            if (claimed as i64) < d.cfg.batch_size {
                break;
            }
        }
        if report.claimed > 0 {
            tracing::debug!(?report, "outbox delivered");
        }
        Ok(report)
    }

    /// Sends one claimed batch; what became of each row, and the trace events to write.
    async fn deliver_batch(
        &self,
        d: &Delivery,
        items: Vec<OutboxItem>,
        now: Millis,
    ) -> Result<(Vec<Settled>, Vec<NewTrace>)> {
        let env = environment(self.store.notice_templates().await?, &d.cfg.lang);
        let channel_of = |item: &OutboxItem| d.cfg.routes.get(&item.topic).copied();
        let customer_ids: Vec<i64> = items
            .iter()
            .filter(|i| channel_of(i) == Some(NoticeChannel::Sms))
            .filter_map(|i| i.payload.get("customer_id").and_then(|c| c.as_i64()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let recipients = self.store.notice_recipients(&customer_ids).await?;

        let mut outcomes = Vec::with_capacity(items.len());
        let mut traces = Vec::new();
        let mut sends = tokio::task::JoinSet::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(d.cfg.concurrency));
        let mut by_id: HashMap<i64, (OutboxItem, Outgoing)> = HashMap::with_capacity(items.len());
        let quiet_until = d.quiet.until(now);
        for item in items {
            let Some((channel, sender)) =
                channel_of(&item).and_then(|c| d.senders.get(&c).map(|s| (c, s.clone())))
            else {
                // Routed elsewhere since the claim: give the attempt back, try again soon.
                outcomes.push(Settled::Deferred {
                    id: item.id,
                    until: now + d.cfg.backoff_base_ms,
                });
                continue;
            };
            if channel == NoticeChannel::Sms
                && !d.is_urgent(&item.kind)
                && let Some(until) = quiet_until
            {
                outcomes.push(Settled::Deferred { id: item.id, until });
                continue;
            }
            let msg = match self.prepare(d, &env, &item, channel, &recipients) {
                Ok(m) => m,
                Err(e) => {
                    traces.push(notice_trace(&item, channel, None, now, Some(&e)));
                    outcomes.push(Settled::Dead {
                        id: item.id,
                        error: e,
                    });
                    continue;
                }
            };
            let permits = permits.clone();
            let send = msg.clone();
            sends.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let r = sender.send(&send).await;
                (send.outbox_id, r)
            });
            by_id.insert(item.id, (item, msg));
        }
        while let Some(joined) = sends.join_next().await {
            let (id, result) = match joined {
                Ok(r) => r,
                Err(e) => {
                    // A sender panicked: its row stays leased and comes due again.
                    tracing::error!(error = %e, "a notice sender failed");
                    continue;
                }
            };
            let Some((item, msg)) = by_id.remove(&id) else {
                continue;
            };
            let at = self.now();
            match result {
                Ok(()) => {
                    traces.push(notice_trace(
                        &item,
                        msg.channel,
                        msg.to.as_deref(),
                        at,
                        None,
                    ));
                    outcomes.push(Settled::Delivered { id });
                }
                Err(SendError::Transient(e)) if item.attempts < d.cfg.max_attempts => {
                    tracing::debug!(outbox_id = id, attempt = item.attempts, error = %e, "notice send failed; will retry");
                    outcomes.push(Settled::Retry {
                        id,
                        at: at + d.cfg.backoff_ms(id, item.attempts),
                        error: e,
                    });
                }
                Err(e) => {
                    let e = format!("attempt {}: {e}", item.attempts);
                    tracing::warn!(outbox_id = id, kind = %item.kind, error = %e, "notice is a dead letter");
                    traces.push(notice_trace(
                        &item,
                        msg.channel,
                        msg.to.as_deref(),
                        at,
                        Some(&e),
                    ));
                    outcomes.push(Settled::Dead { id, error: e });
                }
            }
        }
        Ok((outcomes, traces))
    }

    /// The message of a notice: recipient and text for an SMS, text (if any) for the rest.
    fn prepare(
        &self,
        d: &Delivery,
        env: &minijinja::Environment<'static>,
        item: &OutboxItem,
        channel: NoticeChannel,
        recipients: &HashMap<i64, NoticeRecipient>,
    ) -> std::result::Result<Outgoing, String> {
        let recipient = item
            .payload
            .get("customer_id")
            .and_then(|c| c.as_i64())
            .and_then(|c| recipients.get(&c));
        let to =
            match channel {
                NoticeChannel::Sms => {
                    let r = recipient.ok_or("the notice names no customer to send to")?;
                    Some(mobile_of(r).ok_or_else(|| {
                        format!("customer {} has no mobile number", r.customer_id)
                    })?)
                }
                _ => None,
            };
        let name = template_name(&item.kind, channel, &d.cfg.lang);
        let text = match env.get_template(&name) {
            Ok(t) => Some(
                t.render(template_context(item, recipient))
                    .map_err(|e| format!("template {name}: {e}"))?,
            ),
            Err(_) if channel == NoticeChannel::Sms => {
                return Err(format!("no template for {name}"));
            }
            Err(_) => None,
        };
        Ok(Outgoing {
            outbox_id: item.id,
            idempotency_key: d.cfg.idempotency_key(item.id),
            channel,
            topic: item.topic.clone(),
            kind: item.kind.clone(),
            created_at: item.created_at,
            to,
            text,
            payload: item.payload.clone(),
        })
    }

    /// Delivers until the task is dropped: after each round, sleeps until the next notice
    /// comes due (at most `max_sleep`) or a command commits (it may have queued one).
    pub async fn run_delivery(self, d: Delivery, max_sleep: Duration) {
        let mut bus = self.subscribe();
        loop {
            if let Err(e) = self.deliver_due(&d).await {
                tracing::error!(error = %e, "outbox delivery failed");
            }
            // Under a steady stream of commands, rounds still come at most this often.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let wait = match self.store.next_outbox_due(&d.topics).await {
                Ok(Some(t)) => Duration::from_millis(
                    (t - self.now()).clamp(0, max_sleep.as_millis() as i64) as u64,
                ),
                _ => max_sleep,
            };
            if wait.is_zero() {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                r = bus.recv() => {
                    if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
    }

    /// One notice by id.
    pub async fn outbox_item(&self, id: i64) -> Result<OutboxItem> {
        self.store
            .outbox_item(id)
            .await?
            .ok_or(ServiceError::NotFound { what: "notice" })
    }

    /// Notices by status (`pending`, `delivered`, `dead`), oldest first.
    pub async fn outbox_by_status(
        &self,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<OutboxItem>> {
        if !["pending", "delivered", "dead"].contains(&status) {
            return Err(ServiceError::invalid(
                "status",
                "pending, delivered or dead",
            ));
        }
        Ok(self
            .store
            .outbox_by_status(status, limit.clamp(1, 1000), offset.max(0))
            .await?)
    }

    /// The dead letters, the most recently dead first.
    pub async fn dead_letters(&self, limit: i64, offset: i64) -> Result<Vec<OutboxItem>> {
        Ok(self
            .store
            .dead_letters(limit.clamp(1, 1000), offset.max(0))
            .await?)
    }

    /// Puts a dead letter back in the queue with fresh attempts (after the cause is fixed).
    pub async fn requeue_dead_letter(&self, by: &Actor, id: i64) -> Result<OutboxItem> {
        require(by, Permission::PolicyWrite)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let item = match self.store.requeue_dead_letter(&mut tx, id, now).await {
            Err(StoreError::NotFound) => {
                return Err(ServiceError::NotFound {
                    what: "dead letter",
                });
            }
            r => r?,
        };
        let mut t = notice_trace(&item, NoticeChannel::Sms, None, now, None);
        t.actor_id = by.user_id;
        t.actor = by.name.clone();
        t.channel = None;
        t.event = TraceEvent::NoticeRequeued(trace::NoticeRequeued {
            outbox_id: item.id,
            kind: item.kind.clone(),
            topic: item.topic.clone(),
        });
        self.store.insert_traces(&mut tx, &[t]).await?;
        commit(tx).await?;
        Ok(item)
    }

    pub async fn notice_templates(&self) -> Result<Vec<NoticeTemplate>> {
        Ok(self.store.notice_templates().await?)
    }

    /// Creates or replaces the text of a notice kind on a channel; the body must parse as
    /// a template (placeholders like `{{ order_no }}`, `{{ customer_name }}`).
    pub async fn set_notice_template(
        &self,
        by: &Actor,
        kind: &str,
        channel: &str,
        lang: &str,
        body: &str,
    ) -> Result<NoticeTemplate> {
        require(by, Permission::PolicyWrite)?;
        let kind = kind.trim();
        if kind.is_empty() || kind.len() > 64 {
            return Err(ServiceError::invalid("kind", "1 to 64 characters"));
        }
        if NoticeChannel::parse(channel).is_none() {
            return Err(ServiceError::invalid("channel", "sms, webhook or email"));
        }
        if lang.trim().is_empty() || lang.len() > 16 {
            return Err(ServiceError::invalid(
                "lang",
                "a language tag such as zh-CN",
            ));
        }
        if body.trim().is_empty() {
            return Err(ServiceError::invalid("body", "must not be empty"));
        }
        let env = minijinja::Environment::new();
        if let Err(e) = env.template_from_str(body) {
            return Err(ServiceError::invalid("body", e.to_string()));
        }
        let t = NoticeTemplate {
            kind: kind.to_string(),
            channel: channel.to_string(),
            lang: lang.trim().to_string(),
            body: body.to_string(),
            updated_at: self.now(),
            updated_by: by.name.clone(),
        };
        let mut tx = self.store.begin().await?;
        self.store.set_notice_template(&mut tx, &t).await?;
        self.trace_admin(
            &mut tx,
            by,
            TraceEvent::NoticeTemplateUpdated(trace::NoticeTemplateUpdated {
                kind: t.kind.clone(),
                channel: t.channel.clone(),
                lang: t.lang.clone(),
                body: t.body.clone(),
            }),
        )
        .await?;
        commit(tx).await?;
        Ok(t)
    }
}

/// Refuses an actor whose role lacks `p` (the commands the API is not the only caller of).
pub(crate) fn require(by: &Actor, p: Permission) -> Result<()> {
    if allows(by.role, p) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "{} needs {}",
            by.role,
            p.code()
        )))
    }
}

/// A trace event about a notice, on its order's and customer's history.
fn notice_trace(
    item: &OutboxItem,
    channel: NoticeChannel,
    to: Option<&str>,
    at: Millis,
    error: Option<&str>,
) -> NewTrace {
    let id_of = |k: &str| item.payload.get(k).and_then(|v| v.as_i64());
    let delivery = trace::NoticeDelivery {
        outbox_id: item.id,
        notice: item.kind.clone(),
        channel: channel.code().to_string(),
        attempts: item.attempts,
        to: to.map(voltdesk_domain::mask_phone),
        error: error.map(str::to_string),
    };
    NewTrace {
        at,
        station_id: None,
        customer_id: id_of("customer_id"),
        order_id: id_of("order_id"),
        channel: match channel {
            NoticeChannel::Sms => Some(Channel::Sms),
            NoticeChannel::Email => Some(Channel::Email),
            NoticeChannel::Webhook => Some(Channel::System),
        },
        actor_id: None,
        actor: "system".into(),
        // A notice given up on says why; a sent one does not.
        event: if delivery.error.is_some() {
            TraceEvent::NoticeDead(delivery)
        } else {
            TraceEvent::NoticeSent(delivery)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beijing(d: u32, h: u32, m: u32) -> Millis {
        chrono::FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .timestamp_millis()
    }

    fn check_quiet(q: (&str, &str), at: Millis, expected: Option<Millis>) {
        let w = QuietWindow::parse(&QuietHours {
            start: q.0.into(),
            end: q.1.into(),
            time_zone: "Asia/Shanghai".into(),
        })
        .unwrap();
        assert_eq!(w.until(at), expected, "{q:?} at {at}");
    }

    #[test]
    fn quiet_hours_end_in_the_morning() {
        let night = ("22:00", "07:00");
        check_quiet(night, beijing(20, 21, 59), None);
        check_quiet(night, beijing(20, 22, 0), Some(beijing(21, 7, 0)));
        check_quiet(night, beijing(20, 23, 30), Some(beijing(21, 7, 0)));
        check_quiet(night, beijing(21, 3, 0), Some(beijing(21, 7, 0)));
        check_quiet(night, beijing(21, 7, 0), None);
        check_quiet(
            ("12:00", "14:00"),
            beijing(21, 13, 0),
            Some(beijing(21, 14, 0)),
        );
        check_quiet(("12:00", "14:00"), beijing(21, 14, 0), None);
        check_quiet(("00:00", "00:00"), beijing(21, 3, 0), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_from_the_row() {
        let cfg = DeliveryConfig::default();
        for attempt in 1..=12 {
            let max = cfg.backoff_max_ms(attempt);
            assert_eq!(max, (30_000i64 << (attempt - 1)).min(HOUR_MS));
            for id in 1..200 {
                let b = cfg.backoff_ms(id, attempt);
                assert!(b >= max / 2 && b <= max, "attempt {attempt} id {id}: {b}");
                assert_eq!(b, cfg.backoff_ms(id, attempt), "deterministic");
            }
        }
        let spread: std::collections::BTreeSet<i64> =
            (1..50).map(|id| cfg.backoff_ms(id, 3)).collect();
        assert!(spread.len() > 40, "rows failed together come back apart");
    }

    #[test]
    fn http_answers_decide_retry_or_dead() {
        use reqwest::StatusCode as S;
        assert_eq!(outcome_of(S::OK, ""), Ok(()));
        assert!(matches!(
            outcome_of(S::INTERNAL_SERVER_ERROR, "x"),
            Err(SendError::Transient(_))
        ));
        assert!(matches!(
            outcome_of(S::TOO_MANY_REQUESTS, ""),
            Err(SendError::Transient(_))
        ));
        assert!(matches!(
            outcome_of(S::UNAUTHORIZED, ""),
            Err(SendError::Permanent(_))
        ));
        assert!(matches!(
            outcome_of(S::BAD_REQUEST, ""),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn config_reads_from_toml_with_defaults() {
        let cfg = DeliveryConfig::from_toml(
            r#"
            [server]
            listen = "127.0.0.1:8080"

            [delivery]
            max_attempts = 5
            urgent_kinds = ["order.accepted", "outage.notice"]

            [delivery.sms]
            url = "http://127.0.0.1:9099/sms"
            auth = { type = "bearer", token = "t0ken" }

            [delivery.webhook]
            url = "http://127.0.0.1:9099/webhook"
            secret = "s3cret"

            [delivery.quiet_hours]
            start = "21:30"
            end = "08:00"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.max_attempts, 5);
        assert_eq!(cfg.batch_size, 200);
        assert_eq!(cfg.quiet_hours.time_zone, "Asia/Shanghai");
        assert_eq!(
            cfg.sms.as_ref().unwrap().auth,
            SmsAuth::Bearer {
                token: "t0ken".into()
            }
        );
        assert!(
            !format!("{cfg:?}").contains("t0ken"),
            "secrets stay out of Debug"
        );
        assert!(
            !format!("{cfg:?}").contains("s3cret"),
            "secrets stay out of Debug"
        );
        assert_eq!(cfg.routes["notify"], NoticeChannel::Webhook);
        assert!(Delivery::from_config(cfg).is_ok());
        assert!(DeliveryConfig::from_toml("[delivery]\nmax_attemps = 3").is_err());
        let bad = DeliveryConfig {
            quiet_hours: QuietHours {
                start: "25:00".into(),
                ..QuietHours::default()
            },
            ..DeliveryConfig::default()
        };
        assert!(Delivery::with_senders(bad, vec![]).is_err());
    }

    #[test]
    fn templates_render_payload_and_customer() {
        let env = environment(
            vec![NoticeTemplate {
                kind: "order.accepted".into(),
                channel: "sms".into(),
                lang: "zh-CN".into(),
                body: "尊敬的{{ customer_name }}，工单号{{ order_no }}<已受理>".into(),
                updated_at: 0,
                updated_by: "system".into(),
            }],
            "zh-CN",
        );
        let item = OutboxItem {
            id: 7,
            created_at: 0,
            topic: "sms".into(),
            kind: "order.accepted".into(),
            payload: serde_json::json!({"order_no": "GD2026112000000001", "customer_id": 1}),
            status: "pending".into(),
            attempts: 1,
            next_attempt_at: 0,
            last_error: None,
            delivered_at: None,
            dead_at: None,
        };
        let r = NoticeRecipient {
            customer_id: 1,
            name: "张三".into(),
            phone: Some("057188886666".into()),
            phone2: Some("13812345678".into()),
        };
        let text = env
            .get_template(&template_name(
                "order.accepted",
                NoticeChannel::Sms,
                "zh-CN",
            ))
            .unwrap()
            .render(template_context(&item, Some(&r)))
            .unwrap();
        assert_eq!(text, "尊敬的张三，工单号GD2026112000000001<已受理>");
        assert_eq!(mobile_of(&r).as_deref(), Some("13812345678"));
    }
}
