//! The `pages` scenario: the server-rendered pages, signed in with a session cookie per
//! role, GET over a weighted or round-robin set of page URLs whose parameters are drawn at
//! random; and search as you type, a phone number typed one digit at a time.
//!
//! A page is a URL template (`/customers/{customer}`) and the user key (`agent`) whose
//! session it is read with. What the placeholders draw from is a [`PageParams`]. Everything
//! here but the sign-in and [`weigh`] is pure, so it is tested without a server.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use serde::Serialize;

use crate::workload::Rng;

/// The session cookie the server sets on sign-in.
pub const SESSION_COOKIE: &str = "vd_session";

/// The pages of the role pages, with the user key each is read as and its URL template.
/// `all` selects every one but `type-phone`; `search` the five searches.
pub const BUILTIN_PAGES: &[(&str, &str, &str)] = &[
    ("desk", "agent", "/desk"),
    ("search-phone", "agent", "/desk/search?q={phone_prefix}"),
    ("search-tail", "agent", "/desk/search?q={phone_tail}"),
    ("search-account", "agent", "/desk/search?q={account_prefix}"),
    ("search-name", "agent", "/desk/search?q={name}"),
    ("search-place", "agent", "/desk/search?q={place}"),
    ("customer", "agent", "/customers/{customer}"),
    ("new-order", "agent", "/customers/{customer}/new"),
    (
        "preview",
        "agent",
        "/preview?customer_id={customer}&order_type=complaint&subject=outage",
    ),
    ("order", "handler", "/orders/{order}"),
    ("queue-mine", "handler", "/queue?scope=mine"),
    ("queue-team", "handler", "/queue?scope=team"),
    ("board", "supervisor", "/board"),
    ("board-panel", "supervisor", "/board/panel"),
    ("dashboard", "analyst", "/dashboard"),
    (
        "dashboard-12m",
        "analyst",
        "/dashboard?from={days_ago:365}&to={today}",
    ),
    ("admin", "admin", "/admin"),
    ("audit", "auditor", "/audit"),
    ("type-phone", "agent", "/desk/search?q={typed}"),
];

/// Surnames the name search types when none are given (the most frequent ones).
pub const DEFAULT_NAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵"];

/// Village or community plus detail, as an agent types an address; the villages are those
/// of the demo county (`voltdesk gen`).
pub const DEFAULT_PLACES: &[&str] = &[
    "大坞村2组",
    "何家村7组",
    "溪口村3组",
    "东溪村",
    "白云村5组",
    "江滨社区",
    "春晖社区",
];

/// A value a page URL draws, written `{name}` in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `{customer}`: a customer id from `customer_ids`.
    Customer,
    /// `{order}`: an order id from `order_ids`.
    Order,
    /// `{phone}`: a whole mobile number from `phones`.
    Phone,
    /// `{phone_prefix}`: its first `phone_prefix_len` digits.
    PhonePrefix,
    /// `{phone_tail}`: its last four digits (尾号).
    PhoneTail,
    /// `{account}`: an account number from `accounts`.
    Account,
    /// `{account_prefix}`: its first `account_prefix_len` digits.
    AccountPrefix,
    /// `{name}`: one of `names`.
    Name,
    /// `{place}`: one of `places`.
    Place,
    /// `{today}`: today's date, `YYYY-MM-DD`, at `utc_offset_minutes`.
    Today,
    /// `{days_ago:N}`: the date N days before today.
    DaysAgo(u32),
    /// `{int:LO-HI}`: a number in the inclusive range.
    Int(u64, u64),
    /// `{typed}`: what has been typed so far; makes the page a search as you type.
    Typed,
}

impl Param {
    fn parse(s: &str) -> anyhow::Result<Param> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let p = match (name, arg) {
            ("customer", None) => Param::Customer,
            ("order", None) => Param::Order,
            ("phone", None) => Param::Phone,
            ("phone_prefix", None) => Param::PhonePrefix,
            ("phone_tail", None) => Param::PhoneTail,
            ("account", None) => Param::Account,
            ("account_prefix", None) => Param::AccountPrefix,
            ("name", None) => Param::Name,
            ("place", None) => Param::Place,
            ("today", None) => Param::Today,
            ("typed", None) => Param::Typed,
            ("days_ago", Some(n)) => Param::DaysAgo(
                n.trim()
                    .parse()
                    .with_context(|| format!("{{{s}}}: days_ago needs a number of days"))?,
            ),
            ("int", Some(r)) => {
                let (lo, hi) = crate::config::parse_range(r)
                    .with_context(|| format!("{{{s}}}: int needs a range LO-HI"))?;
                Param::Int(lo, hi)
            }
            _ => bail!(
                "unknown placeholder {{{s}}} (customer, order, phone, phone_prefix, phone_tail, \
                 account, account_prefix, name, place, today, days_ago:N, int:LO-HI, typed)"
            ),
        };
        Ok(p)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Lit(String),
    Param(Param),
}

/// A page URL (path and query) with `{placeholders}`, parsed once.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlTemplate {
    source: String,
    segs: Vec<Seg>,
}

