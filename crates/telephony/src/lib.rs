//! voltdesk's contact centre on the wire: the only crate that speaks SIP and RTP.
//!
//! - `sip` keeps the SIP stack (rsipstack, pinned) behind plain types: the door (trusted peers,
//!   trunk digest, service numbers), the registrar for agent softphones, legs and dialing.
//! - `media` owns RTP, G.711, RFC 4733, SDP and the prompts, without sockets or clocks.
//! - `rtp_io` puts media on sockets: paced prompts, key presses, the relay between two legs.
//! - `board` runs the domain's ACD live and writes its decisions to the trace.
//! - `engine` runs each call: answer, IVR flow, queue, ring the agent, bridge, survey, record.
//! - `services` connects the engine to voltdesk's service (customers, outages, orders, records).

pub mod board;
pub mod engine;
pub mod media;
pub mod rtp_io;
pub mod services;
pub mod sip;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use voltdesk_domain::acd::{QueueConfig, Skill};
use voltdesk_domain::ivr::Flow;

/// How the contact centre is set up (the `serve --sip` and `demo --sip` options and the files
/// under `config/`).
#[derive(Debug, Clone)]
pub struct TelephonyConfig {
    pub sip: SocketAddr,
    pub rtp_ports: (u16, u16),
    /// Numbers answered; the demo answers 95598 and 12398.
    pub service_numbers: Vec<String>,
    pub trust_loopback: bool,
    pub trusted_peers: Vec<std::net::IpAddr>,
    /// Trunk accounts allowed to call with digest credentials: (user, HA1 over the realm
    /// `voltdesk`). An INVITE from an untrusted address is challenged when there are any.
    pub trunks: Vec<(String, String)>,
    /// `config/ivr/<name>.toml`.
    pub flow_file: PathBuf,
    /// `config/queues.toml`.
    pub queues_file: PathBuf,
    /// WAV prompts (8 kHz mono); missing ones play a tone.
    pub prompts_dir: PathBuf,
    /// Record answered calls here (a notice prompt plays first); `None`: off.
    pub recordings: Option<PathBuf>,
}

/// The queues and agents' skills file.
#[derive(Debug, serde::Deserialize)]
struct QueuesFile {
    queues: Vec<QueueConfig>,
    #[serde(default)]
    agents: HashMap<String, Vec<String>>,
}

/// Agents' skills by username, from the queues file's `[agents]`.
pub type AgentSkills = HashMap<String, Vec<Skill>>;

/// Reads `config/queues.toml`: the queues, and `[agents] username = ["general:5", ...]`.
pub fn load_queues(path: &Path) -> Result<(Vec<QueueConfig>, AgentSkills), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: QueuesFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut agents = HashMap::new();
    for (user, skills) in file.agents {
        let mut v = Vec::new();
        for s in skills {
            let (name, level) = s.split_once(':').unwrap_or((s.as_str(), "5"));
            let level: u8 = level.parse().map_err(|_| {
                format!("{}: agent {user}: bad skill level in {s:?}", path.display())
            })?;
            v.push(Skill::new(name, level));
        }
        agents.insert(user, v);
    }
    Ok((file.queues, agents))
}

