//! Calls that reach the queues: agents' desk phones (SIPp on a static contact) that answer,
//! hang up, transfer, ring out or are busy; callers who wait, give up or ask for a callback.

use std::time::Duration;

use voltdesk_domain::CallOutcome;
use voltdesk_domain::acd::{AcdEvent, AgentId, TransferTarget, WithdrawReason};

use crate::keys;
use crate::sipp::Sipp;
use crate::support::*;

/// The repository's queues with a 2 s ring timeout and no after-call work.
const QUICK_QUEUES: &str = r#"
[[queues]]
id = "general"
name = "综合服务"
skill = "general"
ring_timeout_ms = 2000
wrap_up_ms = 0

[[queues]]
id = "priority"
name = "优先服务"
skill = "general"
ring_timeout_ms = 2000
wrap_up_ms = 0

[[queues]]
id = "business"
name = "业务受理"
skill = "business"
ring_timeout_ms = 2000
wrap_up_ms = 0
"#;

/// Makes agents ready in this order, a little apart, so that the longest idle is the first.
async fn ready_in_order(centre: &Centre, agents: &[&str]) {
    for a in agents {
        centre.ready(a).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// A caller asks for an agent, whose desk phone answers; both speak (SIPp's g711a.pcap
/// each way) and the centre relays each side's packets to the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_answers_and_the_audio_is_relayed_both_ways() {
    if !crate::have_sipp("the agent answer test") {
        return;
    }
    let desk = free_port();
    let centre = Setup::new().desk_agent("agent1", desk).start().await;
    centre.ready("agent1").await;
    let dir = centre.dir.path();
    keys::write(&dir.join("agent_0.pcap"), "0", 0);
    let agent = Sipp::phone("agent_answers.xml", dir, desk).spawn();
    let caller = Sipp::caller("caller_talks.xml", dir, centre.sip())
        .from(UNKNOWN_PHONE)
        .dial("95598")
        .pause_ms(7500)
        .spawn();
    caller.passes().await;
    agent.passes().await;

    let summary = centre.summary().await;
    // 7 s of 30 ms packets each way: about 230; the relay may miss the first few.
    assert!(
        summary.relayed_to_agent > 150 && summary.relayed_to_caller > 150,
        "relayed {} to the agent, {} to the caller",
        summary.relayed_to_agent,
        summary.relayed_to_caller
    );
    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Answered);
    assert_eq!(call.agent_user_id, Some(centre.agent("agent1")));
    assert_eq!(call.queue.as_deref(), Some("general"));
    assert_eq!(keyed_at(&call, "main_menu"), ["0"]);
    assert!(call.talk_ms.is_some_and(|t| t > 5_000), "{call:#?}");
    let codecs: Vec<&str> = call.legs.iter().map(|l| l.codec.as_str()).collect();
    assert_eq!(codecs, ["PCMA/8000", "PCMA/8000"]);
    centre.no_open_dialogs().await;
}

/// With recording on, an answered call's record names its recording, which holds what the
/// caller said.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_call_is_recorded() {
    if !crate::have_sipp("the recording test") {
        return;
    }
    let desk = free_port();
    let centre = Setup::new()
        .record_calls()
        .desk_agent("agent1", desk)
        .start()
        .await;
    centre.ready("agent1").await;
    let dir = centre.dir.path();
    keys::write(&dir.join("agent_0.pcap"), "0", 0);
    let agent = Sipp::phone("agent_answers.xml", dir, desk).spawn();
    let caller = Sipp::caller("caller_talks.xml", dir, centre.sip())
        .from(UNKNOWN_PHONE)
        .dial("95598")
        .pause_ms(3000)
        .spawn();
    caller.passes().await;
    agent.passes().await;

    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Answered);
    let name = call.recording.clone().expect("a recording");
    assert_eq!(name, format!("{}.wav", call.call_key));
    let wav = hound::WavReader::open(dir.join("recordings").join(&name)).expect("the WAV");
    assert_eq!(wav.spec().sample_rate, 8000);
    let seconds = wav.duration() as f64 / 8000.0;
    assert!(seconds > 2.0, "{seconds} s recorded");
    centre.no_open_dialogs().await;
}

