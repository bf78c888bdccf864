//! RTP on the wire: one UDP socket per call leg, a task that receives (key presses, audio to
//! relay or record) and sends prompts paced every 20 ms, and the relay between two bridged
//! legs (G.711 passed through, or converted PCMU↔PCMA when the legs differ).

use crate::media::rtp::FRAME_DURATION;
use crate::media::{
    Codec, DtmfReceiver, Frame, Negotiated, Pacer, Recorder, RtpPacket, RtpSender, g711,
};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// Hands out RTP ports from a range (even ports, as RFC 3550 asks), skipping busy ones.
pub struct PortPool {
    ip: IpAddr,
    first: u16,
    last: u16,
    next: AtomicU16,
}

impl PortPool {
    pub fn new(ip: IpAddr, first: u16, last: u16) -> PortPool {
        let first = first + (first % 2);
        PortPool {
            ip,
            first,
            last: last.max(first + 1),
            next: AtomicU16::new(first),
        }
    }

    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// Binds a socket on the next free even port; `None` when the whole range is busy.
    pub async fn bind(&self) -> Option<(UdpSocket, u16)> {
        let span = (self.last - self.first) / 2 + 1;
        for _ in 0..span {
            let p = self
                .next
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                    Some(if p + 2 > self.last { self.first } else { p + 2 })
                })
                .unwrap_or(self.first);
            if let Ok(s) = UdpSocket::bind(SocketAddr::new(self.ip, p)).await {
                return Some((s, p));
            }
        }
        None
    }
}

/// Counters of one leg, for tests, the supervisor page and the benchmark.
#[derive(Default)]
pub struct LegStats {
    pub rx_audio: AtomicU64,
    pub rx_dtmf: AtomicU64,
    pub tx_packets: AtomicU64,
    pub relayed: AtomicU64,
}

struct Outbound {
    remote: Option<SocketAddr>,
    sender: RtpSender,
    codec: Codec,
    /// The peer put us on hold (it wants nothing from us), or we hold it.
    muted: bool,
    buf: Vec<u8>,
}

/// What both the leg's own task and a bridged peer touch.
pub struct Shared {
    socket: UdpSocket,
    out: Mutex<Outbound>,
    peer: Mutex<Option<Arc<Shared>>>,
    /// Set while bridged: the leg's own prompts stop.
    bridged: AtomicBool,
    recorder: Mutex<Option<Recorder>>,
    pub stats: LegStats,
}

impl Shared {
    fn send_payload(&self, payload: &[u8], from: Codec) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let Some(remote) = out.remote else { return };
        if out.muted {
            out.sender.skip(payload.len() as u32);
            return;
        }
        let codec = out.codec;
        let mut body = [0u8; 1500];
        let n = payload.len().min(body.len());
        body[..n].copy_from_slice(&payload[..n]);
        match (from, codec) {
            (Codec::Pcmu, Codec::Pcma) => g711::transcode_ulaw_to_alaw(&mut body[..n]),
            (Codec::Pcma, Codec::Pcmu) => g711::transcode_alaw_to_ulaw(&mut body[..n]),
            _ => {}
        }
        let Outbound { sender, buf, .. } = &mut *out;
        buf.resize(n + 12 + 64, 0);
        if let Ok(len) = sender.frame(buf, &body[..n])
            && self.socket.try_send_to(&buf[..len], remote).is_ok()
        {
            self.stats.tx_packets.fetch_add(1, Ordering::Relaxed);
        }
    }
}

enum Cmd {
    Play(Box<dyn Iterator<Item = Frame> + Send>, oneshot::Sender<()>),
    Stop,
}

/// One leg's media: a socket, its task, the keys it heard.
pub struct MediaLeg {
    shared: Arc<Shared>,
    cmd: mpsc::UnboundedSender<Cmd>,
    keys: mpsc::UnboundedReceiver<char>,
    /// Keys that come another way (SIP INFO) join the RTP ones here.
    key_tx: mpsc::UnboundedSender<char>,
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

/// Jitter of paced sends across all legs, for the benchmark.
pub fn jitter_histogram() -> &'static Mutex<hdrhistogram::Histogram<u64>> {
    static H: std::sync::OnceLock<Mutex<hdrhistogram::Histogram<u64>>> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        Mutex::new(hdrhistogram::Histogram::new(2).unwrap_or_else(|_| {
            hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 2).expect("valid bounds")
        }))
    })
}

