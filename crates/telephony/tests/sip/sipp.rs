//! SIPp as callers and as agents' desk phones: one process per party, one call each
//! (`-m 1`) unless a test asks for more, scenarios from `scenarios/`. Each runs in the test's
//! temp dir, where the scenarios find the key presses they play (`*.pcap`, written by
//! `keys::write`) and SIPp leaves its logs; a failure prints SIPp's errors and messages.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::support::{free_media_port, free_port};

pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sip/scenarios")
        .join(name)
}

/// One SIPp party, before it starts.
pub struct Sipp {
    name: String,
    dir: PathBuf,
    args: Vec<String>,
    pub port: u16,
}

impl Sipp {
    fn new(scenario_file: &str, dir: &Path, port: u16) -> Sipp {
        let name = format!(
            "{}-{port}",
            scenario_file.trim_end_matches(".xml").replace('/', "_")
        );
        let media = free_media_port();
        let args = [
            "-sf",
            &scenario(scenario_file).display().to_string(),
            "-timeout",
            "30s",
            "-timeout_error",
            "-nostdin",
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-mi",
            "127.0.0.1",
            "-mp",
            &media.to_string(),
            "-trace_err",
            "-error_file",
            &dir.join(format!("{name}.errors.log")).display().to_string(),
            "-trace_msg",
            "-message_file",
            &dir.join(format!("{name}.messages.log"))
                .display()
                .to_string(),
        ]
        .map(String::from)
        .to_vec();
        Sipp {
            name,
            dir: dir.to_path_buf(),
            args,
            port,
        }
    }

    /// A caller: sends its INVITE to `to`.
    pub fn caller(scenario_file: &str, dir: &Path, to: SocketAddr) -> Sipp {
        let mut s = Sipp::new(scenario_file, dir, free_port());
        s.args.push(to.to_string());
        s
    }

    /// A phone that answers on `port` (the agent's desk phone).
    pub fn phone(scenario_file: &str, dir: &Path, port: u16) -> Sipp {
        Sipp::new(scenario_file, dir, port)
    }

    /// Places `n` calls, `rate` a second, instead of one.
    pub fn calls(self, n: u32, rate: u32) -> Self {
        self.arg("-m")
            .arg(&n.to_string())
            .arg("-r")
            .arg(&rate.to_string())
    }

    /// The number the caller dials (the scenarios' `[service]`).
    pub fn dial(self, number: &str) -> Self {
        self.arg("-s").arg(number)
    }

    /// The caller's number (the scenarios' `[caller]`).
    pub fn from(self, number: &str) -> Self {
        self.key("caller", number)
    }

    /// How long the scenario's bare `<pause/>` lasts.
    pub fn pause_ms(self, ms: u64) -> Self {
        self.arg("-d").arg(&ms.to_string())
    }

    /// Sends from this local address (any of 127.0.0.0/8 works without set-up).
    pub fn source_ip(mut self, ip: &str) -> Self {
        for flag in ["-i", "-mi"] {
            let at = self
                .args
                .iter()
                .position(|a| a == flag)
                .expect("set in new")
                + 1;
            self.args[at] = ip.to_string();
        }
        self
    }

    /// Sets the scenario's `[name]`.
    pub fn key(mut self, name: &str, value: &str) -> Self {
        self.args
            .extend(["-key".to_string(), name.to_string(), value.to_string()]);
        self
    }

    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.to_string());
        self
    }

    pub fn spawn(mut self) -> Running {
        if !self.args.iter().any(|a| a == "-m") {
            self = self.arg("-m").arg("1");
        }
        let out = std::fs::File::create(self.dir.join(format!("{}.out", self.name)))
            .expect("SIPp's output file");
        let err = std::fs::File::create(self.dir.join(format!("{}.stderr", self.name)))
            .expect("SIPp's stderr file");
        let child = tokio::process::Command::new("sipp")
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .expect("sipp runs");
        Running {
            name: self.name,
            dir: self.dir,
            child,
        }
    }
}

/// A SIPp party at work.
pub struct Running {
    name: String,
    dir: PathBuf,
    child: tokio::process::Child,
}

impl Running {
    /// Waits for SIPp to end and asserts that its calls went as the scenario says.
    pub async fn passes(self) {
        let (ok, report) = self.finish().await;
        assert!(ok, "{report}");
    }

    async fn finish(mut self) -> (bool, String) {
        let status = tokio::time::timeout(Duration::from_secs(45), self.child.wait()).await;
        let status = match status {
            Ok(s) => s.expect("sipp waited on"),
            Err(_) => {
                self.child.start_kill().ok();
                return (false, self.report("did not end within 45 s"));
            }
        };
        if status.success() {
            return (true, String::new());
        }
        (false, self.report(&format!("{status}")))
    }

    fn report(&self, what: &str) -> String {
        let read = |ext: &str| {
            std::fs::read_to_string(self.dir.join(format!("{}.{ext}", self.name)))
                .unwrap_or_default()
        };
        let messages = read("messages.log");
        // The whole exchange, kept where the temp dir's removal does not take it.
        let kept = std::env::temp_dir().join(format!("sipp-failed-{}.log", self.name));
        std::fs::write(&kept, &messages).ok();
        let tail: String = messages
            .chars()
            .skip(messages.chars().count().saturating_sub(6000))
            .collect();
        format!(
            "SIPp {}: {what}\n--- stderr\n{}\n--- errors\n{}\n--- last messages ({} has them all)\n{tail}",
            self.name,
            read("stderr"),
            read("errors.log"),
            kept.display(),
        )
    }
}
