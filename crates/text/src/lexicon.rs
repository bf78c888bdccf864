//! The escalation lexicon: cue patterns by category, negation, inquiry markers, threshold.
//!
//! Parsed once from TOML into checked values: a [`Lexicon`] that exists is valid, so
//! building a [`crate::Detector`] from it cannot fail.

use serde::Deserialize;

/// The lexicon shipped with voltdesk (`config/lexicon/escalation.toml`).
const BUNDLED: &str = include_str!("../../../config/lexicon/escalation.toml");

/// The token class a pattern writes as `<次数>`: a count of two or more (第三次, 五次, 好几次).
pub(crate) const COUNT_MARK: &str = "<次数>";

/// Why a lexicon was refused.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// The text is not TOML, or not the lexicon's shape.
    #[error("lexicon is not valid: {0}")]
    Toml(#[from] toml::de::Error),
    /// A number or list is out of range.
    #[error("lexicon field `{field}`: {reason}")]
    Field {
        /// The field, e.g. `threshold` or `category[3].weight`.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A cue pattern cannot be parsed.
    #[error("category `{category}`, cue {cue:?}: {reason}")]
    Cue {
        /// The category's name.
        category: String,
        /// The pattern as written.
        cue: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A checked escalation lexicon.
///
/// Build it with [`Lexicon::from_toml`] or take the shipped one with [`Lexicon::bundled`].
/// The TOML format is documented in `config/lexicon/escalation.toml` itself.
#[derive(Debug, Clone)]
pub struct Lexicon {
    pub(crate) threshold: f32,
    pub(crate) gap: usize,
    pub(crate) glue: Vec<String>,
    pub(crate) negation: Vec<String>,
    pub(crate) negation_window: usize,
    pub(crate) retraction: Vec<String>,
    pub(crate) retraction_window: usize,
    pub(crate) inquiry_clause: Vec<String>,
    pub(crate) inquiry_sentence: Vec<String>,
    pub(crate) inquiry_factor: f32,
    pub(crate) intent: Vec<String>,
    pub(crate) words: Vec<String>,
    pub(crate) categories: Vec<Category>,
}

/// A group of cues that point to one way of escalating (media, regulator, legal, ...).
#[derive(Debug, Clone)]
pub struct Category {
    name: String,
    label: String,
    dampens: bool,
    cues: Vec<CueSpec>,
}

/// One cue pattern of a category with its weight.
#[derive(Debug, Clone)]
pub struct CueSpec {
    source: String,
    weight: f32,
    pub(crate) parts: Vec<Part>,
    /// `gaps[k]` tells whether glue words may stand between part `k` and part `k + 1`.
    pub(crate) gaps: Vec<bool>,
}

/// One position of a pattern: any of its alternatives, each a token-aligned span.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub(crate) alternatives: Vec<Alternative>,
}

/// What one alternative of a part matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Alternative {
    /// These characters, starting and ending on token boundaries.
    Text(String),
    /// A count of two or more times (`<次数>`).
    Count,
}

impl Lexicon {
    /// The lexicon shipped with voltdesk, compiled in from `config/lexicon/escalation.toml`.
    pub fn bundled() -> Self {
        // A unit test parses the bundled file, so this cannot fail in a built binary.
        Self::from_toml(BUNDLED).expect("the bundled lexicon parses")
    }

    /// Parses and checks a lexicon written in TOML.
    ///
    /// # Errors
    /// [`LexiconError`] when the TOML is malformed, a number is out of range, a category
    /// has no cues, or a cue pattern is not well formed.
    pub fn from_toml(text: &str) -> Result<Self, LexiconError> {
        let raw: RawLexicon = toml::from_str(text)?;
        Self::check(raw)
    }

    /// The score from which a text counts as escalating.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The categories, in the order they are written.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    fn check(raw: RawLexicon) -> Result<Self, LexiconError> {
        let field = |field: &str, reason| LexiconError::Field {
            field: field.to_owned(),
            reason,
        };
        if !(raw.threshold.is_finite() && raw.threshold > 0.0) {
            return Err(field("threshold", "must be a positive number"));
        }
        if !(raw.inquiry.factor.is_finite() && (0.0..=1.0).contains(&raw.inquiry.factor)) {
            return Err(field("inquiry.factor", "must be between 0 and 1"));
        }
        if raw.category.is_empty() {
            return Err(field("category", "at least one category is needed"));
        }
        let mut categories = Vec::with_capacity(raw.category.len());
        for (i, c) in raw.category.into_iter().enumerate() {
            if c.name.trim().is_empty() {
                return Err(field(&format!("category[{i}].name"), "must not be empty"));
            }
            if categories.iter().any(|d: &Category| d.name == c.name) {
                return Err(field(&format!("category[{i}].name"), "is used twice"));
            }
            if !(c.weight.is_finite() && c.weight >= 0.0) {
                return Err(field(
                    &format!("category[{i}].weight"),
                    "must be a number ≥ 0",
                ));
            }
            if c.cues.is_empty() {
                return Err(field(&format!("category[{i}].cues"), "must not be empty"));
            }
            let mut cues = Vec::with_capacity(c.cues.len());
            for cue in c.cues {
                let (source, weight) = match cue {
                    RawCue::Plain(s) => (s, c.weight),
                    RawCue::Weighted { cue, weight } => (cue, weight),
                };
                let bad = |reason| LexiconError::Cue {
                    category: c.name.clone(),
                    cue: source.clone(),
                    reason,
                };
                if !(weight.is_finite() && weight >= 0.0) {
                    return Err(bad("weight must be a number ≥ 0"));
                }
                if cues.iter().any(|c: &CueSpec| c.source == source) {
                    return Err(bad("is written twice"));
                }
                let (parts, gaps) = parse_pattern(&source).map_err(bad)?;
                cues.push(CueSpec {
                    source,
                    weight,
                    parts,
                    gaps,
                });
            }
            categories.push(Category {
                label: c.label.unwrap_or_else(|| c.name.clone()),
                name: c.name,
                dampens: c.dampens,
                cues,
            });
        }
        Ok(Self {
            threshold: raw.threshold,
            gap: raw.gap,
            glue: raw.glue,
            negation: raw.negation.words,
            negation_window: raw.negation.window,
            retraction: raw.negation.after,
            retraction_window: raw.negation.after_window,
            inquiry_clause: raw.inquiry.clause,
            inquiry_sentence: raw.inquiry.sentence,
            inquiry_factor: raw.inquiry.factor,
            intent: raw.inquiry.intent,
            words: raw.segmentation.words,
            categories,
        })
    }
}