impl UrlTemplate {
    /// Parses `/customers/{customer}`; the path must start with `/`.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        ensure!(
            s.starts_with('/'),
            "page URL {s:?} must be a path on the server, starting with /"
        );
        let mut segs = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                segs.push(Seg::Lit(rest[..open].to_string()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .with_context(|| format!("page URL {s:?}: unclosed {{"))?;
            segs.push(Seg::Param(Param::parse(&after[..close])?));
            rest = &after[close + 1..];
        }
        ensure!(!rest.contains('}'), "page URL {s:?}: stray }}");
        if !rest.is_empty() {
            segs.push(Seg::Lit(rest.to_string()));
        }
        Ok(UrlTemplate {
            source: s.to_string(),
            segs,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn params(&self) -> impl Iterator<Item = Param> + '_ {
        self.segs.iter().filter_map(|s| match s {
            Seg::Param(p) => Some(*p),
            Seg::Lit(_) => None,
        })
    }

    /// A page with `{typed}` is typed into one character at a time.
    pub fn is_typing(&self) -> bool {
        self.params().any(|p| p == Param::Typed)
    }

    /// The URL with every placeholder drawn from `params` (percent-encoded). `today` is the
    /// day number (days since 1970-01-01) of today; `typed` fills `{typed}`. Values drawn
    /// together (a phone and its prefix) come from the same number.
    pub(crate) fn expand(
        &self,
        params: &PageParams,
        rng: &mut Rng,
        today: i64,
        typed: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut out = String::with_capacity(self.source.len() + 16);
        let mut phone: Option<String> = None;
        let mut account: Option<String> = None;
        for seg in &self.segs {
            let value = match seg {
                Seg::Lit(s) => {
                    out.push_str(s);
                    continue;
                }
                Seg::Param(p) => match *p {
                    Param::Customer => rng
                        .in_range(need(params.customer_ids, "customer ids")?)
                        .to_string(),
                    Param::Order => rng
                        .in_range(need(params.order_ids, "order ids")?)
                        .to_string(),
                    Param::Phone | Param::PhonePrefix | Param::PhoneTail => {
                        let whole = match &phone {
                            Some(v) => v.clone(),
                            None => {
                                let v = rng.in_range(need(params.phones, "phones")?).to_string();
                                phone = Some(v.clone());
                                v
                            }
                        };
                        match *p {
                            Param::PhonePrefix => {
                                prefix(&whole, rng.in_range(params.phone_prefix_len))
                            }
                            Param::PhoneTail => suffix(&whole, 4),
                            _ => whole,
                        }
                    }
                    Param::Account | Param::AccountPrefix => {
                        let whole = match &account {
                            Some(v) => v.clone(),
                            None => {
                                let v =
                                    rng.in_range(need(params.accounts, "accounts")?).to_string();
                                account = Some(v.clone());
                                v
                            }
                        };
                        if *p == Param::AccountPrefix {
                            prefix(&whole, rng.in_range(params.account_prefix_len))
                        } else {
                            whole
                        }
                    }
                    Param::Name => pick(rng, &params.names, "names")?.to_string(),
                    Param::Place => pick(rng, &params.places, "places")?.to_string(),
                    Param::Today => civil_date(today),
                    Param::DaysAgo(n) => civil_date(today - i64::from(n)),
                    Param::Int(lo, hi) => rng.in_range((lo, hi)).to_string(),
                    Param::Typed => typed
                        .context("a {typed} page needs what was typed")?
                        .to_string(),
                },
            };
            percent_encode_into(&mut out, &value);
        }
        Ok(out)
    }
}

fn need(range: Option<(u64, u64)>, what: &str) -> anyhow::Result<(u64, u64)> {
    range.with_context(|| format!("this page needs {what} (see --help)"))
}

fn pick<'a>(rng: &mut Rng, list: &'a [String], what: &str) -> anyhow::Result<&'a str> {
    ensure!(!list.is_empty(), "this page needs {what}");
    Ok(&list[(rng.next_u64() % list.len() as u64) as usize])
}

/// The first `n` characters of a string of digits (all of it if shorter).
fn prefix(s: &str, n: u64) -> String {
    s.chars()
        .take(usize::try_from(n).unwrap_or(usize::MAX))
        .collect()
}

/// The last `n` characters.
fn suffix(s: &str, n: usize) -> String {
    let len = s.chars().count();
    s.chars().skip(len.saturating_sub(n)).collect()
}

/// Appends `s` percent-encoded: everything but ASCII letters, digits and `-._~` is escaped,
/// byte by byte of its UTF-8.
fn percent_encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01), proleptic Gregorian.
pub fn civil_date(days: i64) -> String {
    // Howard Hinnant's days_from_civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Today's day number at `utc_offset_minutes` east of UTC.
pub fn today_at(utc_offset_minutes: i64) -> i64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    (ms + utc_offset_minutes * 60_000).div_euclid(86_400_000)
}

/// What the placeholders draw from.
#[derive(Debug, Clone, PartialEq)]
pub struct PageParams {
    pub customer_ids: Option<(u64, u64)>,
    pub order_ids: Option<(u64, u64)>,
    /// Mobile numbers, e.g. 13800000000..=13800999999.
    pub phones: Option<(u64, u64)>,
    /// Account numbers, e.g. 3300000000..=3300999999.
    pub accounts: Option<(u64, u64)>,
    /// Digits of a phone prefix search (drawn from the range); 7 by default.
    pub phone_prefix_len: (u64, u64),
    /// Digits of an account prefix search; 8 by default.
    pub account_prefix_len: (u64, u64),
    /// Digits typed into a search as you type, one request each; 7 by default.
    pub typed_len: (u64, u64),
    pub names: Vec<String>,
    pub places: Vec<String>,
    /// The station's time zone for `{today}` and `{days_ago:N}`: UTC+8 by default.
    pub utc_offset_minutes: i64,
}

