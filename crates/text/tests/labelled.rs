//! The bundled detector against the labelled contact texts in `data/tendency.tsv`.
//!
//! The set: one text a line, `label<TAB>text`, after a header line. The texts are written
//! to read like 95598 contact records (agents' summaries and customers' own words, rural and
//! urban: repairs, billing, meters, outages, service attitude, new connections).
//!
//! Labelling guide: `1` when the text shows a tendency to escalate — a threat or intention
//! to go to the media, a regulator or government hotline, a lawyer or court, leadership,
//! a petition office, or to make it public; an explicit intention to complain about the
//! utility; or dissatisfaction shown twice over (anger together with repeated contacts or
//! an ultimatum). `0` otherwise, including negated threats ("我不会去曝光"), questions about
//! those channels ("12398是什么电话"), calm repeated contacts, and neutral mentions of the
//! same words ("村领导通知停电", "律师事务所的电费", "法院路").
//!
//! Held out: every third data line (the 3rd, 6th, 9th, ...). Those lines were written
//! before the lexicon was tuned and their results were not looked at while tuning.

use voltdesk_text::{Detector, Effect};

const SET: &str = include_str!("../data/tendency.tsv");

struct Example {
    line: usize,
    positive: bool,
    text: &'static str,
}

fn examples() -> Vec<Example> {
    let mut lines = SET.lines().enumerate();
    let (_, header) = lines.next().expect("the set has a header");
    assert_eq!(header, "label\ttext", "first line is the header");
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let (label, text) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("line {}: no tab", i + 1));
            let positive = match label {
                "1" => true,
                "0" => false,
                other => panic!("line {}: label {other:?} is not 0 or 1", i + 1),
            };
            Example {
                line: i + 1,
                positive,
                text,
            }
        })
        .collect()
}

#[derive(Default)]
struct Confusion {
    tp: usize,
    fp: usize,
    tn: usize,
    fn_: usize,
}

impl Confusion {
    fn add(&mut self, positive: bool, predicted: bool) {
        match (positive, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fn_ += 1,
        }
    }

    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }

    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }

    fn report(&self, name: &str) {
        println!(
            "{name}: {} texts, precision {:.3}, recall {:.3}\n  \
             confusion       predicted 1  predicted 0\n  \
             labelled 1      {:>11}  {:>11}\n  \
             labelled 0      {:>11}  {:>11}",
            self.tp + self.fp + self.tn + self.fn_,
            self.precision(),
            self.recall(),
            self.tp,
            self.fn_,
            self.fp,
            self.tn,
        );
    }
}

#[test]
fn precision_and_recall_on_the_labelled_set() {
    let detector = Detector::bundled();
    let examples = examples();

    let mut all = Confusion::default();
    let mut held_out = Confusion::default();
    let mut wrong = Vec::new();
    for (i, ex) in examples.iter().enumerate() {
        let t = detector.detect(ex.text);
        all.add(ex.positive, t.escalating);
        let is_held_out = i % 3 == 2;
        if is_held_out {
            held_out.add(ex.positive, t.escalating);
        }
        if t.escalating != ex.positive {
            let cues: Vec<String> = t
                .cues
                .iter()
                .map(|c| {
                    let effect = match c.effect {
                        Effect::Counted => "",
                        Effect::Dampened => " dampened",
                        Effect::Negated => " negated",
                    };
                    format!("{}:{}={:.2}{effect}", c.category, c.word, c.weight)
                })
                .collect();
            wrong.push(format!(
                "  line {:>3}{} labelled {} score {:.2} [{}] {}",
                ex.line,
                if is_held_out { " (held out)" } else { "" },
                u8::from(ex.positive),
                t.score,
                cues.join(", "),
                ex.text,
            ));
        }
    }

    all.report("all");
    held_out.report("held out (every third line)");
    println!("misclassified ({}):", wrong.len());
    for w in &wrong {
        println!("{w}");
    }

    assert!(
        examples.len() >= 300,
        "the set has {} texts",
        examples.len()
    );
    assert!(
        all.precision() >= 0.9,
        "precision {:.3} < 0.9",
        all.precision()
    );
    assert!(all.recall() >= 0.9, "recall {:.3} < 0.9", all.recall());
}