impl Category {
    /// The stable code the rules engine sees, e.g. `media`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Chinese name shown to people, e.g. `媒体曝光`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether a cue of this category counts less in a question about a process.
    pub fn dampens(&self) -> bool {
        self.dampens
    }

    /// The category's cue patterns.
    pub fn cues(&self) -> &[CueSpec] {
        &self.cues
    }
}

impl CueSpec {
    /// The pattern as written in the lexicon, e.g. `找*领导`.
    pub fn pattern(&self) -> &str {
        &self.source
    }

    /// What a match adds to the score when nothing weakens it.
    pub fn weight(&self) -> f32 {
        self.weight
    }
}

/// Splits `找|叫*你们+领导` into parts (`|` separates alternatives) and the separators
/// between them (`*` allows glue words, `+` needs the parts to touch).
fn parse_pattern(source: &str) -> Result<(Vec<Part>, Vec<bool>), &'static str> {
    let mut parts = Vec::new();
    let mut gaps = Vec::new();
    let mut rest = source;
    loop {
        let cut = rest.find(['*', '+']);
        let (piece, next) = match cut {
            Some(at) => (&rest[..at], Some(rest.as_bytes()[at] == b'*')),
            None => (rest, None),
        };
        let mut alternatives = Vec::new();
        for alt in piece.split('|') {
            let alt = alt.trim();
            if alt.is_empty() {
                return Err("empty alternative (look for `||`, a leading `*` or a trailing `|`)");
            }
            if alt.chars().any(char::is_whitespace) {
                return Err("an alternative must not contain spaces");
            }
            if alt == COUNT_MARK {
                alternatives.push(Alternative::Count);
            } else if alt.contains(['<', '>']) {
                return Err("the only token class is <次数>");
            } else {
                alternatives.push(Alternative::Text(alt.to_owned()));
            }
        }
        parts.push(Part { alternatives });
        match (cut, next) {
            (Some(at), Some(gap)) => {
                gaps.push(gap);
                rest = &rest[at + 1..];
            }
            _ => break,
        }
    }
    Ok((parts, gaps))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    threshold: f32,
    #[serde(default = "default_gap")]
    gap: usize,
    #[serde(default)]
    glue: Vec<String>,
    #[serde(default)]
    negation: RawNegation,
    #[serde(default)]
    inquiry: RawInquiry,
    #[serde(default)]
    segmentation: RawSegmentation,
    #[serde(default)]
    category: Vec<RawCategory>,
}