impl Default for PageParams {
    fn default() -> Self {
        PageParams {
            customer_ids: None,
            order_ids: None,
            phones: None,
            accounts: None,
            phone_prefix_len: (7, 7),
            account_prefix_len: (8, 8),
            typed_len: (7, 7),
            names: DEFAULT_NAMES.iter().map(|s| s.to_string()).collect(),
            places: DEFAULT_PLACES.iter().map(|s| s.to_string()).collect(),
            utc_offset_minutes: 8 * 60,
        }
    }
}

impl PageParams {
    /// The whole text a search-as-you-type visit types: a phone number, cut to `typed_len`.
    pub(crate) fn typing_text(&self, rng: &mut Rng) -> anyhow::Result<String> {
        let phone = rng.in_range(need(self.phones, "phones")?).to_string();
        Ok(prefix(&phone, rng.in_range(self.typed_len).max(1)))
    }

    fn check(&self, p: Param) -> anyhow::Result<()> {
        match p {
            Param::Customer => need(self.customer_ids, "--customer-ids").map(drop),
            Param::Order => need(self.order_ids, "--order-ids").map(drop),
            Param::Phone | Param::PhonePrefix | Param::PhoneTail | Param::Typed => {
                need(self.phones, "--phones").map(drop)
            }
            Param::Account | Param::AccountPrefix => need(self.accounts, "--accounts").map(drop),
            Param::Name => {
                ensure!(!self.names.is_empty(), "this page needs --names");
                Ok(())
            }
            Param::Place => {
                ensure!(!self.places.is_empty(), "this page needs --places");
                Ok(())
            }
            Param::Int(lo, hi) => {
                ensure!(lo <= hi, "{{int:{lo}-{hi}}}: empty range");
                Ok(())
            }
            Param::Today | Param::DaysAgo(_) => Ok(()),
        }
    }
}

/// One page of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct PageSpec {
    /// The name it is reported under.
    pub name: String,
    /// Whose session reads it: a role (`agent`) mapped to a username by the plan.
    pub user: String,
    pub url: UrlTemplate,
    /// Its share of the requests (weighted mix) or repeats per round (round robin).
    pub weight: u32,
}

fn builtin(name: &str) -> Option<PageSpec> {
    BUILTIN_PAGES
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(n, user, url)| PageSpec {
            name: n.to_string(),
            user: user.to_string(),
            url: UrlTemplate::parse(url).expect("built-in page URLs parse"),
            weight: 1,
        })
}

