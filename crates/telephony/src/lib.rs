//! voltdesk's contact centre on the wire: the only crate that speaks SIP and RTP.
//!
//! `sip` keeps the SIP stack behind plain types; `media` owns RTP, G.711, RFC 4733 and the
//! prompts; `engine` runs each call (IVR, queue, bridge to an agent's phone) against the
//! service's contact centre.

pub mod sip;
