//! RTP packets (RFC 3550): parse what the network sends, build what we send, and pace our
//! 20 ms frames.
//!
//! Parsing borrows the datagram ([`RtpPacket`] holds slices of it) and rejects anything that
//! does not add up with an [`RtpError`]; no input makes it panic.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// The only RTP version there is.
pub const RTP_VERSION: u8 = 2;
/// The fixed header: V/P/X/CC, M/PT, sequence number, timestamp, SSRC.
pub const HEADER_LEN: usize = 12;
/// Samples per second of every codec we speak (G.711 and telephone-event/8000).
pub const CLOCK_RATE: u32 = 8000;
/// Length of one frame we send.
pub const FRAME_DURATION: Duration = Duration::from_millis(20);
/// Samples in one 20 ms frame at 8 kHz; for G.711 also the payload length in bytes.
pub const FRAME_SAMPLES: usize = 160;

/// Why a datagram is not an RTP packet we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("{0} bytes is shorter than the 12-byte RTP header")]
    TooShort(usize),
    #[error("RTP version {0}, expected 2")]
    BadVersion(u8),
    #[error("{count} CSRC identifiers do not fit in a {len}-byte packet")]
    TruncatedCsrc { count: u8, len: usize },
    #[error("the header extension runs past the end of a {len}-byte packet")]
    TruncatedExtension { len: usize },
    #[error("padding of {padding} bytes does not fit in a {len}-byte packet")]
    BadPadding { padding: u8, len: usize },
    #[error("payload type {0} does not fit in 7 bits")]
    BadPayloadType(u8),
    #[error("a buffer of {have} bytes cannot hold a {need}-byte packet")]
    BufferTooSmall { need: usize, have: usize },
}

/// The fields of the fixed header that a stream sets per packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// A header extension (RFC 3550 §5.3.1): a profile-defined id and its 32-bit words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpExtension<'a> {
    pub profile: u16,
    pub data: &'a [u8],
}

/// A parsed RTP packet borrowing the datagram it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub header: RtpHeader,
    /// The CSRC list, 4 bytes per identifier (read with [`RtpPacket::csrcs`]).
    csrc: &'a [u8],
    pub extension: Option<RtpExtension<'a>>,
    /// The media, without header, extension or padding.
    pub payload: &'a [u8],
    /// Padding bytes removed from the end (0 when the P bit is clear).
    pub padding: u8,
}

impl<'a> RtpPacket<'a> {
    /// Parses one datagram.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtpError> {
        let len = buf.len();
        let fixed: &[u8; HEADER_LEN] = buf
            .get(..HEADER_LEN)
            .and_then(|head| head.try_into().ok())
            .ok_or(RtpError::TooShort(len))?;
        let version = fixed[0] >> 6;
        if version != RTP_VERSION {
            return Err(RtpError::BadVersion(version));
        }
        let has_padding = fixed[0] & 0x20 != 0;
        let has_extension = fixed[0] & 0x10 != 0;
        let csrc_count = fixed[0] & 0x0f;
        let header = RtpHeader {
            marker: fixed[1] & 0x80 != 0,
            payload_type: fixed[1] & 0x7f,
            sequence: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
        };

        let csrc_end = HEADER_LEN + 4 * usize::from(csrc_count);
        let csrc = buf
            .get(HEADER_LEN..csrc_end)
            .ok_or(RtpError::TruncatedCsrc {
                count: csrc_count,
                len,
            })?;

        let mut payload_start = csrc_end;
        let extension = if has_extension {
            let ext_head = buf
                .get(csrc_end..csrc_end + 4)
                .ok_or(RtpError::TruncatedExtension { len })?;
            let profile = u16::from_be_bytes([ext_head[0], ext_head[1]]);
            let words = usize::from(u16::from_be_bytes([ext_head[2], ext_head[3]]));
            let data_start = csrc_end + 4;
            let data_end = data_start + 4 * words;
            let data = buf
                .get(data_start..data_end)
                .ok_or(RtpError::TruncatedExtension { len })?;
            payload_start = data_end;
            Some(RtpExtension { profile, data })
        } else {
            None
        };

        let mut payload_end = len;
        let mut padding = 0;
        if has_padding {
            // The last byte counts the padding, itself included, so 0 is not a valid count.
            padding = buf.last().copied().unwrap_or(0);
            let pad = usize::from(padding);
            if pad == 0 || payload_start + pad > len {
                return Err(RtpError::BadPadding { padding, len });
            }
            payload_end = len - pad;
        }
        let payload = buf
            .get(payload_start..payload_end)
            .ok_or(RtpError::TruncatedExtension { len })?;

        Ok(RtpPacket {
            header,
            csrc,
            extension,
            payload,
            padding,
        })
    }

    /// The contributing sources, in order.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.csrc
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

