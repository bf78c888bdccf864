//! `serve`: the HTTP interface, the SLA scheduler, the early-warning rules, the statistics
//! settler and the import-job sweep in one process, stopped by Ctrl-C or
//! SIGTERM. Requests in flight are allowed to finish; what a command committed is durable,
//! and a command cut short rolls back, so a stop never leaves half a write.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use voltdesk_service::Service;

/// How long requests in flight may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Reads the `[delivery]` section of `path` and builds the senders.
pub fn delivery(path: &std::path::Path) -> Result<voltdesk_service::Delivery> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let cfg = voltdesk_service::DeliveryConfig::from_toml(&text)
        .with_context(|| format!("{}: not a usable [delivery] section", path.display()))?;
    voltdesk_service::Delivery::from_config(cfg)
        .with_context(|| format!("{}: cannot build the senders", path.display()))
}

/// How the web side is reached: plain HTTP, HTTPS of its own, or behind a proxy.
#[derive(Clone, Default)]
pub struct Web {
    pub opts: voltdesk_web::WebOptions,
    pub tls: Option<std::sync::Arc<voltdesk_web::tls::ServerConfig>>,
}

impl Web {
    pub fn from_args(a: &crate::args::ServeArgs) -> Result<Web> {
        let tls = match (&a.tls_cert, &a.tls_key) {
            (Some(cert), Some(key)) => {
                Some(voltdesk_web::tls::config(cert, key).map_err(anyhow::Error::msg)?)
            }
            _ => None,
        };
        Ok(Web {
            opts: voltdesk_web::WebOptions {
                secure_cookies: a.behind_proxy || tls.is_some(),
                behind_proxy: a.behind_proxy,
            },
            tls,
        })
    }
}

/// Binds `listen`; returns the listener and the URL to print.
pub async fn bind(listen: SocketAddr) -> Result<(TcpListener, String)> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    Ok((listener, format!("http://{host}:{}/", addr.port())))
}

/// Runs the scheduler and the web interface until a stop signal; then lets requests in
/// flight finish, stops the scheduler and closes the database.
pub async fn run(
    svc: Service,
    listener: TcpListener,
    rules: bool,
    delivery: Option<voltdesk_service::Delivery>,
    web: Web,
    sip: Option<voltdesk_telephony::TelephonyConfig>,
) -> Result<()> {
    // The contact centre, when asked for: a bad flow or queue file stops the start here.
    let telephony = match sip {
        Some(cfg) => {
            let t = voltdesk_telephony::start(svc.clone(), cfg)
                .await
                .map_err(|e| anyhow::anyhow!("the contact centre cannot start: {e}"))?;
            println!("voltdesk answers SIP at {} (UDP and TCP)", t.local_addr());
            Some(t)
        }
        None => None,
    };
    let scheduler = tokio::spawn(svc.clone().run_scheduler(Duration::from_millis(250)));
    // The dashboard's daily statistics: ended days are settled at start and every 10 minutes.
    let stats = tokio::spawn(svc.clone().run_stats(Duration::from_secs(600)));
    // The early-warning rules follow the trace as it is committed (and every 30 s).
    let rules = rules.then(|| tokio::spawn(svc.clone().run_rules(Duration::from_secs(30))));
    // Import jobs: those left by a stopped server are failed, old records removed (at start
    // and every minute).
    let jobs = tokio::spawn(svc.clone().run_import_jobs(Duration::from_secs(60)));
    // Orders written before the full-text index existed are indexed once, in batches.
    let backfill = tokio::spawn(svc.clone().run_text_backfill());
    // The outbox's senders, when configured.
    let delivery =
        delivery.map(|d| tokio::spawn(svc.clone().run_delivery(d, Duration::from_secs(5))));
    tracing::info!(addr = %listener.local_addr()?, "serving");
    let server: std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>> =
        match web.tls {
            Some(tls) => Box::pin(voltdesk_web::serve_tls(
                svc.clone(),
                listener,
                tls,
                web.opts,
            )),
            None => Box::pin(voltdesk_web::serve(svc.clone(), listener, web.opts)),
        };
    tokio::pin!(server);
    // The web crate stops on the same signals by itself; this side only bounds the wait.
    let result = tokio::select! {
        r = &mut server => r.context("the web server failed"),
        signal = stop_signal() => {
            tracing::info!("{signal} received: finishing requests in flight");
            tokio::select! {
                r = tokio::time::timeout(DRAIN, &mut server) => match r {
                    Ok(r) => r.context("the web server failed"),
                    Err(_) => {
                        tracing::warn!("requests still running after {DRAIN:?}: stopping anyway");
                        Ok(())
                    }
                },
                signal = stop_signal() => {
                    tracing::warn!("{signal} received again: stopping now");
                    Ok(())
                }
            }
        }
    };
    scheduler.abort();
    stats.abort();
    let _ = scheduler.await;
    let _ = stats.await;
    jobs.abort();
    let _ = jobs.await;
    backfill.abort();
    let _ = backfill.await;
    for task in [rules, delivery].into_iter().flatten() {
        task.abort();
        let _ = task.await;
    }
    if let Some(t) = &telephony {
        t.stop();
    }
    svc.store().close().await;
    tracing::info!("stopped");
    result
}

/// Resolves on Ctrl-C or SIGTERM, naming which.
async fn stop_signal() -> &'static str {
    let ctrl_c = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            // No handler could be installed: never resolve rather than stop at once.
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
                "SIGTERM"
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<&'static str>();
    tokio::select! {
        s = ctrl_c => s,
        s = term => s,
    }
}
