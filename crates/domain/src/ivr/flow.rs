//! The model of a flow: its nodes, their kinds and fields. A `Flow` comes from
//! `Flow::parse` (`parse.rs`), which checks it whole.

use std::collections::BTreeMap;

use crate::speech;

/// The node the service jumps to after an agent call, when the flow has one.
pub const SURVEY_NODE: &str = "survey";
pub const DEFAULT_TIMEOUT_MS: u32 = 5000;
pub const DEFAULT_RETRIES: u32 = 2;
/// Longest digit string a `collect` node may ask for.
pub const MAX_COLLECT_DIGITS: u8 = 32;

/// A call flow: nodes by id, the first node, and the texts of its own prompts.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// The flow's name, as given to [`Flow::parse`] (the file's stem, e.g. `95598`).
    pub name: String,
    /// A line for people, from the file's `title`.
    pub title: Option<String>,
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
    /// The flow's own prompts: name → Chinese text (`[prompts]`).
    pub prompts: BTreeMap<String, String>,
}

/// One step of a flow. Targets are node ids, checked to exist when the flow is parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Plays prompts, then goes on.
    Play {
        prompts: Vec<String>,
        next: String,
    },
    Menu(Menu),
    Collect(Collect),
    /// Asks the service who is calling, by the caller's number or the `account` variable.
    Identify {
        by: IdentifyBy,
        found: String,
        not_found: String,
    },
    Branch {
        fact: Fact,
        yes: String,
        no: String,
    },
    /// Says the outage in the caller's area and its expected restoration; silent when none.
    AnnounceOutage {
        next: String,
    },
    /// Says the balance and arrears of the identified customer.
    SayBalance {
        next: String,
    },
    /// Says the outage in the caller's area, or that none is known.
    OutageStatus {
        next: String,
    },
    ReportRepair(ReportRepair),
    Queue(Queue),
    CallbackOffer(CallbackOffer),
    Survey(Survey),
    /// Hands the call to another number; the flow ends.
    Transfer {
        to: String,
    },
    /// Says an optional prompt and hangs up.
    Hangup {
        prompt: Option<String>,
    },
}

/// Plays a prompt and waits for one key; a key not in `options` or silence is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    pub prompt: String,
    /// DTMF key → node.
    pub options: BTreeMap<char, String>,
    pub timeout_ms: u32,
    /// Prompts again this many times after a wrong key or silence, then goes to `on_fail`.
    pub retries: u32,
    pub invalid_prompt: String,
    pub on_fail: String,
}

/// Plays a prompt and collects a digit string into a variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Collect {
    pub prompt: String,
    /// The variable the digits are kept in (`account` for `identify by = "account"`).
    pub into: String,
    pub min_digits: u8,
    pub max_digits: u8,
    /// The key that ends the input before `max_digits`; not kept.
    pub finish_on: char,
    pub timeout_ms: u32,
    pub retries: u32,
    pub invalid_prompt: String,
    pub next: String,
    pub on_fail: String,
}

/// Asks the caller to confirm, then asks the service for a repair order and says its number.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRepair {
    pub confirm_prompt: String,
    pub confirm_digit: char,
    pub timeout_ms: u32,
    pub retries: u32,
    /// After the order number was said.
    pub next: String,
    /// Another key, or silence after the retries.
    pub on_decline: String,
    /// The service could not create the order.
    pub on_fail: String,
}

/// Waits for an agent in a queue; past `callback_after_s` of estimated wait, offers a
/// callback once by going to `on_callback`.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub queue: String,
    pub callback_after_s: Option<u32>,
    pub on_callback: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallbackOffer {
    pub prompt: String,
    pub accept_digit: char,
    pub timeout_ms: u32,
    pub next_accepted: String,
    /// Another key or silence.
    pub next_declined: String,
}

/// Asks for a mark from 1 to 3 and records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub prompt: String,
    pub timeout_ms: u32,
    pub retries: u32,
    pub invalid_prompt: String,
    /// After the mark, or after the retries without one.
    pub next: String,
}

/// Who an `identify` node looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifyBy {
    /// The calling number.
    Caller,
    /// The digits in the `account` variable.
    Account,
}

