//! The contact centre against real SIP tools: SIPp as callers and as agents' desk phones,
//! baresip as a registered softphone, the centre in-process on a fresh SQLite store with a
//! small seeded county (`support.rs`). Each test has its own ports and runs in parallel
//! with the others.
//!
//! Tests that need SIPp or baresip print a notice and pass when the tool is not installed;
//! CI installs them (`.ci/run`: sip-tester, baresip).

mod baresip;
mod door;
mod ivr;
mod keys;
mod queue;
mod sipp;
mod support;

/// Where Debian's sip-tester package puts its RTP captures.
pub const SIPP_PCAPS: &str = "/usr/share/sip-tester";

/// Whether `tool` runs; prints a notice when it does not.
pub fn have_tool(tool: &str, test: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("-h")
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

/// Whether SIPp and its captures are here; prints a notice when not.
pub fn have_sipp(test: &str) -> bool {
    if !have_tool("sipp", test) {
        return false;
    }
    let captures = std::path::Path::new(SIPP_PCAPS)
        .join("g711a.pcap")
        .is_file();
    if !captures {
        eprintln!("notice: {SIPP_PCAPS} has no captures; {test} checked nothing");
    }
    captures
}
