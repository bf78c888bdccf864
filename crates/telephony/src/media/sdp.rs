//! The audio part of SDP (RFC 4566) offer/answer (RFC 3264), as far as a G.711 line needs.
//!
//! [`parse_offer`] reads what the peer offers (or answers: the same reading serves the
//! answer to our own offer), [`negotiate`] picks the codec and the telephone-event payload
//! type, [`build_answer`] and [`build_offer`] write our side. Lines we cannot read are
//! skipped, not fatal: what is missing at the end becomes an [`SdpError`].

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use super::g711::Codec;

/// Which way media flows, from the point of view of the side that wrote the description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn parse(attribute: &str) -> Option<Self> {
        Some(match attribute {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    pub fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// Our direction in reply to the peer's: a peer that only sends (puts us on hold) gets
    /// `recvonly`, one that is inactive gets `inactive`.
    pub fn reply(self) -> Self {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    /// Whether the side with this direction sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the side with this direction wants to receive media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    fn without_receiving(self) -> Self {
        match self {
            Direction::SendRecv | Direction::SendOnly => Direction::SendOnly,
            Direction::RecvOnly | Direction::Inactive => Direction::Inactive,
        }
    }
}

/// A G.711 codec the peer offers, with the payload type it gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferedCodec {
    pub pt: u8,
    pub codec: Codec,
}

/// Why an SDP body cannot set up our audio. The SIP side answers an INVITE that fails
/// here with 488 Not Acceptable Here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("the SDP has no usable audio stream")]
    NoAudio,
    #[error("the only audio stream uses transport {0}; we speak RTP/AVP")]
    UnsupportedTransport(String),
    #[error("the audio stream has no connection address (c=)")]
    MissingConnection,
    #[error("no codec in common: the peer offers none of PCMU and PCMA")]
    NoCommonCodec,
}

/// The audio stream the peer described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaOffer {
    /// Where the peer receives RTP. An unspecified address (`c=IN IP4 0.0.0.0`, the old
    /// way of putting a call on hold) means it receives nothing.
    pub addr: SocketAddr,
    /// The codecs we speak, in the peer's order of preference.
    pub codecs: Vec<OfferedCodec>,
    /// The payload type of `telephone-event/8000`, whatever number the peer chose.
    pub dtmf_pt: Option<u8>,
    /// The peer's direction, with the `c=0.0.0.0` hold folded in.
    pub direction: Direction,
    /// The packet length the peer asks for, in ms (`a=ptime`).
    pub ptime: Option<u32>,
    /// Every m= line, in order: an answer has as many, refusing the ones we do not use.
    media_lines: Vec<MediaLine>,
    /// Which of `media_lines` is the audio stream above.
    audio_index: usize,
}

impl MediaOffer {
    /// Whether the peer has put the call on hold (it does not want our media).
    pub fn on_hold(&self) -> bool {
        !self.direction.receives()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct MediaLine {
    kind: String,
    proto: String,
    /// The first format, repeated when the line is refused (an m= line needs one).
    first_format: String,
}

/// The audio stream both sides agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub codec: Codec,
    /// The payload type of `codec` on this call (0 or 8 unless the peer chose otherwise).
    pub pt: u8,
    pub dtmf_pt: Option<u8>,
    /// Where we send RTP.
    pub remote: SocketAddr,
    /// Our direction.
    pub direction: Direction,
    /// The packet length the peer asked for, in ms.
    pub ptime: Option<u32>,
}

/// Our side of the description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMedia {
    pub ip: IpAddr,
    pub rtp_port: u16,
    /// The o= session id: chosen once per call.
    pub session_id: u64,
    /// The o= version: one more for every new description in the same call.
    pub session_version: u64,
}

/// The payload type we offer for telephone-event.
pub const OUR_DTMF_PT: u8 = 101;
/// The packet length we send, in ms.
pub const OUR_PTIME: u32 = 20;

#[derive(Debug, Default)]
struct Section<'a> {
    kind: &'a str,
    port: Option<u16>,
    proto: &'a str,
    formats: Vec<&'a str>,
    connection: Option<IpAddr>,
    direction: Option<Direction>,
    rtpmaps: Vec<(u8, &'a str)>,
    ptime: Option<u32>,
}

fn parse_connection(value: &str) -> Option<IpAddr> {
    let mut parts = value.split_ascii_whitespace();
    let (net, family, addr) = (parts.next()?, parts.next()?, parts.next()?);
    if net != "IN" {
        return None;
    }
    // A multicast address may carry /ttl and /count.
    let addr = addr.split('/').next()?;
    let ip: IpAddr = addr.parse().ok()?;
    match (family, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Some(ip),
        _ => None,
    }
}

