//! baresip as an agent's softphone: it registers with the centre's registrar (digest against
//! the HA1 the service stores), rings when the switchboard offers it a call, and answers
//! when told to through its TCP control socket (`ctrl_tcp`: netstring-framed JSON).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use voltdesk_domain::CallOutcome;

use crate::keys;
use crate::sipp::Sipp;
use crate::support::*;

/// Ten seconds of a 440 Hz tone, 8 kHz mono 16-bit: what the agent says.
fn write_voice(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..80_000 {
        let t = i as f32 / 8000.0;
        w.write_sample((8000.0 * (t * 440.0 * std::f32::consts::TAU).sin()) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// A running baresip with its control connection.
struct Baresip {
    child: tokio::process::Child,
    log: std::path::PathBuf,
    ctrl: TcpStream,
    buf: Vec<u8>,
}

impl Baresip {
    /// Starts baresip in `dir` with one account, `user` with `password` on the registrar
    /// at `registrar`; no sound card: it speaks a tone from a file and plays into nothing.
    async fn start(
        dir: &Path,
        user: &str,
        password: &str,
        registrar: std::net::SocketAddr,
    ) -> Baresip {
        std::fs::create_dir_all(dir).unwrap();
        // baresip also listens for TLS on the port above its SIP port.
        let sip = free_media_port();
        let ctrl = free_port();
        let voice = dir.join("voice.wav");
        write_voice(&voice);
        let voice = voice.display();
        let config = format!(
            "sip_listen\t\t127.0.0.1:{sip}\n\
             audio_player\t\taubridge,nowhere\n\
             audio_alert\t\taubridge,nowhere\n\
             audio_source\t\taufile,{voice}\n\
             net_interface\t\t127.0.0.1\n\
             module_path\t\t/usr/lib/baresip/modules\n\
             module\t\t\tg711.so\n\
             module\t\t\taufile.so\n\
             module\t\t\taubridge.so\n\
             module_app\t\taccount.so\n\
             module_app\t\tmenu.so\n\
             module_app\t\tctrl_tcp.so\n\
             ctrl_tcp_listen\t\t127.0.0.1:{ctrl}\n"
        );
        std::fs::write(dir.join("config"), config).unwrap();
        std::fs::write(
            dir.join("accounts"),
            format!("<sip:{user}@{registrar};transport=udp>;auth_pass={password};regint=60;answermode=manual\n"),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("baresip.log")).unwrap();
        let child = tokio::process::Command::new("baresip")
            .arg("-v")
            .arg("-f")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("baresip runs");
        let ctrl = eventually("baresip's control socket", 10, || async move {
            TcpStream::connect(("127.0.0.1", ctrl)).await.ok()
        })
        .await;
        Baresip {
            child,
            log: dir.join("baresip.log"),
            ctrl,
            buf: Vec::new(),
        }
    }

    /// Sends a command (`accept`, `hangup`, `quit`, ...).
    async fn command(&mut self, command: &str) {
        let json = serde_json::json!({ "command": command, "token": command }).to_string();
        let frame = format!("{}:{json},", json.len());
        self.ctrl.write_all(frame.as_bytes()).await.unwrap();
    }

    /// The next netstring message.
    async fn message(&mut self) -> serde_json::Value {
        loop {
            if let Some(colon) = self.buf.iter().position(|&b| b == b':') {
                let len: usize = std::str::from_utf8(&self.buf[..colon])
                    .unwrap()
                    .trim()
                    .parse()
                    .expect("a netstring length");
                if self.buf.len() > colon + len + 1 {
                    let body = self.buf[colon + 1..colon + 1 + len].to_vec();
                    self.buf.drain(..colon + len + 2);
                    return serde_json::from_slice(&body).expect("JSON from baresip");
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self
                .ctrl
                .read(&mut chunk)
                .await
                .expect("baresip's control socket");
            assert!(n > 0, "baresip closed its control socket");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Waits for the event of `kind` (`CALL_INCOMING`, `CALL_ESTABLISHED`, ...).
    async fn event(&mut self, kind: &str) -> serde_json::Value {
        let wait = async {
            loop {
                let m = self.message().await;
                if m["event"] == true && m["type"] == kind {
                    return m;
                }
            }
        };
        match tokio::time::timeout(Duration::from_secs(20), wait).await {
            Ok(m) => m,
            Err(_) => panic!(
                "baresip: no {kind} within 20 s; its log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ),
        }
    }

    async fn quit(mut self) {
        self.command("quit").await;
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            self.child.start_kill().ok();
        }
    }
}

/// A real softphone as the agent: an agent added to the running centre registers with
/// baresip and is set ready; a SIPp caller asks for an agent, baresip rings and is told to
/// answer; both sides' audio is relayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_registers_rings_and_answers() {
    if !crate::have_sipp("the baresip test") || !crate::have_tool("baresip", "the baresip test") {
        return;
    }
    // The agent joins the running centre, as new staff do.
    let mut centre = Setup::new().start().await;
    centre.add_softphone_agent("agent9", "secret-9999").await;
    let dir = centre.dir.path();
    let mut phone =
        Baresip::start(&dir.join("baresip"), "agent9", "secret-9999", centre.sip()).await;
    // Its REGISTER_OK event may come before the control connection: ask the registrar.
    eventually("agent9's registration", 20, || async {
        centre
            .tel
            .sip
            .registrar()
            .registered("agent9")
            .then_some(())
    })
    .await;
    centre.ready("agent9").await;

    keys::write(&dir.join("agent_0.pcap"), "0", 0);
    let caller = Sipp::caller("caller_talks.xml", dir, centre.sip())
        .from(UNKNOWN_PHONE)
        .dial("95598")
        .pause_ms(4000)
        .spawn();
    phone.event("CALL_INCOMING").await;
    phone.command("accept").await;
    phone.event("CALL_ESTABLISHED").await;
    caller.passes().await;
    phone.event("CALL_CLOSED").await;

    let summary = centre.summary().await;
    assert!(
        summary.relayed_to_agent > 50 && summary.relayed_to_caller > 50,
        "relayed {} to the agent, {} to the caller",
        summary.relayed_to_agent,
        summary.relayed_to_caller
    );
    let call = centre.call().await;
    assert_eq!(call.outcome, CallOutcome::Answered);
    assert_eq!(call.agent_user_id, Some(centre.agent("agent9")));
    phone.quit().await;
    centre.no_open_dialogs().await;
}
