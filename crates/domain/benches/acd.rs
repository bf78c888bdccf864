//! One routing decision of the ACD in a busy contact centre: 1,000 agents logged in over
//! 20 skills (each agent has 1 to 3), 950 of them talking, 50 ready, and a backlog waiting
//! in the queues whose skills have nobody ready.
//!
//! `cargo bench -p voltdesk-domain --bench acd`

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use voltdesk_domain::Millis;
use voltdesk_domain::acd::{
    Acd, AcdEvent, AgentId, CallId, CallerFlags, QueueConfig, QueueId, Skill, Strategy,
};

const T0: Millis = 1_700_000_000_000;
const SKILLS: usize = 20;
const AGENTS: i64 = 1_000;
const READY: i64 = 50;

/// A small deterministic generator, so every run routes the same centre.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn skill(i: usize) -> String {
    format!("skill{i:02}")
}

/// Returns the centre, a queue where a new call is offered at once, and one where it waits.
fn busy_centre() -> (Acd, QueueId, QueueId) {
    let strategies = [
        Strategy::LongestIdle,
        Strategy::FewestCalls,
        Strategy::SkillLevel,
    ];
    let queues = (0..SKILLS)
        .map(|i| {
            let mut q = QueueConfig::new(format!("q{i:02}"), format!("queue {i}"), skill(i));
            q.strategy = strategies[i % strategies.len()];
            q.min_level = 1 + (i % 3) as u8;
            q
        })
        .collect();
    let mut acd = Acd::new(queues).unwrap();
    let mut rng = Lcg(7);
    let mut now = T0;
    for a in 1..=AGENTS {
        let mut skills: Vec<Skill> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let name = skill(rng.below(SKILLS as u64) as usize);
            if skills.iter().all(|s| s.name != name) {
                skills.push(Skill::new(name, 1 + rng.below(9) as u8));
            }
        }
        now += 10;
        acd.login(AgentId(a), skills, now).unwrap();
        acd.set_ready(AgentId(a), now).unwrap();
    }
    // Calls arrive across the queues and are answered until only 50 agents are ready;
    // the calls nobody can take wait.
    let mut ready = AGENTS;
    let mut call = 0;
    while ready > READY {
        call += 1;
        now += 10;
        let q = QueueId::new(format!("q{:02}", rng.below(SKILLS as u64)));
        for e in acd
            .enqueue(CallId(call), &q, CallerFlags::default(), now)
            .unwrap()
        {
            if let AcdEvent::Offered { call, agent, .. } = e {
                acd.answered(agent, call, now).unwrap();
                ready -= 1;
            }
        }
    }
    let snapshot = acd.snapshot(now);
    let open = snapshot
        .queues
        .iter()
        .find(|q| q.agents_ready > 0 && q.waiting == 0)
        .expect("a queue with a ready agent");
    let backlog = snapshot
        .queues
        .iter()
        .find(|q| q.waiting > 0)
        .expect("a queue with callers waiting");
    let waiting: usize = snapshot.queues.iter().map(|q| q.waiting).sum();
    let backlogged = snapshot.queues.iter().filter(|q| q.waiting > 0).count();
    eprintln!(
        "centre: {} agents logged in, {} talking, {} ready; {waiting} callers waiting in {backlogged} queues; routing into {} ({} ready)",
        snapshot.agents.len(),
        snapshot.agent_counts.talking,
        snapshot.agent_counts.ready,
        open.id,
        open.agents_ready,
    );
    (acd, open.id.clone(), backlog.id.clone())
}

/// An outage storm on top of the busy centre: 5,000 more callers wait in `backlog`, and an
/// agent with its skill is logged in, not ready yet.
fn storm(centre: &Acd, backlog: &QueueId, now: Millis) -> (Acd, AgentId) {
    let mut acd = centre.clone();
    for n in 0..5_000 {
        acd.enqueue(
            CallId(3_000_000 + n),
            backlog,
            CallerFlags::default(),
            now + n as i64,
        )
        .unwrap();
    }
    let skill = acd
        .queue_configs()
        .find(|q| q.id == *backlog)
        .unwrap()
        .skill
        .clone();
    let agent = AgentId(AGENTS + 1);
    acd.login(agent, vec![Skill::new(skill, 9)], now).unwrap();
    (acd, agent)
}

fn routing(c: &mut Criterion) {
    let (centre, queue, backlog) = busy_centre();
    let now = T0 + 3_600_000;
    let call = CallId(1_000_000);
    let flags = CallerFlags::default();

    c.bench_function("acd/enqueue_to_offered", |b| {
        b.iter_batched_ref(
            || centre.clone(),
            |acd| {
                let events = acd.enqueue(call, &queue, flags, now).unwrap();
                debug_assert!(matches!(events[1], AcdEvent::Offered { .. }));
                black_box(events)
            },
            BatchSize::NumIterations(32),
        )
    });

    c.bench_function("acd/enqueue_offer_answer", |b| {
        b.iter_batched_ref(
            || centre.clone(),
            |acd| {
                let events = acd.enqueue(call, &queue, flags, now).unwrap();
                let AcdEvent::Offered { agent, .. } = events[1] else {
                    unreachable!("offered at once");
                };
                black_box(acd.answered(agent, call, now + 2_000).unwrap())
            },
            BatchSize::NumIterations(32),
        )
    });

    // During a storm: one more caller joins the back of a line of 5,000, and an agent
    // getting ready takes its head.
    let (stormy, agent) = storm(&centre, &backlog, now);
    let later = now + 10_000;
    c.bench_function("acd/storm_enqueue_behind_5000", |b| {
        b.iter_batched_ref(
            || stormy.clone(),
            |acd| black_box(acd.enqueue(call, &backlog, flags, later).unwrap()),
            BatchSize::NumIterations(8),
        )
    });
    c.bench_function("acd/storm_ready_takes_the_head", |b| {
        b.iter_batched_ref(
            || stormy.clone(),
            |acd| {
                let events = acd.set_ready(agent, later).unwrap();
                debug_assert!(events.iter().any(|e| matches!(e, AcdEvent::Offered { .. })));
                black_box(events)
            },
            BatchSize::NumIterations(8),
        )
    });

    // The whole life of a call on one machine, no cloning: it arrives, is offered and
    // answered, ends, and the agent ends wrap-up and is ready again.
    let mut acd = centre.clone();
    let mut n = 0;
    c.bench_function("acd/call_cycle", |b| {
        b.iter(|| {
            n += 1;
            let call = CallId(2_000_000 + n);
            let t = now + n as i64 * 1_000;
            let events = acd.enqueue(call, &queue, flags, t).unwrap();
            let AcdEvent::Offered { agent, .. } = events[1] else {
                unreachable!("offered at once");
            };
            acd.answered(agent, call, t).unwrap();
            acd.hang_up(call, t + 500).unwrap();
            black_box(acd.set_ready(agent, t + 600).unwrap())
        })
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
