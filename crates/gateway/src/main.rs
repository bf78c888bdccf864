//! `voltdesk-gateway`: the test SMS gateway and webhook receiver as a process.
//!
//!     voltdesk-gateway --listen 127.0.0.1:9099 --secret s3cret --fail-every 10
//!
//! See the library's documentation for the routes and the failure injection.

use clap::Parser;
use voltdesk_gateway::{FailMode, Faults, Gateway, GatewayConfig};

#[derive(Parser)]
#[command(
    version,
    about = "Test SMS gateway and webhook receiver for voltdesk (loopback only)"
)]
struct Args {
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:9099")]
    listen: std::net::SocketAddr,
    /// Verify webhook signatures (X-Voltdesk-Signature) with this HMAC secret.
    #[arg(long, env = "VOLTDESK_GATEWAY_SECRET")]
    secret: Option<String>,
    /// Require `Authorization: Bearer TOKEN` on POST /sms.
    #[arg(long, env = "VOLTDESK_GATEWAY_TOKEN")]
    token: Option<String>,
    /// Fail every N-th request (0: never).
    #[arg(long, default_value_t = 0)]
    fail_every: u64,
    /// Fail the --fail-count requests after the first N.
    #[arg(long)]
    fail_after: Option<u64>,
    #[arg(long, default_value_t = 0)]
    fail_count: u64,
    /// Answer every request this much later.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// A failed request is rejected, or recorded and then answered 500 (a lost response).
    #[arg(long, value_parser = ["reject", "lose-response"], default_value = "reject")]
    fail_mode: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    let cfg = GatewayConfig {
        secret: args.secret,
        token: args.token,
        faults: Faults {
            fail_every: args.fail_every,
            fail_after: args.fail_after,
            fail_count: args.fail_count,
            delay_ms: args.delay_ms,
            mode: if args.fail_mode == "lose-response" {
                FailMode::LoseResponse
            } else {
                FailMode::Reject
            },
        },
    };
    let gw = match Gateway::start(args.listen, cfg).await {
        Ok(gw) => gw,
        Err(e) => {
            eprintln!("voltdesk-gateway: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "voltdesk-gateway listening on http://{} (POST /sms, POST /webhook, GET /messages, GET /stats, POST /control)",
        gw.addr()
    );
    let _ = tokio::signal::ctrl_c().await;
    gw.stop().await;
    std::process::ExitCode::SUCCESS
}
