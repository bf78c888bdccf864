//! `voltdesk-load`: drives a running voltdesk server's HTTP API (loopback only) and prints
//! what it measured, one metric per line or as JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use voltdesk_loadgen::{
    LoadConfig, LookupBy, Report, Scenario, parse_duration, parse_range, read_ack_log, run,
    verify_acks,
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
