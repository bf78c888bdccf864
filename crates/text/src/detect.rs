//! Complaint-tendency detection: segment, match cues on token boundaries, apply negation
//! and inquiry dampening, add up.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use jieba_rs::Jieba;

use crate::lexicon::{Alternative, Lexicon};

/// What a contact's text says about escalation.
#[derive(Debug, Clone, PartialEq)]
pub struct Tendency {
    /// The sum of the weights of the cues that count (see [`Cue::weight`]).
    pub score: f32,
    /// Whether `score` reaches the lexicon's threshold: the text shows a tendency to
    /// escalate a complaint and the early-warning rules should raise it.
    pub escalating: bool,
    /// Every cue found, in text order, including the negated ones (with weight 0), so a
    /// warning can say why it was or was not raised.
    pub cues: Vec<Cue>,
}

/// One cue found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    /// The category's stable code, e.g. `media`, `regulator`, `leadership`.
    pub category: String,
    /// The words as they stand in the text, e.g. `找你们领导`.
    pub word: String,
    /// The lexicon pattern that matched, e.g. `找*领导`.
    pub pattern: String,
    /// Offset of the first character, in characters (not bytes) from the text's start.
    pub start: usize,
    /// Offset one past the last character, in characters.
    pub end: usize,
    /// What the cue adds to the score after negation and dampening.
    pub weight: f32,
    /// Whether the cue counted in full, was weakened or was negated.
    pub effect: Effect,
}

/// What became of a cue's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Counted with its full weight.
    Counted,
    /// Weakened: it stands in a question about a process ("12398是什么电话？").
    Dampened,
    /// Not counted: a negation governs it ("我不会去曝光", "不用找领导", "曝光就算了").
    Negated,
}

/// Finds complaint-tendency cues in Chinese contact texts.
///
/// Holds a jieba segmenter with the default dictionary, the power-industry dictionary
/// ([`crate::POWER_DICTIONARY`]) and the lexicon's own segmentation words. Building one
/// takes some tens of milliseconds (the dictionary is decompressed and loaded): build it
/// once and share it; [`Detector::detect`] takes `&self` and the type is `Sync`.
pub struct Detector {
    jieba: Jieba,
    lexicon: Lexicon,
    /// Pattern `p` = category `patterns[p].0`, cue `patterns[p].1`.
    patterns: Vec<(usize, usize)>,
    /// Alternative text → the (pattern, part) positions it can fill.
    atoms: HashMap<String, Vec<(u32, u32)>>,
    /// The (pattern, part) positions `<次数>` can fill.
    count_slots: Vec<(u32, u32)>,
    /// The longest alternative, in bytes: spans longer than this are not looked up.
    longest_atom: usize,
    glue: HashSet<String>,
    negation: HashSet<String>,
    retraction: HashSet<String>,
    inquiry_clause: HashSet<String>,
    inquiry_sentence: HashSet<String>,
    intent: HashSet<String>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("patterns", &self.patterns.len())
            .field("threshold", &self.lexicon.threshold)
            .finish_non_exhaustive()
    }
}

/// The jieba frequency given to the lexicon's segmentation words (发抖 has 658, 就算 2708).
const LEXICON_WORD_FREQ: usize = 20_000;

/// A token of the text being examined, with where it stands.
struct Tok<'a> {
    word: &'a str,
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
    kind: Kind,
    clause: u32,
    sentence: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Space,
    /// Punctuation: ends a clause; `。！？；…` and line breaks end a sentence too.
    Punct,
}

/// A pattern matched over tokens `start..end`.
struct Candidate {
    pattern: usize,
    start: usize,
    end: usize,
    weight: f32,
}

impl Detector {
    /// A detector with the shipped lexicon ([`Lexicon::bundled`]).
    pub fn bundled() -> Self {
        Self::new(Lexicon::bundled())
    }

    /// A detector for `lexicon` with the compiled-in power-industry dictionary.
    pub fn new(lexicon: Lexicon) -> Self {
        Self::with_dictionary(lexicon, crate::POWER_DICTIONARY)
    }

