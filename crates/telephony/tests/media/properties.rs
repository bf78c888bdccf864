//! The parsers on random input: no panic, whatever the bytes, and what they accept makes
//! sense. (The same targets run under libFuzzer in `crates/telephony/fuzz`.)

use proptest::prelude::*;

use voltdesk_telephony::media::dtmf::TelephoneEvent;
use voltdesk_telephony::media::rtp::{self, RtpHeader, RtpPacket};
use voltdesk_telephony::media::sdp::{self, LocalMedia};
use voltdesk_telephony::media::{DtmfKey, DtmfReceiver};

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
m=video 5000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 18 8 0 101\r\na=rtpmap:18 G729/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendonly\r\n";

fn local() -> LocalMedia {
    LocalMedia {
        ip: "10.0.0.5".parse().unwrap(),
        rtp_port: 20000,
        session_id: 1,
        session_version: 1,
    }
}

/// Whatever an SDP body is, parsing it returns; and when it yields a call, our answer is
/// itself an SDP that parses back to the same choice.
fn sdp_holds(text: &str) -> Result<(), TestCaseError> {
    let Ok(offer) = sdp::parse_offer(text) else {
        return Ok(());
    };
    let Ok(chosen) = sdp::negotiate(&offer) else {
        return Ok(());
    };
    let answer = sdp::build_answer(&offer, &chosen, &local());
    let back =
        sdp::parse_offer(&answer).map_err(|e| TestCaseError::fail(format!("{e}: {answer}")))?;
    let again = sdp::negotiate(&back).map_err(|e| TestCaseError::fail(format!("{e}: {answer}")))?;
    prop_assert_eq!(
        (again.codec, again.pt, again.dtmf_pt),
        (chosen.codec, chosen.pt, chosen.dtmf_pt)
    );
    prop_assert_eq!(again.direction, chosen.direction.reply());
    Ok(())
}

/// An edit to a valid offer: replace a byte, cut, or duplicate a span.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Cut(usize, usize),
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Replace(at, b)),
        (any::<usize>(), 0usize..40).prop_map(|(at, n)| Edit::Cut(at, n)),
        (any::<usize>(), 0usize..40).prop_map(|(at, n)| Edit::Repeat(at, n)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for e in edits {
        if bytes.is_empty() {
            break;
        }
        match *e {
            Edit::Replace(at, b) => {
                let at = at % bytes.len();
                bytes[at] = b;
            }
            Edit::Cut(at, n) => {
                let at = at % bytes.len();
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
            Edit::Repeat(at, n) => {
                let at = at % bytes.len();
                let end = (at + n).min(bytes.len());
                let span = bytes[at..end].to_vec();
                bytes.splice(at..at, span);
            }
        }
    }
    bytes
}

/// One key press as a phone sends it: (key, how many start packets, updates, end packets).
fn press() -> impl Strategy<Value = (u8, usize, usize, usize)> {
    (0u8..16, 0usize..4, 0usize..6, 0usize..4)
        .prop_filter("a press sends something", |(_, s, u, e)| s + u + e > 0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn rtp_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            prop_assert!(p.payload.len() + 12 <= bytes.len());
            prop_assert!(p.header.payload_type < 128);
            prop_assert!(p.csrcs().count() <= 15);
        }
    }

    #[test]
    fn rtp_build_parses_back(
        marker: bool,
        payload_type in 0u8..128,
        sequence: u16,
        timestamp: u32,
        ssrc: u32,
        payload in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let header = RtpHeader { marker, payload_type, sequence, timestamp, ssrc };
        let mut buf = vec![0u8; 12 + payload.len()];
        let n = rtp::build(&mut buf, &header, &payload).unwrap();
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        prop_assert_eq!(p.header, header);
        prop_assert_eq!(p.payload, &payload[..]);
    }

    #[test]
    fn sdp_parse_never_panics_on_any_text(text in ".{0,600}") {
        sdp_holds(&text)?;
    }

    #[test]
    fn sdp_parse_never_panics_on_edited_offers(edits in proptest::collection::vec(edit(), 1..8)) {
        let bytes = apply(OFFER, &edits);
        sdp_holds(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn sdp_parse_never_panics_on_sdp_like_lines(
        lines in proptest::collection::vec(
            ("[vocmta]", "[ -~]{0,40}").prop_map(|(k, v)| format!("{k}={v}")),
            0..20,
        )
    ) {
        sdp_holds(&lines.join("\r\n"))?;
    }

    #[test]
    fn dtmf_receiver_never_panics(
        packets in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 0..8)), 0..60)
    ) {
        let mut rx = DtmfReceiver::new(101);
        for (ts, payload) in &packets {
            let _ = rx.push(*ts, payload);
            let _ = TelephoneEvent::parse(payload);
        }
    }

    /// However many start, update and end packets each press sends, and wherever the
    /// stream's clock starts, each press comes out once, in order.
    #[test]
    fn each_press_is_heard_once(presses in proptest::collection::vec(press(), 0..12), base: u32) {
        let mut rx = DtmfReceiver::new(101);
        let mut heard = Vec::new();
        for (i, &(key, starts, updates, ends)) in presses.iter().enumerate() {
            let ts = base.wrapping_add(8000 * i as u32);
            let packet = |end, duration| TelephoneEvent { event: key, end, volume: 10, duration }.to_bytes();
            let mut stream = vec![packet(false, 0); starts];
            stream.extend((1..=updates).map(|u| packet(false, 160 * u as u16)));
            stream.extend(std::iter::repeat_n(packet(true, 1000), ends));
            heard.extend(stream.iter().filter_map(|p| rx.push(ts, p)));
        }
        let pressed: Vec<DtmfKey> = presses.iter().filter_map(|p| DtmfKey::from_event(p.0)).collect();
        prop_assert_eq!(heard, pressed);
    }
}
