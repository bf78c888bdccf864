//! Reading a flow from TOML and checking it whole: every node's fields, every target,
//! every prompt, reachability, and loops that would never wait for the caller.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

use super::flow::*;
use crate::speech;

const TIMEOUT_RANGE: std::ops::RangeInclusive<u32> = 500..=120_000;
const MAX_RETRIES: u32 = 9;
const MAX_NAME_LEN: usize = 64;

/// What is wrong with a flow. Each kind has a stable code (`ivr.unknown_node`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowFault {
    /// Not TOML, or a top-level key of the wrong type or unknown.
    Toml,
    /// A flow name, node id, variable, queue or prompt name that is not a lowercase word of
    /// letters, digits and `_`, or a prompt that takes a built-in clip's name.
    BadName,
    /// `start` is missing or names no node.
    MissingStart,
    UnknownKind,
    /// A field the node's kind does not have.
    UnknownField,
    MissingField,
    /// A field of the wrong type or out of its range.
    BadValue,
    /// A key that is not one DTMF character (0–9, * or #).
    BadDigit,
    /// `min_digits` greater than `max_digits`, or either out of 1..=32.
    BadRange,
    /// A field names a node that does not exist.
    UnknownNode,
    UnknownFact,
    /// A prompt that is neither in `[prompts]` nor a built-in clip.
    UnknownPrompt,
    /// `identify by = "account"` without a `collect` into `account`.
    UnknownVariable,
    /// The node `survey` is not of kind `survey`.
    BadSurveyNode,
    /// A node no path from `start` (or `survey`) reaches.
    Unreachable,
    /// A loop through no node that waits for the caller: it would run without end.
    SilentCycle,
}

impl FlowFault {
    pub fn code(self) -> &'static str {
        match self {
            FlowFault::Toml => "ivr.toml",
            FlowFault::BadName => "ivr.bad_name",
            FlowFault::MissingStart => "ivr.missing_start",
            FlowFault::UnknownKind => "ivr.unknown_kind",
            FlowFault::UnknownField => "ivr.unknown_field",
            FlowFault::MissingField => "ivr.missing_field",
            FlowFault::BadValue => "ivr.bad_value",
            FlowFault::BadDigit => "ivr.bad_digit",
            FlowFault::BadRange => "ivr.bad_range",
            FlowFault::UnknownNode => "ivr.unknown_node",
            FlowFault::UnknownFact => "ivr.unknown_fact",
            FlowFault::UnknownPrompt => "ivr.unknown_prompt",
            FlowFault::UnknownVariable => "ivr.unknown_variable",
            FlowFault::BadSurveyNode => "ivr.bad_survey_node",
            FlowFault::Unreachable => "ivr.unreachable",
            FlowFault::SilentCycle => "ivr.silent_cycle",
        }
    }
}

