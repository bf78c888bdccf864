//! The media side of a call: RTP in and out, G.711, key presses, SDP, prompts, recording.
//!
//! Nothing here opens a socket, reads a clock or spawns a task: the SIP engine owns those
//! and calls in with bytes and instants. The parsers (`rtp`, `dtmf`, `sdp`) take whatever
//! the network sends and answer with a value or an error, never a panic.

pub mod dtmf;
pub mod g711;
pub mod prompts;
pub mod rtp;
pub mod sdp;
pub mod wav;

pub use dtmf::{DtmfKey, DtmfReceiver, TelephoneEvent};
pub use g711::Codec;
pub use prompts::{Clip, Frame, PromptLibrary};
pub use rtp::{Pacer, RtpHeader, RtpPacket, RtpSender};
pub use sdp::{Direction, LocalMedia, MediaOffer, Negotiated};
pub use wav::{Recorder, load_wav};
