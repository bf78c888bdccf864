//! The default 95598 flow (`config/ivr/95598.toml`) walked through each of its paths, and
//! properties of the interpreter and the speech functions.

use proptest::prelude::*;
use voltdesk_domain::ivr::{
    CallFacts, CustomerFacts, Flow, IvrAction, IvrEvent, IvrRun, LookupRequest, OutageFacts,
    PathStep,
};
use voltdesk_domain::outage::OutageKind;
use voltdesk_domain::{HOUR_MS, MINUTE_MS, Millis, speech};

const FLOW: &str = include_str!("../../../config/ivr/95598.toml");

/// 2026-11-20 09:00, Beijing time.
const NOW: Millis = 1_795_136_400_000;

fn flow() -> Flow {
    Flow::parse("95598", FLOW).unwrap_or_else(|e| panic!("{e}"))
}

fn customer() -> CustomerFacts {
    CustomerFacts {
        customer_id: 42,
        outage: None,
        balance_fen: 120_530,
        arrears_fen: 0,
        sensitive: false,
        care_group: false,
    }
}

/// A call on the default flow: sends events, keeps the last actions.
struct Call {
    flow: Flow,
    run: IvrRun,
    last: Vec<IvrAction>,
}

impl Call {
    fn new() -> Call {
        let flow = flow();
        let (run, last) = IvrRun::start(&flow, NOW);
        Call { flow, run, last }
    }

    /// Answered and matched (or not) by the calling number.
    fn identified(customer: Option<CustomerFacts>) -> Call {
        let mut call = Call::new();
        assert_eq!(call.last, [play(&["welcome"])]);
        call.send(IvrEvent::PlayDone);
        assert_eq!(
            call.last,
            [IvrAction::Lookup(LookupRequest::IdentifyCaller)]
        );
        call.send(IvrEvent::Identified(customer));
        call
    }

    /// An unknown caller at the main menu.
    fn at_main_menu() -> Call {
        let call = Call::identified(None);
        assert_eq!(call.last, ask("main_menu", 5000));
        call
    }

    fn send(&mut self, event: IvrEvent) -> &[IvrAction] {
        let before = self.run.path().len();
        self.last = self.run.on_event(&self.flow, event, NOW);
        assert!(self.run.path().len() >= before);
        &self.last
    }

    fn key(&mut self, digits: &str) -> &[IvrAction] {
        self.send(IvrEvent::Digits(digits.to_string()))
    }

    fn entered(&self) -> Vec<&str> {
        self.run
            .path()
            .iter()
            .filter(|s| matches!(s, PathStep::Entered { .. }))
            .map(PathStep::node)
            .collect()
    }

    /// The text the last actions play, clips read back through the flow's prompts.
    fn spoken(&self) -> String {
        self.last
            .iter()
            .filter_map(|a| match a {
                IvrAction::Play { clips } => Some(clips),
                _ => None,
            })
            .flatten()
            .map(|c| self.flow.prompt_text(c.as_str()).expect("a known clip"))
            .collect()
    }

    /// From the main menu to the survey after an agent call.
    fn through_agent_to_survey(&mut self) {
        self.key("0");
        assert_eq!(self.last, [play(&["agent_wait"])]);
        self.send(IvrEvent::PlayDone);
        self.send(IvrEvent::AgentAnswered);
        self.send(IvrEvent::AgentCallEnded);
        assert_eq!(self.last, ask("survey", 5000));
    }
}

fn play(clips: &[&str]) -> IvrAction {
    IvrAction::Play {
        clips: clips.iter().map(|c| (*c).into()).collect(),
    }
}

fn one_key(timeout_ms: u32) -> IvrAction {
    IvrAction::Collect {
        max_digits: 1,
        finish_on: None,
        timeout_ms,
    }
}

fn ask(prompt: &str, timeout_ms: u32) -> Vec<IvrAction> {
    vec![play(&[prompt]), one_key(timeout_ms)]
}

fn queue(name: &str, callback_after_s: Option<u32>) -> IvrAction {
    IvrAction::Queue {
        queue: name.into(),
        callback_after_s,
    }
}