/// Parses one `--page` value:
///
/// - a built-in page (`customer`), or `all` (every built-in but `type-phone`), or `search`
///   (the five searches);
/// - `NAME=USER:/path?x={customer}`: a page of your own read as USER (a role key);
/// - `NAME=USER:` with a built-in NAME: that page read as another user;
///
/// each optionally followed by `@WEIGHT` (default 1).
pub fn parse_page(arg: &str) -> anyhow::Result<Vec<PageSpec>> {
    let arg = arg.trim();
    let (head, weight) = match arg.rsplit_once('@') {
        Some((h, w)) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) => {
            let w: u32 = w.parse().with_context(|| format!("page {arg:?}: weight"))?;
            ensure!(w >= 1, "page {arg:?}: weight must be at least 1");
            (h, w)
        }
        _ => (arg, 1),
    };
    let mut pages = if let Some((name, rest)) = head.split_once('=') {
        let name = name.trim();
        ensure!(!name.is_empty(), "page {arg:?}: empty name");
        let (user, path) = rest
            .split_once(':')
            .with_context(|| format!("page {arg:?}: write NAME=USER:/path"))?;
        let user = user.trim();
        ensure!(!user.is_empty(), "page {arg:?}: empty user");
        if path.is_empty() {
            let mut p = builtin(name)
                .with_context(|| format!("page {arg:?}: {name} is not a built-in page"))?;
            p.user = user.to_string();
            vec![p]
        } else {
            vec![PageSpec {
                name: name.to_string(),
                user: user.to_string(),
                url: UrlTemplate::parse(path).with_context(|| format!("page {arg:?}"))?,
                weight: 1,
            }]
        }
    } else {
        match head {
            "all" => BUILTIN_PAGES
                .iter()
                .filter(|(n, ..)| *n != "type-phone")
                .filter_map(|(n, ..)| builtin(n))
                .collect(),
            "search" => BUILTIN_PAGES
                .iter()
                .filter(|(n, ..)| n.starts_with("search-"))
                .filter_map(|(n, ..)| builtin(n))
                .collect(),
            name => vec![builtin(name).with_context(|| {
                format!(
                    "unknown page {name:?}; built-in pages: all, search, {}",
                    BUILTIN_PAGES
                        .iter()
                        .map(|(n, ..)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?],
        }
    };
    for p in &mut pages {
        p.weight = weight;
    }
    Ok(pages)
}

/// Parses `role=username` (for `--users`).
pub fn parse_user_pair(s: &str) -> anyhow::Result<(String, String)> {
    let (role, name) = s
        .split_once('=')
        .with_context(|| format!("user {s:?}: write ROLE=USERNAME, e.g. agent=agent1"))?;
    let (role, name) = (role.trim(), name.trim());
    ensure!(
        !role.is_empty() && !name.is_empty(),
        "user {s:?}: write ROLE=USERNAME"
    );
    Ok((role.to_string(), name.to_string()))
}

/// How a client picks its next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mix {
    /// At random, in proportion to the weights.
    #[default]
    Weighted,
    /// In order, each page `weight` times in a row; client N starts N pages in.
    RoundRobin,
}

/// Everything a `pages` run needs besides the common settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PagesPlan {
    pub pages: Vec<PageSpec>,
    pub params: PageParams,
    pub mix: Mix,
    /// Username per user key (role); a key not listed signs in as `{key}1`, the demo's
    /// naming (`agent1`, `grid_manager` → `grid1`).
    pub users: BTreeMap<String, String>,
    /// Sign every page in as this one user instead.
    pub single_user: Option<String>,
    pub password: String,
    /// Pause between two keystrokes of a search as you type (after the answer).
    pub keystroke_delay: Duration,
    /// Report each length typed separately (`type-phone/03`), as well as in total.
    pub by_length: bool,
}

impl PagesPlan {
    pub fn new(pages: Vec<PageSpec>, params: PageParams, password: impl Into<String>) -> Self {
        PagesPlan {
            pages,
            params,
            mix: Mix::Weighted,
            users: BTreeMap::new(),
            single_user: None,
            password: password.into(),
            keystroke_delay: Duration::ZERO,
            by_length: false,
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        ensure!(!self.pages.is_empty(), "pages: no page to read");
        let mut names = BTreeSet::new();
        for p in &self.pages {
            ensure!(p.weight >= 1, "page {}: weight must be at least 1", p.name);
            ensure!(names.insert(&p.name), "page {} is listed twice", p.name);
            for param in p.url.params() {
                self.params
                    .check(param)
                    .with_context(|| format!("page {} ({})", p.name, p.url.as_str()))?;
            }
        }
        for (what, (lo, hi)) in [
            ("phone prefix length", self.params.phone_prefix_len),
            ("account prefix length", self.params.account_prefix_len),
            ("typed length", self.params.typed_len),
        ] {
            ensure!(
                lo >= 1 && lo <= hi,
                "{what}: {lo}-{hi} is not a range of lengths"
            );
        }
        Ok(())
    }

    /// The username a user key signs in as.
    pub fn username_for(&self, key: &str) -> String {
        if let Some(u) = &self.single_user {
            return u.clone();
        }
        if let Some(u) = self.users.get(key) {
            return u.clone();
        }
        match key {
            "grid_manager" | "grid" => "grid1".to_string(),
            k => format!("{k}1"),
        }
    }

    /// The user keys the pages are read as, each once.
    pub fn user_keys(&self) -> BTreeSet<&str> {
        self.pages.iter().map(|p| p.user.as_str()).collect()
    }

    /// The next page: weighted at random, or the `cursor`-th of the round.
    pub(crate) fn pick(&self, rng: &mut Rng, cursor: &mut u64) -> &PageSpec {
        let total: u64 = self.pages.iter().map(|p| u64::from(p.weight)).sum();
        let mut at = match self.mix {
            Mix::Weighted => rng.next_u64() % total.max(1),
            Mix::RoundRobin => {
                let at = *cursor % total.max(1);
                *cursor = cursor.wrapping_add(1);
                at
            }
        };
        for p in &self.pages {
            if at < u64::from(p.weight) {
                return p;
            }
            at -= u64::from(p.weight);
        }
        &self.pages[0]
    }
}

/// Signs in as `username` (`POST /api/v1/session`) and returns the cookie to send back,
/// `vd_session=...`.
pub(crate) async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let resp = http
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .with_context(|| format!("signing in as {username}"))?;
    let status = resp.status();
    ensure!(
        status.is_success(),
        "signing in as {username}: the server answered {status}"
    );
    session_cookie(resp.headers().get_all(reqwest::header::SET_COOKIE))
        .with_context(|| format!("signing in as {username}: no {SESSION_COOKIE} cookie set"))
}

fn session_cookie<'a>(
    set_cookies: impl IntoIterator<Item = &'a reqwest::header::HeaderValue>,
) -> Option<String> {
    set_cookies
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .find(|pair| {
            pair.strip_prefix(SESSION_COOKIE)
                .and_then(|r| r.strip_prefix('='))
                .is_some_and(|v| !v.is_empty())
        })
        .map(str::to_string)
}

/// Signs in once per user key of the plan; returns the cookie per key.
pub(crate) async fn sign_in_all(
    base: &str,
    plan: &PagesPlan,
    timeout: Duration,
) -> anyhow::Result<HashMap<String, String>> {
    let http = crate::target::http_client(timeout)?;
    let mut by_user: HashMap<String, String> = HashMap::new();
    let mut sessions = HashMap::new();
    for key in plan.user_keys() {
        let username = plan.username_for(key);
        let cookie = match by_user.get(&username) {
            Some(c) => c.clone(),
            None => {
                let c = sign_in(&http, base, &username, &plan.password)
                    .await
                    .with_context(|| format!("pages read as {key}"))?;
                by_user.insert(username, c.clone());
                c
            }
        };
        sessions.insert(key.to_string(), cookie);
    }
    Ok(sessions)
}

/// The `/static/` files a page's HTML loads (`src="/static/.."`, `href="/static/.."`), each
/// once, in order.
pub fn static_refs(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for attr in ["src=", "href="] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let value = &rest[1..];
            let Some(end) = value.find(quote) else { break };
            let url = &value[..end];
            if url.starts_with("/static/") && !out.iter().any(|u| u == url) {
                out.push(url.to_string());
            }
        }
    }
    out
}

