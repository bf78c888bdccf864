//! G.711 against sox, which implements the same ITU-T reference algorithm: every code
//! decoded, every 16-bit sample encoded, and a tone made by sox itself.

use std::process::Command;

use voltdesk_telephony::media::Codec;
use voltdesk_telephony::media::g711::{linear_to_alaw, linear_to_ulaw};

use crate::have_tool;

fn sox(args: &[&str]) {
    let out = Command::new("sox").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "sox {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn raw_args<'a>(kind: &'a str, path: &'a str) -> Vec<&'a str> {
    // -t ul / -t al: headerless μ-law / A-law; -t s16: headerless little-endian 16-bit.
    vec!["-r", "8000", "-c", "1", "-t", kind, path]
}

fn to_i16(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// sox's decoding of headerless G.711 (`kind` is `ul` or `al`) to 16-bit samples.
pub fn decode_with_sox(kind: &str, g711: &[u8]) -> Vec<i16> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.raw");
    let output = dir.path().join("out.raw");
    std::fs::write(&input, g711).unwrap();
    let mut args = raw_args(kind, input.to_str().unwrap());
    args.extend(raw_args("s16", output.to_str().unwrap()));
    sox(&args);
    to_i16(&std::fs::read(&output).unwrap())
}

/// sox's encoding of 16-bit samples, without dither (sox dithers by default when it
/// reduces precision, which would make the comparison random).
fn encode_with_sox(kind: &str, pcm: &[i16]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.raw");
    let output = dir.path().join("out.raw");
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&input, bytes).unwrap();
    let mut args = vec!["-D"];
    args.extend(raw_args("s16", input.to_str().unwrap()));
    args.extend(raw_args(kind, output.to_str().unwrap()));
    sox(&args);
    std::fs::read(&output).unwrap()
}

fn decode(codec: Codec, bytes: &[u8]) -> Vec<i16> {
    let mut out = Vec::new();
    codec.decode(bytes, &mut out);
    out
}

#[test]
fn every_code_decodes_as_sox_decodes_it() {
    if !have_tool("sox", "the G.711 decode comparison") {
        return;
    }
    let codes: Vec<u8> = (0..=255).collect();
    assert_eq!(decode(Codec::Pcmu, &codes), decode_with_sox("ul", &codes));
    assert_eq!(decode(Codec::Pcma, &codes), decode_with_sox("al", &codes));
}

/// sox runs the same segment algorithm, but first rounds the 16-bit sample to the 14 bits
/// (μ-law) or 13 bits (A-law) that G.711 encodes, where the reference code truncates. So
/// sox's code for x is ours for x + 2 (μ-law) and x + 4 (A-law), for every 16-bit x.
#[test]
fn every_sample_encodes_as_sox_encodes_it_once_rounded() {
    if !have_tool("sox", "the G.711 encode comparison") {
        return;
    }
    let all: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let ulaw: Vec<u8> = all
        .iter()
        .map(|&s| linear_to_ulaw(s.saturating_add(2)))
        .collect();
    let alaw: Vec<u8> = all
        .iter()
        .map(|&s| linear_to_alaw(s.saturating_add(4)))
        .collect();
    let sox_ulaw = encode_with_sox("ul", &all);
    let sox_alaw = encode_with_sox("al", &all);
    let first_difference = |ours: &[u8], theirs: &[u8]| {
        ours.iter()
            .zip(theirs)
            .zip(&all)
            .find(|((a, b), _)| a != b)
            .map(|((a, b), x)| format!("at {x}: ours {a:#04x}, sox {b:#04x}"))
    };
    assert_eq!(first_difference(&ulaw, &sox_ulaw), None, "μ-law");
    assert_eq!(first_difference(&alaw, &sox_alaw), None, "A-law");
    // Without the rounding, only inputs near a decision value differ (about 1 in 100).
    let truncated = all
        .iter()
        .zip(&sox_alaw)
        .filter(|(s, c)| linear_to_alaw(**s) != **c)
        .count();
    assert!(truncated < all.len() / 50, "{truncated}");
}

/// The brief's own recipe: a 440 Hz tone that sox writes as a μ-law and an A-law WAV, and
/// as 16-bit: our decoding of sox's G.711 is sox's decoding, sample for sample.
#[test]
fn a_sox_tone_in_g711_wav_decodes_as_sox_decodes_it() {
    if !have_tool("sox", "the sox tone comparison") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (encoding, codec) in [("u-law", Codec::Pcmu), ("a-law", Codec::Pcma)] {
        let wav = dir.path().join(format!("{encoding}.wav"));
        let wav = wav.to_str().unwrap();
        sox(&[
            "-n", "-r", "8000", "-c", "1", "-e", encoding, wav, "synth", "0.1", "sine", "440",
        ]);
        let g711 = dir.path().join("tone.raw");
        let pcm = dir.path().join("tone.s16");
        // The WAV's data chunk, as sox reads it, without parsing the header here.
        sox(&[wav, "-t", "raw", g711.to_str().unwrap()]);
        sox(&[wav, "-t", "s16", pcm.to_str().unwrap()]);
        let g711 = std::fs::read(&g711).unwrap();
        assert_eq!(g711.len(), 800);
        assert_eq!(
            decode(codec, &g711),
            to_i16(&std::fs::read(&pcm).unwrap()),
            "{encoding}"
        );
    }
}
