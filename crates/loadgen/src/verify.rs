//! After a crash: is every order the server acknowledged still there?

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::report::Ack;
use crate::target::{base_string, check_loopback_url, http_client};

/// How many missing orders the report names; the count is always complete.
const MAX_LISTED: usize = 20;

/// Parses one ack log line, `key,id`.
pub fn parse_ack_line(line: &str) -> anyhow::Result<Ack> {
    let (key, id) = line
        .trim_end()
        .rsplit_once(',')
        .with_context(|| format!("ack line {line:?} is not `key,id`"))?;
    if key.is_empty() {
        bail!("ack line {line:?} has an empty key");
    }
    let id = id
        .parse()
        .with_context(|| format!("ack line {line:?}: id is not an integer"))?;
    Ok(Ack {
        key: key.to_string(),
        id,
    })
}

/// Reads an ack log written by [`crate::run`]. Empty lines are skipped; any other line that
/// does not parse is an error (the loadgen writes each line in one piece).
pub fn read_ack_log(path: &Path) -> anyhow::Result<Vec<Ack>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read ack log {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_ack_line)
        .collect()
}

/// What [`verify_acks`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Lines in the ack log.
    pub acks: u64,
    /// Distinct order ids checked.
    pub checked: u64,
    /// Orders that the server returned, with their id and SLA clocks.
    pub found: u64,
    /// Orders the server answered 404 for: acknowledged, then lost.
    pub missing: u64,
    /// Orders returned without their id or clocks, or with another id.
    pub malformed: u64,
    /// Orders found whose trace is empty (the order was written without its events).
    pub without_trace: u64,
    /// Requests that failed otherwise (other statuses, transport): not verified.
    pub errors: u64,
    /// Keys acknowledged twice with different order ids (idempotency broken).
    pub conflicting_keys: u64,
    /// Order ids acknowledged for more than one key.
    pub shared_ids: u64,
    /// The first few missing order ids.
    pub missing_ids: Vec<i64>,
}

impl VerifyReport {
    /// True if every acknowledged order is there, whole, once.
    pub fn is_ok(&self) -> bool {
        self.missing == 0
            && self.malformed == 0
            && self.without_trace == 0
            && self.errors == 0
            && self.conflicting_keys == 0
            && self.shared_ids == 0
            && self.found == self.checked
    }

    pub fn summary_lines(&self) -> Vec<String> {
        vec![
            format!("acks              {}", self.acks),
            format!("checked           {}", self.checked),
            format!("found             {}", self.found),
            format!("missing           {}", self.missing),
            format!("malformed         {}", self.malformed),
            format!("without_trace     {}", self.without_trace),
            format!("errors            {}", self.errors),
            format!("conflicting_keys  {}", self.conflicting_keys),
            format!("shared_ids        {}", self.shared_ids),
            format!("missing_ids       {:?}", self.missing_ids),
            format!(
                "verdict           {}",
                if self.is_ok() { "ok" } else { "FAILED" }
            ),
        ]
    }
}

/// Counts keys acknowledged with different ids and ids acknowledged for different keys;
/// returns the distinct ids in first-seen order.
fn consistency(acks: &[Ack], report: &mut VerifyReport) -> Vec<i64> {
    let mut by_key: HashMap<&str, i64> = HashMap::new();
    let mut by_id: HashMap<i64, &str> = HashMap::new();
    let mut ids = Vec::new();
    for ack in acks {
        match by_key.get(ack.key.as_str()) {
            Some(id) if *id != ack.id => report.conflicting_keys += 1,
            Some(_) => continue, // the same ack again: a replay
            None => {
                by_key.insert(&ack.key, ack.id);
            }
        }
        match by_id.get(&ack.id) {
            Some(key) if *key != ack.key => report.shared_ids += 1,
            Some(_) => {}
            None => {
                by_id.insert(ack.id, &ack.key);
                ids.push(ack.id);
            }
        }
    }
    ids
}

enum Check {
    Found { has_trace: bool },
    Missing,
    Malformed,
    Error,
}