/// Why a flow was refused: the fault, the node and field where it is (when it is in one),
/// and a message for the person editing the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FlowError {
    pub fault: FlowFault,
    pub node: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl FlowError {
    /// The stable code, e.g. `ivr.unknown_node`.
    pub fn code(&self) -> &'static str {
        self.fault.code()
    }

    fn at(fault: FlowFault, node: &str, field: Option<&str>, message: impl Into<String>) -> Self {
        FlowError {
            fault,
            node: Some(node.to_string()),
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    fn top(fault: FlowFault, field: Option<&str>, message: impl Into<String>) -> Self {
        FlowError {
            fault,
            node: None,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.code())?;
        if let Some(node) = &self.node {
            write!(f, " node `{node}`")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    title: Option<String>,
    start: Option<String>,
    #[serde(default)]
    prompts: BTreeMap<String, String>,
    #[serde(default)]
    nodes: BTreeMap<String, toml::Table>,
}

/// A lowercase word: ASCII letters, digits and `_`, 1 to 64 of them.
fn is_name(s: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_dtmf(c: char) -> bool {
    c.is_ascii_digit() || c == '*' || c == '#'
}

impl Flow {
    /// Parses and checks a flow file. `name` is the flow's name (the file's stem). Every
    /// error names its node and field where it has them; nodes are checked in id order, so
    /// the same file always gives the same first error.
    pub fn parse(name: &str, text: &str) -> Result<Flow, FlowError> {
        if !is_name(name) {
            return Err(FlowError::top(
                FlowFault::BadName,
                None,
                format!("flow name `{name}`: use lowercase letters, digits and _"),
            ));
        }
        let raw: RawFlow = toml::from_str(text)
            .map_err(|e| FlowError::top(FlowFault::Toml, None, e.to_string()))?;
        for (prompt, text) in &raw.prompts {
            let field = format!("prompts.{prompt}");
            if !is_name(prompt) {
                return Err(FlowError::top(
                    FlowFault::BadName,
                    Some(&field),
                    "a prompt name is lowercase letters, digits and _",
                ));
            }
            if speech::is_clip(prompt) {
                return Err(FlowError::top(
                    FlowFault::BadName,
                    Some(&field),
                    "is the name of a built-in clip; choose another",
                ));
            }
            if text.trim().is_empty() {
                return Err(FlowError::top(
                    FlowFault::BadValue,
                    Some(&field),
                    "a prompt's text must not be empty",
                ));
            }
        }
        let mut nodes = BTreeMap::new();
        for (id, table) in &raw.nodes {
            let reader = NodeReader {
                id,
                table,
                prompts: &raw.prompts,
            };
            nodes.insert(id.clone(), reader.read()?);
        }
        let start = match raw.start {
            Some(s) if nodes.contains_key(&s) => s,
            Some(s) => {
                return Err(FlowError::top(
                    FlowFault::MissingStart,
                    Some("start"),
                    format!("no node `{s}`"),
                ));
            }
            None => {
                return Err(FlowError::top(
                    FlowFault::MissingStart,
                    Some("start"),
                    "missing (required): the id of the first node",
                ));
            }
        };
        let flow = Flow {
            name: name.to_string(),
            title: raw.title,
            start,
            nodes,
            prompts: raw.prompts,
        };
        flow.check_graph()?;
        Ok(flow)
    }

    fn check_graph(&self) -> Result<(), FlowError> {
        for (id, node) in &self.nodes {
            for (field, target) in node.targets() {
                if !self.nodes.contains_key(target) {
                    return Err(FlowError::at(
                        FlowFault::UnknownNode,
                        id,
                        Some(&field),
                        format!("no node `{target}`"),
                    ));
                }
            }
        }
        if let Some(node) = self.nodes.get(SURVEY_NODE)
            && node.kind() != NodeKind::Survey
        {
            return Err(FlowError::at(
                FlowFault::BadSurveyNode,
                SURVEY_NODE,
                Some("kind"),
                "the node `survey` is where callers go after an agent call: it must be of kind survey",
            ));
        }
        let reads_account = self.nodes.iter().find(|(_, n)| {
            matches!(
                n,
                Node::Identify {
                    by: IdentifyBy::Account,
                    ..
                }
            )
        });
        let collects_account = self
            .nodes
            .values()
            .any(|n| matches!(n, Node::Collect(c) if c.into == ACCOUNT_VAR));
        if let Some((id, _)) = reads_account
            && !collects_account
        {
            return Err(FlowError::at(
                FlowFault::UnknownVariable,
                id,
                Some("by"),
                "identifies by `account` but no collect node has into = \"account\"",
            ));
        }
        self.check_reachable()?;
        self.check_silent_cycles()
    }

    fn check_reachable(&self) -> Result<(), FlowError> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![self.start.as_str()];
        todo.extend(self.survey_node());
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(node) = self.nodes.get(id) {
                todo.extend(node.targets().into_iter().map(|(_, t)| t));
            }
        }
        match self.nodes.keys().find(|id| !seen.contains(id.as_str())) {
            Some(id) => Err(FlowError::at(
                FlowFault::Unreachable,
                id,
                None,
                format!(
                    "no path from `{}` (or `{SURVEY_NODE}`) leads here; remove it or point a target at it",
                    self.start
                ),
            )),
            None => Ok(()),
        }
    }

    /// A loop among nodes that never wait for the caller would spin for ever. Looks for one
    /// in the graph of those nodes alone (depth first, white/grey/black).
    fn check_silent_cycles(&self) -> Result<(), FlowError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Grey,
            Black,
        }
        let silent = |id: &str| {
            self.nodes
                .get(id)
                .is_some_and(|n| !n.kind().waits_for_caller())
        };
        let mut marks: BTreeMap<&str, Mark> = BTreeMap::new();
        for root in self
            .nodes
            .keys()
            .map(String::as_str)
            .filter(|id| silent(id))
        {
            if marks.contains_key(root) {
                continue;
            }
            // (node, its silent targets not yet visited); `trail` is the grey path.
            let mut stack: Vec<(&str, Vec<&str>)> = vec![(root, self.silent_targets(root))];
            let mut trail = vec![root];
            marks.insert(root, Mark::Grey);
            while let Some((_, rest)) = stack.last_mut() {
                match rest.pop() {
                    Some(next) => match marks.get(next) {
                        Some(Mark::Grey) => {
                            let from = trail.iter().position(|id| *id == next).unwrap_or(0);
                            let cycle = &trail[from..];
                            return Err(FlowError::at(
                                FlowFault::SilentCycle,
                                next,
                                None,
                                format!(
                                    "the loop {} → {next} never waits for the caller (add a menu, collect or queue to it)",
                                    cycle.join(" → ")
                                ),
                            ));
                        }
                        Some(Mark::Black) => {}
                        None => {
                            marks.insert(next, Mark::Grey);
                            trail.push(next);
                            stack.push((next, self.silent_targets(next)));
                        }
                    },
                    None => {
                        if let Some((done, _)) = stack.pop() {
                            marks.insert(done, Mark::Black);
                            trail.pop();
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn silent_targets(&self, id: &str) -> Vec<&str> {
        let mut targets: Vec<&str> = self
            .nodes
            .get(id)
            .map(|n| n.targets().into_iter().map(|(_, t)| t).collect())
            .unwrap_or_default();
        targets.retain(|t| {
            self.nodes
                .get(*t)
                .is_some_and(|n| !n.kind().waits_for_caller())
        });
        // Popped from the end: reverse so that targets are followed in field order.
        targets.reverse();
        targets
    }
}

struct NodeReader<'a> {
    id: &'a str,
    table: &'a toml::Table,
    prompts: &'a BTreeMap<String, String>,
}

impl NodeReader<'_> {
    fn err(&self, fault: FlowFault, field: &str, message: impl Into<String>) -> FlowError {
        FlowError::at(fault, self.id, Some(field), message)
    }

    fn read(&self) -> Result<Node, FlowError> {
        if !is_name(self.id) {
            return Err(FlowError::at(
                FlowFault::BadName,
                self.id,
                None,
                "a node id is lowercase letters, digits and _",
            ));
        }
        let kind_s = self.req_str("kind")?;
        let kind = NodeKind::parse(kind_s).ok_or_else(|| {
            let kinds: Vec<&str> = NodeKind::ALL.iter().map(|k| k.code()).collect();
            self.err(
                FlowFault::UnknownKind,
                "kind",
                format!(
                    "unknown kind `{kind_s}`; expected one of {}",
                    kinds.join(", ")
                ),
            )
        })?;
        let fields = kind.fields();
        if let Some(k) = self.table.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(self.err(
                FlowFault::UnknownField,
                k,
                format!(
                    "a {} node has no such field; expected one of {}",
                    kind.code(),
                    fields.join(", ")
                ),
            ));
        }
        Ok(match kind {
            NodeKind::Play => Node::Play {
                prompts: self.prompt_list("prompts")?,
                next: self.target("next")?,
            },
            NodeKind::Menu => Node::Menu(self.menu()?),
            NodeKind::Collect => Node::Collect(self.collect()?),
            NodeKind::Identify => {
                let by = match self.req_str("by")? {
                    "caller" => IdentifyBy::Caller,
                    "account" => IdentifyBy::Account,
                    other => {
                        return Err(self.err(
                            FlowFault::BadValue,
                            "by",
                            format!("unknown `{other}`; expected caller or account"),
                        ));
                    }
                };
                Node::Identify {
                    by,
                    found: self.target("found")?,
                    not_found: self.target("not_found")?,
                }
            }
            NodeKind::Branch => Node::Branch {
                fact: self.fact()?,
                yes: self.target("yes")?,
                no: self.target("no")?,
            },
            NodeKind::AnnounceOutage => Node::AnnounceOutage {
                next: self.target("next")?,
            },
            NodeKind::SayBalance => Node::SayBalance {
                next: self.target("next")?,
            },
            NodeKind::OutageStatus => Node::OutageStatus {
                next: self.target("next")?,
            },
            NodeKind::ReportRepair => {
                let next = self.target("next")?;
                Node::ReportRepair(ReportRepair {
                    confirm_prompt: self.prompt("confirm_prompt")?,
                    confirm_digit: self.digit("confirm_digit")?.unwrap_or('1'),
                    timeout_ms: self.timeout()?,
                    retries: self.retries()?,
                    on_decline: self
                        .opt_str("on_decline")?
                        .map_or(next.clone(), str::to_string),
                    on_fail: self
                        .opt_str("on_fail")?
                        .map_or(next.clone(), str::to_string),
                    next,
                })
            }
            NodeKind::Queue => self.queue()?,
            NodeKind::CallbackOffer => Node::CallbackOffer(CallbackOffer {
                prompt: self.prompt("prompt")?,
                accept_digit: self.digit("accept_digit")?.unwrap_or('1'),
                timeout_ms: self.timeout()?,
                next_accepted: self.target("next_accepted")?,
                next_declined: self.target("next_declined")?,
            }),
            NodeKind::Survey => Node::Survey(Survey {
                prompt: self.prompt("prompt")?,
                timeout_ms: self.timeout()?,
                retries: self.retries()?,
                invalid_prompt: self.invalid_prompt()?,
                next: self.target("next")?,
            }),
            NodeKind::Transfer => {
                let to = self.req_str("to")?;
                if !(3..=20).contains(&to.len()) || !to.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(self.err(
                        FlowFault::BadValue,
                        "to",
                        format!("`{to}` is not a number to dial (3 to 20 digits)"),
                    ));
                }
                Node::Transfer { to: to.to_string() }
            }
            NodeKind::Hangup => Node::Hangup {
                prompt: self.opt_prompt("prompt")?,
            },
        })
    }

    fn menu(&self) -> Result<Menu, FlowError> {
        let options = match self.table.get("options") {
            None => return Err(self.err(FlowFault::MissingField, "options", "missing (required)")),
            Some(toml::Value::Table(t)) => t,
            Some(v) => {
                return Err(self.err(
                    FlowFault::BadValue,
                    "options",
                    format!("expected a table of key = \"node\", found {}", v.type_str()),
                ));
            }
        };
        if options.is_empty() {
            return Err(self.err(
                FlowFault::BadValue,
                "options",
                "a menu needs at least one key",
            ));
        }
        let mut keyed = BTreeMap::new();
        for (key, target) in options {
            let field = format!("options.{key}");
            let digit = single_dtmf(key).ok_or_else(|| {
                self.err(
                    FlowFault::BadDigit,
                    &field,
                    format!("`{key}` is not one DTMF key (0-9, * or #)"),
                )
            })?;
            let toml::Value::String(target) = target else {
                return Err(self.err(
                    FlowFault::BadValue,
                    &field,
                    format!("expected a node id, found {}", target.type_str()),
                ));
            };
            keyed.insert(digit, target.clone());
        }
        Ok(Menu {
            prompt: self.prompt("prompt")?,
            options: keyed,
            timeout_ms: self.timeout()?,
            retries: self.retries()?,
            invalid_prompt: self.invalid_prompt()?,
            on_fail: self.target("on_fail")?,
        })
    }

    fn collect(&self) -> Result<Collect, FlowError> {
        let into = self.req_str("into")?;
        if !is_name(into) {
            return Err(self.err(
                FlowFault::BadName,
                "into",
                "a variable name is lowercase letters, digits and _",
            ));
        }
        let max = MAX_COLLECT_DIGITS;
        let digits = |field: &str| -> Result<Option<u8>, FlowError> {
            match self.opt_int(field)? {
                None => Ok(None),
                Some(n) if (1..=i64::from(max)).contains(&n) => Ok(Some(n as u8)),
                Some(n) => Err(self.err(
                    FlowFault::BadRange,
                    field,
                    format!("{n} is outside 1..={max}"),
                )),
            }
        };
        let max_digits = digits("max_digits")?
            .ok_or_else(|| self.err(FlowFault::MissingField, "max_digits", "missing (required)"))?;
        let min_digits = digits("min_digits")?.unwrap_or(1);
        if min_digits > max_digits {
            return Err(self.err(
                FlowFault::BadRange,
                "min_digits",
                format!("min_digits {min_digits} is greater than max_digits {max_digits}"),
            ));
        }
        let finish_on = self.digit("finish_on")?.unwrap_or('#');
        if finish_on.is_ascii_digit() {
            return Err(self.err(
                FlowFault::BadDigit,
                "finish_on",
                "the key that ends the input must be * or #",
            ));
        }
        Ok(Collect {
            prompt: self.prompt("prompt")?,
            into: into.to_string(),
            min_digits,
            max_digits,
            finish_on,
            timeout_ms: self.timeout()?,
            retries: self.retries()?,
            invalid_prompt: self.invalid_prompt()?,
            next: self.target("next")?,
            on_fail: self.target("on_fail")?,
        })
    }

    fn fact(&self) -> Result<Fact, FlowError> {
        let code = self.req_str("fact")?;
        let fact = match code {
            "outage_in_area" => Fact::OutageInArea,
            "sensitive" => Fact::Sensitive,
            "care_group" => Fact::CareGroup,
            "open_hours" => Fact::OpenHours,
            "identified" => Fact::Identified,
            "has_arrears" => Fact::HasArrears,
            "queue_wait_over" => {
                let seconds = self.opt_int("seconds")?.ok_or_else(|| {
                    self.err(
                        FlowFault::MissingField,
                        "seconds",
                        "queue_wait_over needs the seconds of wait it compares with",
                    )
                })?;
                let seconds = u32::try_from(seconds).map_err(|_| {
                    self.err(
                        FlowFault::BadValue,
                        "seconds",
                        format!("{seconds} is not a number of seconds"),
                    )
                })?;
                let queue = self
                    .queue_name("queue")?
                    .unwrap_or_else(|| "general".into());
                return Ok(Fact::QueueWaitOver { queue, seconds });
            }
            other => {
                return Err(self.err(
                    FlowFault::UnknownFact,
                    "fact",
                    format!(
                        "unknown fact `{other}`; expected one of {}",
                        Fact::CODES.join(", ")
                    ),
                ));
            }
        };
        if let Some(field) = ["seconds", "queue"]
            .into_iter()
            .find(|f| self.table.contains_key(*f))
        {
            return Err(self.err(
                FlowFault::UnknownField,
                field,
                format!("only fact = \"queue_wait_over\" has {field}"),
            ));
        }
        Ok(fact)
    }

    fn queue(&self) -> Result<Node, FlowError> {
        let queue = self
            .queue_name("queue")?
            .ok_or_else(|| self.err(FlowFault::MissingField, "queue", "missing (required)"))?;
        let callback_after_s = self
            .opt_int("callback_after_s")?
            .map(|s| {
                u32::try_from(s).map_err(|_| {
                    self.err(
                        FlowFault::BadValue,
                        "callback_after_s",
                        format!("{s} is not a number of seconds"),
                    )
                })
            })
            .transpose()?;
        let on_callback = self.opt_str("on_callback")?.map(str::to_string);
        match (callback_after_s, &on_callback) {
            (Some(_), None) => Err(self.err(
                FlowFault::MissingField,
                "on_callback",
                "callback_after_s needs the node that offers the callback",
            )),
            (None, Some(_)) => Err(self.err(
                FlowFault::MissingField,
                "callback_after_s",
                "on_callback needs the wait after which the callback is offered",
            )),
            _ => Ok(Node::Queue(Queue {
                queue,
                callback_after_s,
                on_callback,
            })),
        }
    }

    fn opt_str(&self, field: &str) -> Result<Option<&str>, FlowError> {
        match self.table.get(field) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(self.err(
                FlowFault::BadValue,
                field,
                format!("expected a string, found {}", v.type_str()),
            )),
        }
    }

    fn req_str(&self, field: &str) -> Result<&str, FlowError> {
        self.opt_str(field)?
            .ok_or_else(|| self.err(FlowFault::MissingField, field, "missing (required)"))
    }

    /// A node id; whether it exists is checked once every node is read.
    fn target(&self, field: &str) -> Result<String, FlowError> {
        self.req_str(field).map(str::to_string)
    }

    fn opt_int(&self, field: &str) -> Result<Option<i64>, FlowError> {
        match self.table.get(field) {
            None => Ok(None),
            Some(toml::Value::Integer(n)) => Ok(Some(*n)),
            Some(v) => Err(self.err(
                FlowFault::BadValue,
                field,
                format!("expected a whole number, found {}", v.type_str()),
            )),
        }
    }

    fn timeout(&self) -> Result<u32, FlowError> {
        match self.opt_int("timeout_ms")? {
            None => Ok(DEFAULT_TIMEOUT_MS),
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|n| TIMEOUT_RANGE.contains(n))
                .ok_or_else(|| {
                    self.err(
                        FlowFault::BadValue,
                        "timeout_ms",
                        format!(
                            "{n} is outside {}..={} ms",
                            TIMEOUT_RANGE.start(),
                            TIMEOUT_RANGE.end()
                        ),
                    )
                }),
        }
    }

    fn retries(&self) -> Result<u32, FlowError> {
        match self.opt_int("retries")? {
            None => Ok(DEFAULT_RETRIES),
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|n| *n <= MAX_RETRIES)
                .ok_or_else(|| {
                    self.err(
                        FlowFault::BadValue,
                        "retries",
                        format!("{n} is outside 0..={MAX_RETRIES}"),
                    )
                }),
        }
    }

    fn digit(&self, field: &str) -> Result<Option<char>, FlowError> {
        self.opt_str(field)?
            .map(|s| {
                single_dtmf(s).ok_or_else(|| {
                    self.err(
                        FlowFault::BadDigit,
                        field,
                        format!("`{s}` is not one DTMF key (0-9, * or #)"),
                    )
                })
            })
            .transpose()
    }

    fn queue_name(&self, field: &str) -> Result<Option<String>, FlowError> {
        match self.opt_str(field)? {
            None => Ok(None),
            Some(q) if is_name(q) => Ok(Some(q.to_string())),
            Some(q) => Err(self.err(
                FlowFault::BadName,
                field,
                format!("queue `{q}`: use lowercase letters, digits and _"),
            )),
        }
    }

    fn known_prompt(&self, field: &str, name: &str) -> Result<String, FlowError> {
        if self.prompts.contains_key(name) || speech::is_clip(name) {
            Ok(name.to_string())
        } else {
            Err(self.err(
                FlowFault::UnknownPrompt,
                field,
                format!("no prompt `{name}` in [prompts] and no built-in clip of that name"),
            ))
        }
    }

    fn prompt(&self, field: &str) -> Result<String, FlowError> {
        let name = self.req_str(field)?;
        self.known_prompt(field, name)
    }

    fn opt_prompt(&self, field: &str) -> Result<Option<String>, FlowError> {
        self.opt_str(field)?
            .map(|name| self.known_prompt(field, name))
            .transpose()
    }

    fn invalid_prompt(&self) -> Result<String, FlowError> {
        Ok(self
            .opt_prompt("invalid_prompt")?
            .unwrap_or_else(|| "invalid_input".to_string()))
    }

    fn prompt_list(&self, field: &str) -> Result<Vec<String>, FlowError> {
        let items = match self.table.get(field) {
            None => return Err(self.err(FlowFault::MissingField, field, "missing (required)")),
            Some(toml::Value::Array(items)) if !items.is_empty() => items,
            Some(v) => {
                return Err(self.err(
                    FlowFault::BadValue,
                    field,
                    format!(
                        "expected a list of one or more prompt names, found {}",
                        if v.is_array() {
                            "an empty list"
                        } else {
                            v.type_str()
                        }
                    ),
                ));
            }
        };
        items
            .iter()
            .map(|item| match item {
                toml::Value::String(name) => self.known_prompt(field, name),
                v => Err(self.err(
                    FlowFault::BadValue,
                    field,
                    format!("expected prompt names, found {}", v.type_str()),
                )),
            })
            .collect()
    }
}

