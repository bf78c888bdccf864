//! The media side against real bytes: SIPp's captures, sox's G.711, espeak-ng prompts, and
//! random input for every parser.
//!
//! Tests that need a tool or a capture that is not installed print a notice and pass; CI
//! installs them (`.ci/run`: sox, espeak-ng, sip-tester).

mod captures;
mod pcap;
mod prompts_script;
mod properties;
mod sox;

use std::path::{Path, PathBuf};

/// Where Debian's sip-tester package puts its RTP captures.
pub const SIPP_PCAPS: &str = "/usr/share/sip-tester";

/// Whether `tool` runs; prints a notice when it does not.
pub fn have_tool(tool: &str, test: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !found {
        // CI installs every tool and sets this, so a missing one fails rather than skips.
        assert!(
            std::env::var_os("VOLTDESK_REQUIRE_TOOLS").is_none(),
            "{tool} is not installed and VOLTDESK_REQUIRE_TOOLS is set ({test})"
        );
        eprintln!("notice: {tool} is not installed; {test} checked nothing");
    }
    found
}

/// The path of a SIPp capture, or `None` with a notice.
pub fn sipp_capture(name: &str, test: &str) -> Option<PathBuf> {
    let path = Path::new(SIPP_PCAPS).join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "notice: {} is absent (Debian package sip-tester); {test} checked nothing",
            path.display()
        );
        None
    }
}
