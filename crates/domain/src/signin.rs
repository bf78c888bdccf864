//! Signing in: how failures slow down and lock an account, and how long a session lives.
//! Pure decisions; the service reads the counters and the clock and writes what follows.

use crate::{HOUR_MS, MINUTE_MS, Millis};

/// The sign-in and session rules of a deployment (`voltdesk serve` flags set them).
#[derive(Debug, Clone, PartialEq)]
pub struct SignInPolicy {
    /// Failures of one account that cost nothing but the failure itself.
    pub free_failures: i64,
    /// The same for one client address (an office behind one address has many people).
    pub free_failures_per_address: i64,
    /// Failures of one account after which it is locked until an admin unlocks it.
    pub lockout_after: i64,
    /// The wait after the first failure beyond the free ones; it doubles with each further one.
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
    /// A counter whose last failure is older than this starts again from zero.
    pub forget_after_ms: i64,
    /// A session unused this long has ended.
    pub session_idle_ms: i64,
    /// A session ends this long after sign-in, however busy.
    pub session_max_ms: i64,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        SignInPolicy {
            free_failures: 5,
            free_failures_per_address: 20,
            lockout_after: 10,
            first_delay_ms: 1_000,
            max_delay_ms: 15 * MINUTE_MS,
            forget_after_ms: HOUR_MS,
            session_idle_ms: 30 * MINUTE_MS,
            session_max_ms: 12 * HOUR_MS,
        }
    }
}

/// The failures counted so far against one account or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: i64,
    pub last_at: Millis,
}

impl SignInPolicy {
    /// The failures that still count at `now` (an old run of failures is forgotten).
    pub fn current(&self, f: Option<Failures>, now: Millis) -> Failures {
        match f {
            Some(f) if now - f.last_at < self.forget_after_ms => f,
            _ => Failures::default(),
        }
    }

    /// How long (ms) a sign-in must wait before it is tried at all, given `free` failures
    /// allowed without delay; `None`: it may be tried now.
    pub fn wait(&self, f: Failures, free: i64, now: Millis) -> Option<i64> {
        if f.count < free {
            return None;
        }
        let doublings = (f.count - free).min(30) as u32;
        let delay = self
            .first_delay_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_ms);
        let left = f.last_at + delay - now;
        (left > 0).then_some(left)
    }

    /// The counter after one more failure at `now`.
    pub fn failed(&self, f: Failures, now: Millis) -> Failures {
        Failures {
            count: f.count + 1,
            last_at: now,
        }
    }

    /// Whether an account with these failures is to be locked.
    pub fn locks(&self, f: Failures) -> bool {
        self.lockout_after > 0 && f.count >= self.lockout_after
    }

    /// Whether a session signed in at `created_at` and last used at `last_seen_at` is alive.
    pub fn session_alive(&self, created_at: Millis, last_seen_at: Millis, now: Millis) -> bool {
        now - created_at < self.session_max_ms && now - last_seen_at < self.session_idle_ms
    }
}

