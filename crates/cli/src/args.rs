//! The command line: what each command takes. The commands themselves live in their modules.

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "voltdesk",
    version,
    about = "voltdesk: customer service for electric utilities (95598 hotline, supply stations)"
)]
pub struct Cli {
    /// Database URL: sqlite://PATH (created if missing) or postgres://...
    /// [default: sqlite://voltdesk.db; for `demo`: sqlite://voltdesk-demo.db, and the
    /// environment variable is not used]
    #[arg(long, global = true, env = "VOLTDESK_DATABASE", value_name = "URL")]
    pub database: Option<String>,

    /// Directory of policy files (*.toml) loaded over the bundled defaults
    /// [default: config/policy if it exists, else the bundled policies]
    #[arg(long, global = true, value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: web pages, JSON API and the SLA scheduler
    Serve(ServeArgs),
    /// Create or upgrade the database schema
    Migrate,
    /// Manage users
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for other systems
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import the organisation or the customer register from CSV (UTF-8 or GBK)
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data as CSV
    #[command(subcommand)]
    Export(ExportCommand),
    /// Generate realistic sample CSV files in the import formats
    #[command(subcommand)]
    Gen(GenCommand),
    /// Run a demo station: sample organisation, customers, users and work orders
    Demo(DemoArgs),
    /// Benchmark set-ups and the scheduler benchmark (see BENCHMARKS.md)
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Check IVR flows and list the prompts they speak
    #[command(subcommand)]
    Ivr(IvrCommand),
}

