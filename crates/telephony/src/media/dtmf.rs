//! Key presses sent as RFC 4733 telephone-events, and turning the packets of one press
//! into one key.
//!
//! A phone sends each press as many packets: a start packet (often repeated), updates with
//! a growing duration, and the end packet three times. All of them carry the RTP timestamp
//! of the press's start, which is how [`DtmfReceiver`] tells one press from the next. The
//! payload type is whatever the SDP said (`a=rtpmap:<pt> telephone-event/8000`); nothing
//! here assumes 101.

use std::fmt;

use super::rtp::RtpPacket;

/// A telephone keypad key (events 0–15: `0`–`9`, `*`, `#`, `A`–`D`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfKey(u8);

const KEYS: &[u8; 16] = b"0123456789*#ABCD";

impl DtmfKey {
    /// The key for a telephone-event code, or `None` for codes that are not keys (16 is
    /// flash, higher ones are tones and line events).
    pub fn from_event(code: u8) -> Option<Self> {
        (usize::from(code) < KEYS.len()).then_some(DtmfKey(code))
    }

    /// The key for its character; `a`–`d` are accepted for `A`–`D`.
    pub fn from_char(c: char) -> Option<Self> {
        let upper = c.to_ascii_uppercase();
        KEYS.iter()
            .position(|&k| char::from(k) == upper)
            .and_then(|i| u8::try_from(i).ok())
            .map(DtmfKey)
    }

    pub fn event(self) -> u8 {
        self.0
    }

    pub fn to_char(self) -> char {
        char::from(KEYS[usize::from(self.0 & 0x0f)])
    }
}

impl fmt::Display for DtmfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_char())
    }
}

/// Why a payload is not a telephone-event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    #[error("a telephone-event payload has 4 bytes, this one {0}")]
    TooShort(usize),
}

/// One telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    pub event: u8,
    /// Set on the last packets of an event.
    pub end: bool,
    /// Power level in −dBm0, 0–63 (only the low 6 bits are sent).
    pub volume: u8,
    /// Length so far, in timestamp units (1/8000 s).
    pub duration: u16,
}

impl TelephoneEvent {
    pub const LEN: usize = 4;

