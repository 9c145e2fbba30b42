//! How much of our language a resolution kept: a word-level comparison of the text we
//! proposed with the text adopted. Words are matched ignoring case and punctuation (a
//! comma added by the drafters is not a lost word); the result keeps the adopted
//! spelling, so it reads as the resolution does.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

/// Texts are compared up to this many words each (a paragraph of a resolution has a few
/// hundred at most).
pub const MAX_WORDS: usize = 3_000;

/// Past this the comparison settles for a correct but possibly longer list of changes
/// instead of the shortest one, so no text, however hostile, holds a thread for long.
const TIME_BUDGET: Duration = Duration::from_millis(250);

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

/// Compares the proposed and adopted texts word by word (Myers' diff, which keeps as many
/// words in common as there are). CPU-heavy for long texts: call it off the async runtime.
pub fn compare(proposed: &str, adopted: &str) -> Comparison {
    let ours: Vec<&str> = proposed.split_whitespace().take(MAX_WORDS).collect();
    let theirs: Vec<&str> = adopted.split_whitespace().take(MAX_WORDS).collect();
    let (a, b): (Vec<String>, Vec<String>) =
        (ours.iter().map(|w| key(w)).collect(), theirs.iter().map(|w| key(w)).collect());
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(Instant::now() + TIME_BUDGET));
    let mut segments: Vec<Segment> = Vec::new();
    let mut push = |op: Op, words: &[&str]| {
        for word in words {
            match segments.last_mut() {
                Some(last) if last.op == op => {
                    last.text.push(' ');
                    last.text.push_str(word);
                }
                _ => segments.push(Segment { op, text: (*word).to_owned() }),
            }
        }
    };
    let mut kept = 0;
    for op in ops {
        match op {
            DiffOp::Equal { new_index, len, .. } => {
                push(Op::Kept, &theirs[new_index..new_index + len]);
                kept += len;
            }
            DiffOp::Delete { old_index, old_len, .. } => push(Op::Dropped, &ours[old_index..old_index + old_len]),
            DiffOp::Insert { new_index, new_len, .. } => push(Op::Added, &theirs[new_index..new_index + new_len]),
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                push(Op::Dropped, &ours[old_index..old_index + old_len]);
                push(Op::Added, &theirs[new_index..new_index + new_len]);
            }
        }
    }
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
    fn the_longest_texts_with_nothing_in_common_still_compare_completely() {
        let proposed: Vec<String> = (0..MAX_WORDS + 10).map(|i| format!("w{i}")).collect();
        let adopted: Vec<String> = (0..MAX_WORDS).map(|i| format!("x{i}")).collect();
        let c = compare(&proposed.join(" "), &adopted.join(" "));
        assert_eq!((c.proposed_words, c.kept_words, c.kept_percent), (MAX_WORDS, 0, 0));
        let words =
            |op: Op| -> usize { c.segments.iter().filter(|s| s.op == op).map(|s| s.text.split(' ').count()).sum() };
        assert_eq!((words(Op::Dropped), words(Op::Added)), (MAX_WORDS, MAX_WORDS));
    }

    #[test]
    fn nothing_adopted_keeps_nothing() {
        let c = compare("calls for an independent inquiry", "");
        assert_eq!((c.kept_words, c.kept_percent), (0, 0));
        assert_eq!(c.segments, vec![Segment { op: Op::Dropped, text: "calls for an independent inquiry".into() }]);
        assert_eq!(compare("", "").kept_percent, 0);
    }
}
