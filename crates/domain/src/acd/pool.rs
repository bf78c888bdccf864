//! The agents who hold one routed skill, by level: which of them are ready, kept in each
//! strategy's order so a routing decision reads the first entry of at most nine sets
//! instead of scanning the agents, and how many are logged in (for wait estimates).

use super::{AgentId, MAX_LEVEL, Strategy};
use crate::Millis;
use std::collections::BTreeSet;

const LEVELS: usize = MAX_LEVEL as usize + 1;

/// What places a ready agent in a pool. None of it changes while the agent stays ready,
/// so the same key removes the entry it inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ReadyKey {
    pub agent: AgentId,
    pub level: u8,
    pub idle_since: Millis,
    pub answered_today: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Pool {
    /// Longest idle first; ties by agent id so the choice is deterministic.
    by_idle: [BTreeSet<(Millis, AgentId)>; LEVELS],
    /// Fewest calls today first, then longest idle.
    by_calls: [BTreeSet<(u32, Millis, AgentId)>; LEVELS],
    logged_in: [u32; LEVELS],
}

impl Pool {
    pub fn add_ready(&mut self, k: ReadyKey) {
        let l = k.level as usize;
        self.by_idle[l].insert((k.idle_since, k.agent));
        self.by_calls[l].insert((k.answered_today, k.idle_since, k.agent));
    }

    pub fn remove_ready(&mut self, k: ReadyKey) {
        let l = k.level as usize;
        self.by_idle[l].remove(&(k.idle_since, k.agent));
        self.by_calls[l].remove(&(k.answered_today, k.idle_since, k.agent));
    }

    pub fn log_in(&mut self, level: u8) {
        self.logged_in[level as usize] += 1;
    }

    pub fn log_out(&mut self, level: u8) {
        self.logged_in[level as usize] -= 1;
    }

    /// The ready agent with the skill at `min_level` or above that `strategy` picks.
    pub fn best(&self, strategy: Strategy, min_level: u8) -> Option<AgentId> {
        let levels = min_level as usize..LEVELS;
        match strategy {
            Strategy::LongestIdle => levels
                .filter_map(|l| self.by_idle[l].first())
                .min()
                .map(|&(_, a)| a),
            Strategy::FewestCalls => levels
                .filter_map(|l| self.by_calls[l].first())
                .min()
                .map(|&(_, _, a)| a),
            Strategy::SkillLevel => levels
                .rev()
                .find_map(|l| self.by_idle[l].first())
                .map(|&(_, a)| a),
        }
    }

    /// Agents logged in with the skill at `min_level` or above, whatever their state.
    pub fn logged_in(&self, min_level: u8) -> u32 {
        self.logged_in[min_level as usize..].iter().sum()
    }

    /// Ready agents with the skill at `min_level` or above.
    pub fn ready(&self, min_level: u8) -> usize {
        self.by_idle[min_level as usize..]
            .iter()
            .map(|s| s.len())
            .sum()
    }

    /// Every ready entry as (level, idle since, answered today, agent), for the audit.
    pub fn entries(&self) -> Vec<(u8, Millis, u32, AgentId)> {
        let mut out = Vec::new();
        for (l, set) in self.by_calls.iter().enumerate() {
            for &(n, idle, a) in set {
                out.push((l as u8, idle, n, a));
            }
        }
        out
    }

    /// Whether the two orders hold the same agents, and the counts per level, for the audit.
    pub fn consistent(&self) -> bool {
        self.by_idle
            .iter()
            .zip(&self.by_calls)
            .all(|(i, c)| i.len() == c.len() && c.iter().all(|&(_, t, a)| i.contains(&(t, a))))
    }

    pub fn logged_in_by_level(&self) -> [u32; LEVELS] {
        self.logged_in
    }
}
