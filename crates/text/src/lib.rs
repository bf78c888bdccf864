//! Chinese contact texts: word segmentation with a power-industry dictionary and
//! complaint-tendency detection (投诉倾向 / 升级倾向) for the early-warning rules.
//!
//! A [`Detector`] segments a text (an order's description, a call note, an SMS) with jieba,
//! matches the cues of a [`Lexicon`] on token boundaries, drops the cues a negation governs
//! ("我不会去曝光"), weakens the ones asked about rather than threatened ("12398是什么电话？")
//! and adds up what is left into a [`Tendency`]:
//!
//! ```
//! use voltdesk_text::Detector;
//!
//! let detector = Detector::bundled();
//! let t = detector.detect("再不来修我就去电视台曝光");
//! assert!(t.escalating);
//! assert!(t.cues.iter().any(|c| c.category == "media"));
//!
//! assert!(!detector.detect("我不会去曝光的，就是想问问什么时候来电").escalating);
//! ```
//!
//! **Invariant:** no I/O at run time. The bundled lexicon (`config/lexicon/escalation.toml`)
//! and the power-industry dictionary are compiled in; others are passed in as strings.

#![warn(missing_docs)]

mod detect;
mod lexicon;

pub use detect::{Cue, Detector, Effect, Tendency};
pub use lexicon::{Category, CueSpec, Lexicon, LexiconError};

/// The power-industry user dictionary compiled into [`Detector::new`]: one word a line
/// (`word [freq] [tag]`, jieba's format), `#` starts a comment.
pub const POWER_DICTIONARY: &str = include_str!("../data/power_dict.txt");
