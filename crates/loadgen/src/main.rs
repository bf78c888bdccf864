//! `voltdesk-load`: drives a running voltdesk server's HTTP API (loopback only) and prints
//! what it measured, one metric per line or as JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use voltdesk_loadgen::{
    BUILTIN_PAGES, DEFAULT_NAMES, DEFAULT_PLACES, LoadConfig, LookupBy, Mix, PageParams, PagesPlan,
    Report, Scenario, parse_duration, parse_page, parse_range, parse_user_pair, read_ack_log, run,
    verify_acks, weigh,
};

#[derive(Parser)]
#[command(name = "voltdesk-load", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create work orders: POST /api/v1/work-orders with a fresh Idempotency-Key each.
    Intake {
        #[command(flatten)]
        common: Common,
        /// Append every acknowledged order as `key,id` to this file (flushed per line).
        #[arg(long)]
        ack_log: Option<PathBuf>,
    },
    /// Look customers up by phone and/or account, then read their trace timeline.
    Lookup {
        #[command(flatten)]
        common: Common,
        /// Which key to look up by.
        #[arg(long, value_enum, default_value_t = By::Alternate)]
        by: By,
        /// Inclusive range of mobile numbers, e.g. 13800000000-13800999999.
        #[arg(long, value_parser = parse_range)]
        phones: Option<(u64, u64)>,
        /// Customer ids to read the trace of when a lookup answer names none.
        #[arg(long, value_parser = parse_range)]
        customer_ids: Option<(u64, u64)>,
        /// Events per trace page.
        #[arg(long, default_value_t = 50)]
        trace_limit: u32,
        /// Only look up; do not read the trace.
        #[arg(long)]
        no_trace: bool,
    },
    /// Page through a station's open orders sorted by due time.
    OrderList {
        #[command(flatten)]
        common: Common,
        /// Station codes to pick from (repeat or comma-separate).
        #[arg(long = "station", required = true, value_delimiter = ',')]
        stations: Vec<String>,
        #[arg(long, default_value = "accepted")]
        status: String,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
        /// Pages are picked at random from 1..=PAGES.
        #[arg(long, default_value_t = 1)]
        pages: u32,
    },
    /// Read the server-rendered pages, signed in once per role, with parameters drawn at
    /// random; or type phone numbers into the desk's search one digit at a time
    /// (--search-as-you-type). Reports each page separately.
    Pages(Box<PagesArgs>),
    /// Check that every order in an ack log is on the server (after a crash and restart).
    /// Exits 1 if any is missing.
    Verify {
        #[arg(long, env = "VOLTDESK_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, env = "VOLTDESK_TOKEN", hide_env_values = true)]
        token: String,
        #[arg(long)]
        ack_log: PathBuf,
        #[arg(long, short = 'c', default_value_t = 8)]
        clients: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct Common {
    /// Base URL of the server (127.0.0.1, localhost or [::1] only).
    #[arg(long, env = "VOLTDESK_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Bearer token.
    #[arg(long, env = "VOLTDESK_TOKEN", hide_env_values = true)]
    token: String,
    /// Concurrent clients, one connection each.
    #[arg(long, short = 'c', default_value_t = 8)]
    clients: usize,
    /// How long to run (500ms, 10s, 2m).
    #[arg(long, short = 'd', default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Requests per second over all clients (default: as fast as answered).
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this many requests.
    #[arg(long)]
    max_requests: Option<u64>,
    /// Inclusive range of account numbers, e.g. 3300000000-3300999999.
    #[arg(long, value_parser = parse_range)]
    accounts: Option<(u64, u64)>,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,
    /// Stop once the server has refused connections this long.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    unreachable_after: Duration,
    /// Prefix of the idempotency keys (default: fresh per run).
    #[arg(long)]
    run_id: Option<String>,
    /// Print the report as JSON instead of one line per metric.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct PagesArgs {
    /// Base URL of the server (127.0.0.1, localhost or [::1] only).
    #[arg(long, env = "VOLTDESK_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Concurrent clients, one connection each.
    #[arg(long, short = 'c', default_value_t = 4)]
    clients: usize,
    /// How long to run (500ms, 10s, 2m).
    #[arg(long, short = 'd', default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Requests per second over all clients (default: as fast as answered).
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this many requests.
    #[arg(long)]
    max_requests: Option<u64>,
    /// Per-request timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,
    /// Stop once the server has refused connections this long.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    unreachable_after: Duration,
    /// Seed of the random draws (default: fresh per run).
    #[arg(long)]
    run_id: Option<String>,
    /// Print the report as JSON instead of one line per metric.
    #[arg(long)]
    json: bool,
    /// Pages to read, repeat or comma-separate (default: all). A built-in page (see
    /// --list), `all`, `search`, or NAME=ROLE:/path?q={placeholder}; append @N for a
    /// weight. Placeholders: customer, order, phone, phone_prefix, phone_tail, account,
    /// account_prefix, name, place, today, days_ago:N, int:LO-HI, typed.
    #[arg(long = "page", value_delimiter = ',')]
    pages: Vec<String>,
    /// Type a phone number into the desk's search one digit at a time, a request per
    /// digit (the `type-phone` page); alone, or with the --page list.
    #[arg(long)]
    search_as_you_type: bool,
    /// How each client picks its next page.
    #[arg(long, value_enum, default_value_t = MixArg::Weighted)]
    mix: MixArg,
    /// Username per role, e.g. agent=agent1,handler=handler1 (a role not listed signs in
    /// as ROLE1, the demo's users; grid_manager as grid1).
    #[arg(long, value_delimiter = ',', value_parser = parse_user_pair)]
    users: Vec<(String, String)>,
    /// Read every page as this one user instead.
    #[arg(long, conflicts_with = "users")]
    user: Option<String>,
    /// Password of the users.
    #[arg(
        long,
        env = "VOLTDESK_PASSWORD",
        hide_env_values = true,
        default_value = "voltdesk-demo"
    )]
    password: String,
    /// Customer ids for {customer}, e.g. 1-1000000.
    #[arg(long, value_parser = parse_range)]
    customer_ids: Option<(u64, u64)>,
    /// Order ids for {order}, e.g. 1-5000000.
    #[arg(long, value_parser = parse_range)]
    order_ids: Option<(u64, u64)>,
    /// Mobile numbers for {phone}, {phone_prefix}, {phone_tail} and typing, e.g.
    /// 13800000000-13800999999.
    #[arg(long, value_parser = parse_range)]
    phones: Option<(u64, u64)>,
    /// Account numbers for {account} and {account_prefix}, e.g. 3300000000-3300999999.
    #[arg(long, value_parser = parse_range)]
    accounts: Option<(u64, u64)>,
    /// Digits of a phone prefix search (a number or a range, drawn per request).
    #[arg(long, default_value = "7", value_parser = parse_range)]
    phone_prefix_len: (u64, u64),
    /// Digits of an account prefix search.
    #[arg(long, default_value = "8", value_parser = parse_range)]
    account_prefix_len: (u64, u64),
    /// Digits typed per search as you type (a number or a range).
    #[arg(long, default_value = "7", value_parser = parse_range)]
    typed_digits: (u64, u64),
    /// Name prefixes for {name} (default: the most frequent surnames).
    #[arg(long, value_delimiter = ',')]
    names: Vec<String>,
    /// Village or community plus detail for {place} (default: villages of the demo county).
    #[arg(long, value_delimiter = ',')]
    places: Vec<String>,
    /// Time zone of {today} and {days_ago:N}, minutes east of UTC.
    #[arg(long, default_value_t = 480, allow_negative_numbers = true)]
    utc_offset_minutes: i64,
    /// Pause between keystrokes of a search as you type (after each answer).
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    keystroke_delay: Duration,
    /// Also report each typed length separately (type-phone/01, type-phone/02, ...).
    #[arg(long)]
    by_length: bool,
    /// Instead of a load run: read each page once and report its HTML and the bytes of
    /// the scripts and styles it loads.
    #[arg(long)]
    weigh: bool,
    /// List the built-in pages and exit.
    #[arg(long)]
    list: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum MixArg {
    /// At random, in proportion to the weights.
    Weighted,
    /// In order, each page weight times in a row.
    RoundRobin,
}

