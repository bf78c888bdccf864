//! IVR flows as data, and the pure state machine that walks a call through one.
//!
//! A flow is a TOML file (`config/ivr/95598.toml` is the default), checked whole by
//! [`Flow::parse`]: a file that parses is a flow a call can always walk. [`IvrRun`] takes
//! events (`PlayDone`, `Digits`, `Identified`, ...) and returns actions (`Play`, `Collect`,
//! `Lookup`, `Queue`, ...) for the telephony layer and the service to carry out; it records
//! the call's path for the call record. No I/O, no clock: every instant is passed in.
//!
//! # The file
//!
//! ```toml
//! title = "95598 供电服务热线"      # optional, for people
//! start = "welcome"                # the first node
//!
//! [prompts]                        # the flow's own prompts: name = Chinese text
//! welcome = "您好，欢迎致电国网供电服务热线。"
//!
//! [nodes.welcome]                  # one table per node; the id is the key
//! kind = "play"
//! prompts = ["welcome"]
//! next = "main_menu"
//! ```
//!
//! Node kinds and their fields (`?` optional, with its default):
//!
//! | kind | fields |
//! |---|---|
//! | `play` | `prompts` (list), `next` |
//! | `menu` | `prompt`, `options` (`{ "1" = "node", ... }`, keys 0–9 * #), `timeout_ms`? 5000, `retries`? 2, `invalid_prompt`? `invalid_input`, `on_fail` |
//! | `collect` | `prompt`, `into` (variable), `min_digits`? 1, `max_digits` (≤ 32), `finish_on`? `#`, `timeout_ms`?, `retries`?, `invalid_prompt`?, `next`, `on_fail` |
//! | `identify` | `by` (`caller` or `account`: the `account` variable), `found`, `not_found` |
//! | `branch` | `fact`, `yes`, `no`; for `fact = "queue_wait_over"` also `seconds` and `queue`? `general` |
//! | `announce_outage`, `say_balance`, `outage_status` | `next` |
//! | `report_repair` | `confirm_prompt`, `confirm_digit`? 1, `timeout_ms`?, `retries`?, `next`, `on_decline`? next, `on_fail`? next |
//! | `queue` | `queue`, `callback_after_s`? and `on_callback`? (both or neither) |
//! | `callback_offer` | `prompt`, `accept_digit`? 1, `timeout_ms`?, `next_accepted`, `next_declined` |
//! | `survey` | `prompt`, `timeout_ms`?, `retries`?, `invalid_prompt`?, `next` |
//! | `transfer` | `to` (digits) |
//! | `hangup` | `prompt`? |
//!
//! Facts: `outage_in_area`, `sensitive`, `care_group`, `identified`, `has_arrears` (of the
//! identified customer; false when none is), `open_hours` and `queue_wait_over` (asked of
//! the service when the branch is reached).
//!
//! A prompt is a name of the flow's `[prompts]` or a built-in clip of
//! [`crate::speech::ALL_CLIPS`]; a `[prompts]` name may not take a built-in clip's name.
//! The node `survey`, if any, must be a survey: the service sends callers there after an
//! agent call ([`IvrEvent::AgentCallEnded`]).
//!
//! # Checks
//!
//! Each refusal is a [`FlowError`] with a stable code, the node and the field:
//! `ivr.toml`, `ivr.bad_name`, `ivr.missing_start`, `ivr.unknown_kind`,
//! `ivr.unknown_field`, `ivr.missing_field`, `ivr.bad_value`, `ivr.bad_digit`,
//! `ivr.bad_range`, `ivr.unknown_node` (a target that is no node), `ivr.unknown_fact`,
//! `ivr.unknown_prompt`, `ivr.unknown_variable`, `ivr.bad_survey_node`, `ivr.unreachable`
//! (a node no path from `start` or `survey` reaches: an error, since a forgotten node is
//! usually a mistyped target), `ivr.silent_cycle`. Loops are allowed (a menu's "back" key),
//! but a loop must pass through a node that waits for the caller (menu, collect,
//! report_repair, queue, callback_offer, survey): one that does not would spin for ever.
//!
//! # Running
//!
//! Retries: a menu, collect or survey plays its prompt once, and again after a wrong entry
//! (preceded by its invalid prompt) or silence, `retries` more times; then it goes to its
//! fallback (`on_fail`; `next` for a survey, unmarked). A repair confirmation retries on
//! silence only: another key declines (`on_decline`). A callback offer takes any other key
//! or silence as no. Keys that arrive while the run waits for something else (a play, a
//! look-up, the queue) are ignored, as is any event once the run is over.
//!
//! The telephony layer answers `PlayDone` only for a batch that ends with `Play`; a `Play`
//! followed by `Collect` is the prompt of the input and is answered by `Digits`/`Timeout`.
//! A declined callback returns to the queue node, which asks to queue again: the service
//! keeps the caller's place. A caller who keys nothing is hung up on after
//! [`MAX_HOPS_WITHOUT_INPUT`] node entries, with an `ivr.runaway` step in the path.

mod flow;
mod parse;
mod run;

pub use flow::*;
pub use parse::{FlowError, FlowFault};
pub use run::*;