#[derive(Debug, Subcommand)]
pub enum IvrCommand {
    /// Check a flow file (and the queues file); errors name the node
    Check {
        #[arg(default_value = "config/ivr/95598.toml")]
        flow: std::path::PathBuf,
        #[arg(long, default_value = "config/queues.toml")]
        queues: std::path::PathBuf,
    },
    /// Print every prompt a flow needs as `name<TAB>text`, for scripts/make-prompts.sh
    Prompts {
        #[arg(default_value = "config/ivr/95598.toml")]
        flow: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Generate a history of orders and trace events over the imported customers
    SeedHistory {
        #[arg(long, value_name = "N")]
        orders: u64,
        #[arg(long, default_value_t = 2, value_name = "K")]
        traces_per_order: u32,
        /// Share of orders left open, each with one running clock
        #[arg(long, default_value_t = 0.02, value_name = "X")]
        open_share: f64,
        #[arg(long, default_value_t = 7, value_name = "S")]
        seed: u64,
    },
    /// Seed open clocks falling due over the next WITHIN seconds and measure firing lag
    Scheduler {
        #[arg(long, value_name = "N")]
        clocks: u64,
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        within: u64,
        /// How long to run the scheduler and watch (the first part of the window)
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        measure: u64,
        #[arg(long, default_value_t = 7, value_name = "S")]
        seed: u64,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Do not run the early-warning rules in this process (another process runs them, or
    /// a benchmark compares intake without them)
    #[arg(long)]
    pub no_rules: bool,
    /// Deliver the outbox as this file's `[delivery]` section says (see
    /// config/delivery.example.toml); without it notices wait in the outbox
    #[arg(long, value_name = "FILE")]
    pub delivery: Option<std::path::PathBuf>,
    /// Keep the records of finished imports this many days
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..), value_name = "DAYS")]
    pub import_retention_days: i64,
    /// Speak HTTPS with this PEM certificate chain (with --tls-key); cookies get `Secure`
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// A reverse proxy in front speaks HTTPS: cookies get `Secure`, and the client's address
    /// (for sign-in throttling) is the last entry of `X-Forwarded-For`
    #[arg(long)]
    pub behind_proxy: bool,
    /// Keep attachments in this folder (default: `attachments` beside the SQLite file, or
    /// in the working directory for PostgreSQL)
    #[arg(long, value_name = "DIR")]
    pub attachments: Option<std::path::PathBuf>,
    /// The largest attachment accepted, in MB
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1024), value_name = "MB")]
    pub attachment_limit_mb: u64,
    #[command(flatten)]
    pub sip: SipArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user
    Add {
        username: String,
        /// agent, handler, grid_manager, crew, supervisor, analyst, admin or auditor
        #[arg(long)]
        role: String,
        /// Display name [default: the username]
        #[arg(long, value_name = "N")]
        name: Option<String>,
        /// Password (else $VOLTDESK_PASSWORD, else asked for on the terminal)
        #[arg(
            long,
            env = "VOLTDESK_PASSWORD",
            hide_env_values = true,
            value_name = "P"
        )]
        password: Option<String>,
        /// Code of the user's supply station
        #[arg(long, value_name = "CODE")]
        station: Option<String>,
        /// Code of the user's department, e.g. ZJ-CN-distribution
        #[arg(long, value_name = "CODE")]
        department: Option<String>,
    },
    /// List users
    List,
    /// Set an agent's SIP password (the softphone's; stored as HA1 over the realm voltdesk)
    SipPassword {
        username: String,
        /// The SIP password (else read from standard input: asked for on a terminal, the
        /// first line when piped)
        #[arg(long, value_name = "P")]
        password: Option<String>,
    },
    /// Set a user's password
    Passwd {
        username: String,
        /// New password (else $VOLTDESK_PASSWORD, else asked for on the terminal)
        #[arg(
            long,
            env = "VOLTDESK_PASSWORD",
            hide_env_values = true,
            value_name = "P"
        )]
        password: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token acting as a user; prints only the secret (shown once)
    Create {
        /// The user the token acts as
        #[arg(long, value_name = "USERNAME")]
        user: String,
        /// What the token is for, e.g. "billing system"
        #[arg(long)]
        name: String,
        /// Permissions narrowing the user's role, e.g. customer.read,order.create
        #[arg(long, value_delimiter = ',', value_name = "a,b")]
        scopes: Vec<String>,
        /// Days until the token expires [default: never]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=36_500))]
        ttl_days: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import stations, grids, feeders and transformer areas (one row per area)
    Org(ImportArgs),
    /// Import customers (all or nothing unless --skip-invalid)
    Customers(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file
    pub file: PathBuf,
    /// Import the valid rows and skip the invalid ones (they are still listed)
    #[arg(long)]
    pub skip_invalid: bool,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Work orders as CSV (times in Asia/Shanghai)
    Orders(ExportOrdersArgs),
}

#[derive(Debug, Args)]
pub struct ExportOrdersArgs {
    /// Output file [default: standard output]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only this supply station
    #[arg(long, value_name = "CODE")]
    pub station: Option<String>,
    /// Only these statuses, e.g. accepted,dispatched
    #[arg(long, value_delimiter = ',', value_name = "S,...")]
    pub status: Vec<String>,
    /// Created on or after this day (local time)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub from: Option<NaiveDate>,
    /// Created on or before this day (local time)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub to: Option<NaiveDate>,
    /// Leave out the UTF-8 byte-order mark (Excel needs it to read Chinese right)
    #[arg(long)]
    pub no_bom: bool,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date like 2025-03-31"))
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// The organisation of the sample station 城南供电所 (ZJ-CN)
    Org {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Customers of the sample station, deterministic for a seed
    Customers {
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=crate::generate::MAX_CUSTOMERS))]
        count: u64,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, default_value_t = 7, value_name = "S")]
        seed: u64,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Customers to generate
    #[arg(long, default_value_t = 48_000, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
    pub customers: u64,
    /// Seed of the generated data
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Delete the demo database first (SQLite only)
    #[arg(long)]
    pub fresh: bool,
    /// Prepare the database and exit without serving
    #[arg(long)]
    pub no_serve: bool,
    /// Keep attachments in this folder (default: `attachments` beside the SQLite file, or
    /// in the working directory for PostgreSQL)
    #[arg(long, value_name = "DIR")]
    pub attachments: Option<std::path::PathBuf>,
    /// The largest attachment accepted, in MB
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1024), value_name = "MB")]
    pub attachment_limit_mb: u64,
    #[command(flatten)]
    pub sip: SipArgs,
}

