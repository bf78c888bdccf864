//! voltdesk's telephone line: the only crate that speaks SIP and RTP.
//!
//! [`media`] is the RTP side: packets, G.711, RFC 4733 key presses, the SDP offer/answer and
//! the recorded prompts. Parsing there faces the network, so it returns errors and never
//! panics, whatever the bytes.

pub mod media;
