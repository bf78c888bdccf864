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

/// What the pacing thread is told.
enum PaceCmd {
    /// Play these frames on leg `leg` (replacing what it played), then say done.
    Play {
        leg: u64,
        shared: Arc<Shared>,
        frames: Box<dyn Iterator<Item = Frame> + Send>,
        done: oneshot::Sender<()>,
    },
    Stop {
        leg: u64,
    },
}

struct Paced {
    shared: Arc<Shared>,
    frames: Box<dyn Iterator<Item = Frame> + Send>,
    done: Option<oneshot::Sender<()>>,
    pacer: Pacer,
    generation: u64,
}

/// The one thread that sends every leg's prompts on time. It sleeps with the operating
/// system's timer (tens of microseconds) rather than the async runtime's (a millisecond),
/// and keeps the legs' next deadlines in a heap.
fn pacer() -> &'static std::sync::mpsc::Sender<PaceCmd> {
    static TX: std::sync::OnceLock<std::sync::mpsc::Sender<PaceCmd>> = std::sync::OnceLock::new();
    TX.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("rtp-pacer".into())
            .spawn(move || {
                raise_priority();
                pace(rx)
            })
            .expect("the RTP pacing thread starts");
        tx
    })
}

/// Asks the OS to run the pacing thread before ordinary work (nice -10), as media servers
/// do: a frame that waits for a core is a late frame. Without the right (CAP_SYS_NICE or
/// root) the thread keeps its priority and says so once.
fn raise_priority() {
    // SAFETY: plain syscalls on the calling thread, no pointers.
    let ok = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, -10) == 0
    };
    if !ok {
        tracing::info!("the RTP pacing thread runs at normal priority (no CAP_SYS_NICE)");
    }
}

fn pace(rx: std::sync::mpsc::Receiver<PaceCmd>) {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, HashMap};
    let mut streams: HashMap<u64, Paced> = HashMap::new();
    let mut heap: BinaryHeap<Reverse<(Instant, u64, u64)>> = BinaryHeap::new();
    let mut generation = 0u64;
    let finish = |p: &mut Paced| {
        if let Some(d) = p.done.take() {
            d.send(()).ok();
        }
    };
    loop {
        // Commands first; block only when nothing is playing.
        let cmd = match heap.peek() {
            None => match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => return,
            },
            Some(Reverse((at, _, _))) => {
                let now = Instant::now();
                if *at > now {
                    match rx.recv_timeout(*at - now) {
                        Ok(c) => Some(c),
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                } else {
                    rx.try_recv().ok()
                }
            }
        };
        match cmd {
            Some(PaceCmd::Play {
                leg,
                shared,
                frames,
                done,
            }) => {
                if let Some(mut old) = streams.remove(&leg) {
                    finish(&mut old);
                }
                generation += 1;
                let start = Instant::now();
                streams.insert(
                    leg,
                    Paced {
                        shared,
                        frames,
                        done: Some(done),
                        pacer: Pacer::new(start),
                        generation,
                    },
                );
                heap.push(Reverse((start, leg, generation)));
                continue;
            }
            Some(PaceCmd::Stop { leg }) => {
                if let Some(mut old) = streams.remove(&leg) {
                    finish(&mut old);
                }
                continue;
            }
            None => {}
        }
        // Send every frame that is due.
        let now = Instant::now();
        while let Some(Reverse((at, leg, generation))) = heap.peek().copied() {
            if at > now {
                break;
            }
            heap.pop();
            let Some(p) = streams.get_mut(&leg) else {
                continue;
            };
            if p.generation != generation {
                continue;
            }
            let next = if p.shared.bridged.load(Ordering::Relaxed) {
                None
            } else {
                p.frames.next()
            };
            match next {
                Some(frame) => {
                    let sent = Instant::now();
                    let codec = p.shared.out.lock().unwrap_or_else(|e| e.into_inner()).codec;
                    p.shared.send_payload(frame.as_bytes(), codec);
                    p.pacer.sent(sent);
                    let slot = pacer_deadline_before(&p.pacer);
                    let off = sent
                        .checked_duration_since(slot)
                        .unwrap_or_else(|| slot - sent);
                    jitter_histogram()
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .saturating_record(off.as_micros() as u64);
                    heap.push(Reverse((p.pacer.next_deadline(), leg, generation)));
                }
                None => {
                    if let Some(mut p) = streams.remove(&leg) {
                        finish(&mut p);
                    }
                }
            }
        }
    }
}

static NEXT_LEG: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One leg's media: a socket, its task, the keys it heard.
pub struct MediaLeg {
    shared: Arc<Shared>,
    id: u64,
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
        // 1 µs to 60 s at two significant figures: `saturating_record` clamps to these
        // bounds, so they must hold any lateness worth knowing.
        Mutex::new(
            hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 2).expect("valid bounds"),
        )
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
        let (key_tx, key_rx) = mpsc::unbounded_channel();
        let dtmf = DtmfReceiver::new(neg.and_then(|n| n.dtmf_pt).unwrap_or(101));
        let task = tokio::spawn(run(shared.clone(), key_tx.clone(), dtmf, codec));
        MediaLeg {
            shared,
            id: NEXT_LEG.fetch_add(1, Ordering::Relaxed),
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
        if self.send_play(Box::new(frames), tx) {
            rx.await.ok();
        }
    }

    fn send_play(
        &self,
        frames: Box<dyn Iterator<Item = Frame> + Send>,
        done: oneshot::Sender<()>,
    ) -> bool {
        pacer()
            .send(PaceCmd::Play {
                leg: self.id,
                shared: self.shared.clone(),
                frames,
                done,
            })
            .is_ok()
    }

    /// Starts playing without waiting.
    pub fn play_detached(
        &self,
        frames: impl Iterator<Item = Frame> + Send + 'static,
    ) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.send_play(Box::new(frames), tx);
        rx
    }

    pub fn stop(&self) {
        pacer().send(PaceCmd::Stop { leg: self.id }).ok();
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
        pacer().send(PaceCmd::Stop { leg: self.id }).ok();
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
    keys: mpsc::UnboundedSender<char>,
    mut dtmf: DtmfReceiver,
    codec_in: Codec,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        let Ok((n, from)) = shared.socket.recv_from(&mut buf).await else {
            continue;
        };
        let Ok(pkt) = RtpPacket::parse(&buf[..n]) else {
            continue;
        };
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
        let peer = shared
            .peer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let in_codec = match pkt.header.payload_type {
            8 => Codec::Pcma,
            0 => Codec::Pcmu,
            _ => codec_in,
        };
        if let Some(peer) = peer {
            peer.send_payload(pkt.payload, in_codec);
            shared.stats.relayed.fetch_add(1, Ordering::Relaxed);
        }
        let mut rec = shared.recorder.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = rec.as_mut() {
            r.write_g711(in_codec, pkt.payload).ok();
        }
    }
}

/// The deadline of the frame just sent.
fn pacer_deadline_before(p: &Pacer) -> Instant {
    p.next_deadline() - FRAME_DURATION
}