#[test]
fn the_default_flow_parses_and_every_prompt_has_a_text() {
    let flow = flow();
    assert_eq!(flow.start, "welcome");
    assert_eq!(flow.survey_node(), Some("survey"));
    for (name, text) in voltdesk_domain::ivr::prompt_texts(&flow) {
        assert!(!text.trim().is_empty(), "{name}");
        assert!(!speech::is_clip(name), "{name}");
    }
    assert!(flow.prompts.contains_key("welcome"));
}

#[test]
fn an_outage_in_the_area_is_announced_first_and_may_be_heard_again() {
    let restore = NOW + 6 * HOUR_MS + 30 * MINUTE_MS; // 15:30 today
    let mut call = Call::identified(Some(CustomerFacts {
        outage: Some(OutageFacts {
            kind: OutageKind::Fault,
            expected_restore: Some(restore),
            area: "城关镇东街台区".into(),
        }),
        ..customer()
    }));
    assert_eq!(
        call.last,
        [play(&[
            "outage_fault",
            "outage_restore_at",
            "today",
            "afternoon",
            "n_3",
            "oclock",
            "n_3",
            "n_10",
            "minute",
            "outage_apology",
        ])]
    );
    assert_eq!(
        call.spoken(),
        "您所在的区域发生故障停电，抢修人员正在全力处理，预计恢复供电时间为今天下午三点三十分，给您带来不便，敬请谅解。"
    );
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, ask("outage_menu", 4000));
    call.key("1");
    assert!(call.spoken().contains("今天下午三点三十分"));
    call.send(IvrEvent::PlayDone);
    // Silence continues to the main menu.
    call.send(IvrEvent::Timeout);
    assert_eq!(call.last, ask("main_menu", 5000));
    assert_eq!(
        call.entered(),
        [
            "welcome",
            "identify_caller",
            "check_outage",
            "announce",
            "outage_menu",
            "announce",
            "outage_menu",
            "check_sensitive",
            "check_care",
            "main_menu",
        ]
    );
}

#[test]
fn after_the_announcement_2_goes_to_an_agent_and_another_key_continues() {
    let outage = OutageFacts {
        kind: OutageKind::Planned,
        expected_restore: None,
        area: "东街".into(),
    };
    let with_outage = || {
        let mut call = Call::identified(Some(CustomerFacts {
            outage: Some(outage.clone()),
            ..customer()
        }));
        assert_eq!(
            call.spoken(),
            "您所在的区域正在进行计划停电检修，恢复供电时间正在确定中，给您带来不便，敬请谅解。"
        );
        call.send(IvrEvent::PlayDone);
        call
    };
    let mut call = with_outage();
    call.key("2");
    assert_eq!(call.last, [play(&["agent_wait"])]);
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, [queue("general", Some(120))]);

    let mut call = with_outage();
    call.key("9");
    assert_eq!(call.last, ask("main_menu", 5000));
}

#[test]
fn sensitive_and_care_group_callers_go_straight_to_the_priority_queue() {
    for facts in [
        CustomerFacts {
            sensitive: true,
            ..customer()
        },
        CustomerFacts {
            care_group: true,
            ..customer()
        },
    ] {
        let mut call = Call::identified(Some(facts));
        assert_eq!(call.last, [play(&["priority_wait"])]);
        call.send(IvrEvent::PlayDone);
        assert_eq!(call.last, [queue("priority", None)]);
        assert_eq!(call.run.node(), "priority_queue");
    }
}

#[test]
fn main_menu_silence_is_retried_twice_then_goes_to_an_agent() {
    let mut call = Call::at_main_menu();
    call.send(IvrEvent::Timeout);
    assert_eq!(call.last, ask("main_menu", 5000));
    call.key("7");
    assert_eq!(
        call.last,
        [play(&["invalid_input", "main_menu"]), one_key(5000)]
    );
    call.send(IvrEvent::Timeout);
    assert_eq!(call.last, [play(&["agent_wait"])]);
    let at_menu: Vec<_> = call
        .run
        .path()
        .iter()
        .filter(|s| s.node() == "main_menu")
        .collect();
    assert!(matches!(
        at_menu[..],
        [
            PathStep::Entered { .. },
            PathStep::TimedOut { .. },
            PathStep::Keyed { .. },
            PathStep::TimedOut { .. },
        ]
    ));
}