fn parse_media<'a>(value: &'a str) -> Option<Section<'a>> {
    let mut parts = value.split_ascii_whitespace();
    let kind = parts.next()?;
    let port = parts.next()?.split('/').next()?.parse().ok();
    let proto = parts.next()?;
    Some(Section {
        kind,
        port,
        proto,
        formats: parts.collect(),
        ..Section::default()
    })
}

/// `<pt> <encoding>/<rate>[/<channels>]`
fn parse_rtpmap(value: &str) -> Option<(u8, &str)> {
    let (pt, encoding) = value.split_once(' ')?;
    Some((pt.trim().parse().ok()?, encoding.trim()))
}

/// The codec or telephone-event an rtpmap encoding names, at 8 kHz mono.
fn encoding_is(encoding: &str, name: &str) -> bool {
    let mut parts = encoding.split('/');
    let named = parts.next().is_some_and(|n| n.eq_ignore_ascii_case(name));
    let rate = parts.next() == Some("8000");
    let mono = matches!(parts.next(), None | Some("1"));
    named && rate && mono && parts.next().is_none()
}

/// Reads the peer's description of its audio stream.
pub fn parse_offer(sdp: &str) -> Result<MediaOffer, SdpError> {
    let mut session = Section::default();
    let mut sections: Vec<Section<'_>> = Vec::new();
    for line in sdp.lines() {
        let line = line.trim_end_matches('\r');
        let Some((kind, value)) = line.split_once('=') else {
            continue;
        };
        let current = sections.last_mut().unwrap_or(&mut session);
        match kind {
            "m" => {
                // An m= line we cannot read still counts, so the answer keeps the count.
                let section = parse_media(value).unwrap_or_else(|| Section {
                    kind: "unknown",
                    proto: "RTP/AVP",
                    ..Section::default()
                });
                sections.push(section);
            }
            "c" => {
                if let Some(ip) = parse_connection(value) {
                    current.connection = Some(ip);
                }
            }
            "a" => {
                let (name, arg) = value.split_once(':').unwrap_or((value, ""));
                match name {
                    "rtpmap" => current.rtpmaps.extend(parse_rtpmap(arg)),
                    "ptime" => current.ptime = arg.trim().parse().ok().or(current.ptime),
                    _ => {
                        if let Some(d) = Direction::parse(name) {
                            current.direction = Some(d);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    let is_audio = |s: &Section<'_>| s.kind == "audio" && s.port.is_some_and(|p| p != 0);
    let audio_index = sections
        .iter()
        .position(|s| is_audio(s) && s.proto.eq_ignore_ascii_case("RTP/AVP"))
        .ok_or_else(|| match sections.iter().find(|s| is_audio(s)) {
            Some(other) => SdpError::UnsupportedTransport(other.proto.to_string()),
            None => SdpError::NoAudio,
        })?;
    let audio = &sections[audio_index];
    let ip = audio
        .connection
        .or(session.connection)
        .ok_or(SdpError::MissingConnection)?;
    let port = audio.port.unwrap_or(0);

    let mut codecs = Vec::new();
    let mut dtmf_pt = None;
    for pt in audio.formats.iter().filter_map(|f| f.parse::<u8>().ok()) {
        if pt > 127 {
            continue;
        }
        let rtpmap = audio
            .rtpmaps
            .iter()
            .chain(&session.rtpmaps)
            .find(|(p, _)| *p == pt)
            .map(|(_, encoding)| *encoding);
        let codec = match rtpmap {
            Some(e) if encoding_is(e, "PCMU") => Some(Codec::Pcmu),
            Some(e) if encoding_is(e, "PCMA") => Some(Codec::Pcma),
            Some(e) if encoding_is(e, "telephone-event") => {
                dtmf_pt = dtmf_pt.or(Some(pt));
                None
            }
            Some(_) => None,
            None if pt == Codec::Pcmu.static_payload_type() => Some(Codec::Pcmu),
            None if pt == Codec::Pcma.static_payload_type() => Some(Codec::Pcma),
            None => None,
        };
        if let Some(codec) = codec {
            codecs.push(OfferedCodec { pt, codec });
        }
    }

    let mut direction = audio
        .direction
        .or(session.direction)
        .unwrap_or(Direction::SendRecv);
    if ip.is_unspecified() {
        direction = direction.without_receiving();
    }

    let media_lines = sections
        .iter()
        .map(|s| MediaLine {
            kind: s.kind.to_string(),
            proto: s.proto.to_string(),
            first_format: s.formats.first().unwrap_or(&"0").to_string(),
        })
        .collect();

    Ok(MediaOffer {
        addr: SocketAddr::new(ip, port),
        codecs,
        dtmf_pt,
        direction,
        ptime: audio.ptime.or(session.ptime),
        media_lines,
        audio_index,
    })
}

/// Picks the first of PCMU and PCMA in the peer's order, keeps its telephone-event payload
/// type, and answers its direction.
pub fn negotiate(offer: &MediaOffer) -> Result<Negotiated, SdpError> {
    let first = offer.codecs.first().ok_or(SdpError::NoCommonCodec)?;
    Ok(Negotiated {
        codec: first.codec,
        pt: first.pt,
        dtmf_pt: offer.dtmf_pt,
        remote: offer.addr,
        direction: offer.direction.reply(),
        ptime: offer.ptime,
    })
}

fn address_line(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("IN IP4 {v4}"),
        IpAddr::V6(v6) => format!("IN IP6 {v6}"),
    }
}

fn session_header(out: &mut String, local: &LocalMedia) {
    let addr = address_line(local.ip);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "v=0\r\no=voltdesk {} {} {addr}\r\ns=voltdesk\r\nc={addr}\r\nt=0 0\r\n",
        local.session_id, local.session_version
    );
}

/// Our answer to `offer`, with the stream `chosen` by [`negotiate`].
pub fn build_answer(offer: &MediaOffer, chosen: &Negotiated, local: &LocalMedia) -> String {
    let mut out = String::new();
    session_header(&mut out, local);
    for (i, line) in offer.media_lines.iter().enumerate() {
        if i != offer.audio_index {
            let _ = write!(
                out,
                "m={} 0 {} {}\r\n",
                line.kind, line.proto, line.first_format
            );
            continue;
        }
        let _ = write!(out, "m=audio {} RTP/AVP {}", local.rtp_port, chosen.pt);
        if let Some(dtmf) = chosen.dtmf_pt {
            let _ = write!(out, " {dtmf}");
        }
        let _ = write!(
            out,
            "\r\na=rtpmap:{} {}/8000\r\n",
            chosen.pt,
            chosen.codec.encoding_name()
        );
        if let Some(dtmf) = chosen.dtmf_pt {
            let _ = write!(
                out,
                "a=rtpmap:{dtmf} telephone-event/8000\r\na=fmtp:{dtmf} 0-15\r\n"
            );
        }
        let _ = write!(
            out,
            "a=ptime:{OUR_PTIME}\r\na={}\r\n",
            chosen.direction.attribute()
        );
    }
    out
}

/// Our offer for a call we place (to an agent): PCMU, PCMA, telephone-event 101.
pub fn build_offer(local: &LocalMedia) -> String {
    let mut out = String::new();
    session_header(&mut out, local);
    let _ = write!(
        out,
        "m=audio {port} RTP/AVP 0 8 {OUR_DTMF_PT}\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:{OUR_DTMF_PT} telephone-event/8000\r\n\
         a=fmtp:{OUR_DTMF_PT} 0-16\r\n\
         a=ptime:{OUR_PTIME}\r\n\
         a=sendrecv\r\n",
        port = local.rtp_port
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> LocalMedia {
        LocalMedia {
            ip: "10.0.0.5".parse().unwrap(),
            rtp_port: 20000,
            session_id: 42,
            session_version: 1,
        }
    }

    fn sdp(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\r\n")).collect()
    }

    const HEAD: [&str; 5] = [
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.1",
        "s=-",
        "c=IN IP4 192.0.2.1",
        "t=0 0",
    ];

    fn offer(media: &[&str]) -> String {
        let mut lines = HEAD.to_vec();
        lines.extend_from_slice(media);
        sdp(&lines)
    }

    /// Parses, negotiates and answers, and compares the answer line by line.
    fn check(offer_text: &str, expected_answer: &[&str]) {
        let offer = parse_offer(offer_text).unwrap();
        let chosen = negotiate(&offer).unwrap();
        let answer = build_answer(&offer, &chosen, &local());
        let mut want = vec![
            "v=0",
            "o=voltdesk 42 1 IN IP4 10.0.0.5",
            "s=voltdesk",
            "c=IN IP4 10.0.0.5",
            "t=0 0",
        ];
        want.extend_from_slice(expected_answer);
        assert_eq!(answer, sdp(&want));
    }

    #[test]
    fn a_plain_offer_is_answered_with_its_first_g711_and_its_dtmf_type() {
        let text = offer(&[
            "m=audio 4000 RTP/AVP 18 8 0 96",
            "a=rtpmap:18 G729/8000",
            "a=rtpmap:96 telephone-event/8000",
            "a=fmtp:96 0-16",
            "a=ptime:20",
        ]);
        let o = parse_offer(&text).unwrap();
        assert_eq!(o.addr, "192.0.2.1:4000".parse().unwrap());
        assert_eq!(
            o.codecs,
            vec![
                OfferedCodec {
                    pt: 8,
                    codec: Codec::Pcma
                },
                OfferedCodec {
                    pt: 0,
                    codec: Codec::Pcmu
                },
            ]
        );
        assert_eq!(o.dtmf_pt, Some(96));
        assert_eq!(o.direction, Direction::SendRecv);
        assert_eq!(o.ptime, Some(20));
        check(
            &text,
            &[
                "m=audio 20000 RTP/AVP 8 96",
                "a=rtpmap:8 PCMA/8000",
                "a=rtpmap:96 telephone-event/8000",
                "a=fmtp:96 0-15",
                "a=ptime:20",
                "a=sendrecv",
            ],
        );
    }

    #[test]
    fn pcmu_first_and_no_dtmf() {
        check(
            &offer(&["m=audio 4000 RTP/AVP 0 8"]),
            &[
                "m=audio 20000 RTP/AVP 0",
                "a=rtpmap:0 PCMU/8000",
                "a=ptime:20",
                "a=sendrecv",
            ],
        );
    }

    #[test]
    fn hold_is_answered_in_kind() {
        for (attr, answer) in [
            ("a=sendonly", "a=recvonly"),
            ("a=inactive", "a=inactive"),
            ("a=recvonly", "a=sendonly"),
        ] {
            let text = offer(&["m=audio 4000 RTP/AVP 8", attr]);
            let o = parse_offer(&text).unwrap();
            let chosen = negotiate(&o).unwrap();
            let answer_text = build_answer(&o, &chosen, &local());
            assert!(
                answer_text.contains(&format!("{answer}\r\n")),
                "{attr}: {answer_text}"
            );
        }
        // The old way: c=0.0.0.0, and a session-level direction under it.
        let text = sdp(&[
            "v=0",
            "o=- 1 2 IN IP4 192.0.2.1",
            "s=-",
            "c=IN IP4 0.0.0.0",
            "t=0 0",
            "m=audio 4000 RTP/AVP 8",
        ]);
        let o = parse_offer(&text).unwrap();
        assert!(o.on_hold());
        assert_eq!(o.direction, Direction::SendOnly);
        assert_eq!(negotiate(&o).unwrap().direction, Direction::RecvOnly);
        let text = text.replace("m=audio", "a=recvonly\r\nm=audio");
        assert_eq!(parse_offer(&text).unwrap().direction, Direction::Inactive);
    }

    #[test]
    fn media_level_lines_override_session_level() {
        let text = sdp(&[
            "v=0",
            "c=IN IP4 192.0.2.1",
            "a=sendonly",
            "m=audio 4000 RTP/AVP 0",
            "c=IN IP4 198.51.100.7",
            "a=sendrecv",
        ]);
        let o = parse_offer(&text).unwrap();
        assert_eq!(o.addr, "198.51.100.7:4000".parse().unwrap());
        assert_eq!(o.direction, Direction::SendRecv);
    }

    #[test]
    fn other_streams_are_refused_in_place() {
        check(
            &offer(&[
                "m=video 5000 RTP/AVP 96",
                "a=rtpmap:96 H264/90000",
                "m=audio 4002 RTP/SAVP 0",
                "m=audio 4000 RTP/AVP 0",
                "m=application 0 UDP/BFCP *",
            ]),
            &[
                "m=video 0 RTP/AVP 96",
                "m=audio 0 RTP/SAVP 0",
                "m=audio 20000 RTP/AVP 0",
                "a=rtpmap:0 PCMU/8000",
                "a=ptime:20",
                "a=sendrecv",
                "m=application 0 UDP/BFCP *",
            ],
        );
    }

    #[test]
    fn dynamic_g711_types_case_and_ipv6() {
        let text = sdp(&[
            "v=0",
            "c=IN IP6 2001:db8::1",
            "m=audio 4000 RTP/AVP 97 98 99",
            "a=rtpmap:97 opus/48000/2",
            "a=rtpmap:98 pcma/8000/1",
            "a=rtpmap:99 Telephone-Event/8000",
        ]);
        let o = parse_offer(&text).unwrap();
        assert_eq!(o.addr, "[2001:db8::1]:4000".parse().unwrap());
        assert_eq!(
            o.codecs,
            vec![OfferedCodec {
                pt: 98,
                codec: Codec::Pcma
            }]
        );
        assert_eq!(o.dtmf_pt, Some(99));
        let mut l = local();
        l.ip = "2001:db8::5".parse().unwrap();
        let answer = build_answer(&o, &negotiate(&o).unwrap(), &l);
        assert!(answer.contains("c=IN IP6 2001:db8::5\r\n"), "{answer}");
        assert!(answer.contains("m=audio 20000 RTP/AVP 98 99\r\na=rtpmap:98 PCMA/8000\r\n"));
    }

    #[test]
    fn telephone_event_at_another_rate_is_not_ours() {
        let o = parse_offer(&offer(&[
            "m=audio 4000 RTP/AVP 8 100 101",
            "a=rtpmap:100 telephone-event/16000",
            "a=rtpmap:101 telephone-event/8000",
        ]))
        .unwrap();
        assert_eq!(o.dtmf_pt, Some(101));
        // A PCMU at 16 kHz is not G.711 either.
        let o = parse_offer(&offer(&["m=audio 4000 RTP/AVP 0", "a=rtpmap:0 PCMU/16000"])).unwrap();
        assert_eq!(negotiate(&o), Err(SdpError::NoCommonCodec));
    }

    #[test]
    fn refusals() {
        let no_common = parse_offer(&offer(&[
            "m=audio 4000 RTP/AVP 18",
            "a=rtpmap:18 G729/8000",
        ]));
        assert_eq!(negotiate(&no_common.unwrap()), Err(SdpError::NoCommonCodec));
        assert_eq!(
            parse_offer(&offer(&["m=video 4000 RTP/AVP 96"])),
            Err(SdpError::NoAudio)
        );
        assert_eq!(
            parse_offer(&offer(&["m=audio 0 RTP/AVP 0"])),
            Err(SdpError::NoAudio)
        );
        assert_eq!(
            parse_offer(&offer(&["m=audio 4000 RTP/SAVP 0"])),
            Err(SdpError::UnsupportedTransport("RTP/SAVP".into()))
        );
        assert_eq!(
            parse_offer(&sdp(&["v=0", "m=audio 4000 RTP/AVP 0"])),
            Err(SdpError::MissingConnection)
        );
        assert_eq!(parse_offer(""), Err(SdpError::NoAudio));
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = offer(&[
            "garbage without equals",
            "c=IN IP4 not-an-address",
            "c=IN IP6 192.0.2.9",
            "m=audio 4000 RTP/AVP 0 abc 300 8",
            "a=rtpmap:",
            "a=rtpmap:x PCMU/8000",
            "a=ptime:twenty",
            "a=weird",
            "=",
        ]);
        let o = parse_offer(&text).unwrap();
        assert_eq!(o.addr, "192.0.2.1:4000".parse().unwrap());
        assert_eq!(o.codecs.len(), 2);
        assert_eq!(o.ptime, None);
    }

    #[test]
    fn our_offer_reads_back() {
        let text = build_offer(&local());
        assert!(text.starts_with("v=0\r\no=voltdesk 42 1 IN IP4 10.0.0.5\r\n"));
        let o = parse_offer(&text).unwrap();
        assert_eq!(o.addr, "10.0.0.5:20000".parse().unwrap());
        assert_eq!(
            o.codecs.iter().map(|c| (c.pt, c.codec)).collect::<Vec<_>>(),
            vec![(0, Codec::Pcmu), (8, Codec::Pcma)]
        );
        assert_eq!(o.dtmf_pt, Some(OUR_DTMF_PT));
        assert_eq!(o.ptime, Some(20));
        assert!(text.contains("a=fmtp:101 0-16\r\n"));
    }

    #[test]
    fn an_answer_to_our_offer_negotiates_too() {
        // A phone answering our offer with PCMA only, on hold from its side.
        let answer = sdp(&[
            "v=0",
            "c=IN IP4 192.0.2.50",
            "m=audio 30000 RTP/AVP 8 101",
            "a=rtpmap:101 telephone-event/8000",
            "a=sendonly",
        ]);
        let n = negotiate(&parse_offer(&answer).unwrap()).unwrap();
        assert_eq!(n.codec, Codec::Pcma);
        assert_eq!(n.dtmf_pt, Some(101));
        assert_eq!(n.remote, "192.0.2.50:30000".parse().unwrap());
        assert_eq!(n.direction, Direction::RecvOnly);
    }
}
