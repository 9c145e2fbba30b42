//! Length rules mechanisms set for what they receive. A hard rule means the mechanism
//! rejects a longer text; a soft one is guidance, reported but not blocking.

/// (mechanism code, kind of submission, words when alone, words when joint, hard).
pub(crate) const WORD_LIMITS: &[(&str, &str, u32, u32, bool)] = &[
    // OHCHR's technical guidelines for UPR stakeholder submissions.
    ("UPR", "upr_stakeholder_report", 2_815, 5_630, true),
    // Special Procedures ask for concise inputs to calls for input.
    ("*", "call_for_input_answer", 5_000, 5_000, false),
    // Treaty bodies: alternative reports, guidance per committee.
    ("*", "treaty_body_report", 10_700, 10_700, false),
];