/// Fetches every acknowledged order (`GET /api/v1/work-orders/{id}` and its `/trace`) with
/// `clients` concurrent clients and reports what is missing. Loopback targets only.
pub async fn verify_acks(
    url: &str,
    token: &str,
    acks: &[Ack],
    clients: usize,
) -> anyhow::Result<VerifyReport> {
    let base = base_string(&check_loopback_url(url)?);
    let mut report = VerifyReport {
        acks: acks.len() as u64,
        ..Default::default()
    };
    let ids = Arc::new(consistency(acks, &mut report));
    report.checked = ids.len() as u64;
    let next = Arc::new(AtomicUsize::new(0));
    let http = http_client(Duration::from_secs(10))?;
    let mut workers = JoinSet::new();
    for _ in 0..clients.clamp(1, 64) {
        let (ids, next, http) = (Arc::clone(&ids), Arc::clone(&next), http.clone());
        let (base, token) = (base.clone(), token.to_string());
        workers.spawn(async move {
            let mut results = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&id) = ids.get(i) else { break };
                results.push((id, check_order(&http, &base, &token, id).await));
            }
            results
        });
    }
    while let Some(done) = workers.join_next().await {
        for (id, check) in done.context("a verify client panicked")? {
            match check {
                Check::Found { has_trace } => {
                    report.found += 1;
                    if !has_trace {
                        report.without_trace += 1;
                    }
                }
                Check::Missing => {
                    report.missing += 1;
                    if report.missing_ids.len() < MAX_LISTED {
                        report.missing_ids.push(id);
                    }
                }
                Check::Malformed => report.malformed += 1,
                Check::Error => report.errors += 1,
            }
        }
    }
    report.missing_ids.sort_unstable();
    Ok(report)
}

async fn get_json(
    http: &reqwest::Client,
    url: String,
    token: &str,
) -> Result<(reqwest::StatusCode, Option<Value>), reqwest::Error> {
    let resp = http.get(url).bearer_auth(token).send().await?;
    let status = resp.status();
    let body = resp.bytes().await?;
    Ok((status, serde_json::from_slice(&body).ok()))
}

async fn check_order(http: &reqwest::Client, base: &str, token: &str, id: i64) -> Check {
    let order = match get_json(http, format!("{base}/api/v1/work-orders/{id}"), token).await {
        Ok((status, _)) if status == reqwest::StatusCode::NOT_FOUND => return Check::Missing,
        Ok((status, Some(body))) if status.is_success() => body,
        Ok((status, None)) if status.is_success() => return Check::Malformed,
        _ => return Check::Error,
    };
    let whole = order.get("id").and_then(Value::as_i64) == Some(id)
        && order.get("clocks").is_some_and(Value::is_array);
    if !whole {
        return Check::Malformed;
    }
    match get_json(http, format!("{base}/api/v1/work-orders/{id}/trace"), token).await {
        Ok((status, Some(trace))) if status.is_success() => {
            let total = trace.get("total").and_then(Value::as_u64);
            let items = trace.get("items").and_then(Value::as_array).map(Vec::len);
            Check::Found {
                has_trace: total.unwrap_or(0) > 0 || items.unwrap_or(0) > 0,
            }
        }
        _ => Check::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(key: &str, id: i64) -> Ack {
        Ack {
            key: key.to_string(),
            id,
        }
    }

    #[test]
    fn ack_lines() {
        assert_eq!(
            parse_ack_line("lgx-1-0-3,42\n").unwrap(),
            ack("lgx-1-0-3", 42)
        );
        assert_eq!(parse_ack_line("a,b,7").unwrap(), ack("a,b", 7));
        for bad in ["", "nokey", ",5", "k,", "k,x", "k,1.5"] {
            assert!(parse_ack_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ack_log_round_trip() {
        let path =
            std::env::temp_dir().join(format!("voltdesk-loadgen-{}.acks", crate::new_run_id()));
        std::fs::write(&path, "k-0-0,1\nk-0-1,2\n\nk-1-0,3\n").unwrap();
        let acks = read_ack_log(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            acks,
            vec![ack("k-0-0", 1), ack("k-0-1", 2), ack("k-1-0", 3)]
        );
    }

    #[test]
    fn consistency_finds_broken_idempotency() {
        let mut r = VerifyReport::default();
        let ids = consistency(
            &[
                ack("a", 1),
                ack("b", 2),
                ack("a", 1), // replay: fine
                ack("c", 2), // two keys, one order
                ack("b", 3), // one key, two orders
            ],
            &mut r,
        );
        assert_eq!(ids, vec![1, 2, 3]);
        assert_eq!(r.shared_ids, 1);
        assert_eq!(r.conflicting_keys, 1);
    }

    #[test]
    fn verdict() {
        let ok = VerifyReport {
            acks: 2,
            checked: 2,
            found: 2,
            ..Default::default()
        };
        assert!(ok.is_ok());
        let lost = VerifyReport {
            found: 1,
            missing: 1,
            missing_ids: vec![9],
            ..ok.clone()
        };
        assert!(!lost.is_ok());
        assert!(lost.summary_lines().iter().any(|l| l.ends_with("FAILED")));
    }

    #[tokio::test]
    async fn refuses_remote_targets() {
        assert!(
            verify_acks("http://10.0.0.1:8080", "t", &[], 1)
                .await
                .is_err()
        );
    }
}