fn single_dtmf(s: &str) -> Option<char> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if is_dtmf(c) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
start = "hello"

[prompts]
hello = "您好。"
menu = "查询停电请按1，人工服务请按0。"
bye = "再见。"

[nodes.hello]
kind = "play"
prompts = ["hello"]
next = "menu"

[nodes.menu]
kind = "menu"
prompt = "menu"
options = { "1" = "status", "0" = "line" }
on_fail = "bye"

[nodes.status]
kind = "outage_status"
next = "menu"

[nodes.line]
kind = "queue"
queue = "general"

[nodes.survey]
kind = "survey"
prompt = "menu"
next = "bye"

[nodes.bye]
kind = "hangup"
prompt = "bye"
"#;

    /// Parses `text` and checks the refusal's code, node and field.
    fn check(text: &str, code: &str, node: Option<&str>, field: Option<&str>) -> FlowError {
        let e = Flow::parse("t", text).expect_err("the flow should be refused");
        assert_eq!(
            (e.code(), e.node.as_deref(), e.field.as_deref()),
            (code, node, field),
            "{e}"
        );
        e
    }

    fn edit(from: &str, to: &str) -> String {
        assert!(MINI.contains(from), "MINI has no `{from}`");
        MINI.replacen(from, to, 1)
    }

    fn with(extra: &str) -> String {
        format!("{MINI}\n{extra}")
    }

    #[test]
    fn the_mini_flow_parses_with_defaults() {
        let flow = Flow::parse("mini", MINI).unwrap();
        assert_eq!(flow.name, "mini");
        assert_eq!(flow.start, "hello");
        let Some(Node::Menu(menu)) = flow.node("menu") else {
            panic!("menu is a menu");
        };
        assert_eq!(menu.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(menu.retries, DEFAULT_RETRIES);
        assert_eq!(menu.invalid_prompt, "invalid_input");
        assert_eq!(menu.options.get(&'0').map(String::as_str), Some("line"));
        assert_eq!(flow.survey_node(), Some("survey"));
        assert_eq!(flow.prompt_text("bye"), Some("再见。"));
        assert_eq!(flow.prompt_text("yuan"), Some("元"));
        assert_eq!(
            prompt_texts(&flow).map(|(n, _)| n).collect::<Vec<_>>(),
            ["bye", "hello", "menu"]
        );
    }

    #[test]
    fn not_toml_or_unknown_top_level_key() {
        check("start = ", "ivr.toml", None, None);
        check(&format!("colour = \"red\"\n{MINI}"), "ivr.toml", None, None);
    }

    #[test]
    fn bad_names() {
        let e = Flow::parse("95 598", MINI).unwrap_err();
        assert_eq!((e.code(), e.node.as_deref()), ("ivr.bad_name", None));
        check(
            &with("[nodes.Extra]\nkind = \"hangup\""),
            "ivr.bad_name",
            Some("Extra"),
            None,
        );
        check(
            &edit("bye = \"再见。\"", "bye = \"再见。\"\nyuan = \"元\""),
            "ivr.bad_name",
            None,
            Some("prompts.yuan"),
        );
    }

    #[test]
    fn missing_start() {
        check(
            &edit("start = \"hello\"", "start = \"nowhere\""),
            "ivr.missing_start",
            None,
            Some("start"),
        );
        check(
            &edit("start = \"hello\"", ""),
            "ivr.missing_start",
            None,
            Some("start"),
        );
    }

    #[test]
    fn unknown_kind() {
        let e = check(
            &edit("kind = \"play\"", "kind = \"playy\""),
            "ivr.unknown_kind",
            Some("hello"),
            Some("kind"),
        );
        assert!(e.message.contains("announce_outage"), "{e}");
    }

    #[test]
    fn unknown_field() {
        check(
            &edit("next = \"menu\"\n", "next = \"menu\"\nnxt = \"menu\"\n"),
            "ivr.unknown_field",
            Some("hello"),
            Some("nxt"),
        );
        check(
            &with(
                "[nodes.b]\nkind = \"branch\"\nfact = \"sensitive\"\nseconds = 3\nyes = \"bye\"\nno = \"bye\"",
            ),
            "ivr.unknown_field",
            Some("b"),
            Some("seconds"),
        );
    }

    #[test]
    fn missing_field() {
        check(
            &edit("on_fail = \"bye\"\n", ""),
            "ivr.missing_field",
            Some("menu"),
            Some("on_fail"),
        );
        check(
            &with(
                "[nodes.b]\nkind = \"branch\"\nfact = \"queue_wait_over\"\nyes = \"bye\"\nno = \"bye\"",
            ),
            "ivr.missing_field",
            Some("b"),
            Some("seconds"),
        );
        check(
            &edit(
                "queue = \"general\"",
                "queue = \"general\"\ncallback_after_s = 60",
            ),
            "ivr.missing_field",
            Some("line"),
            Some("on_callback"),
        );
    }

    #[test]
    fn bad_value() {
        check(
            &edit("on_fail = \"bye\"", "on_fail = \"bye\"\ntimeout_ms = 10"),
            "ivr.bad_value",
            Some("menu"),
            Some("timeout_ms"),
        );
        check(
            &edit("on_fail = \"bye\"", "on_fail = \"bye\"\nretries = -1"),
            "ivr.bad_value",
            Some("menu"),
            Some("retries"),
        );
        check(
            &edit("prompts = [\"hello\"]", "prompts = []"),
            "ivr.bad_value",
            Some("hello"),
            Some("prompts"),
        );
        check(
            &with("[nodes.t]\nkind = \"transfer\"\nto = \"x12398\""),
            "ivr.bad_value",
            Some("t"),
            Some("to"),
        );
    }

    #[test]
    fn bad_digit() {
        check(
            &edit("\"1\" = \"status\"", "\"12\" = \"status\""),
            "ivr.bad_digit",
            Some("menu"),
            Some("options.12"),
        );
        check(
            &edit("\"1\" = \"status\"", "\"a\" = \"status\""),
            "ivr.bad_digit",
            Some("menu"),
            Some("options.a"),
        );
    }

    const ACCOUNT: &str = r#"
[nodes.acct]
kind = "collect"
prompt = "menu"
into = "account"
min_digits = 8
max_digits = 6
next = "bye"
on_fail = "bye"
"#;

    #[test]
    fn bad_range() {
        check(
            &with(ACCOUNT),
            "ivr.bad_range",
            Some("acct"),
            Some("min_digits"),
        );
        check(
            &with(&ACCOUNT.replace("max_digits = 6", "max_digits = 40")),
            "ivr.bad_range",
            Some("acct"),
            Some("max_digits"),
        );
        check(
            &with(&ACCOUNT.replace("min_digits = 8", "finish_on = \"5\"")),
            "ivr.bad_digit",
            Some("acct"),
            Some("finish_on"),
        );
    }

    #[test]
    fn unknown_node() {
        let e = check(
            &edit("\"0\" = \"line\"", "\"0\" = \"nowhere\""),
            "ivr.unknown_node",
            Some("menu"),
            Some("options.0"),
        );
        assert_eq!(
            e.to_string(),
            "ivr.unknown_node: node `menu` field `options.0`: no node `nowhere`"
        );
        check(
            &edit("next = \"bye\"", "next = \"by\""),
            "ivr.unknown_node",
            Some("survey"),
            Some("next"),
        );
    }

    #[test]
    fn unknown_fact() {
        check(
            &with("[nodes.b]\nkind = \"branch\"\nfact = \"raining\"\nyes = \"bye\"\nno = \"bye\""),
            "ivr.unknown_fact",
            Some("b"),
            Some("fact"),
        );
    }

    #[test]
    fn unknown_prompt() {
        check(
            &edit("prompts = [\"hello\"]", "prompts = [\"hello\", \"helo\"]"),
            "ivr.unknown_prompt",
            Some("hello"),
            Some("prompts"),
        );
    }

    #[test]
    fn unknown_variable() {
        check(
            &with(
                "[nodes.who]\nkind = \"identify\"\nby = \"account\"\nfound = \"menu\"\nnot_found = \"menu\"",
            ),
            "ivr.unknown_variable",
            Some("who"),
            Some("by"),
        );
    }

    #[test]
    fn bad_survey_node() {
        check(
            &edit(
                "kind = \"survey\"\nprompt = \"menu\"",
                "kind = \"play\"\nprompts = [\"menu\"]",
            ),
            "ivr.bad_survey_node",
            Some("survey"),
            Some("kind"),
        );
    }

    #[test]
    fn unreachable() {
        check(
            &with("[nodes.lost]\nkind = \"hangup\""),
            "ivr.unreachable",
            Some("lost"),
            None,
        );
        // The survey node is reached from an agent call, not from start.
        let flow = Flow::parse("t", MINI).unwrap();
        assert!(
            !flow.nodes["menu"]
                .targets()
                .iter()
                .any(|(_, t)| *t == "survey")
        );
    }

    #[test]
    fn silent_cycle() {
        let looped = edit("\"0\" = \"line\"", "\"0\" = \"line\", \"2\" = \"a\"");
        let looped = format!(
            "{looped}\n[nodes.a]\nkind = \"branch\"\nfact = \"identified\"\nyes = \"b\"\nno = \"menu\"\n\n[nodes.b]\nkind = \"play\"\nprompts = [\"hello\"]\nnext = \"a\"\n"
        );
        let e = check(&looped, "ivr.silent_cycle", Some("a"), None);
        assert!(e.message.contains("a → b → a"), "{e}");
        // A loop through a menu is fine: the status node goes back to the menu.
        assert!(Flow::parse("t", MINI).is_ok());
        let self_loop = with(
            "[nodes.s]\nkind = \"identify\"\nby = \"caller\"\nfound = \"s\"\nnot_found = \"bye\"",
        );
        let self_loop =
            self_loop.replace("\"1\" = \"status\"", "\"1\" = \"status\", \"3\" = \"s\"");
        check(&self_loop, "ivr.silent_cycle", Some("s"), None);
    }
}