#[test]
fn balance_for_an_unknown_caller_asks_for_the_account_number() {
    let mut call = Call::at_main_menu();
    call.key("2");
    assert_eq!(
        call.last,
        [
            play(&["enter_account"]),
            IvrAction::Collect {
                max_digits: 16,
                finish_on: Some('#'),
                timeout_ms: 10_000
            }
        ]
    );
    call.key("123#");
    assert_eq!(call.last[0], play(&["invalid_input", "enter_account"]));
    call.key("3301234567#");
    assert_eq!(
        call.last,
        [IvrAction::Lookup(LookupRequest::IdentifyAccount(
            "3301234567".into()
        ))]
    );
    assert_eq!(
        call.run.vars().get("account").map(String::as_str),
        Some("3301234567")
    );
    call.send(IvrEvent::Identified(Some(CustomerFacts {
        arrears_fen: 5_000,
        ..customer()
    })));
    assert_eq!(
        call.spoken(),
        "您的账户余额为一千二百零五元三角，当前欠费五十元，请您及时缴纳电费。"
    );
    assert_eq!(call.run.customer().map(|c| c.customer_id), Some(42));
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, ask("more", 5000));
    call.send(IvrEvent::Timeout);
    assert_eq!(call.last, [play(&["goodbye"])]);
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, [IvrAction::Hangup]);
    assert!(call.run.is_finished());
}

#[test]
fn an_identified_caller_hears_the_balance_at_once() {
    let mut call = Call::identified(Some(CustomerFacts {
        balance_fen: -1_005,
        ..customer()
    }));
    call.key("2");
    assert_eq!(call.spoken(), "您的账户已透支十元零五分，目前没有欠费。");
}

#[test]
fn an_account_number_not_found_goes_to_an_agent() {
    let mut call = Call::at_main_menu();
    call.key("2");
    call.key("3301234567");
    call.send(IvrEvent::Identified(None));
    assert_eq!(call.last, [play(&["account_not_found"])]);
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, [play(&["agent_wait"])]);
}

#[test]
fn a_repair_is_created_and_its_number_read_out() {
    let mut call = Call::identified(Some(customer()));
    call.key("1");
    assert_eq!(call.last, ask("repair_menu", 5000));
    call.key("1");
    assert_eq!(call.last, ask("repair_confirm", 5000));
    call.key("1");
    assert_eq!(call.last, [IvrAction::CreateRepair]);
    call.send(IvrEvent::RepairCreated {
        order_no: "GD2026112000000042".into(),
    });
    assert_eq!(
        call.spoken(),
        "您的报修已受理，工单号为二零二六幺幺二零零零零零零零四二。抢修人员将尽快与您联系。"
    );
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, ask("more", 5000));
    call.key("1");
    assert_eq!(call.last, ask("main_menu", 5000));
}

#[test]
fn a_repair_declined_goes_back_and_a_failed_one_to_an_agent() {
    let mut call = Call::identified(Some(customer()));
    call.key("1");
    call.key("1");
    call.key("2");
    assert_eq!(call.last, ask("repair_menu", 5000));
    call.key("*");
    assert_eq!(call.last, ask("main_menu", 5000));

    let mut call = Call::identified(Some(customer()));
    call.key("1");
    call.key("1");
    call.key("1");
    call.send(IvrEvent::RepairFailed);
    assert_eq!(call.last, [play(&["repair_failed"])]);
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, [play(&["agent_wait"])]);
}

#[test]
fn outage_status_says_the_outage_or_that_none_is_known() {
    let mut call = Call::identified(Some(customer()));
    call.key("1");
    call.key("2");
    assert_eq!(call.last, [play(&["no_outage_known"])]);

    let mut call = Call::at_main_menu();
    call.key("1");
    call.key("2");
    assert_eq!(call.last, [play(&["outage_area_unknown"])]);
}

