//! The `voltdesk` binary: the server, administration, import and export, sample data and
//! the demo. Each command parses its arguments here and calls one module; the modules call
//! the service, never the store's write paths.

mod args;
mod bench;
mod demo;
mod export;
mod generate;
mod import;
mod open;
mod server;
mod table;
mod users;

use anyhow::{Context, Result};
use args::{Cli, Command, ExportCommand, GenCommand, ImportCommand, IvrCommand};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use open::Opened;
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;
use voltdesk_domain::Role;
use voltdesk_service::Actor;

const DEFAULT_DATABASE: &str = "sqlite://voltdesk.db";
const DEMO_DATABASE: &str = "sqlite://voltdesk-demo.db";

/// Who the CLI acts as: an administrator at the console, traced as `cli`.
pub fn cli_actor() -> Actor {
    Actor {
        user_id: None,
        name: "cli".into(),
        role: Role::Admin,
        station_id: None,
    }
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let database_given = matches.value_source("database") == Some(ValueSource::CommandLine);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let serving = matches!(cli.command, Command::Serve(_) | Command::Demo(_));
    // sqlx reports each statement and notice at info and debug: too much for an operator.
    init_tracing(if serving {
        "info,sqlx=warn,rsipstack=warn"
    } else {
        "warn"
    });

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, database_given)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Output piped into `head` and closed early is not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(cli: Cli, database_given: bool) -> Result<()> {
    let policy_dir = cli.policy_dir.clone();
    let url = cli
        .database
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE.to_string());
    let service = || open::service(&url, policy_dir.as_deref());
    match cli.command {
        Command::Serve(a) => {
            let delivery = a.delivery.as_deref().map(server::delivery).transpose()?;
            let web = server::Web::from_args(&a)?;
            let svc = service().await?;
            svc.set_import_retention(a.import_retention_days);
            svc.set_attachments(
                open::attachments_dir(&url, a.attachments.as_deref()),
                a.attachment_limit_mb * 1024 * 1024,
            );
            let (listener, http) = server::bind(a.listen).await?;
            let url = match web.tls {
                Some(_) => http.replacen("http://", "https://", 1),
                None => http,
            };
            println!("voltdesk is serving at {url}");
            std::io::stdout().flush()?;
            server::run(svc, listener, !a.no_rules, delivery, web, a.sip.config()).await
        }
        Command::Migrate => {
            let Opened { store, .. } = open::store(&url, policy_dir.as_deref()).await?;
            store.close().await;
            println!("database {} is up to date", open::redact(&url));
            Ok(())
        }
        Command::User(cmd) => users::user(&service().await?, cmd).await,
        Command::Token(cmd) => users::token(&service().await?, cmd).await,
        Command::Import(ImportCommand::Org(a)) => import::org(&service().await?, a).await,
        Command::Import(ImportCommand::Customers(a)) => {
            import::customers(&service().await?, a).await
        }
        Command::Export(ExportCommand::Orders(a)) => export::orders(&service().await?, a).await,
        Command::Gen(cmd) => gen_file(cmd),
        Command::Ivr(IvrCommand::Check { flow, queues }) => {
            let f = voltdesk_telephony::load_flow(&flow).map_err(anyhow::Error::msg)?;
            let (q, _) = voltdesk_telephony::load_queues(&queues).map_err(anyhow::Error::msg)?;
            voltdesk_domain::acd::Acd::new(q.clone())
                .map_err(|e| anyhow::anyhow!("{}: {e}", queues.display()))?;
            println!(
                "{}: {} nodes; {}: {} queues",
                flow.display(),
                f.nodes.len(),
                queues.display(),
                q.len()
            );
            Ok(())
        }
        Command::Ivr(IvrCommand::Prompts { flow }) => {
            let f = voltdesk_telephony::load_flow(&flow).map_err(anyhow::Error::msg)?;
            let mut lines = String::new();
            for (name, text) in voltdesk_domain::ivr::prompt_texts(&f) {
                lines.push_str(&format!("{name}\t{text}\n"));
            }
            for (name, text) in voltdesk_domain::speech::clip_texts() {
                lines.push_str(&format!("{name}\t{text}\n"));
            }
            std::io::stdout().write_all(lines.as_bytes())?;
            Ok(())
        }
        Command::Bench(cmd) => {
            let svc = service().await?;
            match cmd {
                args::BenchCommand::SeedHistory {
                    orders,
                    traces_per_order,
                    open_share,
                    seed,
                } => bench::seed_history(&svc, orders, traces_per_order, open_share, seed).await,
                args::BenchCommand::Scheduler {
                    clocks,
                    within,
                    measure,
                    seed,
                } => {
                    let secs = std::time::Duration::from_secs;
                    bench::scheduler(&svc, clocks, secs(within), secs(measure), seed).await
                }
            }
        }
        Command::Demo(a) => {
            // The demo keeps its own database unless one is named on the command line
            // (not from the environment, which may point at real data).
            let url = match (&cli.database, database_given) {
                (Some(u), true) => u.clone(),
                _ => DEMO_DATABASE.to_string(),
            };
            demo::run(&url, policy_dir, a).await
        }
    }
}

/// `gen org` / `gen customers`: streams the file, then reports size and time.
fn gen_file(cmd: GenCommand) -> Result<()> {
    let started = Instant::now();
    let (path, rows) = match &cmd {
        GenCommand::Org { out } => (out, 0),
        GenCommand::Customers { out, count, .. } => (out, *count),
    };
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let sink = std::io::BufWriter::with_capacity(1 << 20, file);
    let written = match cmd {
        GenCommand::Org { .. } => {
            let org = generate::OrgModel::build();
            org.write_csv(sink)?;
            org.areas.len() as u64
        }
        GenCommand::Customers { count, seed, .. } => {
            let bar = indicatif::ProgressBar::new(rows).with_style(import::rows_style());
            bar.set_message("writing");
            generate::write_customers(sink, count, seed, |n| bar.set_position(n))?;
            bar.finish_and_clear();
            count
        }
    };
    let elapsed = started.elapsed();
    eprintln!(
        "wrote {written} rows to {} in {} ({})",
        path.display(),
        import::seconds(elapsed),
        import::rate(written as usize, elapsed)
    );
    Ok(())
}
