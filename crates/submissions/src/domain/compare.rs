//! How much of our language a resolution kept: a word-level comparison of the text we
//! proposed with the text adopted. Words are matched ignoring case and punctuation (a
//! comma added by the drafters is not a lost word); the result keeps the adopted
//! spelling, so it reads as the resolution does.

use serde::{Deserialize, Serialize};

/// Texts are compared up to this many words each; beyond, the comparison would take
/// memory quadratic in their length for paragraphs no resolution has.
pub const MAX_WORDS: usize = 3_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// In both texts.
    Kept,
    /// Ours, not adopted.
    Dropped,
    /// Adopted, not ours.
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub op: Op,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub proposed_words: usize,
    pub kept_words: usize,
    /// Kept words as a share of ours, 0 to 100.
    pub kept_percent: u32,
    pub segments: Vec<Segment>,
}

fn key(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Compares the proposed and adopted texts word by word (longest common subsequence).
pub fn compare(proposed: &str, adopted: &str) -> Comparison {
    let ours: Vec<&str> = proposed.split_whitespace().take(MAX_WORDS).collect();
    let theirs: Vec<&str> = adopted.split_whitespace().take(MAX_WORDS).collect();
    let (a, b): (Vec<String>, Vec<String>) =
        (ours.iter().map(|w| key(w)).collect(), theirs.iter().map(|w| key(w)).collect());
    // lengths[i][j]: common words of a[i..] and b[j..], in one flat table.
    let width = b.len() + 1;
    let mut lengths = vec![0u16; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lengths[i * width + j] = if a[i] == b[j] {
                lengths[(i + 1) * width + j + 1] + 1
            } else {
                lengths[(i + 1) * width + j].max(lengths[i * width + j + 1])
            };
        }
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut push = |op: Op, word: &str| match segments.last_mut() {
        Some(last) if last.op == op => {
            last.text.push(' ');
            last.text.push_str(word);
        }
        _ => segments.push(Segment { op, text: word.to_owned() }),
    };
    let (mut i, mut j, mut kept) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            push(Op::Kept, theirs[j]);
            kept += 1;
            i += 1;
            j += 1;
        } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
            push(Op::Dropped, ours[i]);
            i += 1;
        } else {
            push(Op::Added, theirs[j]);
            j += 1;
        }
    }
    ours[i..].iter().for_each(|w| push(Op::Dropped, w));
    theirs[j..].iter().for_each(|w| push(Op::Added, w));
    let kept_percent = if ours.is_empty() { 0 } else { (kept * 100 / ours.len()) as u32 };
    Comparison { proposed_words: ours.len(), kept_words: kept, kept_percent, segments }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_amendment_adopted_in_part_keeps_most_of_our_words() {
        let proposed = "Expresses grave concern at the entire penal system, including political prison camps, \
                        where torture and forced labour are systematic";
        let adopted = "Expresses serious concern at the entire penal system, including political prison camps, \
                       where torture and forced labour are reported";
        let c = compare(proposed, adopted);
        assert_eq!(c.proposed_words, 19);
        assert_eq!(c.kept_words, 17);
        assert_eq!(c.kept_percent, 89);
        let ops: Vec<(Op, &str)> = c.segments.iter().map(|s| (s.op, s.text.as_str())).collect();
        assert_eq!(ops[0], (Op::Kept, "Expresses"));
        assert_eq!(ops[1], (Op::Dropped, "grave"));
        assert_eq!(ops[2], (Op::Added, "serious"));
        assert_eq!(ops.last(), Some(&(Op::Added, "reported")));
    }

    #[test]
    fn punctuation_and_case_are_not_lost_words() {
        let c = compare("urges the State to release all detainees", "Urges the State, to release all detainees;");
        assert_eq!((c.kept_words, c.kept_percent), (7, 100));
        assert_eq!(
            c.segments,
            vec![Segment { op: Op::Kept, text: "Urges the State, to release all detainees;".into() }]
        );
    }

    #[test]
    fn nothing_adopted_keeps_nothing() {
        let c = compare("calls for an independent inquiry", "");
        assert_eq!((c.kept_words, c.kept_percent), (0, 0));
        assert_eq!(c.segments, vec![Segment { op: Op::Dropped, text: "calls for an independent inquiry".into() }]);
        assert_eq!(compare("", "").kept_percent, 0);
    }
}