/// The variable `identify by = "account"` reads.
pub const ACCOUNT_VAR: &str = "account";

/// What a `branch` node asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// The identified customer's area has an outage now.
    OutageInArea,
    /// The identified customer is sensitive (敏感客户).
    Sensitive,
    /// The identified customer is in a care group.
    CareGroup,
    /// The service says it is within opening hours (asks the service).
    OpenHours,
    /// The estimated wait of `queue` exceeds `seconds` (asks the service).
    QueueWaitOver { queue: String, seconds: u32 },
    /// A customer was identified.
    Identified,
    /// The identified customer owes money.
    HasArrears,
}

impl Fact {
    pub const CODES: &'static [&'static str] = &[
        "outage_in_area",
        "sensitive",
        "care_group",
        "open_hours",
        "queue_wait_over",
        "identified",
        "has_arrears",
    ];

    /// Whether the service must be asked for the call's facts to answer.
    pub fn needs_call_facts(&self) -> bool {
        matches!(self, Fact::OpenHours | Fact::QueueWaitOver { .. })
    }
}

/// The kind of a node, as written in `kind = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Play,
    Menu,
    Collect,
    Identify,
    Branch,
    AnnounceOutage,
    SayBalance,
    OutageStatus,
    ReportRepair,
    Queue,
    CallbackOffer,
    Survey,
    Transfer,
    Hangup,
}

impl NodeKind {
    pub const ALL: &'static [NodeKind] = &[
        NodeKind::Play,
        NodeKind::Menu,
        NodeKind::Collect,
        NodeKind::Identify,
        NodeKind::Branch,
        NodeKind::AnnounceOutage,
        NodeKind::SayBalance,
        NodeKind::OutageStatus,
        NodeKind::ReportRepair,
        NodeKind::Queue,
        NodeKind::CallbackOffer,
        NodeKind::Survey,
        NodeKind::Transfer,
        NodeKind::Hangup,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NodeKind::Play => "play",
            NodeKind::Menu => "menu",
            NodeKind::Collect => "collect",
            NodeKind::Identify => "identify",
            NodeKind::Branch => "branch",
            NodeKind::AnnounceOutage => "announce_outage",
            NodeKind::SayBalance => "say_balance",
            NodeKind::OutageStatus => "outage_status",
            NodeKind::ReportRepair => "report_repair",
            NodeKind::Queue => "queue",
            NodeKind::CallbackOffer => "callback_offer",
            NodeKind::Survey => "survey",
            NodeKind::Transfer => "transfer",
            NodeKind::Hangup => "hangup",
        }
    }

    pub fn parse(s: &str) -> Option<NodeKind> {
        NodeKind::ALL.iter().copied().find(|k| k.code() == s)
    }

    /// Whether a node of this kind stops to wait for the caller (keys, or an agent). A loop
    /// through none of these would run without end.
    pub fn waits_for_caller(self) -> bool {
        matches!(
            self,
            NodeKind::Menu
                | NodeKind::Collect
                | NodeKind::ReportRepair
                | NodeKind::Queue
                | NodeKind::CallbackOffer
                | NodeKind::Survey
        )
    }

    /// The fields a node of this kind may have, `kind` included.
    pub(super) fn fields(self) -> &'static [&'static str] {
        match self {
            NodeKind::Play => &["kind", "prompts", "next"],
            NodeKind::Menu => &[
                "kind",
                "prompt",
                "options",
                "timeout_ms",
                "retries",
                "invalid_prompt",
                "on_fail",
            ],
            NodeKind::Collect => &[
                "kind",
                "prompt",
                "into",
                "min_digits",
                "max_digits",
                "finish_on",
                "timeout_ms",
                "retries",
                "invalid_prompt",
                "next",
                "on_fail",
            ],
            NodeKind::Identify => &["kind", "by", "found", "not_found"],
            NodeKind::Branch => &["kind", "fact", "queue", "seconds", "yes", "no"],
            NodeKind::AnnounceOutage | NodeKind::SayBalance | NodeKind::OutageStatus => {
                &["kind", "next"]
            }
            NodeKind::ReportRepair => &[
                "kind",
                "confirm_prompt",
                "confirm_digit",
                "timeout_ms",
                "retries",
                "next",
                "on_decline",
                "on_fail",
            ],
            NodeKind::Queue => &["kind", "queue", "callback_after_s", "on_callback"],
            NodeKind::CallbackOffer => &[
                "kind",
                "prompt",
                "accept_digit",
                "timeout_ms",
                "next_accepted",
                "next_declined",
            ],
            NodeKind::Survey => &[
                "kind",
                "prompt",
                "timeout_ms",
                "retries",
                "invalid_prompt",
                "next",
            ],
            NodeKind::Transfer => &["kind", "to"],
            NodeKind::Hangup => &["kind", "prompt"],
        }
    }
}