#[test]
fn a_long_wait_offers_a_callback_once() {
    let mut call = Call::at_main_menu();
    call.key("0");
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, [queue("general", Some(120))]);
    assert!(call.send(IvrEvent::QueueWaitEstimate(60)).is_empty());
    assert!(call.send(IvrEvent::QueueWaitEstimate(120)).is_empty());
    call.send(IvrEvent::QueueWaitEstimate(300));
    assert_eq!(call.last, ask("callback_offer", 5000));
    call.key("2");
    assert_eq!(call.last, [queue("general", Some(120))]);
    assert!(call.send(IvrEvent::QueueWaitEstimate(600)).is_empty());
    call.send(IvrEvent::AgentAnswered);
    assert!(
        call.run
            .path()
            .iter()
            .any(|s| matches!(s, PathStep::AgentAnswered { node, .. } if node == "general_queue"))
    );
    call.send(IvrEvent::AgentCallEnded);
    assert_eq!(call.last, ask("survey", 5000));
}

#[test]
fn a_callback_accepted_is_registered_and_the_call_ends() {
    let mut call = Call::at_main_menu();
    call.key("0");
    call.send(IvrEvent::PlayDone);
    call.send(IvrEvent::QueueWaitEstimate(121));
    call.key("1");
    assert_eq!(
        call.last,
        [
            IvrAction::OfferCallbackAccepted,
            play(&["callback_registered"])
        ]
    );
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, [IvrAction::Hangup]);
}

#[test]
fn business_goes_to_its_queue() {
    let mut call = Call::at_main_menu();
    call.key("3");
    assert_eq!(call.last, [play(&["business_wait"])]);
    call.send(IvrEvent::PlayDone);
    assert_eq!(call.last, [queue("business", None)]);
}

#[test]
fn survey_marks_1_to_3_are_recorded() {
    for mark in 1..=3u8 {
        let mut call = Call::at_main_menu();
        call.through_agent_to_survey();
        call.key(&mark.to_string());
        assert_eq!(
            call.last,
            [IvrAction::RecordSurvey(mark), play(&["survey_thanks"])]
        );
        call.send(IvrEvent::PlayDone);
        assert_eq!(call.last, [IvrAction::Hangup]);
    }
}

#[test]
fn survey_invalid_keys_are_retried_then_the_call_ends_unmarked() {
    let mut call = Call::at_main_menu();
    call.through_agent_to_survey();
    for wrong in ["5", "12"] {
        call.key(wrong);
        assert_eq!(
            call.last,
            [play(&["invalid_input", "survey"]), one_key(5000)]
        );
    }
    call.send(IvrEvent::Timeout);
    assert_eq!(call.last, [play(&["survey_thanks"])]);
    assert!(
        !call
            .run
            .path()
            .iter()
            .any(|s| matches!(s, PathStep::Error { .. }))
    );
}

#[test]
fn a_caller_who_hangs_up_ends_the_run() {
    let mut call = Call::at_main_menu();
    assert!(call.send(IvrEvent::HungUp).is_empty());
    assert!(call.run.is_finished());
    assert!(matches!(
        call.run.path().last(),
        Some(PathStep::HungUp { node, .. }) if node == "main_menu"
    ));
    assert!(call.key("1").is_empty());
}

// ---------------------------------------------------------------------------------------
// Properties

fn arb_customer() -> impl Strategy<Value = CustomerFacts> {
    let outage = prop::option::of((
        prop::sample::select(OutageKind::ALL),
        prop::option::of(any::<i64>()),
    ));
    (
        outage,
        any::<i64>(),
        any::<i64>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(outage, balance_fen, arrears_fen, sensitive, care_group)| CustomerFacts {
                customer_id: 1,
                outage: outage.map(|(kind, expected_restore)| OutageFacts {
                    kind,
                    expected_restore,
                    area: "台区".into(),
                }),
                balance_fen,
                arrears_fen,
                sensitive,
                care_group,
            },
        )
}