fn default_gap() -> usize {
    3
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNegation {
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    window: usize,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    after_window: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInquiry {
    #[serde(default)]
    clause: Vec<String>,
    #[serde(default)]
    sentence: Vec<String>,
    #[serde(default = "default_factor")]
    factor: f32,
    #[serde(default)]
    intent: Vec<String>,
}

impl Default for RawInquiry {
    fn default() -> Self {
        Self {
            clause: Vec::new(),
            sentence: Vec::new(),
            factor: default_factor(),
            intent: Vec::new(),
        }
    }
}

fn default_factor() -> f32 {
    1.0
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSegmentation {
    #[serde(default)]
    words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    name: String,
    label: Option<String>,
    weight: f32,
    #[serde(default)]
    dampens: bool,
    cues: Vec<RawCue>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCue {
    Plain(String),
    Weighted { cue: String, weight: f32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_lexicon_parses_with_every_category() {
        let lexicon = Lexicon::bundled();
        let names: Vec<_> = lexicon.categories().iter().map(Category::name).collect();
        for wanted in [
            "media",
            "regulator",
            "legal",
            "leadership",
            "petition",
            "repeat",
            "anger",
        ] {
            assert!(
                names.contains(&wanted),
                "missing category {wanted}: {names:?}"
            );
        }
        assert!(lexicon.threshold() > 0.0);
    }

    #[test]
    fn patterns_split_into_parts_and_gaps() {
        let (parts, gaps) = parse_pattern("找|叫*你们+领导").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(gaps, vec![true, false]);
        assert_eq!(
            parts[0].alternatives,
            vec![
                Alternative::Text("找".into()),
                Alternative::Text("叫".into())
            ]
        );
        let (parts, _) = parse_pattern("<次数>").unwrap();
        assert_eq!(parts[0].alternatives, vec![Alternative::Count]);
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in ["", "找||领导", "*领导", "领导|", "找 领导", "<次>"] {
            assert!(parse_pattern(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn weighted_cues_and_errors_name_the_place() {
        let ok = r#"
            threshold = 1.0
            [[category]]
            name = "media"
            weight = 1.0
            cues = ["曝光", { cue = "媒体", weight = 0.6 }]
        "#;
        let lexicon = Lexicon::from_toml(ok).unwrap();
        let cues = lexicon.categories()[0].cues();
        assert_eq!((cues[0].pattern(), cues[0].weight()), ("曝光", 1.0));
        assert_eq!((cues[1].pattern(), cues[1].weight()), ("媒体", 0.6));
        assert_eq!(lexicon.categories()[0].label(), "media");

        let bad = ok.replace("\"曝光\"", "\"曝光||\"");
        let err = Lexicon::from_toml(&bad).unwrap_err().to_string();
        assert!(err.contains("media") && err.contains("曝光||"), "{err}");

        let bad = ok.replace("\"曝光\",", "\"曝光\", \"曝光\",");
        assert!(
            Lexicon::from_toml(&bad)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );

        let bad = ok.replace("threshold = 1.0", "threshold = 0");
        assert!(matches!(
            Lexicon::from_toml(&bad),
            Err(LexiconError::Field { .. })
        ));
        assert!(matches!(
            Lexicon::from_toml("threshold = "),
            Err(LexiconError::Toml(_))
        ));
    }
}
