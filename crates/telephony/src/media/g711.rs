//! G.711: μ-law (PCMU, payload type 0) and A-law (PCMA, payload type 8) to and from 16-bit
//! linear PCM, and μ-law ↔ A-law transcoding, exactly as ITU-T G.711 defines them.
//!
//! Decoding reads a 256-entry table computed at compile time; encoding finds the segment of
//! the magnitude, as the classic reference code does: it keeps the top 14 bits (μ-law) or
//! 13 bits (A-law) of the 16-bit sample, truncating. (sox rounds to those bits instead, so
//! its encoding of x is ours of x + 2 or x + 4; the tests check exactly that.) Transcoding uses G.711's own
//! conversion tables (Tables 3 and 4), which are not the same as decoding and encoding
//! again: at a few dozen code points they pick the neighbouring code, so that A → μ → A
//! gives the original A-law code back for all but 16 of the 256.

/// The two codecs every SIP phone and trunk offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// μ-law, static payload type 0.
    Pcmu,
    /// A-law, static payload type 8 (the usual one on Chinese trunks).
    Pcma,
}

impl Codec {
    pub const fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The encoding name in `a=rtpmap` (compared without case).
    pub const fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// The code that decodes to (nearly) zero.
    pub const fn silence(self) -> u8 {
        match self {
            Codec::Pcmu => 0xff,
            Codec::Pcma => 0xd5,
        }
    }

    /// Appends the encoding of `pcm`, one byte per sample, to `out`.
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        let f = match self {
            Codec::Pcmu => linear_to_ulaw,
            Codec::Pcma => linear_to_alaw,
        };
        out.extend(pcm.iter().map(|&s| f(s)));
    }

    /// Appends the decoding of `bytes`, one sample per byte, to `out`.
    pub fn decode(self, bytes: &[u8], out: &mut Vec<i16>) {
        let table = match self {
            Codec::Pcmu => &ULAW_TO_LINEAR,
            Codec::Pcma => &ALAW_TO_LINEAR,
        };
        out.extend(bytes.iter().map(|&b| table[usize::from(b)]));
    }
}

const ULAW_BIAS: i32 = 0x84;
/// Largest μ-law magnitude in 14-bit units before the bias is added.
const ULAW_CLIP: i32 = 8159;
/// Upper ends of the eight μ-law segments (14-bit magnitude plus bias).
const ULAW_SEGMENT_END: [i32; 8] = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
/// Upper ends of the eight A-law segments (13-bit magnitude).
const ALAW_SEGMENT_END: [i32; 8] = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

fn segment(magnitude: i32, ends: &[i32; 8]) -> Option<i32> {
    (0..)
        .zip(ends)
        .find(|(_, end)| magnitude <= **end)
        .map(|(seg, _)| seg)
}

/// Encodes one 16-bit sample as μ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    // μ-law works on 14 bits; the code word is sent complemented.
    let mut magnitude = i32::from(sample) >> 2;
    let mask = if magnitude < 0 {
        magnitude = -magnitude;
        0x7f
    } else {
        0xff
    };
    magnitude = magnitude.min(ULAW_CLIP) + (ULAW_BIAS >> 2);
    let code = match segment(magnitude, &ULAW_SEGMENT_END) {
        Some(seg) => (seg << 4) | ((magnitude >> (seg + 1)) & 0x0f),
        None => 0x7f,
    };
    // `code` is at most 0x7f, so the cast keeps every bit.
    (code as u8) ^ mask
}

/// Encodes one 16-bit sample as A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    // A-law works on 13 bits; even bits are inverted on the line (the 0x55 in the masks).
    let mut magnitude = i32::from(sample) >> 3;
    let mask = if magnitude >= 0 {
        0xd5
    } else {
        magnitude = -magnitude - 1;
        0x55
    };
    let code = match segment(magnitude, &ALAW_SEGMENT_END) {
        Some(seg) => {
            let shift = if seg < 2 { 1 } else { seg };
            (seg << 4) | ((magnitude >> shift) & 0x0f)
        }
        None => 0x7f,
    };
    (code as u8) ^ mask
}