impl MediaLeg {
    /// Starts a leg on a bound socket. `dtmf_pt` is the telephone-event payload type the peer
    /// offered (any number), `codec` the audio codec agreed.
    pub fn start(socket: UdpSocket, port: u16, neg: Option<&Negotiated>) -> MediaLeg {
        let codec = neg.map(|n| n.codec).unwrap_or(Codec::Pcmu);
        let pt = neg.map(|n| n.pt).unwrap_or(0);
        let ssrc: u32 = rand::random();
        let shared = Arc::new(Shared {
            socket,
            out: Mutex::new(Outbound {
                remote: neg.map(|n| n.remote).filter(|r| !r.ip().is_unspecified()),
                sender: RtpSender::new(ssrc, pt, rand::random(), rand::random()),
                codec,
                muted: neg.is_some_and(|n| !n.direction.sends()),
                buf: Vec::with_capacity(256),
            }),
            peer: Mutex::new(None),
            bridged: AtomicBool::new(false),
            recorder: Mutex::new(None),
            stats: LegStats::default(),
        });
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (key_tx, key_rx) = mpsc::unbounded_channel();
        let dtmf = DtmfReceiver::new(neg.and_then(|n| n.dtmf_pt).unwrap_or(101));
        let task = tokio::spawn(run(shared.clone(), cmd_rx, key_tx.clone(), dtmf, codec));
        MediaLeg {
            shared,
            cmd: cmd_tx,
            keys: key_rx,
            key_tx,
            port,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn stats(&self) -> &LegStats {
        &self.shared.stats
    }

    pub fn codec(&self) -> Codec {
        self.shared
            .out
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .codec
    }

    /// Applies a new negotiation (re-INVITE: hold, resume, new address).
    pub fn renegotiate(&self, neg: &Negotiated) {
        let mut out = self.shared.out.lock().unwrap_or_else(|e| e.into_inner());
        out.remote = Some(neg.remote).filter(|r| !r.ip().is_unspecified());
        out.muted = !neg.direction.sends();
        if out.codec != neg.codec {
            out.codec = neg.codec;
            out.sender = RtpSender::new(out.sender.ssrc(), neg.pt, rand::random(), rand::random());
        }
    }

    /// Plays frames, returning when they have all been sent (or playback was stopped).
    pub async fn play(&self, frames: impl Iterator<Item = Frame> + Send + 'static) {
        let (tx, rx) = oneshot::channel();
        if self.cmd.send(Cmd::Play(Box::new(frames), tx)).is_ok() {
            rx.await.ok();
        }
    }

    /// Starts playing without waiting.
    pub fn play_detached(
        &self,
        frames: impl Iterator<Item = Frame> + Send + 'static,
    ) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.cmd.send(Cmd::Play(Box::new(frames), tx)).ok();
        rx
    }

    pub fn stop(&self) {
        self.cmd.send(Cmd::Stop).ok();
    }

    /// The next key pressed (RFC 4733), or `None` when the leg is gone.
    pub async fn key(&mut self) -> Option<char> {
        self.keys.recv().await
    }

    /// A key pressed on the call that did not come as RTP (SIP INFO): heard like the others.
    pub fn push_key(&self, key: char) {
        self.key_tx.send(key).ok();
    }

    /// Drops keys pressed before now.
    pub fn clear_keys(&mut self) {
        while self.keys.try_recv().is_ok() {}
    }

    /// Connects the audio of two legs both ways.
    pub fn bridge(a: &MediaLeg, b: &MediaLeg) {
        a.stop();
        b.stop();
        a.shared.bridged.store(true, Ordering::Relaxed);
        b.shared.bridged.store(true, Ordering::Relaxed);
        *a.shared.peer.lock().unwrap_or_else(|e| e.into_inner()) = Some(b.shared.clone());
        *b.shared.peer.lock().unwrap_or_else(|e| e.into_inner()) = Some(a.shared.clone());
    }

    /// Disconnects a bridge (hold, transfer, hang-up).
    pub fn unbridge(a: &MediaLeg, b: &MediaLeg) {
        a.shared.bridged.store(false, Ordering::Relaxed);
        b.shared.bridged.store(false, Ordering::Relaxed);
        a.shared
            .peer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        b.shared
            .peer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    /// Records what this leg receives to a WAV file (8 kHz mono PCM16).
    pub fn record_to(&self, path: PathBuf) -> std::io::Result<()> {
        let r = Recorder::create(&path).map_err(|e| std::io::Error::other(e.to_string()))?;
        *self
            .shared
            .recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(r);
        Ok(())
    }
}

impl Drop for MediaLeg {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(peer) = self
            .shared
            .peer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            peer.peer.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
        if let Some(r) = self
            .shared
            .recorder
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            r.finish().ok();
        }
    }
}

