//! Contact-centre staffing math: Erlang C (callers wait as long as it takes) and Erlang A
//! (callers give up after an exponential patience), for one interval of steady traffic.
//!
//! Pure functions of the interval's calls, its length, the average handle time, the number
//! of agents, the answer-time target and (for Erlang A) the mean patience. Both are the usual
//! M/M/n models: Poisson arrivals, exponential handle times, `n` agents, first come first
//! served. Erlang C is in closed form; Erlang A is solved exactly on its birth–death chain
//! (states up to where the chain's probabilities are below 1e-15), which needs no special
//! functions and stays accurate for hundreds of agents.

use serde::Serialize;

/// What one interval's staffing gives.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Staffing {
    /// The chance a caller waits at all (all agents busy on arrival).
    pub p_wait: f64,
    /// The share of callers answered within the target time (Erlang A: of all callers, so
    /// those who gave up count as not answered in time).
    pub service_level: f64,
    /// The average speed of answer in seconds: the mean wait of all callers (Erlang A: of
    /// all callers, also those who give up, until they give up).
    pub asa_s: f64,
    /// The share of the agents' time spent handling calls.
    pub occupancy: f64,
    /// The share of callers who give up before an answer (0 for Erlang C).
    pub p_abandon: f64,
}

/// Why a question has no answer.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum StaffingError {
    #[error(
        "calls, interval, handle time and target must be finite and not negative; interval and handle time above zero"
    )]
    BadInput,
    #[error("at least one agent")]
    NoAgents,
    /// Erlang C only: the agents cannot keep up (the traffic is at least the agents), so the
    /// queue grows without end.
    #[error("the traffic ({erlangs:.2} Erlangs) needs more than {agents} agents")]
    Overloaded { erlangs: f64, agents: u32 },
}

/// The offered traffic in Erlangs: calls × handle time / interval.
pub fn erlangs(calls: f64, interval_s: f64, aht_s: f64) -> f64 {
    calls * aht_s / interval_s
}

/// Erlang B (the chance all `n` servers are busy, callers lost) by the stable recursion
/// B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)).
pub fn erlang_b(traffic: f64, n: u32) -> f64 {
    let mut b = 1.0;
    for k in 1..=n {
        b = traffic * b / (k as f64 + traffic * b);
    }
    b
}

fn check(
    calls: f64,
    interval_s: f64,
    aht_s: f64,
    agents: u32,
    target_s: f64,
) -> Result<(), StaffingError> {
    let ok = |v: f64| v.is_finite() && v >= 0.0;
    if !(ok(calls) && ok(interval_s) && ok(aht_s) && ok(target_s))
        || interval_s <= 0.0
        || aht_s <= 0.0
    {
        return Err(StaffingError::BadInput);
    }
    if agents == 0 {
        return Err(StaffingError::NoAgents);
    }
    Ok(())
}

/// Erlang C: callers never give up.
pub fn erlang_c(
    calls: f64,
    interval_s: f64,
    aht_s: f64,
    agents: u32,
    target_s: f64,
) -> Result<Staffing, StaffingError> {
    check(calls, interval_s, aht_s, agents, target_s)?;
    let a = erlangs(calls, interval_s, aht_s);
    let n = agents as f64;
    if a >= n {
        return Err(StaffingError::Overloaded { erlangs: a, agents });
    }
    if a == 0.0 {
        return Ok(Staffing {
            p_wait: 0.0,
            service_level: 1.0,
            asa_s: 0.0,
            occupancy: 0.0,
            p_abandon: 0.0,
        });
    }
    let b = erlang_b(a, agents);
    let p_wait = n * b / (n - a * (1.0 - b));
    let service_level = 1.0 - p_wait * (-(n - a) * target_s / aht_s).exp();
    let asa_s = p_wait * aht_s / (n - a);
    Ok(Staffing {
        p_wait,
        service_level,
        asa_s,
        occupancy: a / n,
        p_abandon: 0.0,
    })
}