fn arb_event() -> impl Strategy<Value = IvrEvent> {
    prop_oneof![
        4 => Just(IvrEvent::PlayDone),
        4 => "[0-9*#]{0,3}".prop_map(IvrEvent::Digits),
        1 => "[0-9#]{0,20}".prop_map(IvrEvent::Digits),
        1 => ".{0,4}".prop_map(IvrEvent::Digits),
        2 => Just(IvrEvent::Timeout),
        2 => prop::option::of(arb_customer()).prop_map(IvrEvent::Identified),
        1 => (any::<bool>(), any::<u32>()).prop_map(|(open_hours, w)| IvrEvent::Facts(CallFacts {
            open_hours,
            queue_wait_s: [("general".to_string(), w)].into(),
        })),
        1 => "[A-Z0-9]{0,20}".prop_map(|order_no| IvrEvent::RepairCreated { order_no }),
        1 => Just(IvrEvent::RepairFailed),
        1 => any::<u32>().prop_map(IvrEvent::QueueWaitEstimate),
        1 => Just(IvrEvent::AgentAnswered),
        1 => Just(IvrEvent::AgentCallEnded),
        1 => Just(IvrEvent::HungUp),
    ]
}

fn check_actions(flow: &Flow, actions: &[IvrAction]) -> Result<(), TestCaseError> {
    for action in actions {
        if let IvrAction::Play { clips } = action {
            prop_assert!(!clips.is_empty());
            for clip in clips {
                prop_assert!(
                    flow.prompt_text(clip.as_str()).is_some(),
                    "unknown clip {clip:?}"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn the_run_never_panics_and_its_path_names_only_real_nodes(
        events in prop::collection::vec((arb_event(), 0..600_000i64), 0..80),
    ) {
        let flow = flow();
        let (mut run, out) = IvrRun::start(&flow, NOW);
        check_actions(&flow, &out)?;
        let mut now = NOW;
        for (event, step) in events {
            now += step;
            let before = run.path().to_vec();
            let finished = run.is_finished();
            let out = run.on_event(&flow, event, now);
            check_actions(&flow, &out)?;
            prop_assert!(run.path().starts_with(&before), "the path only grows");
            for step in run.path() {
                prop_assert!(flow.node(step.node()).is_some(), "{step:?}");
            }
            if finished {
                prop_assert!(out.is_empty());
                prop_assert_eq!(run.path().len(), before.len());
            }
            if out.iter().any(|a| matches!(a, IvrAction::Hangup | IvrAction::Transfer(_))) {
                prop_assert!(run.is_finished());
            }
        }
    }

    #[test]
    fn amounts_are_read_with_known_clips(fen in any::<i64>()) {
        let clips = speech::say_amount(fen);
        prop_assert!(!clips.is_empty());
        prop_assert!(clips.iter().all(|c| speech::is_clip(c)), "{clips:?}");
        prop_assert!(clips.ends_with(&["yuan"]) || clips.ends_with(&["jiao"]) || clips.ends_with(&["fen"]));
    }

    #[test]
    fn numbers_and_times_are_read_with_known_clips(
        n in any::<u64>(),
        at in any::<i64>(),
        now in any::<i64>(),
    ) {
        let clips = speech::say_number(n);
        prop_assert!(!clips.is_empty());
        prop_assert!(clips.iter().all(|c| speech::is_clip(c)), "{clips:?}");
        let clips = speech::say_time(at, now, speech::BEIJING);
        prop_assert!(clips.iter().all(|c| speech::is_clip(c)), "{clips:?}");
    }

    #[test]
    fn numbers_in_words_never_repeat_zero_or_end_in_it(n in 1..=speech::MAX_NUMBER) {
        let clips = speech::say_number(n);
        prop_assert!(!clips.windows(2).any(|w| w == ["n_0", "n_0"]), "{n}: {clips:?}");
        prop_assert_ne!(clips.last(), Some(&"n_0"), "{}", n);
        prop_assert_ne!(clips.first(), Some(&"n_0"), "{}", n);
    }
}