async fn run(
    shared: Arc<Shared>,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    keys: mpsc::UnboundedSender<char>,
    mut dtmf: DtmfReceiver,
    codec_in: Codec,
) {
    let mut buf = vec![0u8; 2048];
    let mut playing: Option<(Box<dyn Iterator<Item = Frame> + Send>, oneshot::Sender<()>)> = None;
    let mut pacer = Pacer::new(Instant::now());
    loop {
        let deadline = playing.as_ref().map(|_| pacer.next_deadline());
        tokio::select! {
            r = shared.socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { continue };
                let Ok(pkt) = RtpPacket::parse(&buf[..n]) else { continue };
                {
                    // Symmetric RTP: answer to where the peer really sends from.
                    let mut out = shared.out.lock().unwrap_or_else(|e| e.into_inner());
                    if out.remote.is_none_or(|r| r != from) && !out.muted {
                        out.remote = Some(from);
                    }
                }
                if pkt.header.payload_type == dtmf.payload_type() {
                    shared.stats.rx_dtmf.fetch_add(1, Ordering::Relaxed);
                    if let Some(k) = dtmf.push_packet(&pkt) {
                        keys.send(k.to_char()).ok();
                    }
                    continue;
                }
                shared.stats.rx_audio.fetch_add(1, Ordering::Relaxed);
                let peer = shared.peer.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let in_codec = match pkt.header.payload_type { 8 => Codec::Pcma, 0 => Codec::Pcmu, _ => codec_in };
                if let Some(peer) = peer {
                    peer.send_payload(pkt.payload, in_codec);
                    shared.stats.relayed.fetch_add(1, Ordering::Relaxed);
                }
                let mut rec = shared.recorder.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(r) = rec.as_mut() {
                    r.write_g711(in_codec, pkt.payload).ok();
                }
            }
            cmd = cmds.recv() => match cmd {
                Some(Cmd::Play(frames, done)) => {
                    if let Some((_, old)) = playing.take() { old.send(()).ok(); }
                    pacer = Pacer::new(Instant::now());
                    playing = Some((frames, done));
                }
                Some(Cmd::Stop) => {
                    if let Some((_, old)) = playing.take() { old.send(()).ok(); }
                }
                None => break,
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                let now = Instant::now();
                let bridged = shared.bridged.load(Ordering::Relaxed);
                let next = if bridged { None } else { playing.as_mut().and_then(|(f, _)| f.next()) };
                match next {
                    Some(frame) => {
                        let codec = shared.out.lock().unwrap_or_else(|e| e.into_inner()).codec;
                        shared.send_payload(frame.as_bytes(), codec);
                        pacer.sent(now);
                        if let Some(late) = now.checked_duration_since(pacer_deadline_before(&pacer)) {
                            jitter_histogram().lock().unwrap_or_else(|e| e.into_inner()).saturating_record(late.as_micros() as u64);
                        }
                    }
                    None => {
                        if let Some((_, done)) = playing.take() { done.send(()).ok(); }
                    }
                }
            }
        }
    }
}

/// The deadline of the frame just sent.
fn pacer_deadline_before(p: &Pacer) -> Instant {
    p.next_deadline() - FRAME_DURATION
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
