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
    let services = Arc::new(services::ServiceBridge::new(service.clone()));
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
    tracing::info!(sip = %sip.local_addr(), "contact centre answering");
    Ok(Telephony {
        sip,
        board,
        ended,
        cancel,
    })
}