    /// Reads the first event of a payload. Bytes after the first 4 (a second event some
    /// senders append) are ignored.
    pub fn parse(payload: &[u8]) -> Result<Self, DtmfError> {
        let b: &[u8; 4] = payload
            .get(..Self::LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(DtmfError::TooShort(payload.len()))?;
        Ok(TelephoneEvent {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    pub fn to_bytes(&self) -> [u8; 4] {
        let [d0, d1] = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d0,
            d1,
        ]
    }

    pub fn key(&self) -> Option<DtmfKey> {
        DtmfKey::from_event(self.event)
    }
}

/// How far back (in timestamp units) a packet still counts as a late copy of an earlier
/// event rather than a new one: 10 s.
const STALE_WINDOW: u32 = 10 * 8000;
/// Slack around the 0xFFFF-unit segments of a very long press (RFC 4733 §2.5.1.3).
const SEGMENT_SLACK: u32 = 8000;

#[derive(Debug, Clone, Copy)]
struct Seen {
    timestamp: u32,
    event: u8,
    ended: bool,
    duration: u16,
}

/// Turns the telephone-event packets of one stream into key presses, each once.
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    payload_type: u8,
    ssrc: Option<u32>,
    last: Option<Seen>,
}

impl DtmfReceiver {
    /// A receiver for the telephone-event payload type negotiated in SDP.
    pub fn new(payload_type: u8) -> Self {
        DtmfReceiver {
            payload_type,
            ssrc: None,
            last: None,
        }
    }

    pub fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// Feeds one RTP packet of the call. Packets of another payload type (the audio) are
    /// ignored; a new SSRC starts afresh, since its timestamps start elsewhere.
    pub fn push_packet(&mut self, packet: &RtpPacket<'_>) -> Option<DtmfKey> {
        if packet.header.payload_type != self.payload_type {
            return None;
        }
        if self.ssrc != Some(packet.header.ssrc) {
            self.ssrc = Some(packet.header.ssrc);
            self.last = None;
        }
        self.push(packet.header.timestamp, packet.payload)
    }

    /// Feeds the RTP timestamp and payload of one telephone-event packet of a single
    /// stream. Returns the key when this packet is the first seen of a new press.
    ///
    /// A press is reported as soon as any of its packets arrives (so a lost start packet
    /// costs nothing); its other packets, the repeated end packets and late copies that
    /// arrive after a newer press are dropped. Events that are not keys (flash, tones) are
    /// tracked the same way but never reported.
    pub fn push(&mut self, timestamp: u32, payload: &[u8]) -> Option<DtmfKey> {
        let event = TelephoneEvent::parse(payload).ok()?;
        if let Some(last) = &mut self.last {
            if last.timestamp == timestamp && last.event == event.event {
                last.ended |= event.end;
                last.duration = last.duration.max(event.duration);
                return None;
            }
            let behind = last.timestamp.wrapping_sub(timestamp);
            if behind != 0 && behind <= STALE_WINDOW {
                return None;
            }
            let ahead = timestamp.wrapping_sub(last.timestamp);
            let is_next_segment = !last.ended
                && last.event == event.event
                && u32::from(last.duration) + SEGMENT_SLACK >= u32::from(u16::MAX)
                && ahead <= u32::from(u16::MAX) + SEGMENT_SLACK;
            if is_next_segment {
                *last = Seen {
                    timestamp,
                    event: event.event,
                    ended: event.end,
                    duration: event.duration,
                };
                return None;
            }
        }
        self.last = Some(Seen {
            timestamp,
            event: event.event,
            ended: event.end,
            duration: event.duration,
        });
        event.key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: u8, end: bool, duration: u16) -> [u8; 4] {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    /// Feeds (timestamp, payload) pairs and returns the keys reported, as a string.
    fn check(packets: &[(u32, [u8; 4])], expected: &str) {
        let mut rx = DtmfReceiver::new(101);
        let got: String = packets
            .iter()
            .filter_map(|(ts, p)| rx.push(*ts, p))
            .map(|k| k.to_char())
            .collect();
        assert_eq!(got, expected);
    }

    /// The packets a phone sends for one press: start ×3, updates, end ×3.
    fn press(ts: u32, event: u8) -> Vec<(u32, [u8; 4])> {
        let mut out = vec![(ts, ev(event, false, 0)); 3];
        out.extend((1..5).map(|i| (ts, ev(event, false, 160 * i))));
        out.extend([(ts, ev(event, true, 800)); 3]);
        out
    }

    #[test]
    fn keys_and_event_codes() {
        let all: String = (0..16)
            .filter_map(DtmfKey::from_event)
            .map(|k| k.to_char())
            .collect();
        assert_eq!(all, "0123456789*#ABCD");
        assert_eq!(DtmfKey::from_event(16), None);
        assert_eq!(DtmfKey::from_char('#').map(DtmfKey::event), Some(11));
        assert_eq!(DtmfKey::from_char('d').map(DtmfKey::event), Some(15));
        assert_eq!(DtmfKey::from_char('x'), None);
        assert_eq!(DtmfKey::from_event(10).unwrap().to_string(), "*");
    }

    #[test]
    fn payload_round_trips() {
        let e = TelephoneEvent {
            event: 11,
            end: true,
            volume: 63,
            duration: 0x1234,
        };
        assert_eq!(e.to_bytes(), [11, 0xbf, 0x12, 0x34]);
        assert_eq!(TelephoneEvent::parse(&[11, 0xbf, 0x12, 0x34, 0xff]), Ok(e));
        // The reserved bit is not the volume.
        assert_eq!(TelephoneEvent::parse(&[1, 0x40, 0, 0]).unwrap().volume, 0);
        assert_eq!(
            TelephoneEvent::parse(&[1, 2, 3]),
            Err(DtmfError::TooShort(3))
        );
    }

    #[test]
    fn one_press_is_one_key() {
        check(&press(1000, 5), "5");
    }

    #[test]
    fn the_same_key_twice_is_two_presses() {
        let mut p = press(1000, 1);
        p.extend(press(3000, 1));
        p.extend(press(5000, 11));
        check(&p, "11#");
    }

    #[test]
    fn a_press_seen_only_by_its_end_packets_still_counts() {
        check(&[(400, ev(9, true, 800)), (400, ev(9, true, 800))], "9");
    }

    #[test]
    fn late_copies_of_an_older_press_are_dropped() {
        let mut p = press(1000, 1);
        p.extend(press(3000, 2));
        p.push((1000, ev(1, true, 800)));
        p.extend(press(5000, 3));
        check(&p, "123");
    }

    #[test]
    fn timestamps_may_wrap() {
        let mut p = press(u32::MAX - 100, 4);
        p.extend(press(700, 2));
        check(&p, "42");
    }

    #[test]
    fn a_very_long_press_continues_in_a_new_segment() {
        check(
            &[
                (0, ev(0, false, 0)),
                (0, ev(0, false, u16::MAX)),
                (65535, ev(0, false, 800)),
                (65535, ev(0, true, 1600)),
                (70000, ev(0, false, 0)),
            ],
            "00",
        );
    }

    #[test]
    fn flash_and_short_payloads_are_not_keys() {
        check(
            &[
                (10, ev(16, false, 0)),
                (10, ev(16, true, 80)),
                (30, ev(1, false, 0)),
            ],
            "1",
        );
        let mut rx = DtmfReceiver::new(101);
        assert_eq!(rx.push(5, &[1, 2]), None);
    }

    #[test]
    fn other_payload_types_and_a_new_ssrc() {
        let mut buf = [0u8; 16];
        let mut rx = DtmfReceiver::new(96);
        let mut key_of = |rx: &mut DtmfReceiver, pt: u8, ssrc: u32, ts: u32, event: u8| {
            let h = crate::media::rtp::RtpHeader {
                marker: false,
                payload_type: pt,
                sequence: 1,
                timestamp: ts,
                ssrc,
            };
            let n = crate::media::rtp::build(&mut buf, &h, &ev(event, false, 0)).unwrap();
            rx.push_packet(&RtpPacket::parse(&buf[..n]).unwrap())
                .map(|k| k.to_char())
        };
        assert_eq!(key_of(&mut rx, 101, 1, 1000, 3), None);
        assert_eq!(key_of(&mut rx, 96, 1, 1000, 3), Some('3'));
        // Another SSRC whose clock is just behind: a new stream, not a late copy.
        assert_eq!(key_of(&mut rx, 96, 2, 900, 4), Some('4'));
    }
}
