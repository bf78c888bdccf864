//! Benchmark set-ups and the scheduler benchmark (`voltdesk bench ...`). The HTTP figures
//! are measured with `voltdesk-load` against `voltdesk serve`; see BENCHMARKS.md.

use anyhow::Result;
use std::time::{Duration, Instant};
use voltdesk_service::{HistorySpec, Service};

const DAY: i64 = 86_400_000;

/// Writes generated history over the customers already imported.
pub async fn seed_history(
    svc: &Service,
    orders: u64,
    traces_per_order: u32,
    open_share: f64,
    seed: u64,
) -> Result<()> {
    let now = svc.now();
    let spec = HistorySpec {
        orders,
        traces_per_order,
        open_share,
        from: now - 365 * DAY,
        to: now,
        // Open clocks fall due over the next month: nothing fires while lookups are measured.
        due_from: now + DAY,
        due_spread: 30 * DAY,
        seed,
    };
    let bar = indicatif::ProgressBar::new(orders);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} orders {per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let t = Instant::now();
    svc.seed_history(&spec, &|n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "wrote {orders} orders, {} trace events in {secs:.1} s ({:.0} orders/s)",
        orders * traces_per_order as u64,
        orders as f64 / secs
    );
    Ok(())
}

/// Seeds `clocks` open orders whose deadlines fall due uniformly over `within`, starting a few
/// seconds from now, runs the scheduler for `measure`, and reports how late each clock fired
/// and how many that fell due in that time did not fire. It moves every live clock of the
/// database, so it wants one with no other open clocks.
pub async fn scheduler(
    svc: &Service,
    clocks: u64,
    within: Duration,
    measure: Duration,
    seed: u64,
) -> Result<()> {
    let far = svc.now() + 3650 * DAY;
    let spec = HistorySpec {
        orders: clocks,
        traces_per_order: 1,
        open_share: 1.0,
        from: svc.now() - DAY,
        to: svc.now(),
        due_from: far,
        due_spread: within.as_millis() as i64,
        seed,
    };
    let t = Instant::now();
    svc.seed_history(&spec, &|_| {}).await?;
    println!(
        "seeded {clocks} open clocks in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Deadlines start 90 s out: moving a million deadlines (and the checkpoint after it) must
    // be done first; on PostgreSQL it took about 30 s.
    let start = svc.now() + 90_000;
    let t = Instant::now();
    let shifted = svc.store().shift_live_clocks(start - far).await?;
    svc.store().checkpoint().await?;
    println!(
        "moved the deadlines and checkpointed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let open = svc.store().count_open_clocks().await?;
    println!(
        "{shifted} clocks fall due over the {} s from 90 s after the shift began; {open} live clocks in all",
        within.as_secs()
    );
    let scheduler = tokio::spawn(svc.clone().run_scheduler(Duration::from_millis(250)));
    // Watch the first `measure` of the window: every clock due in it must have fired.
    let end = start + within.min(measure).as_millis() as i64;
    tokio::time::sleep(Duration::from_millis(
        (end - svc.now() + 3_000).max(0) as u64
    ))
    .await;
    scheduler.abort();
    let mut lags = svc.store().breach_lags().await?;
    lags.sort_unstable();
    let unfired = svc.store().unfired_before(end).await?;
    let pct = |p: f64| {
        lags.get(((lags.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "fired {} breaches; lag after due time: p50 {} ms, p99 {} ms, max {} ms; unfired past due: {unfired}",
        lags.len(),
        pct(0.5),
        pct(0.99),
        lags.last().copied().unwrap_or(0)
    );
    Ok(())
}
