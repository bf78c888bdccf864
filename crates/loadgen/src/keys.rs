//! Run ids and idempotency keys.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A run id that differs between runs: the start time in milliseconds, the process id and a
/// per-process counter, in hex (`lg18f3a2b4c5d-1a2b-0`). Short, because every idempotency
/// key starts with it.
pub fn new_run_id() -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    format!("lg{millis:x}-{:x}-{n:x}", std::process::id())
}

/// The idempotency key of request `seq` of virtual client `client` in run `run_id`:
/// `{run_id}-{client}-{seq}`. Unique within a run because (client, seq) is, and across runs
/// because the run id is.
pub fn idempotency_key(run_id: &str, client: usize, seq: u64) -> String {
    format!("{run_id}-{client}-{seq}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn key_format() {
        assert_eq!(idempotency_key("lgabc-12", 3, 17), "lgabc-12-3-17");
    }

    #[test]
    fn keys_are_unique_within_a_run() {
        let run = new_run_id();
        let mut seen = HashSet::new();
        for client in 0..40 {
            for seq in 0..500 {
                assert!(seen.insert(idempotency_key(&run, client, seq)));
            }
        }
        // `client` and `seq` are separated, so client 1 seq 11 is not client 11 seq 1.
        assert_ne!(idempotency_key(&run, 1, 11), idempotency_key(&run, 11, 1));
    }

    #[test]
    fn run_ids_differ_and_are_short() {
        let a = new_run_id();
        let b = new_run_id();
        assert_ne!(a, b);
        assert!(a.starts_with("lg") && a.len() <= 24, "{a}");
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    }
}