impl Node {
    pub fn kind(&self) -> NodeKind {
        match self {
            Node::Play { .. } => NodeKind::Play,
            Node::Menu(_) => NodeKind::Menu,
            Node::Collect(_) => NodeKind::Collect,
            Node::Identify { .. } => NodeKind::Identify,
            Node::Branch { .. } => NodeKind::Branch,
            Node::AnnounceOutage { .. } => NodeKind::AnnounceOutage,
            Node::SayBalance { .. } => NodeKind::SayBalance,
            Node::OutageStatus { .. } => NodeKind::OutageStatus,
            Node::ReportRepair(_) => NodeKind::ReportRepair,
            Node::Queue(_) => NodeKind::Queue,
            Node::CallbackOffer(_) => NodeKind::CallbackOffer,
            Node::Survey(_) => NodeKind::Survey,
            Node::Transfer { .. } => NodeKind::Transfer,
            Node::Hangup { .. } => NodeKind::Hangup,
        }
    }

    /// Every node this one can go to, with the field that names it (`options.1` for a
    /// menu's key 1).
    pub fn targets(&self) -> Vec<(String, &str)> {
        fn f<'n>(field: &str, target: &'n str) -> (String, &'n str) {
            (field.to_string(), target)
        }
        match self {
            Node::Play { next, .. }
            | Node::AnnounceOutage { next }
            | Node::SayBalance { next }
            | Node::OutageStatus { next } => vec![f("next", next)],
            Node::Menu(m) => {
                let mut v: Vec<_> = m
                    .options
                    .iter()
                    .map(|(k, t)| (format!("options.{k}"), t.as_str()))
                    .collect();
                v.push(f("on_fail", &m.on_fail));
                v
            }
            Node::Collect(c) => vec![f("next", &c.next), f("on_fail", &c.on_fail)],
            Node::Identify {
                found, not_found, ..
            } => vec![f("found", found), f("not_found", not_found)],
            Node::Branch { yes, no, .. } => vec![f("yes", yes), f("no", no)],
            Node::ReportRepair(r) => vec![
                f("next", &r.next),
                f("on_decline", &r.on_decline),
                f("on_fail", &r.on_fail),
            ],
            Node::Queue(q) => q.on_callback.iter().map(|t| f("on_callback", t)).collect(),
            Node::CallbackOffer(c) => vec![
                f("next_accepted", &c.next_accepted),
                f("next_declined", &c.next_declined),
            ],
            Node::Survey(s) => vec![f("next", &s.next)],
            Node::Transfer { .. } | Node::Hangup { .. } => Vec::new(),
        }
    }
}

impl Flow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// The node the service sends a caller to after an agent call ([`SURVEY_NODE`]), if
    /// the flow has one.
    pub fn survey_node(&self) -> Option<&str> {
        self.nodes
            .get_key_value(SURVEY_NODE)
            .filter(|(_, n)| n.kind() == NodeKind::Survey)
            .map(|(id, _)| id.as_str())
    }

    /// The text of a prompt or clip: the flow's own, else the built-in clip's.
    pub fn prompt_text(&self, name: &str) -> Option<&str> {
        self.prompts
            .get(name)
            .map(String::as_str)
            .or_else(|| speech::clip_text(name))
    }
}

/// The flow's own prompts with their texts, by name: for the script that records them.
pub fn prompt_texts(flow: &Flow) -> impl Iterator<Item = (&str, &str)> {
    flow.prompts.iter().map(|(n, t)| (n.as_str(), t.as_str()))
}
