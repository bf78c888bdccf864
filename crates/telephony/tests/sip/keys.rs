//! Key presses for SIPp to play (`play_pcap_audio`), made of SIPp's own RFC 4733 captures.
//!
//! Each `dtmf_2833_<key>.pcap` is one press from one recorded call: the same SSRC in all of
//! them and the timestamp that press had in that call. Played as they are, one after the
//! other, they are a stream whose timestamps jump back and forth; a receiver rightly takes
//! a press whose timestamp is behind the last one for a late copy and drops it, and a key
//! pressed twice (same file, same timestamp) for one press. The raw captures work only for
//! keys in the order of their timestamps (`1 0 2 3 4 5 6 7 8 9 * #`); every other sequence
//! is written here as a phone sends it: one stream, the presses' timestamps moving on.

use std::path::Path;

#[path = "../media/pcap.rs"]
mod pcap;

pub use crate::SIPP_PCAPS;

fn capture_name(key: char) -> String {
    let tail = match key {
        '*' => "star".to_string(),
        '#' => "pound".to_string(),
        k => k.to_string(),
    };
    format!("dtmf_2833_{tail}.pcap")
}

/// The RTP packets of one press of `key`, as SIPp's capture has them.
fn press(key: char) -> Vec<Vec<u8>> {
    let path = Path::new(SIPP_PCAPS).join(capture_name(key));
    let file = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    pcap::udp_payloads(&file)
}

/// Writes `keys` as presses number `first`, `first + 1`, ... of one stream (a call's
/// later presses continue its numbering), a quarter second apart.
pub fn write(path: &Path, keys: &str, first: u32) {
    let mut records: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut at_us = 0u64;
    for (i, key) in keys.chars().enumerate() {
        let n = first + i as u32;
        let packets = press(key);
        let first_ts = u32::from_be_bytes(packets[0][4..8].try_into().unwrap());
        for (j, mut p) in packets.into_iter().enumerate() {
            let seq = (n * 32 + j as u32) as u16;
            p[2..4].copy_from_slice(&seq.to_be_bytes());
            // Keep each packet's offset within its press (the end packets repeat it).
            let ts = u32::from_be_bytes(p[4..8].try_into().unwrap());
            let press_ts = 8_000 * (n + 1) + ts.wrapping_sub(first_ts);
            p[4..8].copy_from_slice(&press_ts.to_be_bytes());
            p[8..12].copy_from_slice(&0x5eed_0095u32.to_be_bytes());
            // 20 ms apart, the three end packets together.
            let offset = (j.min(7) as u64) * 20_000;
            records.push((at_us + offset, p));
        }
        at_us += 250_000;
    }
    std::fs::write(path, pcap_file(&records)).unwrap();
}

/// A libpcap file of Ethernet/IPv4/UDP frames, 127.0.0.1:5000 → 127.0.0.1:6000.
fn pcap_file(records: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend(0i32.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(65_535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    for (at_us, payload) in records {
        let udp_len = 8 + payload.len();
        let ip_len = 20 + udp_len;
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend([0x45, 0]);
        frame.extend((ip_len as u16).to_be_bytes());
        frame.extend([0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        frame.extend(5000u16.to_be_bytes());
        frame.extend(6000u16.to_be_bytes());
        frame.extend((udp_len as u16).to_be_bytes());
        frame.extend([0, 0]);
        frame.extend(payload);
        out.extend(((at_us / 1_000_000) as u32).to_le_bytes());
        out.extend(((at_us % 1_000_000) as u32).to_le_bytes());
        out.extend((frame.len() as u32).to_le_bytes());
        out.extend((frame.len() as u32).to_le_bytes());
        out.extend(frame);
    }
    out
}

#[test]
fn written_presses_read_back_as_the_keys() {
    use voltdesk_telephony::media::DtmfReceiver;
    use voltdesk_telephony::media::rtp::RtpPacket;
    if !Path::new(SIPP_PCAPS).join(capture_name('1')).is_file() {
        eprintln!("notice: SIPp's captures are absent; the key writer checked nothing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.pcap");
    let mut rx = DtmfReceiver::new(101);
    let mut heard = String::new();
    for (keys, first) in [("1123", 0), ("1", 4), ("#", 5)] {
        write(&path, keys, first);
        for p in pcap::udp_payloads(&std::fs::read(&path).unwrap()) {
            if let Some(k) = rx.push_packet(&RtpPacket::parse(&p).unwrap()) {
                heard.push(k.to_char());
            }
        }
    }
    assert_eq!(heard, "11231#");
}

/// The callers' SDP (`scenarios/caller_*.xml`) offers telephone-event as payload type 101:
/// the type SIPp's captures carry, which the raw captures are played with.
#[test]
fn the_captures_are_telephone_events_of_the_offered_payload_type() {
    use voltdesk_telephony::media::rtp::RtpPacket;
    if !Path::new(SIPP_PCAPS).join(capture_name('1')).is_file() {
        eprintln!("notice: SIPp's captures are absent; the payload type check checked nothing");
        return;
    }
    let offered =
        std::fs::read_to_string(crate::sipp::scenario("caller_keys_account.xml")).unwrap();
    assert!(offered.contains("m=audio [media_port] RTP/AVP 8 101"));
    assert!(offered.contains("a=rtpmap:101 telephone-event/8000"));
    for key in "0123456789*#".chars() {
        for p in press(key) {
            let pt = RtpPacket::parse(&p).unwrap().header.payload_type;
            assert_eq!(pt, 101, "{}", capture_name(key));
        }
    }
}