impl PagesArgs {
    fn plan(&self) -> anyhow::Result<PagesPlan> {
        let mut pages = Vec::new();
        let names: Vec<&str> = if self.pages.is_empty() && !self.search_as_you_type {
            vec!["all"]
        } else {
            self.pages.iter().map(String::as_str).collect()
        };
        for p in names {
            pages.extend(parse_page(p)?);
        }
        if self.search_as_you_type && !pages.iter().any(|p| p.name == "type-phone") {
            pages.extend(parse_page("type-phone")?);
        }
        let list = |given: &[String], default: &[&str]| -> Vec<String> {
            if given.is_empty() {
                default.iter().map(|s| s.to_string()).collect()
            } else {
                given.iter().map(|s| s.trim().to_string()).collect()
            }
        };
        let params = PageParams {
            customer_ids: self.customer_ids,
            order_ids: self.order_ids,
            phones: self.phones,
            accounts: self.accounts,
            phone_prefix_len: self.phone_prefix_len,
            account_prefix_len: self.account_prefix_len,
            typed_len: self.typed_digits,
            names: list(&self.names, DEFAULT_NAMES),
            places: list(&self.places, DEFAULT_PLACES),
            utc_offset_minutes: self.utc_offset_minutes,
        };
        let mut plan = PagesPlan::new(pages, params, self.password.clone());
        plan.mix = match self.mix {
            MixArg::Weighted => Mix::Weighted,
            MixArg::RoundRobin => Mix::RoundRobin,
        };
        plan.users = self.users.iter().cloned().collect();
        plan.single_user = self.user.clone();
        plan.keystroke_delay = self.keystroke_delay;
        plan.by_length = self.by_length;
        plan.validate()?;
        Ok(plan)
    }