/// The agent hangs up; the caller is asked to rate the service and keys 1. A key pressed
/// while talking to the agent is not taken for the mark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_rates_the_agent_after_the_agent_hangs_up() {
    if !crate::have_sipp("the survey test") {
        return;
    }
    let desk = free_port();
    let centre = Setup::new().desk_agent("agent1", desk).start().await;
    centre.ready("agent1").await;
    let dir = centre.dir.path();
    keys::write(&dir.join("survey_0.pcap"), "0", 0);
    keys::write(&dir.join("survey_talk.pcap"), "3", 1);
    keys::write(&dir.join("survey_mark.pcap"), "1", 2);
    let agent = Sipp::phone("agent_hangs_up.xml", dir, desk).spawn();
    let caller = Sipp::caller("caller_rates_agent.xml", dir, centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .spawn();
    agent.passes().await;
    caller.passes().await;

    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Answered);
    assert_eq!(call.survey, Some(1), "{:?}", call.ivr_path);
    assert_eq!(keyed_at(&call, "survey"), ["1"]);
    assert!(nodes(&call).ends_with(&["survey", "survey_thanks"]));
    centre.no_open_dialogs().await;
}

/// Nobody serves the business queue; the caller gives up after three seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_gives_up_in_the_queue_is_abandoned() {
    if !crate::have_sipp("the abandon test") {
        return;
    }
    let centre = Setup::new().start().await;
    let dir = centre.dir.path();
    keys::write(&dir.join("business_3.pcap"), "3", 0);
    Sipp::caller("caller_waits_for_business.xml", dir, centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .pause_ms(3000)
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Abandoned);
    assert_eq!(call.queue.as_deref(), Some("business"));
    assert!(call.wait_ms.is_some_and(|w| w > 2_000), "{call:#?}");
    assert_eq!(call.agent_user_id, None);
    let events = centre
        .acd_events(|e| e.iter().any(|e| matches!(e, AcdEvent::Ended { .. })))
        .await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            AcdEvent::Ended {
                outcome: voltdesk_domain::acd::CallOutcome::Abandoned { .. },
                ..
            }
        )),
        "{events:?}"
    );
    centre.no_open_dialogs().await;
}

/// The wait is long (nobody signed in): a callback is offered; the caller keys 2 to keep
/// waiting, waits, and gives up. The centre must keep the caller in line, not hang up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_declines_the_callback_keeps_waiting() {
    if !crate::have_sipp("the declined callback test") {
        return;
    }
    let centre = Setup::new().start().await;
    let dir = centre.dir.path();
    keys::write(&dir.join("decline_0.pcap"), "0", 0);
    keys::write(&dir.join("decline_2.pcap"), "2", 1);
    Sipp::caller("caller_declines_callback.xml", dir, centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .pause_ms(3000)
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(
        keyed_at(&call, "callback_offer"),
        ["2"],
        "{:?}",
        call.ivr_path
    );
    // Back in the queue (entered), where the caller hung up.
    let n = nodes(&call);
    assert!(
        n.ends_with(&["callback_offer", "general_queue", "general_queue"]),
        "{n:?}"
    );
    assert_eq!(call.outcome, CallOutcome::Abandoned);
    assert_eq!(call.queue.as_deref(), Some("general"));
    centre.no_open_dialogs().await;
}

/// The wait is long: the caller takes the callback (1), hears it confirmed and is hung up
/// on; the record says callback and the callback is due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_takes_the_callback_gets_one() {
    if !crate::have_sipp("the callback test") {
        return;
    }
    let centre = Setup::new().start().await;
    let dir = centre.dir.path();
    keys::write(&dir.join("callback_0.pcap"), "0", 0);
    keys::write(&dir.join("callback_1.pcap"), "1", 1);
    Sipp::caller("caller_takes_callback.xml", dir, centre.sip())
        .from(LI_SI_PHONE)
        .dial("95598")
        .spawn()
        .passes()
        .await;
    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Callback, "{:?}", call.ivr_path);
    assert_eq!(keyed_at(&call, "callback_offer"), ["1"]);
    let callbacks = centre.svc.callbacks(true).await.expect("callbacks");
    assert_eq!(callbacks.len(), 1);
    assert_eq!(callbacks[0].call_id, call.id);
    assert_eq!(callbacks[0].phone, "139****1111");
    assert_eq!(callbacks[0].queue, "general");
    assert_eq!(callbacks[0].customer_id, Some(centre.customer(LI_SI)));
    centre.no_open_dialogs().await;
}

