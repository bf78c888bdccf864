//! SIPp's RTP captures: one key press per `dtmf_2833_*.pcap`, and a PCMA stream.

use voltdesk_telephony::media::rtp::RtpPacket;
use voltdesk_telephony::media::sdp::{negotiate, parse_offer};
use voltdesk_telephony::media::{Codec, DtmfReceiver};

use crate::{have_tool, pcap, sipp_capture};

const CAPTURES: [(&str, char); 12] = [
    ("dtmf_2833_0.pcap", '0'),
    ("dtmf_2833_1.pcap", '1'),
    ("dtmf_2833_2.pcap", '2'),
    ("dtmf_2833_3.pcap", '3'),
    ("dtmf_2833_4.pcap", '4'),
    ("dtmf_2833_5.pcap", '5'),
    ("dtmf_2833_6.pcap", '6'),
    ("dtmf_2833_7.pcap", '7'),
    ("dtmf_2833_8.pcap", '8'),
    ("dtmf_2833_9.pcap", '9'),
    ("dtmf_2833_star.pcap", '*'),
    ("dtmf_2833_pound.pcap", '#'),
];

/// The offer of a phone that numbers telephone-event `pt`.
fn offer_with_dtmf(pt: u8) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 192.168.0.3\r\ns=-\r\nc=IN IP4 192.168.0.3\r\nt=0 0\r\n\
         m=audio 49176 RTP/AVP 8 {pt}\r\na=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-15\r\n"
    )
}

/// The keys a receiver set up from `sdp` hears in `packets`.
fn keys_heard(sdp: &str, packets: &[Vec<u8>]) -> String {
    let negotiated = negotiate(&parse_offer(sdp).unwrap()).unwrap();
    let mut rx = DtmfReceiver::new(negotiated.dtmf_pt.expect("the offer has telephone-event"));
    packets
        .iter()
        .filter_map(|p| rx.push_packet(&RtpPacket::parse(p).unwrap()))
        .map(|k| k.to_char())
        .collect()
}

/// Each capture holds one press sent as several packets (start, updates, the end three
/// times): exactly one key comes out, the one in the file name.
#[test]
fn each_sipp_dtmf_capture_is_one_key_press() {
    for (name, key) in CAPTURES {
        let Some(path) = sipp_capture(name, "the DTMF capture test") else {
            return;
        };
        let packets = pcap::udp_payloads(&std::fs::read(&path).unwrap());
        assert!(packets.len() >= 4, "{name}: {} packets", packets.len());
        let pt = RtpPacket::parse(&packets[0]).unwrap().header.payload_type;
        assert_eq!(
            keys_heard(&offer_with_dtmf(pt), &packets),
            key.to_string(),
            "{name}"
        );
    }
}

/// The payload type comes from the SDP: the same capture renumbered to 96 still decodes
/// with an SDP that says 96, and decodes to nothing with one that says 101.
#[test]
fn the_dtmf_payload_type_is_the_negotiated_one() {
    let Some(path) = sipp_capture("dtmf_2833_pound.pcap", "the payload type test") else {
        return;
    };
    let mut packets = pcap::udp_payloads(&std::fs::read(&path).unwrap());
    for p in &mut packets {
        p[1] = (p[1] & 0x80) | 96;
    }
    assert_eq!(keys_heard(&offer_with_dtmf(96), &packets), "#");
    assert_eq!(keys_heard(&offer_with_dtmf(101), &packets), "");
}

/// All captures played one after another in one stream: twelve presses, twelve keys.
#[test]
fn the_captures_back_to_back_are_twelve_keys() {
    let mut all = Vec::new();
    for (name, _) in CAPTURES {
        let Some(path) = sipp_capture(name, "the back-to-back DTMF test") else {
            return;
        };
        all.extend(pcap::udp_payloads(&std::fs::read(&path).unwrap()));
    }
    // They come from separate calls, with unrelated timestamps: make them one stream (one
    // SSRC) with a press every second.
    let mut press = 0u32;
    let mut last_ts = None;
    for p in &mut all {
        let ts = RtpPacket::parse(p).unwrap().header.timestamp;
        if last_ts.is_some_and(|t| t != ts) {
            press += 1;
        }
        last_ts = Some(ts);
        p[4..8].copy_from_slice(&(press * 8000).to_be_bytes());
        p[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    }
    let expected: String = CAPTURES.iter().map(|(_, k)| *k).collect();
    assert_eq!(keys_heard(&offer_with_dtmf(101), &all), expected);
}

/// SIPp's g711a.pcap: a PCMA stream of 30 ms packets. Every packet parses, the stream
/// counts up without a gap, and its audio decodes as sox decodes it.
#[test]
fn sipp_pcma_capture_parses_and_decodes_like_sox() {
    let Some(path) = sipp_capture("g711a.pcap", "the PCMA capture test") else {
        return;
    };
    let datagrams = pcap::udp_payloads(&std::fs::read(&path).unwrap());
    let packets: Vec<RtpPacket<'_>> = datagrams
        .iter()
        .map(|d| RtpPacket::parse(d).unwrap())
        .collect();
    assert!(packets.len() > 200);
    for pair in packets.windows(2) {
        let (a, b) = (pair[0].header, pair[1].header);
        assert_eq!(b.sequence, a.sequence.wrapping_add(1));
        assert_eq!(b.timestamp.wrapping_sub(a.timestamp), 240);
        assert_eq!((a.payload_type, a.ssrc), (8, b.ssrc));
        assert_eq!(pair[0].payload.len(), 240);
    }
    let alaw: Vec<u8> = packets
        .iter()
        .flat_map(|p| p.payload.iter().copied())
        .collect();
    let mut ours = Vec::new();
    Codec::Pcma.decode(&alaw, &mut ours);
    assert!(
        ours.iter().any(|&s| s.unsigned_abs() > 1000),
        "the capture has speech"
    );

    if !have_tool("sox", "the PCMA capture's comparison with sox") {
        return;
    }
    let theirs = crate::sox::decode_with_sox("al", &alaw);
    assert_eq!(ours, theirs);
}