    fn config(&self, plan: PagesPlan) -> LoadConfig {
        let mut cfg = LoadConfig::new(&self.url, "", Scenario::Pages(Box::new(plan)));
        cfg.clients = self.clients;
        cfg.duration = self.duration;
        cfg.rate_limit = self.rate;
        cfg.max_requests = self.max_requests;
        cfg.request_timeout = self.timeout;
        cfg.unreachable_after = self.unreachable_after;
        cfg.run_id = self.run_id.clone();
        cfg
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Phone,
    Account,
    Alternate,
}

impl Common {
    fn config(&self, scenario: Scenario) -> LoadConfig {
        let mut cfg = LoadConfig::new(&self.url, &self.token, scenario);
        cfg.clients = self.clients;
        cfg.duration = self.duration;
        cfg.rate_limit = self.rate;
        cfg.max_requests = self.max_requests;
        cfg.account_range = self.accounts;
        cfg.request_timeout = self.timeout;
        cfg.unreachable_after = self.unreachable_after;
        cfg.run_id = self.run_id.clone();
        cfg
    }
}

fn print_report(report: &Report, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        for line in report.summary_lines() {
            println!("{line}");
        }
    }
    Ok(())
}

async fn main_inner(cli: Cli) -> anyhow::Result<ExitCode> {
    let (cfg, json) = match cli.command {
        Command::Intake { common, ack_log } => {
            let mut cfg = common.config(Scenario::Intake);
            cfg.ack_log = ack_log;
            (cfg, common.json)
        }
        Command::Lookup {
            common,
            by,
            phones,
            customer_ids,
            trace_limit,
            no_trace,
        } => {
            let by = match by {
                By::Phone => LookupBy::Phone,
                By::Account => LookupBy::Account,
                By::Alternate => LookupBy::Alternate,
            };
            let scenario = Scenario::Lookup {
                by,
                phone_range: phones,
                customer_id_range: customer_ids,
                trace_limit: (!no_trace).then_some(trace_limit),
            };
            (common.config(scenario), common.json)
        }
        Command::OrderList {
            common,
            stations,
            status,
            per_page,
            pages,
        } => {
            let scenario = Scenario::OrderList {
                stations,
                status,
                per_page,
                max_page: pages,
            };
            (common.config(scenario), common.json)
        }
        Command::Pages(args) => {
            if args.list {
                for (name, role, url) in BUILTIN_PAGES {
                    println!("{name:<15} {role:<11} {url}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            let plan = args.plan()?;
            if args.weigh {
                let weights = weigh(&args.url, &plan, args.timeout).await?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&weights)?);
                } else {
                    for w in &weights {
                        println!("{}", w.summary_line());
                    }
                }
                let ok = weights.iter().all(|w| (200..300).contains(&w.status));
                return Ok(if ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            (args.config(plan), args.json)
        }
        Command::Verify {
            url,
            token,
            ack_log,
            clients,
            json,
        } => {
            let acks = read_ack_log(&ack_log)?;
            let report = verify_acks(&url, &token, &acks, clients).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for line in report.summary_lines() {
                    println!("{line}");
                }
            }
            return Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
    };
    let report = run(cfg).await.context("load run failed")?;
    print_report(&report, json)?;
    Ok(ExitCode::SUCCESS)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match main_inner(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("voltdesk-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}