/// The first agent passes the caller on to a colleague (REFER to the colleague's user id):
/// the call is offered to the second agent, who answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_transfers_the_caller_to_a_colleague() {
    if !crate::have_sipp("the transfer test") {
        return;
    }
    let (desk1, desk2) = (free_port(), free_port());
    let centre = Setup::new()
        .desk_agent("agent1", desk1)
        .desk_agent("agent2", desk2)
        .start()
        .await;
    ready_in_order(&centre, &["agent1", "agent2"]).await;
    let (agent1, agent2) = (centre.agent("agent1"), centre.agent("agent2"));
    let dir = centre.dir.path();
    keys::write(&dir.join("agent_0.pcap"), "0", 0);
    let first = Sipp::phone("agent_transfers.xml", dir, desk1)
        .key("transfer_to", &agent2.to_string())
        .key("centre", &centre.sip().to_string())
        .spawn();
    let second = Sipp::phone("agent_answers.xml", dir, desk2).spawn();
    let caller = Sipp::caller("caller_talks.xml", dir, centre.sip())
        .from(UNKNOWN_PHONE)
        .dial("95598")
        .pause_ms(4000)
        .spawn();
    first.passes().await;
    caller.passes().await;
    second.passes().await;

    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Answered);
    assert_eq!(call.agent_user_id, Some(agent2), "{call:#?}");
    let events = centre
        .acd_events(|e| e.iter().any(|e| matches!(e, AcdEvent::Ended { .. })))
        .await;
    let offered: Vec<i64> = events
        .iter()
        .filter_map(|e| match e {
            AcdEvent::Offered { agent, .. } => Some(agent.0),
            _ => None,
        })
        .collect();
    assert_eq!(offered, [agent1, agent2], "{events:#?}");
    assert!(events.iter().any(|e| matches!(
        e,
        AcdEvent::Transferred { from_agent, to: TransferTarget::Agent(to), .. }
            if *from_agent == AgentId(agent1) && *to == AgentId(agent2)
    )));
    centre.no_open_dialogs().await;
}

/// A transfer to a queue that does not exist is refused (403): the agent keeps the caller,
/// who is not put in a line that leads nowhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_to_nowhere_is_refused_and_the_call_goes_on() {
    if !crate::have_sipp("the refused transfer test") {
        return;
    }
    let desk = free_port();
    let centre = Setup::new().desk_agent("agent1", desk).start().await;
    centre.ready("agent1").await;
    let dir = centre.dir.path();
    keys::write(&dir.join("agent_0.pcap"), "0", 0);
    let agent = Sipp::phone("agent_transfer_refused.xml", dir, desk)
        .key("transfer_to", "q.nowhere")
        .key("centre", &centre.sip().to_string())
        .spawn();
    let caller = Sipp::caller("caller_talks.xml", dir, centre.sip())
        .from(UNKNOWN_PHONE)
        .dial("95598")
        .pause_ms(3000)
        .spawn();
    caller.passes().await;
    agent.passes().await;

    let summary = centre.summary().await;
    assert!(summary.relayed_to_agent > 50, "{summary:?}");
    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Answered);
    assert_eq!(call.agent_user_id, Some(centre.agent("agent1")));
    assert!(call.talk_ms.is_some_and(|t| t > 4_000), "{call:#?}");
    let events = centre
        .acd_events(|e| e.iter().any(|e| matches!(e, AcdEvent::Ended { .. })))
        .await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AcdEvent::Transferred { .. })),
        "{events:#?}"
    );
    centre.no_open_dialogs().await;
}

/// The first agent's phone is busy, the second's rings out (2 s ring timeout): the third
/// agent gets the call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_that_is_busy_or_rings_out_passes_the_call_on() {
    if !crate::have_sipp("the ring timeout test") {
        return;
    }
    let (desk1, desk2, desk3) = (free_port(), free_port(), free_port());
    let centre = Setup::new()
        .queues(QUICK_QUEUES)
        .desk_agent("agent1", desk1)
        .desk_agent("agent2", desk2)
        .desk_agent("agent3", desk3)
        .start()
        .await;
    ready_in_order(&centre, &["agent1", "agent2", "agent3"]).await;
    let dir = centre.dir.path();
    keys::write(&dir.join("agent_0.pcap"), "0", 0);
    let busy = Sipp::phone("agent_busy.xml", dir, desk1).spawn();
    let silent = Sipp::phone("agent_never_answers.xml", dir, desk2).spawn();
    let answers = Sipp::phone("agent_answers.xml", dir, desk3).spawn();
    let caller = Sipp::caller("caller_talks.xml", dir, centre.sip())
        .from(UNKNOWN_PHONE)
        .dial("95598")
        .pause_ms(4000)
        .spawn();
    busy.passes().await;
    silent.passes().await;
    caller.passes().await;
    answers.passes().await;

    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Answered);
    assert_eq!(
        call.agent_user_id,
        Some(centre.agent("agent3")),
        "{call:#?}"
    );
    let events = centre
        .acd_events(|e| e.iter().any(|e| matches!(e, AcdEvent::Ended { .. })))
        .await;
    let withdrawn: Vec<(i64, WithdrawReason)> = events
        .iter()
        .filter_map(|e| match e {
            AcdEvent::OfferWithdrawn { agent, reason, .. } => Some((agent.0, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        withdrawn,
        [
            (centre.agent("agent1"), WithdrawReason::Busy),
            (centre.agent("agent2"), WithdrawReason::RingTimeout),
        ]
    );
    centre.no_open_dialogs().await;
}