/// Erlang A (M/M/n+M): callers give up after an exponential patience of mean `patience_s`.
pub fn erlang_a(
    calls: f64,
    interval_s: f64,
    aht_s: f64,
    agents: u32,
    target_s: f64,
    patience_s: f64,
) -> Result<Staffing, StaffingError> {
    check(calls, interval_s, aht_s, agents, target_s)?;
    if !(patience_s.is_finite() && patience_s > 0.0) {
        return Err(StaffingError::BadInput);
    }
    let lambda = calls / interval_s;
    if lambda == 0.0 {
        return Ok(Staffing {
            p_wait: 0.0,
            service_level: 1.0,
            asa_s: 0.0,
            occupancy: 0.0,
            p_abandon: 0.0,
        });
    }
    let (mu, theta, n) = (1.0 / aht_s, 1.0 / patience_s, agents as usize);
    // The birth–death chain's weights, p(k) ∝ Π λ / death(i), until they vanish past n.
    let death = |i: usize| (i.min(n) as f64) * mu + (i.saturating_sub(n) as f64) * theta;
    let mut p = vec![1.0f64];
    let mut total = 1.0;
    let mut k = 0usize;
    loop {
        k += 1;
        let next = p[k - 1] * lambda / death(k);
        p.push(next);
        total += next;
        if (k > n && next < 1e-16 * total) || k > n + 200_000 {
            break;
        }
        // Keep the numbers in range for large loads: rescale when they grow.
        if total > 1e250 {
            for v in p.iter_mut() {
                *v /= total;
            }
            total = 1.0;
        }
    }
    for v in p.iter_mut() {
        *v /= total;
    }
    let p_wait: f64 = p[n.min(p.len())..].iter().sum();
    let queue_len: f64 = p
        .iter()
        .enumerate()
        .skip(n + 1)
        .map(|(k, v)| (k - n) as f64 * v)
        .sum();
    let busy: f64 = p.iter().enumerate().map(|(k, v)| k.min(n) as f64 * v).sum();
    // Answered within the target: at once, or from a place in line j = k − n + 1 before
    // giving up. f[j](t) solves f'_j = r_j f_{j−1} − (r_j + θ) f_j, f_0 = 1, f_j(0) = 0,
    // with r_j = nμ + (j−1)θ the rate at which the line ahead moves on by one.
    let places = p.len().saturating_sub(n);
    let mut f = vec![0.0f64; places + 1];
    f[0] = 1.0;
    if target_s > 0.0 && places > 0 {
        let fastest = n as f64 * mu + places as f64 * theta + theta;
        let steps = ((target_s * fastest / 0.5).ceil() as usize).clamp(50, 200_000);
        let h = target_s / steps as f64;
        let r = |j: usize| n as f64 * mu + (j as f64 - 1.0) * theta;
        let deriv = |f: &[f64], out: &mut [f64]| {
            out[0] = 0.0;
            for j in 1..f.len() {
                out[j] = r(j) * f[j - 1] - (r(j) + theta) * f[j];
            }
        };
        let len = f.len();
        let (mut k1, mut k2, mut k3, mut k4, mut tmp) = (
            vec![0.0; len],
            vec![0.0; len],
            vec![0.0; len],
            vec![0.0; len],
            vec![0.0; len],
        );
        for _ in 0..steps {
            deriv(&f, &mut k1);
            for j in 0..len {
                tmp[j] = f[j] + h / 2.0 * k1[j];
            }
            deriv(&tmp, &mut k2);
            for j in 0..len {
                tmp[j] = f[j] + h / 2.0 * k2[j];
            }
            deriv(&tmp, &mut k3);
            for j in 0..len {
                tmp[j] = f[j] + h * k3[j];
            }
            deriv(&tmp, &mut k4);
            for j in 1..len {
                f[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
            }
        }
    }
    let at_once: f64 = p[..n.min(p.len())].iter().sum();
    let in_time: f64 = p
        .iter()
        .enumerate()
        .skip(n)
        .map(|(k, v)| v * f[k - n + 1].clamp(0.0, 1.0))
        .sum();
    Ok(Staffing {
        p_wait,
        service_level: (at_once + in_time).clamp(0.0, 1.0),
        asa_s: queue_len / lambda,
        occupancy: busy / n as f64,
        p_abandon: (theta * queue_len / lambda).clamp(0.0, 1.0),
    })
}

/// The fewest agents that reach `target_sl` answered within `target_s` under Erlang C.
pub fn agents_for(
    calls: f64,
    interval_s: f64,
    aht_s: f64,
    target_s: f64,
    target_sl: f64,
) -> Result<u32, StaffingError> {
    check(calls, interval_s, aht_s, 1, target_s)?;
    if !(0.0..1.0).contains(&target_sl) {
        return Err(StaffingError::BadInput);
    }
    let a = erlangs(calls, interval_s, aht_s);
    let mut n = (a.floor() as u32).saturating_add(1).max(1);
    loop {
        let s = erlang_c(calls, interval_s, aht_s, n, target_s)?;
        if s.service_level >= target_sl {
            return Ok(n);
        }
        n = n.checked_add(1).ok_or(StaffingError::BadInput)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Call Centre Helper's worked example of the Erlang C formula
    /// (callcentrehelper.com, "Erlang C Formula – Made Simple With an Easy Worked Example"),
    /// the same figures pyworkforce's test suite checks (`test_expected_erlangc_results`):
    /// 100 calls in 30 minutes, 180 s handle time, 20 s target, 14 agents → P(wait) 0.174,
    /// service level 0.888, occupancy 0.714; its ASA is 0.1741 × 180 / 4 = 7.8 s.
    #[test]
    fn call_centre_helpers_worked_example() {
        let s = erlang_c(100.0, 1800.0, 180.0, 14, 20.0).unwrap();
        assert!(close(s.p_wait, 0.174, 0.0005), "{s:?}");
        assert!(close(s.service_level, 0.888, 0.0005), "{s:?}");
        assert!(close(s.occupancy, 0.714, 0.0005), "{s:?}");
        assert!(close(s.asa_s, 7.8, 0.05), "{s:?}");
        assert_eq!(agents_for(100.0, 1800.0, 180.0, 20.0, 0.8).unwrap(), 14);
    }

    /// With patience far beyond any wait, Erlang A is Erlang C.
    #[test]
    fn erlang_a_with_endless_patience_is_erlang_c() {
        let c = erlang_c(100.0, 1800.0, 180.0, 14, 20.0).unwrap();
        let a = erlang_a(100.0, 1800.0, 180.0, 14, 20.0, 1e9).unwrap();
        assert!(close(a.p_wait, c.p_wait, 1e-4), "{a:?} {c:?}");
        assert!(close(a.service_level, c.service_level, 1e-4), "{a:?} {c:?}");
        assert!(close(a.asa_s, c.asa_s, 1e-3), "{a:?} {c:?}");
        assert!(close(a.occupancy, c.occupancy, 1e-4), "{a:?} {c:?}");
        assert!(a.p_abandon < 1e-6);
    }

    /// Impatient callers: fewer wait long, some give up, and what is answered is what the
    /// agents' busy time says (λ·(1 − P(abandon))·AHT = busy agents). An overloaded centre
    /// still has an answer under Erlang A.
    #[test]
    fn erlang_a_balances_its_flows() {
        let c = erlang_c(100.0, 1800.0, 180.0, 11, 20.0).unwrap();
        let a = erlang_a(100.0, 1800.0, 180.0, 11, 20.0, 60.0).unwrap();
        assert!(a.p_abandon > 0.0 && a.p_abandon < 0.5, "{a:?}");
        assert!(a.asa_s < c.asa_s && a.p_wait < c.p_wait, "{a:?} {c:?}");
        let answered_load = 100.0 / 1800.0 * (1.0 - a.p_abandon) * 180.0;
        assert!(close(answered_load, a.occupancy * 11.0, 1e-6), "{a:?}");
        let over = erlang_a(300.0, 1800.0, 180.0, 10, 20.0, 60.0).unwrap();
        assert!(over.p_abandon > 0.3 && over.occupancy > 0.95, "{over:?}");
    }

    #[test]
    fn erlang_b_matches_the_closed_form() {
        // A = 2, n = 2: B = (A²/2) / (1 + A + A²/2) = 2 / 5.
        assert!(close(erlang_b(2.0, 2), 0.4, 1e-12));
        assert!(close(erlang_b(5.0, 0), 1.0, 1e-12));
    }

    #[test]
    fn overload_and_bad_input_are_refused() {
        assert!(matches!(
            erlang_c(100.0, 1800.0, 180.0, 10, 20.0),
            Err(StaffingError::Overloaded { .. })
        ));
        assert_eq!(
            erlang_c(100.0, 0.0, 180.0, 10, 20.0),
            Err(StaffingError::BadInput)
        );
        assert_eq!(
            erlang_c(f64::NAN, 1800.0, 180.0, 10, 20.0),
            Err(StaffingError::BadInput)
        );
        assert_eq!(
            erlang_c(1.0, 1800.0, 180.0, 0, 20.0),
            Err(StaffingError::NoAgents)
        );
        assert_eq!(
            erlang_c(0.0, 1800.0, 180.0, 1, 20.0).unwrap().service_level,
            1.0
        );
    }

    #[test]
    fn more_agents_never_serve_worse() {
        let mut last = 0.0;
        for n in 11..40 {
            let s = erlang_c(100.0, 1800.0, 180.0, n, 20.0).unwrap();
            assert!(s.service_level >= last);
            last = s.service_level;
        }
    }
}