/// The contact centre: SIP and RTP (off unless `--sip` is given).
#[derive(Debug, Clone, clap::Args)]
pub struct SipArgs {
    /// Answer SIP calls (UDP and TCP) on this address, e.g. 127.0.0.1:5060
    #[arg(long, value_name = "ADDR")]
    pub sip: Option<SocketAddr>,
    /// The RTP ports calls use, FIRST-LAST
    #[arg(long, default_value = "20000-20999", value_name = "FIRST-LAST", value_parser = parse_port_range)]
    pub rtp_ports: (u16, u16),
    /// The numbers answered, comma-separated
    #[arg(long, default_value = "95598,12398", value_name = "NUMBERS")]
    pub service_numbers: String,
    /// Peers (IP addresses) allowed to call without credentials, besides loopback
    #[arg(long = "sip-trust", value_name = "IP")]
    pub trust: Vec<std::net::IpAddr>,
    /// A trunk account allowed to call with digest credentials from any address, as
    /// USER:HA1 (HA1 = MD5 of `USER:voltdesk:PASSWORD`, lowercase hex), repeatable
    #[arg(long = "sip-trunk", value_name = "USER:HA1", value_parser = parse_trunk)]
    pub trunks: Vec<(String, String)>,
    /// The IVR flow
    #[arg(long, default_value = "config/ivr/95598.toml", value_name = "FILE")]
    pub ivr_flow: std::path::PathBuf,
    /// The queues and agents' skills
    #[arg(long, default_value = "config/queues.toml", value_name = "FILE")]
    pub queues: std::path::PathBuf,
    /// The prompts (8 kHz mono WAV, made by scripts/make-prompts.sh or recorded)
    #[arg(long, default_value = "prompts/zh", value_name = "DIR")]
    pub prompts: std::path::PathBuf,
    /// Record answered calls into this folder (a notice is played first); off by default
    #[arg(long, value_name = "DIR")]
    pub record_calls: Option<std::path::PathBuf>,
}

fn parse_trunk(s: &str) -> Result<(String, String), String> {
    let (user, ha1) = s
        .split_once(':')
        .ok_or_else(|| "give USER:HA1".to_string())?;
    let ha1 = ha1.trim().to_ascii_lowercase();
    if user.trim().is_empty() || ha1.len() != 32 || !ha1.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(
            "give USER:HA1, HA1 being 32 hex digits (md5 of USER:voltdesk:PASSWORD)".into(),
        );
    }
    Ok((user.trim().to_string(), ha1))
}

fn parse_port_range(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| "give FIRST-LAST, e.g. 20000-20999".to_string())?;
    let a: u16 = a.trim().parse().map_err(|_| format!("not a port: {a}"))?;
    let b: u16 = b.trim().parse().map_err(|_| format!("not a port: {b}"))?;
    if a < 1024 || b < a + 1 {
        return Err("the range must be above 1023 and hold at least two ports".into());
    }
    Ok((a, b))
}

impl SipArgs {
    /// The contact centre's settings, when `--sip` was given.
    pub fn config(&self) -> Option<voltdesk_telephony::TelephonyConfig> {
        let sip = self.sip?;
        Some(voltdesk_telephony::TelephonyConfig {
            sip,
            rtp_ports: self.rtp_ports,
            service_numbers: self
                .service_numbers
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            trust_loopback: true,
            trusted_peers: self.trust.clone(),
            trunks: self.trunks.clone(),
            flow_file: self.ivr_flow.clone(),
            queues_file: self.queues.clone(),
            prompts_dir: self.prompts.clone(),
            recordings: self.record_calls.clone(),
        })
    }
}