/// Writes a packet with `header` and `payload` into `buf` and returns its length.
///
/// We send neither CSRCs, extensions nor padding, so the header is always 12 bytes.
pub fn build(buf: &mut [u8], header: &RtpHeader, payload: &[u8]) -> Result<usize, RtpError> {
    if header.payload_type > 0x7f {
        return Err(RtpError::BadPayloadType(header.payload_type));
    }
    let need = HEADER_LEN + payload.len();
    let have = buf.len();
    let out = buf
        .get_mut(..need)
        .ok_or(RtpError::BufferTooSmall { need, have })?;
    out[0] = RTP_VERSION << 6;
    out[1] = (u8::from(header.marker) << 7) | header.payload_type;
    out[2..4].copy_from_slice(&header.sequence.to_be_bytes());
    out[4..8].copy_from_slice(&header.timestamp.to_be_bytes());
    out[8..12].copy_from_slice(&header.ssrc.to_be_bytes());
    out[HEADER_LEN..].copy_from_slice(payload);
    Ok(need)
}

/// The sending side of one RTP stream: keeps the SSRC, sequence number and timestamp.
///
/// The first values should be random (RFC 3550 §5.1); they are passed in so that this type
/// reads neither a clock nor a random source.
#[derive(Debug, Clone)]
pub struct RtpSender {
    ssrc: u32,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    /// Set on the first packet of a talkspurt (the first packet, and after a gap).
    marker: bool,
}

impl RtpSender {
    pub fn new(ssrc: u32, payload_type: u8, first_sequence: u16, first_timestamp: u32) -> Self {
        RtpSender {
            ssrc,
            payload_type: payload_type & 0x7f,
            sequence: first_sequence,
            timestamp: first_timestamp,
            marker: true,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The header the next frame will carry.
    pub fn next_header(&self) -> RtpHeader {
        RtpHeader {
            marker: self.marker,
            payload_type: self.payload_type,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
        }
    }

    /// Builds the next frame of G.711 `payload` (one byte per sample, normally
    /// [`FRAME_SAMPLES`] bytes) into `buf`, and advances the stream past it.
    pub fn frame(&mut self, buf: &mut [u8], payload: &[u8]) -> Result<usize, RtpError> {
        let len = build(buf, &self.next_header(), payload)?;
        self.sequence = self.sequence.wrapping_add(1);
        // A payload longer than u32::MAX samples cannot be in a datagram; saturate anyway.
        let samples = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.marker = false;
        Ok(len)
    }

    /// Lets `samples` of time pass without sending (silence suppressed, call on hold): the
    /// timestamp moves on, the sequence number does not, and the next frame starts a
    /// talkspurt.
    pub fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.marker = true;
    }
}

/// Paces frames every 20 ms from a start instant, and records how late each send was.
///
/// Deadlines are `start + n × 20 ms`, never "last send + 20 ms", so lateness does not add
/// up over a call. The caller sleeps until [`Pacer::next_deadline`], sends, and reports the
/// instant with [`Pacer::sent`]; no clock is read here.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    frames: u64,
    early: u64,
    jitter: Histogram<u64>,
}

impl Pacer {
    pub fn new(start: Instant) -> Self {
        Pacer {
            start,
            frames: 0,
            early: 0,
            // Two significant figures (1 %) are plenty for lateness, and keep the
            // auto-resizing histogram to a few kB per call.
            jitter: Histogram::new(2).expect("2 significant figures is a valid precision"),
        }
    }

    /// When the next frame is due.
    pub fn next_deadline(&self) -> Instant {
        self.start + deadline_offset(self.frames)
    }

    /// Records that the next frame went out at `at`, and moves on to the one after.
    ///
    /// Lateness (`at − deadline`) is recorded in microseconds; a send before its deadline
    /// is counted in [`Pacer::early_sends`] and recorded as 0.
    pub fn sent(&mut self, at: Instant) {
        let deadline = self.next_deadline();
        let late_us = match at.checked_duration_since(deadline) {
            Some(late) => u64::try_from(late.as_micros()).unwrap_or(u64::MAX),
            None => {
                self.early += 1;
                0
            }
        };
        if self.jitter.record(late_us).is_err() {
            // Beyond what the histogram can grow to (2^62 µs): clamp.
            self.jitter.saturating_record(late_us);
        }
        self.frames += 1;
    }

    pub fn frames_sent(&self) -> u64 {
        self.frames
    }

    pub fn early_sends(&self) -> u64 {
        self.early
    }

    /// Lateness of each send after its deadline, in microseconds.
    pub fn jitter(&self) -> &Histogram<u64> {
        &self.jitter
    }
}

