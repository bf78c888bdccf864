//! Recorded prompts, held in memory already encoded as 20 ms G.711 frames.
//!
//! The IVR plays the same few dozen prompts on every call, so each is decoded from WAV and
//! encoded for PCMU and PCMA once, at start-up; playing one is then handing out slices of a
//! shared buffer. A prompt without a recording plays a short tone instead, so that a line
//! set up before its recordings exist still answers.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::g711::Codec;
use super::rtp::{FRAME_DURATION, FRAME_SAMPLES};
use super::wav::{self, SAMPLE_RATE, WavError};

/// One 20 ms G.711 frame: a view into a clip's shared buffer.
#[derive(Debug, Clone)]
pub struct Frame {
    data: Arc<[u8]>,
    start: usize,
}

impl Frame {
    pub fn as_bytes(&self) -> &[u8] {
        // `start` is a multiple of FRAME_SAMPLES below the buffer's length, which is itself
        // a multiple of FRAME_SAMPLES (see `Clip::encode`).
        &self.data[self.start..self.start + FRAME_SAMPLES]
    }
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// A prompt encoded both ways, padded with silence to whole frames.
#[derive(Debug, Clone)]
pub struct Clip {
    pcmu: Arc<[u8]>,
    pcma: Arc<[u8]>,
}

impl Clip {
    /// Encodes 8 kHz linear PCM.
    pub fn encode(pcm: &[i16]) -> Self {
        let encode = |codec: Codec| -> Arc<[u8]> {
            let mut bytes = Vec::with_capacity(pcm.len() + FRAME_SAMPLES);
            codec.encode(pcm, &mut bytes);
            let whole = bytes.len().div_ceil(FRAME_SAMPLES) * FRAME_SAMPLES;
            bytes.resize(whole, codec.silence());
            bytes.into()
        };
        Clip {
            pcmu: encode(Codec::Pcmu),
            pcma: encode(Codec::Pcma),
        }
    }

    pub fn frame_count(&self) -> usize {
        self.pcmu.len() / FRAME_SAMPLES
    }

    pub fn duration(&self) -> Duration {
        FRAME_DURATION * u32::try_from(self.frame_count()).unwrap_or(u32::MAX)
    }

    pub fn frames(&self, codec: Codec) -> ClipFrames {
        let data = match codec {
            Codec::Pcmu => &self.pcmu,
            Codec::Pcma => &self.pcma,
        };
        ClipFrames {
            data: Arc::clone(data),
            next: 0,
        }
    }
}

/// The frames of one clip, in order.
#[derive(Debug, Clone)]
pub struct ClipFrames {
    data: Arc<[u8]>,
    next: usize,
}

impl Iterator for ClipFrames {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        if self.next + FRAME_SAMPLES > self.data.len() {
            return None;
        }
        let frame = Frame {
            data: Arc::clone(&self.data),
            start: self.next,
        };
        self.next += FRAME_SAMPLES;
        Some(frame)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.data.len() - self.next.min(self.data.len())) / FRAME_SAMPLES;
        (left, Some(left))
    }
}

impl ExactSizeIterator for ClipFrames {}

/// What plays for a prompt that has no recording: 200 ms of 450 Hz (the Chinese network's
/// tone frequency) and 300 ms of silence.
fn fallback_clip() -> Clip {
    let tone_samples = SAMPLE_RATE as usize / 5;
    let silence_samples = SAMPLE_RATE as usize * 3 / 10;
    let step = 2.0 * std::f64::consts::PI * 450.0 / f64::from(SAMPLE_RATE);
    let mut pcm: Vec<i16> = (0..tone_samples)
        // About −10 dBFS; the cast cannot overflow at this amplitude.
        .map(|n| (10_000.0 * (step * n as f64).sin()) as i16)
        .collect();
    pcm.resize(tone_samples + silence_samples, 0);
    Clip::encode(&pcm)
}

/// Every prompt of a folder, by name (the file name without `.wav`).
#[derive(Debug, Clone)]
pub struct PromptLibrary {
    clips: BTreeMap<String, Clip>,
    fallback: Clip,
    rejected: Vec<Arc<WavError>>,
}

impl Default for PromptLibrary {
    fn default() -> Self {
        PromptLibrary {
            clips: BTreeMap::new(),
            fallback: fallback_clip(),
            rejected: Vec::new(),
        }
    }
}

impl PromptLibrary {
    /// A library with no recordings: every prompt plays the fallback tone.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads every `*.wav` in `dir`. Fails only when the folder cannot be listed; a file in
    /// the wrong format is logged, kept in [`PromptLibrary::rejected`] and treated as
    /// missing, so one bad recording does not keep the line from answering.
    pub fn load_dir(dir: &Path) -> Result<Self, WavError> {
        let dir_error = |source| WavError::Dir {
            path: dir.to_path_buf(),
            source,
        };
        let mut library = Self::default();
        for entry in std::fs::read_dir(dir).map_err(dir_error)? {
            let path = entry.map_err(dir_error)?.path();
            let is_wav = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
            let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if !is_wav || !path.is_file() {
                continue;
            }
            match wav::load_wav(&path) {
                Ok(pcm) => library.insert(name, &pcm),
                Err(e) => {
                    tracing::warn!(error = %e, "prompt not loaded");
                    library.rejected.push(Arc::new(e));
                }
            }
        }
        tracing::info!(dir = %dir.display(), prompts = library.clips.len(), "prompts loaded");
        Ok(library)
    }