    /// A detector for `lexicon` whose user dictionary is `dictionary` instead of the
    /// compiled-in one: one word a line, `word [freq] [tag]`, `#` starts a comment; a word
    /// without a frequency gets the one that keeps it whole. Unparsable frequencies are
    /// treated as absent.
    pub fn with_dictionary(lexicon: Lexicon, dictionary: &str) -> Self {
        let mut jieba = Jieba::new();
        for line in dictionary.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut fields = line.split_whitespace();
            let Some(word) = fields.next() else { continue };
            let freq = fields.next().and_then(|f| f.parse().ok());
            let tag = fields.next();
            jieba.add_word(word, freq, tag);
        }
        // The lexicon's own words must win against the dictionary's where they overlap
        // (发抖音 is 发/抖音, not 发抖/音), so they get a frequency well above the
        // dictionary's common words rather than the least one that keeps them whole.
        for word in &lexicon.words {
            let least = jieba.suggest_freq(word);
            jieba.add_word(word, Some(least.max(LEXICON_WORD_FREQ)), None);
        }

        let mut patterns = Vec::new();
        let mut atoms: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut count_slots = Vec::new();
        for (c, category) in lexicon.categories.iter().enumerate() {
            for (q, cue) in category.cues().iter().enumerate() {
                let p = patterns.len() as u32;
                patterns.push((c, q));
                for (k, part) in cue.parts.iter().enumerate() {
                    for alt in &part.alternatives {
                        match alt {
                            Alternative::Text(text) => {
                                atoms.entry(text.clone()).or_default().push((p, k as u32))
                            }
                            Alternative::Count => count_slots.push((p, k as u32)),
                        }
                    }
                }
            }
        }
        let longest_atom = atoms.keys().map(String::len).max().unwrap_or(0);
        let set = |words: &[String]| words.iter().cloned().collect::<HashSet<_>>();
        Self {
            glue: set(&lexicon.glue),
            negation: set(&lexicon.negation),
            retraction: set(&lexicon.retraction),
            inquiry_clause: set(&lexicon.inquiry_clause),
            inquiry_sentence: set(&lexicon.inquiry_sentence),
            intent: set(&lexicon.intent),
            jieba,
            lexicon,
            patterns,
            atoms,
            count_slots,
            longest_atom,
        }
    }

    /// The lexicon this detector applies.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// The words jieba cuts `text` into, as the detector sees them: for checking how a new
    /// cue or dictionary word segments.
    pub fn segment<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.jieba
            .cut(text, false)
            .into_iter()
            .map(|t| t.word)
            .collect()
    }

    /// Examines one contact's text.
    pub fn detect(&self, text: &str) -> Tendency {
        let tokens = self.tokenize(text);
        let spans = self.spans(text, &tokens);
        let mut candidates = self.candidates(&tokens, &spans);

        // Overlapping matches: the heavier, then the longer, then the earlier wins, so
        // `去电视台` (1.0) hides the bare `电视台` (0.6) inside it, and a negated strong cue
        // still hides the weak cue it contains.
        candidates.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
                .then(a.start.cmp(&b.start))
        });
        let mut taken = vec![false; tokens.len()];
        let mut cues = Vec::new();
        for cand in candidates {
            if taken[cand.start..cand.end].iter().any(|&t| t) {
                continue;
            }
            taken[cand.start..cand.end]
                .iter_mut()
                .for_each(|t| *t = true);
            cues.push(self.judge(text, &tokens, &cand));
        }
        cues.sort_by_key(|c| c.start);
        let score = cues.iter().fold(0.0, |sum, c| sum + c.weight);
        Tendency {
            score,
            escalating: score >= self.lexicon.threshold,
            cues,
        }
    }

    fn tokenize<'a>(&self, text: &'a str) -> Vec<Tok<'a>> {
        let mut clause = 0;
        let mut sentence = 0;
        let cut = self.jieba.cut(text, false);
        let mut tokens = Vec::with_capacity(cut.len());
        for t in cut {
            let kind = if t.word.chars().all(|c| c.is_whitespace() && c != '\n') {
                Kind::Space
            } else if t.word.chars().any(char::is_alphanumeric) {
                Kind::Word
            } else {
                Kind::Punct
            };
            tokens.push(Tok {
                word: t.word,
                start: t.start,
                end: t.end,
                byte_start: t.byte_start,
                byte_end: t.byte_end,
                kind,
                clause,
                sentence,
            });
            if kind == Kind::Punct {
                clause += 1;
                if t.word
                    .contains(['。', '！', '!', '？', '?', '；', ';', '…', '\n'])
                {
                    sentence += 1;
                }
            }
        }
        tokens
    }

    /// For each token, the (end token, pattern, part) of every lexicon alternative that
    /// starts there and ends on a token boundary.
    fn spans(&self, text: &str, tokens: &[Tok<'_>]) -> Vec<Vec<(usize, u32, u32)>> {
        let mut spans = vec![Vec::new(); tokens.len()];
        for i in 0..tokens.len() {
            if tokens[i].kind != Kind::Word {
                continue;
            }
            let begin = tokens[i].byte_start;
            for (j, t) in tokens.iter().enumerate().skip(i) {
                if t.kind != Kind::Word || t.byte_end - begin > self.longest_atom {
                    break;
                }
                if let Some(slots) = self.atoms.get(&text[begin..t.byte_end]) {
                    spans[i].extend(slots.iter().map(|&(p, k)| (j + 1, p, k)));
                }
            }
            if let Some(end) = count_at(tokens, i) {
                spans[i].extend(self.count_slots.iter().map(|&(p, k)| (end, p, k)));
            }
        }
        spans
    }

    /// Every pattern matched at every start, the first way it matches.
    fn candidates(&self, tokens: &[Tok<'_>], spans: &[Vec<(usize, u32, u32)>]) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = Vec::new();
        for (start, here) in spans.iter().enumerate() {
            let from_here = out.len();
            for &(end, p, k) in here {
                if k != 0 || out[from_here..].iter().any(|c| c.pattern == p as usize) {
                    continue;
                }
                if let Some(end) = self.rest_matches(tokens, spans, p, 1, end) {
                    let (c, q) = self.patterns[p as usize];
                    let weight = self.lexicon.categories[c].cues()[q].weight();
                    out.push(Candidate {
                        pattern: p as usize,
                        start,
                        end,
                        weight,
                    });
                }
            }
        }
        out
    }

    /// Whether parts `k..` of pattern `p` match from token `at`; the end token if so.
    fn rest_matches(
        &self,
        tokens: &[Tok<'_>],
        spans: &[Vec<(usize, u32, u32)>],
        p: u32,
        k: usize,
        at: usize,
    ) -> Option<usize> {
        let (c, q) = self.patterns[p as usize];
        let cue = &self.lexicon.categories[c].cues()[q];
        if k == cue.parts.len() {
            return Some(at);
        }
        let max_gap = if cue.gaps[k - 1] { self.lexicon.gap } else { 0 };
        // The next part starts right here or after at most `max_gap` glue words.
        for next in at..tokens.len().min(at + max_gap + 1) {
            let fits = |&&(_, pp, kk): &&(usize, u32, u32)| pp == p && kk as usize == k;
            for &(end, _, _) in spans[next].iter().filter(fits) {
                if let Some(done) = self.rest_matches(tokens, spans, p, k + 1, end) {
                    return Some(done);
                }
            }
            let t = &tokens[next];
            let passable =
                t.kind == Kind::Space || (t.kind == Kind::Word && self.glue.contains(t.word));
            if !passable {
                return None;
            }
        }
        None
    }

    /// Weighs one selected match: negated, dampened or counted in full.
    fn judge(&self, text: &str, tokens: &[Tok<'_>], cand: &Candidate) -> Cue {
        let (c, q) = self.patterns[cand.pattern];
        let category = &self.lexicon.categories[c];
        let spec = &category.cues()[q];
        let (first, last) = (&tokens[cand.start], &tokens[cand.end - 1]);
        let (effect, weight) = if self.negated(text, tokens, cand) {
            (Effect::Negated, 0.0)
        } else if category.dampens() && self.asked_about(tokens, cand) {
            (
                Effect::Dampened,
                spec.weight() * self.lexicon.inquiry_factor,
            )
        } else {
            (Effect::Counted, spec.weight())
        };
        Cue {
            category: category.name().to_owned(),
            word: text[first.byte_start..last.byte_end].to_owned(),
            pattern: spec.pattern().to_owned(),
            start: first.start,
            end: last.end,
            weight,
            effect,
        }
    }

    /// A negation word before the cue with only glue words between (不会/去/曝光), or a
    /// retraction after it (曝光/就/算了); neither crosses punctuation.
    fn negated(&self, text: &str, tokens: &[Tok<'_>], cand: &Candidate) -> bool {
        let mut glue = 0;
        for t in tokens[..cand.start].iter().rev() {
            match t.kind {
                Kind::Space => continue,
                Kind::Punct => break,
                Kind::Word if self.negation.contains(t.word) => return true,
                Kind::Word if glue < self.lexicon.negation_window && self.glue.contains(t.word) => {
                    glue += 1
                }
                Kind::Word => break,
            }
        }
        // A retraction may span tokens (就算/了), so look up token-aligned spans.
        let after: Vec<&Tok<'_>> = tokens[cand.end..]
            .iter()
            .filter(|t| t.kind != Kind::Space)
            .take(self.lexicon.retraction_window)
            .take_while(|t| t.kind == Kind::Word)
            .collect();
        (0..after.len()).any(|i| {
            (i..after.len()).any(|j| {
                self.retraction
                    .contains(&text[after[i].byte_start..after[j].byte_end])
            })
        })
    }

    /// The cue stands in a question or an inquiry ("12398是什么电话？", "咨询一下12345")
    /// and no word of intent comes before it in its clause ("我要打12398问问").
    fn asked_about(&self, tokens: &[Tok<'_>], cand: &Candidate) -> bool {
        let clause = around(tokens, cand.start, |t| t.clause);
        if tokens[clause.start..cand.start]
            .iter()
            .any(|t| self.intent.contains(t.word))
        {
            return false;
        }
        if tokens[clause]
            .iter()
            .any(|t| self.inquiry_clause.contains(t.word))
        {
            return true;
        }
        tokens[around(tokens, cand.start, |t| t.sentence)]
            .iter()
            .any(|t| self.inquiry_sentence.contains(t.word) || t.word.contains(['？', '?']))
    }
}

/// The tokens around token `at` that share its clause (or sentence, as `key` says).
fn around(tokens: &[Tok<'_>], at: usize, key: impl Fn(&Tok<'_>) -> u32) -> Range<usize> {
    let here = key(&tokens[at]);
    let start = tokens[..at]
        .iter()
        .rposition(|t| key(t) != here)
        .map_or(0, |i| i + 1);
    let end = tokens[at..]
        .iter()
        .position(|t| key(t) != here)
        .map_or(tokens.len(), |i| at + i);
    start..end
}

/// Whether a count of two or more times starts at token `i` (第三次, 五次, 好几次, 3/次,
/// 第/3/次); the end token if so.
fn count_at(tokens: &[Tok<'_>], i: usize) -> Option<usize> {
    const SUFFIXES: [char; 4] = ['次', '遍', '回', '趟'];
    let mut at = i;
    let mut word = tokens[at].word;
    if word == "第" {
        at += 1;
        word = tokens.get(at)?.word;
    }
    let word = word.strip_prefix('第').unwrap_or(word);
    if let Some(number) = word.strip_suffix(SUFFIXES) {
        return is_two_or_more(number).then_some(at + 1);
    }
    let mut next = tokens.get(at + 1)?.word.chars();
    let suffix = matches!((next.next(), next.next()), (Some(c), None) if SUFFIXES.contains(&c));
    (suffix && is_two_or_more(word)).then_some(at + 2)
}

/// `number` is a numeral, in digits or Chinese, for two or more (几 and 好几 count).
fn is_two_or_more(number: &str) -> bool {
    const NUMERALS: &str = "0123456789０１２３４５６７８９零一二两三四五六七八九十百几多好无数";
    !number.is_empty()
        && number.chars().all(|c| NUMERALS.contains(c))
        && !matches!(
            number,
            "一" | "1" | "１" | "0" | "零" | "好" | "多" | "无" | "数"
        )
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static DETECTOR: LazyLock<Detector> = LazyLock::new(Detector::bundled);

    /// Asserts whether `text` escalates and which categories count in it.
    fn check(text: &str, escalating: bool, categories: &[&str]) {
        let t = DETECTOR.detect(text);
        let counted: Vec<&str> = t
            .cues
            .iter()
            .filter(|c| c.effect == Effect::Counted)
            .map(|c| c.category.as_str())
            .collect();
        assert_eq!(
            t.escalating,
            escalating,
            "{text}: score {} cues {:?} tokens {:?}",
            t.score,
            t.cues,
            DETECTOR.segment(text)
        );
        for c in categories {
            assert!(
                counted.contains(c),
                "{text}: expected a counted {c} cue, got {:?}",
                t.cues
            );
        }
    }

    #[test]
    fn media_threats() {
        check("再不来修我就去电视台曝光", true, &["media"]);
        check("我要找记者来评评理", true, &["media"]);
        check("我要上网发帖", true, &["media"]);
    }

    #[test]
    fn regulator_hotlines() {
        check("你们再不处理我就打12398投诉你们", true, &["regulator"]);
        check("我要打市长热线12345", true, &["regulator"]);
    }

    #[test]
    fn legal_threats() {
        check("我要去法院起诉你们", true, &["legal"]);
        check("不赔的话我就请律师跟你们打官司", true, &["legal"]);
    }

    #[test]
    fn leadership_demands() {
        check("叫你们局长来，我要找市长", true, &["leadership"]);
        check("我要找你们供电公司的领导", true, &["leadership"]);
    }

    #[test]
    fn petitions() {
        check("我要去上访，去信访局", true, &["petition"]);
        check("明天就去县政府反映", true, &["petition"]);
    }

    #[test]
    fn public_exposure() {
        check("我要让大家都知道你们怎么办事的", true, &["public"]);
        check("我要发抖音让所有人看看", true, &["public"]);
    }

    #[test]
    fn repeat_and_anger_add_up() {
        check("我已经第三次打电话了，一直没人管", true, &["repeat"]);
        check("打了好几次电话，太过分了", true, &["repeat", "anger"]);
        // Either alone is weak.
        check("这是第二次报修，上次师傅说零件没带", false, &["repeat"]);
        check("你们这个态度差了点", false, &[]);
    }

    #[test]
    fn counts_of_two_or_more() {
        let tokens = DETECTOR.tokenize("第三次 五次 第一次 这次 3次");
        let counts: Vec<_> = (0..tokens.len())
            .filter_map(|i| count_at(&tokens, i).map(|_| tokens[i].word))
            .collect();
        assert!(
            counts.contains(&"第三次") && counts.contains(&"五次"),
            "{counts:?}"
        );
        assert!(
            !counts.contains(&"第一次") && !counts.contains(&"这次"),
            "{counts:?}"
        );
        assert!(is_two_or_more("3") && is_two_or_more("十几") && !is_two_or_more("一"));
    }

    #[test]
    fn negation_before_the_cue() {
        check("我不是要投诉，就是想问问", false, &[]);
        check("我不会去曝光的，就是想问问什么时候来电", false, &[]);
        check("不用找领导，你们尽快派人来就行", false, &[]);
        check("我没想去上访", false, &[]);
        let t = DETECTOR.detect("我不会去曝光的");
        assert_eq!(t.cues.len(), 1);
        assert_eq!((t.cues[0].effect, t.cues[0].weight), (Effect::Negated, 0.0));
    }

    #[test]
    fn negation_does_not_reach_across_content_words_or_clauses() {
        // 没 governs 来电, not the threat; 不然 is no negation.
        check("三天没来电我要找领导", true, &["leadership"]);
        check("再不来修，我就去曝光", true, &["media"]);
        check("快点修好，不然我就去曝光", true, &["media"]);
    }

    #[test]
    fn retraction_after_the_cue() {
        check("电来了，曝光就算了", false, &[]);
    }

    #[test]
    fn inquiries_are_weaker_than_threats() {
        let asked = DETECTOR.detect("12398是什么电话？");
        let threat = DETECTOR.detect("我要打12398");
        assert!(!asked.escalating && threat.escalating);
        assert!(asked.score < threat.score);
        assert_eq!(asked.cues[0].effect, Effect::Dampened);
        check("我想咨询一下12345能不能管这个", false, &[]);
        check("我要打12398问问你们怎么回事", true, &["regulator"]);
    }

    #[test]
    fn neutral_mentions_are_no_cues() {
        check("村领导通知明天停电", false, &[]);
        check("我在报纸上看到电价调整了", false, &[]);
        check("律师事务所的电费怎么这么高", false, &[]);
        check("我在法院路38号，路灯不亮", false, &[]);
        check("网上访问网上国网查不到电费", false, &[]);
        check("城市长期停电怎么回事", false, &[]);
    }

    #[test]
    fn offsets_are_characters() {
        let text = "我要去电视台曝光";
        let t = DETECTOR.detect(text);
        let chars: Vec<char> = text.chars().collect();
        for cue in &t.cues {
            let found: String = chars[cue.start..cue.end].iter().collect();
            assert_eq!(found, cue.word);
        }
        assert!(!t.cues.is_empty());
    }

    #[test]
    fn power_words_segment_whole() {
        let words = DETECTOR.segment("台区经理说跳闸了，网上国网查欠费，发抖音");
        for w in ["台区经理", "跳闸", "网上国网", "欠费", "抖音"] {
            assert!(words.contains(&w), "{w} not whole in {words:?}");
        }
    }

    #[test]
    fn one_detector_serves_many_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Detector>();
    }

    #[test]
    fn empty_and_odd_texts() {
        for text in ["", " ", "？？？", "\n\n", "abc 123", "第", "第三"] {
            let t = DETECTOR.detect(text);
            assert!(!t.escalating, "{text:?}");
        }
    }
}