fn deadline_offset(frames: u64) -> Duration {
    // 20 ms × frames overflows Duration only after ~10^10 years of call.
    FRAME_DURATION.saturating_mul(u32::try_from(frames).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(bytes: &[u8], expected: RtpError) {
        assert_eq!(RtpPacket::parse(bytes), Err(expected), "{bytes:02x?}");
    }

    fn header(marker: bool, pt: u8, seq: u16, ts: u32, ssrc: u32) -> RtpHeader {
        RtpHeader {
            marker,
            payload_type: pt,
            sequence: seq,
            timestamp: ts,
            ssrc,
        }
    }

    #[test]
    fn a_built_packet_parses_back() {
        let mut buf = [0u8; 200];
        let h = header(true, 8, 0xfffe, 0xdead_beef, 0x0102_0304);
        let payload = [0xd5u8; 160];
        let n = build(&mut buf, &h, &payload).unwrap();
        assert_eq!(n, 172);
        assert_eq!(
            &buf[..12],
            &[0x80, 0x88, 0xff, 0xfe, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]
        );
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        assert_eq!(p.header, h);
        assert_eq!(p.payload, &payload[..]);
        assert_eq!(p.padding, 0);
        assert_eq!(p.extension, None);
        assert_eq!(p.csrcs().count(), 0);
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped() {
        let mut pkt = vec![0xb2, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        pkt.extend_from_slice(&[0, 0, 0, 0xaa, 0, 0, 0, 0xbb]); // two CSRCs
        pkt.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension of one word
        pkt.extend_from_slice(b"media");
        pkt.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let p = RtpPacket::parse(&pkt).unwrap();
        assert_eq!(p.csrcs().collect::<Vec<_>>(), vec![0xaa, 0xbb]);
        assert_eq!(
            p.extension,
            Some(RtpExtension {
                profile: 0xbede,
                data: &[1, 2, 3, 4]
            })
        );
        assert_eq!(p.payload, b"media");
        assert_eq!(p.padding, 3);
    }

    #[test]
    fn malformed_packets_are_refused() {
        check_err(&[], RtpError::TooShort(0));
        check_err(&[0x80; 11], RtpError::TooShort(11));
        check_err(&[0x40; 12], RtpError::BadVersion(1));
        check_err(&[0xc0; 12], RtpError::BadVersion(3));
        check_err(
            &[0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            RtpError::TruncatedCsrc { count: 1, len: 12 },
        );
        check_err(
            &[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            RtpError::TruncatedExtension { len: 14 },
        );
        // The extension claims one word and there is none.
        check_err(
            &[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            RtpError::TruncatedExtension { len: 16 },
        );
        check_err(
            &[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            RtpError::BadPadding {
                padding: 0,
                len: 12,
            },
        );
        check_err(
            &[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3],
            RtpError::BadPadding {
                padding: 3,
                len: 14,
            },
        );
        let mut twelve = [0u8; 12];
        twelve[0] = 0xa0;
        twelve[11] = 0xff;
        check_err(
            &twelve,
            RtpError::BadPadding {
                padding: 0xff,
                len: 12,
            },
        );
    }

    #[test]
    fn padding_may_fill_the_whole_payload() {
        let p = RtpPacket::parse(&[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]).unwrap();
        assert_eq!(p.payload, b"");
        assert_eq!(p.padding, 3);
    }

    #[test]
    fn build_refuses_small_buffers_and_wide_payload_types() {
        let mut small = [0u8; 20];
        let h = header(false, 0, 0, 0, 0);
        assert_eq!(
            build(&mut small, &h, &[0; 160]),
            Err(RtpError::BufferTooSmall {
                need: 172,
                have: 20
            })
        );
        assert_eq!(
            build(&mut small, &header(false, 128, 0, 0, 0), &[]),
            Err(RtpError::BadPayloadType(128))
        );
    }

    #[test]
    fn the_sender_counts_sequence_and_timestamp_and_marks_talkspurts() {
        let mut s = RtpSender::new(7, 0, u16::MAX, u32::MAX - 100);
        let mut buf = [0u8; 172];
        let mut seen = Vec::new();
        for _ in 0..2 {
            let n = s.frame(&mut buf, &[0xff; FRAME_SAMPLES]).unwrap();
            seen.push(RtpPacket::parse(&buf[..n]).unwrap().header);
        }
        s.skip(FRAME_SAMPLES as u32 * 5);
        let n = s.frame(&mut buf, &[0xff; FRAME_SAMPLES]).unwrap();
        seen.push(RtpPacket::parse(&buf[..n]).unwrap().header);
        let got: Vec<_> = seen
            .iter()
            .map(|h| (h.marker, h.sequence, h.timestamp))
            .collect();
        assert_eq!(
            got,
            vec![
                (true, u16::MAX, u32::MAX - 100),
                (false, 0, 59),
                (true, 1, 59 + 160 * 6),
            ]
        );
        assert!(seen.iter().all(|h| h.ssrc == 7 && h.payload_type == 0));
    }

    #[test]
    fn the_pacer_keeps_deadlines_on_the_start_grid() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start);
        assert_eq!(pacer.next_deadline(), start);
        pacer.sent(start + Duration::from_micros(150));
        assert_eq!(pacer.next_deadline(), start + Duration::from_millis(20));
        // A late frame does not push the grid back.
        pacer.sent(start + Duration::from_millis(35));
        assert_eq!(pacer.next_deadline(), start + Duration::from_millis(40));
        pacer.sent(start + Duration::from_millis(39));
        assert_eq!(pacer.frames_sent(), 3);
        assert_eq!(pacer.early_sends(), 1);
        let j = pacer.jitter();
        assert_eq!(j.len(), 3);
        assert_eq!(j.min(), 0);
        assert!(j.equivalent(j.max(), 15_000), "max {}", j.max());
    }
}