/// Reads and validates an IVR flow file; the error names the file and the node.
pub fn load_flow(path: &Path) -> Result<Flow, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("flow")
        .to_string();
    Flow::parse(&name, &text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The running contact centre.
pub struct Telephony {
    pub sip: Arc<sip::Sip>,
    pub board: Arc<board::Board>,
    ended: tokio::sync::broadcast::Sender<engine::CallSummary>,
    cancel: CancellationToken,
}

impl Telephony {
    pub fn local_addr(&self) -> SocketAddr {
        self.sip.local_addr()
    }

    /// The summary of each call from now on, once its record is handed to the service; it
    /// carries what the record does not (the packets relayed each way).
    pub fn ended_calls(&self) -> tokio::sync::broadcast::Receiver<engine::CallSummary> {
        self.ended.subscribe()
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }
}

/// Starts SIP, the switchboard and the call engine on `service`.
pub async fn start(
    service: voltdesk_service::Service,
    cfg: TelephonyConfig,
) -> Result<Telephony, String> {
    let flow = load_flow(&cfg.flow_file)?;
    let (queues, skills) = load_queues(&cfg.queues_file)?;
    let prompts = if cfg.prompts_dir.is_dir() {
        media::PromptLibrary::load_dir(&cfg.prompts_dir).map_err(|e| e.to_string())?
    } else {
        tracing::warn!(dir = %cfg.prompts_dir.display(), "no prompts folder: every prompt plays a tone (scripts/make-prompts.sh makes them)");
        media::PromptLibrary::empty()
    };
    let mut wanted: Vec<&str> = voltdesk_domain::ivr::prompt_texts(&flow)
        .map(|(n, _)| n)
        .collect();
    wanted.extend(voltdesk_domain::speech::clip_texts().map(|(n, _)| n));
    let missing = prompts.missing(&wanted);
    if !missing.is_empty() {
        tracing::warn!(
            count = missing.len(),
            first = missing[0],
            "prompts missing: they play a tone"
        );
    }
    let mut prompts = prompts;
    if !prompts.contains("hold_music") {
        prompts.insert("hold_music", &hold_music());
    }
    let services = Arc::new(services::ServiceBridge::new(service.clone()).with_trunks(&cfg.trunks));
    let board = board::Board::new(queues, skills, services.clone())?;
    let cancel = CancellationToken::new();
    let sip_cfg = sip::SipConfig {
        listen: cfg.sip,
        realm: voltdesk_service::SIP_REALM.to_string(),
        service_numbers: cfg.service_numbers.clone(),
        trusted_peers: cfg.trusted_peers.clone(),
        trust_loopback: cfg.trust_loopback,
    };
    let (sip, calls) = sip::Sip::start(sip_cfg, services.clone(), cancel.clone())
        .await
        .map_err(|e| format!("SIP on {}: {e}", cfg.sip))?;
    services.attach(sip.clone(), board.clone());
    service.set_switchboard(services.clone());
    tokio::spawn(services.clone().refresh_directory());
    tokio::spawn(board.clone().run_timers());
    let (ended, _) = tokio::sync::broadcast::channel(64);
    let engine = Arc::new(engine::Engine {
        sip: sip.clone(),
        board: board.clone(),
        services,
        prompts: Arc::new(prompts),
        flow: Arc::new(flow),
        ports: rtp_io::PortPool::new(cfg.sip.ip(), cfg.rtp_ports.0, cfg.rtp_ports.1),
        recordings: cfg.recordings.clone(),
        ended: ended.clone(),
    });
    tokio::spawn(engine.serve(calls));
    tokio::spawn(report_media(sip.clone(), board.clone(), cancel.clone()));
    tracing::info!(sip = %sip.local_addr(), "contact centre answering");
    Ok(Telephony {
        sip,
        board,
        ended,
        cancel,
    })
}

/// Eight seconds of a quiet arpeggio (C major, then A minor), for callers waiting in a
/// queue when no `hold_music.wav` is given.
pub fn hold_music() -> Vec<i16> {
    const NOTES: [f64; 8] = [
        261.63, 329.63, 392.00, 523.25, 220.00, 261.63, 329.63, 440.00,
    ];
    let per_note = 8000; // one second
    let mut pcm = Vec::with_capacity(NOTES.len() * per_note);
    for f in NOTES {
        for i in 0..per_note {
            let t = i as f64 / 8000.0;
            // A soft attack and decay so the notes do not click.
            let env = (t * 20.0).min(1.0) * (1.0 - t).max(0.0);
            let v = (2.0 * std::f64::consts::PI * f * t).sin() * env * 4000.0;
            pcm.push(v as i16);
        }
    }
    pcm
}

/// Every 10 s while calls are up: live calls, open dialogs and how late paced RTP went out
/// (p50, p99, max, in µs, since the last report). The load benchmark reads these lines.
async fn report_media(sip: Arc<sip::Sip>, board: Arc<board::Board>, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
            _ = cancel.cancelled() => return,
        }
        let (n, p50, p99, max) = {
            let mut h = rtp_io::jitter_histogram()
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let r = (
                h.len(),
                h.value_at_quantile(0.5),
                h.value_at_quantile(0.99),
                h.max(),
            );
            h.reset();
            r
        };
        let live = board.live_count();
        if live > 0 || n > 0 {
            tracing::info!(
                live_calls = live,
                open_dialogs = sip.open_dialogs(),
                frames = n,
                jitter_p50_us = p50,
                jitter_p99_us = p99,
                jitter_max_us = max,
                "media"
            );
        }
    }
}