/// Seconds for a `Retry-After` header: rounded up, at least one.
pub fn retry_after_secs(wait_ms: i64) -> i64 {
    ((wait_ms + 999) / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Millis = 1_795_140_000_000;

    fn after(count: i64, last_at: Millis) -> Failures {
        Failures { count, last_at }
    }

    #[test]
    fn the_free_failures_cost_no_wait() {
        let p = SignInPolicy::default();
        for n in 0..5 {
            assert_eq!(p.wait(after(n, T), 5, T), None, "{n} failures");
        }
    }

    #[test]
    fn the_wait_doubles_beyond_the_free_failures_up_to_the_cap() {
        let p = SignInPolicy::default();
        assert_eq!(p.wait(after(5, T), 5, T), Some(1_000));
        assert_eq!(p.wait(after(6, T), 5, T), Some(2_000));
        assert_eq!(p.wait(after(8, T), 5, T), Some(8_000));
        assert_eq!(p.wait(after(60, T), 5, T), Some(15 * MINUTE_MS));
        // Time spent waiting counts.
        assert_eq!(p.wait(after(6, T), 5, T + 1_500), Some(500));
        assert_eq!(p.wait(after(6, T), 5, T + 2_000), None);
    }

    #[test]
    fn an_old_run_of_failures_is_forgotten() {
        let p = SignInPolicy::default();
        let f = after(9, T);
        assert_eq!(p.current(Some(f), T + HOUR_MS - 1), f);
        assert_eq!(p.current(Some(f), T + HOUR_MS), Failures::default());
        assert_eq!(p.current(None, T), Failures::default());
    }

    #[test]
    fn the_account_locks_at_the_threshold_and_never_with_zero() {
        let p = SignInPolicy::default();
        assert!(!p.locks(after(9, T)));
        assert!(p.locks(p.failed(after(9, T), T)));
        let off = SignInPolicy {
            lockout_after: 0,
            ..p
        };
        assert!(!off.locks(after(1_000, T)));
    }

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let p = SignInPolicy::default();
        assert!(p.session_alive(T, T, T + 29 * MINUTE_MS));
        assert!(!p.session_alive(T, T, T + 30 * MINUTE_MS));
        // Busy all day: still ends at the absolute lifetime.
        let late = T + 12 * HOUR_MS;
        assert!(p.session_alive(T, late - MINUTE_MS, late - 1));
        assert!(!p.session_alive(T, late - MINUTE_MS, late));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(1_000), 1);
        assert_eq!(retry_after_secs(1_001), 2);
    }
}

/// The shortest and the longest password accepted (the longest bounds the hashing cost).
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordFault {
    TooShort,
    TooLong,
    /// It is, or contains, the user name.
    HasUsername,
    /// It is on the bundled list of common passwords, or one character over and over, or a
    /// run of consecutive digits.
    Common,
}

impl PasswordFault {
    pub fn explain(self) -> String {
        match self {
            PasswordFault::TooShort => format!("must be at least {PASSWORD_MIN} characters"),
            PasswordFault::TooLong => format!("must be at most {PASSWORD_MAX} characters"),
            PasswordFault::HasUsername => "must not contain the user name".into(),
            PasswordFault::Common => "is too common to be safe".into(),
        }
    }
}

static COMMON_PASSWORDS: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });

/// The password policy for new and changed passwords.
pub fn password_fault(username: &str, password: &str) -> Option<PasswordFault> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Some(PasswordFault::TooShort);
    }
    if n > PASSWORD_MAX {
        return Some(PasswordFault::TooLong);
    }
    let lower = password.to_lowercase();
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 3 && lower.contains(&user) {
        return Some(PasswordFault::HasUsername);
    }
    let first = lower.chars().next();
    let one_char = lower.chars().all(|c| Some(c) == first);
    let digits: Vec<u32> = lower.chars().filter_map(|c| c.to_digit(10)).collect();
    let run = digits.len() == n
        && (digits.windows(2).all(|w| w[1] == (w[0] + 1) % 10)
            || digits.windows(2).all(|w| w[0] == (w[1] + 1) % 10));
    if one_char || run || COMMON_PASSWORDS.contains(lower.as_str()) {
        return Some(PasswordFault::Common);
    }
    None
}

#[cfg(test)]
mod password_tests {
    use super::*;

    #[test]
    fn the_policy_refuses_short_long_named_and_common_passwords() {
        assert_eq!(
            password_fault("li.jun", "short"),
            Some(PasswordFault::TooShort)
        );
        assert_eq!(
            password_fault("li.jun", &"x1".repeat(65)),
            Some(PasswordFault::TooLong)
        );
        assert_eq!(
            password_fault("li.jun", "LI.JUN-2026!"),
            Some(PasswordFault::HasUsername)
        );
        for common in [
            "Password123",
            "1qaz2wsx",
            "woaini1314",
            "aaaaaaaaaa",
            "345678901",
            "98765432",
        ] {
            assert_eq!(
                password_fault("li.jun", common),
                Some(PasswordFault::Common),
                "{common}"
            );
        }
        for fine in [
            "correct horse",
            "voltdesk-demo",
            "供电所 柜台 2 号",
            "long-enough",
        ] {
            assert_eq!(password_fault("li.jun", fine), None, "{fine}");
        }
        // A name of one or two letters is not looked for (it would refuse too much).
        assert_eq!(password_fault("li", "lighthouse-7"), None);
    }
}