/// What one page weighs: its HTML and the scripts and styles it loads (uncompressed, as
/// served).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PageWeight {
    pub name: String,
    pub url: String,
    pub status: u16,
    pub html_bytes: u64,
    pub js_bytes: u64,
    pub css_bytes: u64,
    /// Other static files (the icon).
    pub other_bytes: u64,
    pub files: Vec<String>,
}

impl PageWeight {
    pub fn summary_line(&self) -> String {
        format!(
            "page {}: status {} html {} B js {} B css {} B js+css {} B other {} B files {}  ({})",
            self.name,
            self.status,
            self.html_bytes,
            self.js_bytes,
            self.css_bytes,
            self.js_bytes + self.css_bytes,
            self.other_bytes,
            self.files.join(","),
            self.url
        )
    }
}

/// Reads each page of the plan once, signed in, and weighs it and its static files.
pub async fn weigh(
    url: &str,
    plan: &PagesPlan,
    timeout: Duration,
) -> anyhow::Result<Vec<PageWeight>> {
    plan.validate()?;
    let base = crate::target::base_string(&crate::target::check_loopback_url(url)?);
    let sessions = sign_in_all(&base, plan, timeout).await?;
    let http = crate::target::http_client(timeout)?;
    let mut rng = Rng::new(crate::workload::client_seed("weigh", 0));
    let today = today_at(plan.params.utc_offset_minutes);
    let mut sizes: HashMap<String, u64> = HashMap::new();
    let mut out = Vec::new();
    for page in &plan.pages {
        let typed = if page.url.is_typing() {
            Some(plan.params.typing_text(&mut rng)?)
        } else {
            None
        };
        let path = page
            .url
            .expand(&plan.params, &mut rng, today, typed.as_deref())?;
        let resp = http
            .get(format!("{base}{path}"))
            .header(reqwest::header::COOKIE, &sessions[&page.user])
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = resp.status().as_u16();
        let html = resp.text().await.with_context(|| format!("GET {path}"))?;
        let files = static_refs(&html);
        let mut w = PageWeight {
            name: page.name.clone(),
            url: path,
            status,
            html_bytes: html.len() as u64,
            files: files.clone(),
            ..Default::default()
        };
        for f in files {
            let bytes = match sizes.get(&f) {
                Some(b) => *b,
                None => {
                    let resp = http
                        .get(format!("{base}{f}"))
                        .send()
                        .await
                        .with_context(|| format!("GET {f}"))?;
                    ensure!(resp.status().is_success(), "GET {f}: {}", resp.status());
                    let b = resp
                        .bytes()
                        .await
                        .with_context(|| format!("GET {f}"))?
                        .len() as u64;
                    sizes.insert(f.clone(), b);
                    b
                }
            };
            let file = f.split(['?', '#']).next().unwrap_or(&f);
            if file.ends_with(".js") {
                w.js_bytes += bytes;
            } else if file.ends_with(".css") {
                w.css_bytes += bytes;
            } else {
                w.other_bytes += bytes;
            }
        }
        out.push(w);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::client_seed;

    fn params() -> PageParams {
        PageParams {
            customer_ids: Some((1, 1_000_000)),
            order_ids: Some((1, 5_000_000)),
            phones: Some((13_800_000_000, 13_800_999_999)),
            accounts: Some((3_300_000_000, 3_300_999_999)),
            ..Default::default()
        }
    }

    /// The value between `before` and the next `&` (or the end).
    fn query_value<'a>(url: &'a str, before: &str) -> &'a str {
        let start = url.find(before).unwrap() + before.len();
        let rest = &url[start..];
        &rest[..rest.find('&').unwrap_or(rest.len())]
    }

    #[test]
    fn templates_parse_and_refuse_nonsense() {
        let t = UrlTemplate::parse("/customers/{customer}/new").unwrap();
        assert_eq!(t.params().collect::<Vec<_>>(), vec![Param::Customer]);
        assert!(!t.is_typing());
        let t = UrlTemplate::parse("/x?a={days_ago:365}&b={int:3-9}&q={typed}").unwrap();
        assert_eq!(
            t.params().collect::<Vec<_>>(),
            vec![Param::DaysAgo(365), Param::Int(3, 9), Param::Typed]
        );
        assert!(t.is_typing());
        for bad in [
            "customers/{customer}",
            "/c/{customer",
            "/c/{nope}",
            "/c/}",
            "/c/{int:9-3}",
            "/c/{days_ago:x}",
            "/c/{customer:1}",
        ] {
            assert!(UrlTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_are_drawn_within_their_ranges() {
        let p = PageParams {
            customer_ids: Some((10, 12)),
            order_ids: Some((500, 500)),
            ..params()
        };
        let t = UrlTemplate::parse("/customers/{customer}?o={order}").unwrap();
        let mut rng = Rng::new(client_seed("t", 0));
        let mut seen = BTreeSet::new();
        for _ in 0..300 {
            let url = t.expand(&p, &mut rng, 0, None).unwrap();
            let id: u64 = url["/customers/".len()..url.find('?').unwrap()]
                .parse()
                .unwrap();
            assert!((10..=12).contains(&id), "{url}");
            assert!(url.ends_with("?o=500"), "{url}");
            seen.insert(id);
        }
        assert_eq!(seen.len(), 3, "every id of the range is drawn");
    }

    #[test]
    fn phone_and_account_parts() {
        let mut p = params();
        p.phone_prefix_len = (3, 7);
        let mut rng = Rng::new(7);
        let t = UrlTemplate::parse("/s?p={phone}&pre={phone_prefix}&tail={phone_tail}").unwrap();
        let mut lens = BTreeSet::new();
        for _ in 0..200 {
            let url = t.expand(&p, &mut rng, 0, None).unwrap();
            let whole = query_value(&url, "p=");
            let pre = query_value(&url, "pre=");
            let tail = query_value(&url, "tail=");
            assert_eq!(whole.len(), 11);
            assert!(whole.starts_with("13800"), "{url}");
            assert!(whole.starts_with(pre), "one phone per URL: {url}");
            assert!((3..=7).contains(&pre.len()), "{url}");
            assert_eq!(tail, &whole[7..], "{url}");
            lens.insert(pre.len());
        }
        assert_eq!(lens.len(), 5, "prefix lengths cover the range");

        let t = UrlTemplate::parse("/s?q={account_prefix}&a={account}").unwrap();
        let url = t.expand(&p, &mut rng, 0, None).unwrap();
        let pre = query_value(&url, "q=");
        let whole = query_value(&url, "a=");
        assert_eq!(pre.len(), 8);
        assert!(whole.starts_with(pre) && whole.starts_with("3300"), "{url}");
    }

    #[test]
    fn text_is_percent_encoded() {
        let p = PageParams {
            names: vec!["王".into()],
            places: vec!["幸福村3组 &x=1".into()],
            ..params()
        };
        let mut rng = Rng::new(1);
        let t = UrlTemplate::parse("/desk/search?q={name}").unwrap();
        assert_eq!(
            t.expand(&p, &mut rng, 0, None).unwrap(),
            "/desk/search?q=%E7%8E%8B"
        );
        let t = UrlTemplate::parse("/desk/search?q={place}").unwrap();
        assert_eq!(
            t.expand(&p, &mut rng, 0, None).unwrap(),
            "/desk/search?q=%E5%B9%B8%E7%A6%8F%E6%9D%913%E7%BB%84%20%26x%3D1"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(-1), "1969-12-31");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_416), "2025-11-24");
        assert_eq!(civil_date(20_781), "2026-11-24");
        let p = params();
        let t = UrlTemplate::parse("/dashboard?from={days_ago:365}&to={today}").unwrap();
        assert_eq!(
            t.expand(&p, &mut Rng::new(1), 20_781, None).unwrap(),
            "/dashboard?from=2025-11-24&to=2026-11-24"
        );
        // UTC+8: 2026-11-24 20:00 UTC is already the 25th in Beijing.
        let ms: i64 = 20_781 * 86_400_000 + 20 * 3_600_000;
        assert_eq!(
            civil_date((ms + 480 * 60_000).div_euclid(86_400_000)),
            "2026-11-25"
        );
    }

    #[test]
    fn typing_text_is_a_phone_cut_to_the_typed_length() {
        let mut p = params();
        p.typed_len = (1, 11);
        let mut rng = Rng::new(3);
        let mut lens = BTreeSet::new();
        for _ in 0..500 {
            let s = p.typing_text(&mut rng).unwrap();
            assert!("13800999999".len() >= s.len() && !s.is_empty());
            assert!("13800".starts_with(&s) || s.starts_with("13800"), "{s}");
            lens.insert(s.len());
        }
        assert_eq!(lens.len(), 11);
        let t = UrlTemplate::parse("/desk/search?q={typed}").unwrap();
        assert_eq!(
            t.expand(&p, &mut rng, 0, Some("138")).unwrap(),
            "/desk/search?q=138"
        );
        assert!(t.expand(&p, &mut rng, 0, None).is_err());
    }

    #[test]
    fn page_arguments() {
        let all = parse_page("all").unwrap();
        assert_eq!(all.len(), BUILTIN_PAGES.len() - 1);
        assert!(all.iter().all(|p| p.name != "type-phone" && p.weight == 1));
        assert_eq!(parse_page("search").unwrap().len(), 5);

        let p = &parse_page("customer@3").unwrap()[0];
        assert_eq!(
            (p.name.as_str(), p.user.as_str(), p.weight),
            ("customer", "agent", 3)
        );
        assert_eq!(p.url.as_str(), "/customers/{customer}");

        let p = &parse_page("order=supervisor:").unwrap()[0];
        assert_eq!(
            (p.user.as_str(), p.url.as_str()),
            ("supervisor", "/orders/{order}")
        );

        let p = &parse_page("reveal=agent:/customers/{customer}?reveal=1@2").unwrap()[0];
        assert_eq!(p.name, "reveal");
        assert_eq!(p.url.as_str(), "/customers/{customer}?reveal=1");
        assert_eq!(p.weight, 2);

        let p = &parse_page("d=analyst:/dashboard?x=a@b").unwrap()[0];
        assert_eq!(p.url.as_str(), "/dashboard?x=a@b", "not a weight");

        for bad in [
            "nope",
            "x=agent",
            "x=:/a",
            "=agent:/a",
            "x=agent:a",
            "desk@0",
            "nope=agent:",
        ] {
            assert!(parse_page(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn users() {
        assert_eq!(
            parse_user_pair("agent=agent7").unwrap(),
            ("agent".to_string(), "agent7".to_string())
        );
        assert!(parse_user_pair("agent").is_err());
        assert!(parse_user_pair("=x").is_err());

        let mut plan = PagesPlan::new(parse_page("all").unwrap(), params(), "pw");
        plan.users.insert("agent".into(), "desk7".into());
        assert_eq!(plan.username_for("agent"), "desk7");
        assert_eq!(plan.username_for("handler"), "handler1");
        assert_eq!(plan.username_for("grid_manager"), "grid1");
        assert_eq!(
            plan.user_keys().into_iter().collect::<Vec<_>>(),
            vec![
                "admin",
                "agent",
                "analyst",
                "auditor",
                "handler",
                "supervisor"
            ]
        );
        plan.single_user = Some("admin1".into());
        assert_eq!(plan.username_for("agent"), "admin1");
    }

    #[test]
    fn validation_names_the_missing_parameter() {
        let plan = PagesPlan::new(parse_page("all").unwrap(), params(), "pw");
        plan.validate().unwrap();

        let mut no_orders = plan.clone();
        no_orders.params.order_ids = None;
        let e = format!("{:#}", no_orders.validate().unwrap_err());
        assert!(e.contains("order") && e.contains("--order-ids"), "{e}");

        let mut twice = plan.clone();
        twice.pages.extend(parse_page("desk").unwrap());
        assert!(twice.validate().is_err());

        let mut bad_len = plan.clone();
        bad_len.params.phone_prefix_len = (0, 3);
        assert!(bad_len.validate().is_err());

        let desk_only = PagesPlan::new(parse_page("desk").unwrap(), PageParams::default(), "pw");
        desk_only.validate().unwrap();
        assert!(
            PagesPlan::new(vec![], PageParams::default(), "pw")
                .validate()
                .is_err()
        );
    }

    #[test]
    fn weighted_mix_follows_the_weights() {
        let mut pages = parse_page("desk@1").unwrap();
        pages.extend(parse_page("board@3").unwrap());
        let plan = PagesPlan::new(pages, PageParams::default(), "pw");
        let mut rng = Rng::new(11);
        let mut cursor = 0;
        let mut board = 0;
        for _ in 0..4000 {
            if plan.pick(&mut rng, &mut cursor).name == "board" {
                board += 1;
            }
        }
        assert!((2800..3200).contains(&board), "{board} of 4000");
        assert_eq!(cursor, 0, "the weighted mix leaves the cursor alone");
    }

    #[test]
    fn round_robin_cycles_with_repeats() {
        let mut pages = parse_page("desk@2").unwrap();
        pages.extend(parse_page("board").unwrap());
        pages.extend(parse_page("audit").unwrap());
        let mut plan = PagesPlan::new(pages, PageParams::default(), "pw");
        plan.mix = Mix::RoundRobin;
        let mut rng = Rng::new(1);
        let mut cursor = 1;
        let names: Vec<String> = (0..8)
            .map(|_| plan.pick(&mut rng, &mut cursor).name.clone())
            .collect();
        assert_eq!(
            names,
            [
                "desk", "board", "audit", "desk", "desk", "board", "audit", "desk"
            ]
        );
    }

    #[test]
    fn static_files_of_a_page() {
        let html = r#"<!doctype html><head><link rel="icon" href="/static/favicon.svg">
            <link rel="stylesheet" href="/static/app.css"><script src='/static/app.js' defer></script>
            <script src="/static/app.js"></script><a href="/orders/1">x</a><img src=/static/bare.png>
            <a href="https://example.com/static/x.js">"#;
        assert_eq!(
            static_refs(html),
            vec!["/static/app.js", "/static/favicon.svg", "/static/app.css"]
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        use reqwest::header::HeaderValue;
        let v = [
            HeaderValue::from_static("vd_lang=zh; Path=/"),
            HeaderValue::from_static("vd_session=abc123; HttpOnly; SameSite=Lax; Path=/"),
        ];
        assert_eq!(session_cookie(&v).as_deref(), Some("vd_session=abc123"));
        let cleared = [HeaderValue::from_static("vd_session=; Max-Age=0")];
        assert_eq!(session_cookie(&cleared), None);
    }

    /// A fake of the page server: sessions per user, pages that check the cookie, and a
    /// record of every search typed.
    mod against_a_fake_server {
        use std::sync::{Arc, Mutex};

        use axum::Router;
        use axum::extract::{Path, Query, State};
        use axum::http::{HeaderMap, StatusCode, header};
        use axum::response::{Html, IntoResponse, Response};
        use axum::routing::{get, post};

        use super::*;
        use crate::{LoadConfig, Scenario, run};

        #[derive(Default)]
        struct Seen {
            searches: Mutex<Vec<String>>,
            sign_ins: Mutex<Vec<String>>,
        }

        fn user_of(headers: &HeaderMap) -> Option<String> {
            let c = headers.get(header::COOKIE)?.to_str().ok()?;
            c.strip_prefix("vd_session=s-").map(str::to_string)
        }

        async fn session(
            State(seen): State<Arc<Seen>>,
            axum::Json(b): axum::Json<serde_json::Value>,
        ) -> Response {
            let user = b["username"].as_str().unwrap_or_default().to_string();
            if b["password"] != "pw" {
                return StatusCode::UNAUTHORIZED.into_response();
            }
            seen.sign_ins.lock().unwrap().push(user.clone());
            (
                [(
                    header::SET_COOKIE,
                    format!("vd_session=s-{user}; HttpOnly; Path=/"),
                )],
                "{}",
            )
                .into_response()
        }

        async fn search(
            State(seen): State<Arc<Seen>>,
            headers: HeaderMap,
            Query(q): Query<HashMap<String, String>>,
        ) -> Response {
            if user_of(&headers).as_deref() != Some("agent1") {
                return (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response();
            }
            seen.searches.lock().unwrap().push(q["q"].clone());
            Html("<ul></ul>").into_response()
        }

        async fn customer(headers: HeaderMap, Path(id): Path<u64>) -> Response {
            match user_of(&headers).as_deref() {
                Some("agent1") if (1..=100).contains(&id) => {
                    Html(r#"<script src="/static/app.js"></script>"#).into_response()
                }
                Some(_) => StatusCode::NOT_FOUND.into_response(),
                None => (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response(),
            }
        }

        async fn board(headers: HeaderMap) -> Response {
            if user_of(&headers).as_deref() == Some("boss") {
                Html("<h1>board</h1>").into_response()
            } else {
                StatusCode::FORBIDDEN.into_response()
            }
        }

        async fn start() -> (String, Arc<Seen>) {
            let seen = Arc::new(Seen::default());
            let app = Router::new()
                .route("/api/v1/session", post(session))
                .route("/desk/search", get(search))
                .route("/customers/{id}", get(customer))
                .route("/board", get(board))
                .route("/static/app.js", get(|| async { "x".repeat(1234) }))
                .with_state(Arc::clone(&seen));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            (url, seen)
        }

        fn plan(pages: &[&str]) -> PagesPlan {
            let pages = pages.iter().flat_map(|p| parse_page(p).unwrap()).collect();
            let mut plan = PagesPlan::new(
                pages,
                PageParams {
                    customer_ids: Some((1, 150)),
                    phones: Some((13_800_000_000, 13_800_999_999)),
                    ..Default::default()
                },
                "pw",
            );
            plan.users.insert("supervisor".into(), "boss".into());
            plan
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn pages_are_read_signed_in_and_counted_per_page() {
            let (url, seen) = start().await;
            let mut cfg = LoadConfig::new(
                url,
                "",
                Scenario::Pages(Box::new(plan(&["customer@2", "board", "search-tail"]))),
            );
            cfg.clients = 3;
            cfg.max_requests = Some(600);
            cfg.duration = Duration::from_secs(20);
            let report = run(cfg).await.unwrap();
            assert_eq!(report.scenario, "pages");
            assert_eq!(report.count, 600);
            let mut sign_ins = seen.sign_ins.lock().unwrap().clone();
            sign_ins.sort();
            assert_eq!(sign_ins, ["agent1", "boss"], "once per role");

            let customer = &report.ops["customer"];
            let board = &report.ops["board"];
            let tail = &report.ops["search-tail"];
            assert_eq!(customer.count + board.count + tail.count, 600);
            assert!(customer.count > board.count, "weight 2 against 1");
            assert_eq!(board.errors.total(), 0);
            assert_eq!(board.ok, board.count);
            // Ids 101..=150 are unknown to the fake: about a third are 404s.
            assert_eq!(customer.errors.status_4xx, customer.count - customer.ok);
            assert!(customer.errors.status_4xx > 0 && customer.ok > 0);
            assert_eq!(customer.latency.samples, customer.count);
            assert!(customer.latency.p90_us >= customer.latency.p50_us);
            for q in seen.searches.lock().unwrap().iter() {
                assert_eq!(q.len(), 4, "a tail is four digits: {q}");
            }
            let lines = report.summary_lines();
            assert!(
                lines.iter().any(|l| l.starts_with("op board: count ")
                    && l.contains(" p90 ")
                    && l.contains(" p99 ")),
                "{lines:?}"
            );
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn search_as_you_type_sends_every_prefix_in_order() {
            let (url, seen) = start().await;
            let mut p = plan(&["type-phone"]);
            p.by_length = true;
            let mut cfg = LoadConfig::new(url, "", Scenario::Pages(Box::new(p)));
            cfg.clients = 1;
            cfg.max_requests = Some(70);
            cfg.duration = Duration::from_secs(20);
            let report = run(cfg).await.unwrap();
            assert_eq!(report.count, 70, "breakdowns are not counted twice");
            assert_eq!(report.ok, 70);
            assert_eq!(report.latency.samples, 70);
            assert_eq!(report.ops["type-phone"].count, 70);
            assert_eq!(report.ops["type-phone"].ok, 70);
            for n in 1..=7 {
                assert_eq!(report.ops[&format!("type-phone/{n:02}")].count, 10, "{n}");
            }
            let searches = seen.searches.lock().unwrap().clone();
            assert_eq!(searches.len(), 70);
            for word in searches.chunks(7) {
                for (i, q) in word.iter().enumerate() {
                    assert_eq!(q.len(), i + 1, "{word:?}");
                    assert!(word[6].starts_with(q.as_str()), "{word:?}");
                }
                assert!(word[6].starts_with("13800"));
            }
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_wrong_password_fails_before_the_run() {
            let (url, _) = start().await;
            let mut p = plan(&["board"]);
            p.password = "nope".into();
            let cfg = LoadConfig::new(url, "", Scenario::Pages(Box::new(p)));
            let e = format!("{:#}", run(cfg).await.unwrap_err());
            assert!(e.contains("signing in as boss") && e.contains("401"), "{e}");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn weighing_sums_the_static_files() {
            let (url, _) = start().await;
            let mut p = plan(&["customer"]);
            p.params.customer_ids = Some((5, 5));
            let w = weigh(&url, &p, Duration::from_secs(5)).await.unwrap();
            assert_eq!(w.len(), 1);
            assert_eq!((w[0].status, w[0].js_bytes, w[0].css_bytes), (200, 1234, 0));
            assert_eq!(w[0].url, "/customers/5");
            assert_eq!(w[0].files, ["/static/app.js"]);
        }
    }
}
