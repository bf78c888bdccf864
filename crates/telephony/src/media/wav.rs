//! WAV files in the one format a telephone line uses: 8 kHz, mono, 16-bit PCM.
//!
//! Prompts are read with [`load_wav`]; calls are recorded with [`Recorder`]. A file in
//! another format is refused with its name and the sox command that converts it, rather
//! than resampled here: a prompt that sounds wrong should be fixed once, at the source.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::g711::Codec;

/// The sample rate of every file here.
pub const SAMPLE_RATE: u32 = 8000;

const CONVERT_HINT: &str = "telephone prompts must be 8000 Hz mono 16-bit PCM (sox IN -r 8000 -c 1 -b 16 -e signed-integer OUT.wav)";

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("{}: cannot read as WAV: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    #[error("{}: {found}; {CONVERT_HINT}", path.display())]
    Format { path: PathBuf, found: String },
    #[error("{}: cannot write WAV: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    #[error("{}: cannot list the prompt folder: {source}", path.display())]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn telephone_spec() -> hound::WavSpec {
    hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

/// Reads an 8 kHz mono 16-bit PCM WAV file.
pub fn load_wav(path: &Path) -> Result<Vec<i16>, WavError> {
    let reader = hound::WavReader::open(path).map_err(|source| match source {
        // hound reads PCM and float only; A-law and μ-law WAV files end up here.
        hound::Error::Unsupported => WavError::Format {
            path: path.to_path_buf(),
            found: "an encoding other than PCM (A-law or μ-law?)".into(),
        },
        source => WavError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let spec = reader.spec();
    if spec != telephone_spec() {
        let kind = match spec.sample_format {
            hound::SampleFormat::Int => "PCM",
            hound::SampleFormat::Float => "float",
        };
        return Err(WavError::Format {
            path: path.to_path_buf(),
            found: format!(
                "{} Hz, {} channel(s), {}-bit {kind}",
                spec.sample_rate, spec.channels, spec.bits_per_sample
            ),
        });
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| WavError::Read {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes what a call hears (or says) to an 8 kHz mono 16-bit PCM WAV file.
///
/// Dropping it without [`Recorder::finish`] still closes the file, but loses the error if
/// the header cannot be written.
pub struct Recorder {
    writer: hound::WavWriter<BufWriter<File>>,
    path: PathBuf,
    decoded: Vec<i16>,
}

impl Recorder {
    pub fn create(path: &Path) -> Result<Self, WavError> {
        let writer =
            hound::WavWriter::create(path, telephone_spec()).map_err(|source| WavError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Recorder {
            writer,
            path: path.to_path_buf(),
            decoded: Vec::new(),
        })
    }

    pub fn write_pcm(&mut self, samples: &[i16]) -> Result<(), WavError> {
        for &s in samples {
            self.writer
                .write_sample(s)
                .map_err(|source| WavError::Write {
                    path: self.path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Decodes one G.711 payload and appends it.
    pub fn write_g711(&mut self, codec: Codec, payload: &[u8]) -> Result<(), WavError> {
        let mut decoded = std::mem::take(&mut self.decoded);
        decoded.clear();
        codec.decode(payload, &mut decoded);
        let result = self.write_pcm(&decoded);
        self.decoded = decoded;
        result
    }

    /// Samples written so far.
    pub fn len(&self) -> u32 {
        self.writer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Completes the header and closes the file; returns the number of samples.
    pub fn finish(self) -> Result<u32, WavError> {
        let samples = self.writer.len();
        let path = self.path;
        self.writer
            .finalize()
            .map_err(|source| WavError::Write { path, source })?;
        Ok(samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, spec: hound::WavSpec, samples: &[i16]) {
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn the_recorder_writes_what_load_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.wav");
        let mut rec = Recorder::create(&path).unwrap();
        rec.write_pcm(&[1, -2, 300]).unwrap();
        rec.write_g711(Codec::Pcma, &[0xd5, 0x55]).unwrap();
        rec.write_g711(Codec::Pcmu, &[0x00]).unwrap();
        assert_eq!(rec.len(), 6);
        assert_eq!(rec.finish().unwrap(), 6);
        assert_eq!(load_wav(&path).unwrap(), vec![1, -2, 300, 8, -8, -32124]);
    }

    #[test]
    fn other_formats_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("cd.wav", 44100, 2, "44100 Hz, 2 channel(s), 16-bit PCM"),
            ("wide.wav", 16000, 1, "16000 Hz, 1 channel(s), 16-bit PCM"),
        ];
        for (name, rate, channels, found) in cases {
            let path = dir.path().join(name);
            let spec = hound::WavSpec {
                sample_rate: rate,
                channels,
                ..telephone_spec()
            };
            write(&path, spec, &[0, 0]);
            let err = load_wav(&path).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains(found), "{err}");
            assert!(err.contains("8000 Hz mono 16-bit PCM"), "{err}");
        }
        let garbage = dir.path().join("garbage.wav");
        std::fs::write(&garbage, b"RIFF\x04\0\0\0WAVE").unwrap();
        let err = load_wav(&garbage).unwrap_err().to_string();
        assert!(err.contains("garbage.wav"), "{err}");
        let err = load_wav(&dir.path().join("absent.wav"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("absent.wav"), "{err}");
    }
}