    /// Adds (or replaces) a prompt from 8 kHz linear PCM.
    pub fn insert(&mut self, name: &str, pcm: &[i16]) {
        self.clips.insert(name.to_string(), Clip::encode(pcm));
    }

    pub fn contains(&self, name: &str) -> bool {
        self.clips.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.clips.keys().map(String::as_str)
    }

    /// The files that were found but could not be used.
    pub fn rejected(&self) -> &[Arc<WavError>] {
        &self.rejected
    }

    /// Which of `names` have no recording. The caller that knows which prompts its menus
    /// use reports these once, at start-up; playing them is never an error.
    pub fn missing<'n>(&self, names: &[&'n str]) -> Vec<&'n str> {
        names
            .iter()
            .copied()
            .filter(|n| !self.contains(n))
            .collect()
    }

    /// The prompt called `name`, or the fallback tone.
    pub fn clip(&self, name: &str) -> Clip {
        self.clips.get(name).unwrap_or(&self.fallback).clone()
    }

    /// The frames of several prompts played back to back. The iterator owns what it
    /// plays, so it can move to the task that sends the call's RTP.
    pub fn sequence(
        &self,
        names: &[&str],
        codec: Codec,
    ) -> impl Iterator<Item = Frame> + Send + 'static {
        let clips: Vec<Clip> = names.iter().map(|n| self.clip(n)).collect();
        clips.into_iter().flat_map(move |clip| clip.frames(codec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_is_padded_to_whole_frames_of_silence() {
        let pcm = vec![1000i16; 200];
        let clip = Clip::encode(&pcm);
        assert_eq!(clip.frame_count(), 2);
        assert_eq!(clip.duration(), Duration::from_millis(40));
        let frames: Vec<Frame> = clip.frames(Codec::Pcma).collect();
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|f| f.as_bytes().len() == FRAME_SAMPLES));
        assert!(frames[0].as_bytes().iter().all(|&b| b == 0xfa));
        assert_eq!(&frames[1].as_bytes()[..40], &[0xfa; 40][..]);
        assert!(frames[1].as_bytes()[40..].iter().all(|&b| b == 0xd5));
        let ulaw: Vec<u8> = clip
            .frames(Codec::Pcmu)
            .flat_map(|f| f.as_bytes().to_vec())
            .collect();
        assert_eq!(ulaw[..200], [0xce; 200]);
        assert!(ulaw[200..].iter().all(|&b| b == 0xff));
        assert_eq!(Clip::encode(&[]).frame_count(), 0);
    }

    #[test]
    fn a_missing_prompt_plays_the_fallback_tone() {
        let mut lib = PromptLibrary::empty();
        lib.insert("welcome", &[0; 320]);
        assert_eq!(
            lib.missing(&["welcome", "menu", "goodbye"]),
            vec!["menu", "goodbye"]
        );
        let fallback = lib.clip("menu");
        assert_eq!(fallback.duration(), Duration::from_millis(500));
        // Tone first, then silence.
        let frames: Vec<Frame> = fallback.frames(Codec::Pcmu).collect();
        assert!(frames[0].as_bytes().iter().any(|&b| b != 0xff));
        assert!(frames.last().unwrap().as_bytes().iter().all(|&b| b == 0xff));
    }

    #[test]
    fn a_sequence_plays_prompts_back_to_back() {
        let mut lib = PromptLibrary::empty();
        lib.insert("one", &[1000; 160]);
        lib.insert("two", &[-1000; 320]);
        let frames: Vec<u8> = lib
            .sequence(&["one", "two", "one"], Codec::Pcmu)
            .map(|f| f.as_bytes()[0])
            .collect();
        assert_eq!(frames, vec![0xce, 0x4e, 0x4e, 0xce]);
        assert_eq!(lib.names().collect::<Vec<_>>(), vec!["one", "two"]);
        let with_gap = lib.sequence(&["one", "nope"], Codec::Pcma).count();
        assert_eq!(with_gap, 1 + 25);
    }

    #[test]
    fn a_folder_loads_its_wav_files_and_sets_aside_the_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = wav::Recorder::create(&dir.path().join("welcome.wav")).unwrap();
        rec.write_pcm(&[500; 480]).unwrap();
        rec.finish().unwrap();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 44100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(dir.path().join("loud.wav"), spec)
            .unwrap()
            .finalize()
            .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a prompt").unwrap();
        std::fs::create_dir(dir.path().join("old.wav")).unwrap();

        let lib = PromptLibrary::load_dir(dir.path()).unwrap();
        assert_eq!(lib.names().collect::<Vec<_>>(), vec!["welcome"]);
        assert_eq!(lib.clip("welcome").frame_count(), 3);
        assert_eq!(lib.rejected().len(), 1);
        assert!(lib.rejected()[0].to_string().contains("loud.wav"));
        assert_eq!(lib.missing(&["loud"]), vec!["loud"]);

        let err = PromptLibrary::load_dir(&dir.path().join("absent")).unwrap_err();
        assert!(err.to_string().contains("absent"), "{err}");
    }
}