const fn ulaw_decode(code: u8) -> i16 {
    let u = !code;
    let mut t = (((u & 0x0f) as i32) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

const fn alaw_decode(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = ((a & 0x0f) as i32) << 4;
    let seg = (a & 0x70) >> 4;
    t += match seg {
        0 => 8,
        _ => 0x108,
    };
    if seg > 1 {
        t <<= seg - 1;
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// The 256 values of a `const fn(u8)`, computed at compile time.
macro_rules! table {
    ($f:ident) => {{
        let mut out = [0; 256];
        let mut i = 0;
        while i < 256 {
            out[i] = $f(i as u8);
            i += 1;
        }
        out
    }};
}

static ULAW_TO_LINEAR: [i16; 256] = table!(ulaw_decode);
static ALAW_TO_LINEAR: [i16; 256] = table!(alaw_decode);

/// Decodes one μ-law byte.
pub fn ulaw_to_linear(code: u8) -> i16 {
    ULAW_TO_LINEAR[usize::from(code)]
}

/// Decodes one A-law byte.
pub fn alaw_to_linear(code: u8) -> i16 {
    ALAW_TO_LINEAR[usize::from(code)]
}

// G.711 Tables 3 and 4 map magnitudes (0 = the code nearest zero, 127 = the loudest); the
// sign carries over. Written here segment by segment rather than as 128 numbers each.

/// μ-law magnitude → A-law magnitude (G.711 Table 3).
const fn ulaw_magnitude_to_alaw(m: u8) -> u8 {
    match m {
        0..=15 => m / 2,
        16..=31 => m - 8,
        32..=35 => 24 + 2 * (m - 32),
        36..=47 => m - 4,
        48..=49 => 45 + 2 * (m - 48),
        50..=63 => m - 2,
        64..=79 => m - 1,
        _ => m,
    }
}

/// A-law magnitude → μ-law magnitude (G.711 Table 4).
const fn alaw_magnitude_to_ulaw(m: u8) -> u8 {
    match m {
        0..=7 => 2 * m + 1,
        8..=23 => m + 8,
        24..=31 => 32 + (m - 24) / 2,
        32..=43 => m + 4,
        44..=47 => 48 + (m - 44) / 2,
        48..=62 => m + 2,
        63 => 64,
        64..=78 => m + 1,
        79 => 79,
        _ => m,
    }
}

const fn ulaw_to_alaw_code(u: u8) -> u8 {
    // μ-law: bit 7 set = positive, the rest complemented. A-law: bit 7 set = positive,
    // even bits inverted.
    if u & 0x80 != 0 {
        0xd5 ^ ulaw_magnitude_to_alaw(0xff ^ u)
    } else {
        0x55 ^ ulaw_magnitude_to_alaw(0x7f ^ u)
    }
}

const fn alaw_to_ulaw_code(a: u8) -> u8 {
    if a & 0x80 != 0 {
        0xff ^ alaw_magnitude_to_ulaw(a ^ 0xd5)
    } else {
        0x7f ^ alaw_magnitude_to_ulaw(a ^ 0x55)
    }
}

static ULAW_TO_ALAW: [u8; 256] = table!(ulaw_to_alaw_code);
static ALAW_TO_ULAW: [u8; 256] = table!(alaw_to_ulaw_code);

/// Converts μ-law bytes to A-law in place, without going through linear PCM.
pub fn transcode_ulaw_to_alaw(bytes: &mut [u8]) {
    for b in bytes {
        *b = ULAW_TO_ALAW[usize::from(*b)];
    }
}

/// Converts A-law bytes to μ-law in place, without going through linear PCM.
pub fn transcode_alaw_to_ulaw(bytes: &mut [u8]) {
    for b in bytes {
        *b = ALAW_TO_ULAW[usize::from(*b)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_ulaw(code: u8, linear: i16) {
        assert_eq!(ulaw_to_linear(code), linear, "μ-law {code:#04x}");
    }

    fn check_alaw(code: u8, linear: i16) {
        assert_eq!(alaw_to_linear(code), linear, "A-law {code:#04x}");
    }

    #[test]
    fn known_code_points_decode() {
        check_ulaw(0xff, 0);
        check_ulaw(0x7f, 0);
        check_ulaw(0x00, -32124);
        check_ulaw(0x80, 32124);
        check_ulaw(0xfe, 8);
        check_ulaw(0x7e, -8);
        check_ulaw(0xef, 132);
        check_ulaw(0xe0, 372);
        check_alaw(0xd5, 8);
        check_alaw(0x55, -8);
        check_alaw(0xd4, 24);
        check_alaw(0xaa, 32256);
        check_alaw(0x2a, -32256);
        check_alaw(0xc5, 264);
    }

    #[test]
    fn known_samples_encode() {
        for (sample, ulaw, alaw) in [
            (0i16, 0xffu8, 0xd5u8),
            (-1, 0x7e, 0x55),
            (8, 0xfe, 0xd5),
            (32767, 0x80, 0xaa),
            (-32768, 0x00, 0x2a),
            (1000, 0xce, 0xfa),
            (-1000, 0x4e, 0x7a),
        ] {
            assert_eq!(linear_to_ulaw(sample), ulaw, "μ-law of {sample}");
            assert_eq!(linear_to_alaw(sample), alaw, "A-law of {sample}");
        }
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        // Except μ-law's negative zero, which encodes as positive zero.
        for code in 0..=255u8 {
            let back = linear_to_ulaw(ulaw_to_linear(code));
            assert!(
                back == code || (code == 0x7f && back == 0xff),
                "μ-law {code:#04x}"
            );
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "A-law {code:#04x}"
            );
        }
    }

    #[test]
    fn encoding_is_monotonic_in_the_decoded_value() {
        let mut last = (i16::MIN, i16::MIN);
        for s in i16::MIN..=i16::MAX {
            let now = (
                ulaw_to_linear(linear_to_ulaw(s)),
                alaw_to_linear(linear_to_alaw(s)),
            );
            assert!(now.0 >= last.0 && now.1 >= last.1, "at {s}");
            last = now;
        }
    }

    #[test]
    fn transcoding_follows_g711_tables() {
        // Rows of Tables 3 and 4, most of them where the tables differ from decode-and-encode.
        let cases_u2a = [
            (0xffu8, 0xd5u8),
            (0xdc, 0xcb),
            (0xa0, 0x8a),
            (0xa3, 0x89),
            (0xaf, 0x85),
            (0xbf, 0xea),
            (0xce, 0xfa),
            (0xcf, 0xf8),
        ];
        for (u, a) in cases_u2a {
            let mut b = [u, u & 0x7f];
            transcode_ulaw_to_alaw(&mut b);
            assert_eq!(b, [a, a & 0x7f], "μ {u:#04x}");
        }
        let cases_a2u = [
            (0xd5u8, 0xfeu8),
            (0xc5, 0xe7),
            (0x80, 0xaa),
            (0x83, 0xa9),
            (0x8f, 0xa5),
            (0x9a, 0xb0),
        ];
        for (a, u) in cases_a2u {
            let mut b = [a, a & 0x7f];
            transcode_alaw_to_ulaw(&mut b);
            assert_eq!(b, [u, u & 0x7f], "A {a:#04x}");
        }
    }

    #[test]
    fn transcoding_stays_within_one_step_of_the_linear_path() {
        for u in 0..=255u8 {
            let mut a = [u];
            transcode_ulaw_to_alaw(&mut a);
            let direct = i32::from(alaw_to_linear(a[0]));
            let via = i32::from(alaw_to_linear(linear_to_alaw(ulaw_to_linear(u))));
            let step = (i32::from(ulaw_to_linear(u)).abs() / 16).max(16);
            assert!(
                (direct - via).abs() <= step,
                "μ {u:#04x}: {direct} vs {via}"
            );
        }
        // A → μ → A is transparent except where Table 4 merges two A-law codes.
        let lossy = (0..=255u8)
            .filter(|&a| {
                let mut b = [a];
                transcode_alaw_to_ulaw(&mut b);
                transcode_ulaw_to_alaw(&mut b);
                b[0] != a
            })
            .count();
        assert_eq!(lossy, 16);
    }

    #[test]
    fn codec_helpers_round_trip_a_frame() {
        let pcm: Vec<i16> = (0..160)
            .map(|i| ((i * 397) % 20000 - 10000) as i16)
            .collect();
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut bytes = Vec::new();
            codec.encode(&pcm, &mut bytes);
            let mut back = Vec::new();
            codec.decode(&bytes, &mut back);
            assert_eq!(back.len(), 160);
            for (a, b) in pcm.iter().zip(&back) {
                assert!(
                    (i32::from(*a) - i32::from(*b)).abs() <= 320,
                    "{codec:?}: {a} vs {b}"
                );
            }
        }
        let mut silence = Vec::new();
        Codec::Pcmu.decode(&[Codec::Pcmu.silence()], &mut silence);
        Codec::Pcma.decode(&[Codec::Pcma.silence()], &mut silence);
        assert_eq!(silence, vec![0, 8]);
    }
}
