//! Submissions as the organisation tracks them: what went to which mechanism about which
//! country, alone or with partners, and how it moved from draft to published. Pure: no
//! database, no gRPC.

pub mod compare;
pub mod publications;
pub mod resolutions;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use advocacy_platform::Classification;

pub const MAX_TITLE_CHARS: usize = 300;
/// Sanctions packages are restricted to this compartment unless said otherwise.
pub const SANCTIONS_COMPARTMENT: &str = "sanctions";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    UprStakeholderReport,
    SpecialProceduresCommunication,
    CallForInputAnswer,
    TreatyBodyReport,
    WgeidPetition,
    SanctionsPackage,
    Statement,
}

impl Kind {
    /// The code the catalog's length rules use.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UprStakeholderReport => "upr_stakeholder_report",
            Kind::SpecialProceduresCommunication => "special_procedures_communication",
            Kind::CallForInputAnswer => "call_for_input_answer",
            Kind::TreatyBodyReport => "treaty_body_report",
            Kind::WgeidPetition => "wgeid_petition",
            Kind::SanctionsPackage => "sanctions_package",
            Kind::Statement => "statement",
        }
    }

    /// What people call it: "UPR stakeholder report".
    pub fn label(self) -> &'static str {
        match self {
            Kind::UprStakeholderReport => "UPR stakeholder report",
            Kind::SpecialProceduresCommunication => "Special Procedures communication",
            Kind::CallForInputAnswer => "answer to a call for input",
            Kind::TreatyBodyReport => "treaty body report",
            Kind::WgeidPetition => "WGEID petition",
            Kind::SanctionsPackage => "sanctions package",
            Kind::Statement => "statement",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Submitted,
    Acknowledged,
    Published,
    Cited,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Acknowledged => "acknowledged",
            Status::Published => "published",
            Status::Cited => "cited",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Where a submission can go from here.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Draft => &[Submitted, Withdrawn],
            Submitted => &[Acknowledged, Published, Cited, Withdrawn],
            Acknowledged => &[Published, Cited, Withdrawn],
            Published => &[Cited],
            Cited | Withdrawn => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: Status,
    pub at: DateTime<Utc>,
    pub by: String,
    pub note: String,
}

/// The mechanism's length rule, and whether this text breaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordRule {
    pub limit: u32,
    pub hard: bool,
    pub exceeded: bool,
}

impl WordRule {
    /// The catalog's rule for this submission, checked against its word count.
    pub fn of(mechanism: &str, kind: Kind, joint: bool, word_count: u32) -> Option<WordRule> {
        advocacy_catalog::word_limit(mechanism, kind.as_str(), joint).map(|l| WordRule {
            limit: l.words,
            hard: l.hard,
            exceeded: word_count > l.words,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSubmission {
    pub title: String,
    pub mechanism: String,
    pub kind: Kind,
    pub country: String,
    pub partners: Vec<String>,
    pub deadline_id: Option<String>,
    pub document_url: String,
    pub document_sha256: String,
    pub word_count: u32,
    pub themes: Vec<String>,
    pub evidence: Vec<String>,
    pub classification: Classification,
    pub status: Status,
    /// When it reached `status`, for one recorded after the fact; None means now.
    pub status_at: Option<DateTime<Utc>>,
}

/// What an edit of a submission may change; everything else stays as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionEdit {
    pub title: String,
    pub partners: Vec<String>,
    pub document_url: String,
    pub document_sha256: String,
    pub word_count: u32,
    pub themes: Vec<String>,
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub mechanism: String,
    pub kind: Kind,
    pub country: String,
    pub partners: Vec<String>,
    pub status: Status,
    pub history: Vec<StatusChange>,
    pub deadline_id: Option<String>,
    pub document_url: String,
    pub document_sha256: String,
    pub word_count: u32,
    pub word_rule: Option<WordRule>,
    pub themes: Vec<String>,
    pub evidence: Vec<String>,
    pub classification: Classification,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// 2815 as "2,815".
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error(
        "{words} words: a {kind} to {mechanism} may have at most {limit} words ({alone_or_joint})",
        kind = .kind.label(),
        words = thousands(*.words),
        limit = thousands(*.limit)
    )]
    TooLong { words: u32, limit: u32, kind: Kind, mechanism: String, alone_or_joint: &'static str },
    #[error("a {} submission cannot become {}; from here it can become {}", .from.as_str(), .to.as_str(), list(.from.next()))]
    Transition { from: Status, to: Status },
    #[error("a {from} record cannot become {to}")]
    Stage { from: &'static str, to: &'static str },
    #[error("an amendment adopted in part needs the text as adopted")]
    AdoptedTextMissing,
    #[error("the status change is dated in the future")]
    InFuture,
    #[error(
        "it has gone out: its document, digest and word count stay as sent (record a new submission for a new text)"
    )]
    DocumentSent,
    #[error("the status change is dated before the last one ({0})")]
    BeforeLast(DateTime<Utc>),
}

fn list(statuses: &[Status]) -> String {
    if statuses.is_empty() {
        return "nothing else".into();
    }
    statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

impl Submission {
    /// A new submission, refused when it breaks a hard length rule of its mechanism.
    pub fn create(id: String, new: NewSubmission, actor: &str, now: DateTime<Utc>) -> Result<Submission, RuleError> {
        let joint = !new.partners.is_empty();
        let word_rule = WordRule::of(&new.mechanism, new.kind, joint, new.word_count);
        let status_at = new.status_at.unwrap_or(now);
        if status_at > now + chrono::Duration::minutes(5) {
            return Err(RuleError::InFuture);
        }
        if let Some(rule) = word_rule.filter(|r| r.hard && r.exceeded) {
            return Err(RuleError::TooLong {
                words: new.word_count,
                limit: rule.limit,
                kind: new.kind,
                mechanism: new.mechanism,
                alone_or_joint: if joint { "joint" } else { "alone" },
            });
        }
        Ok(Submission {
            id,
            version: 1,
            title: new.title,
            mechanism: new.mechanism,
            kind: new.kind,
            country: new.country,
            partners: new.partners,
            status: new.status,
            history: vec![StatusChange {
                status: new.status,
                at: status_at,
                by: actor.to_owned(),
                note: String::new(),
            }],
            deadline_id: new.deadline_id,
            document_url: new.document_url,
            document_sha256: new.document_sha256,
            word_count: new.word_count,
            word_rule,
            themes: new.themes,
            evidence: new.evidence,
            classification: new.classification,
            created_by: actor.to_owned(),
            created_at: now,
            updated_by: actor.to_owned(),
            updated_at: now,
        })
    }

    /// The submission as `edit` says it should read, checked against its mechanism's word
    /// rule again. A document that has gone out is kept as it was sent.
    pub fn edited(mut self, edit: SubmissionEdit, actor: &str, now: DateTime<Utc>) -> Result<Submission, RuleError> {
        let sent = self.status != Status::Draft;
        let document_changed = edit.document_url != self.document_url
            || edit.document_sha256 != self.document_sha256
            || edit.word_count != self.word_count;
        if sent && document_changed {
            return Err(RuleError::DocumentSent);
        }
        let joint = !edit.partners.is_empty();
        let word_rule = WordRule::of(&self.mechanism, self.kind, joint, edit.word_count);
        if let Some(rule) = word_rule.filter(|r| r.hard && r.exceeded) {
            return Err(RuleError::TooLong {
                words: edit.word_count,
                limit: rule.limit,
                kind: self.kind,
                mechanism: self.mechanism,
                alone_or_joint: if joint { "joint" } else { "alone" },
            });
        }
        self.title = edit.title;
        self.partners = edit.partners;
        self.document_url = edit.document_url;
        self.document_sha256 = edit.document_sha256;
        self.word_count = edit.word_count;
        self.word_rule = word_rule;
        self.themes = edit.themes;
        self.evidence = edit.evidence;
        self.version += 1;
        self.updated_by = actor.to_owned();
        self.updated_at = now;
        Ok(self)
    }

    /// Whether it already reads as `edit` says (a retried edit).
    pub fn reads_as(&self, edit: &SubmissionEdit) -> bool {
        self.title == edit.title
            && self.partners == edit.partners
            && self.document_url == edit.document_url
            && self.document_sha256 == edit.document_sha256
            && self.word_count == edit.word_count
            && self.themes == edit.themes
            && self.evidence == edit.evidence
    }

    /// When it was submitted, if it was.
    pub fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.history.iter().find(|h| h.status == Status::Submitted).map(|h| h.at)
    }

    /// The date impact reports count it at: when it went out (its first status after
    /// draft), or when it was first recorded if it has not gone out.
    pub fn dated_at(&self) -> DateTime<Utc> {
        let sent = self.history.iter().find(|h| h.status != Status::Draft);
        sent.or(self.history.first()).map_or(self.created_at, |h| h.at)
    }

    /// Whether its linked deadline is to be completed: it has one, and it was submitted.
    pub fn completes_deadline(&self) -> bool {
        self.deadline_id.is_some() && self.submitted_at().is_some()
    }

    /// Moves to `status` at `at`, if the life cycle allows it from here.
    pub fn moved_to(
        mut self,
        status: Status,
        at: DateTime<Utc>,
        note: String,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Submission, RuleError> {
        if !self.status.next().contains(&status) {
            return Err(RuleError::Transition { from: self.status, to: status });
        }
        if at > now + chrono::Duration::minutes(5) {
            return Err(RuleError::InFuture);
        }
        if let Some(last) = self.history.last().filter(|last| at < last.at) {
            return Err(RuleError::BeforeLast(last.at));
        }
        self.status = status;
        self.history.push(StatusChange { status, at, by: actor.to_owned(), note });
        self.version += 1;
        self.updated_by = actor.to_owned();
        self.updated_at = now;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(kind: Kind, words: u32, partners: Vec<String>) -> NewSubmission {
        NewSubmission {
            title: "t".into(),
            mechanism: "UPR".into(),
            kind,
            country: "KP".into(),
            partners,
            deadline_id: None,
            document_url: String::new(),
            document_sha256: String::new(),
            word_count: words,
            themes: vec![],
            evidence: vec![],
            classification: Classification::Internal,
            status: Status::Draft,
            status_at: None,
        }
    }

    #[test]
    fn a_upr_report_over_the_limit_is_refused_alone_and_allowed_joint() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("a fixed instant");
        let alone = Submission::create("a".into(), new(Kind::UprStakeholderReport, 3_000, vec![]), "x", now);
        assert!(matches!(alone, Err(RuleError::TooLong { limit: 2_815, .. })));
        let joint = Submission::create(
            "b".into(),
            new(Kind::UprStakeholderReport, 3_000, vec!["Partner NGO".into()]),
            "x",
            now,
        )
        .expect("within the joint limit");
        assert_eq!(joint.word_rule, Some(WordRule { limit: 5_630, hard: true, exceeded: false }));
    }

    #[test]
    fn the_life_cycle_only_moves_forward() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("a fixed instant");
        let s = Submission::create("a".into(), new(Kind::Statement, 10, vec![]), "x", now).expect("created");
        let s = s.moved_to(Status::Submitted, now, String::new(), "x", now).expect("submitted");
        assert!(matches!(
            s.clone().moved_to(Status::Draft, now, String::new(), "x", now),
            Err(RuleError::Transition { .. })
        ));
        let s = s.moved_to(Status::Published, now, String::new(), "x", now).expect("published");
        assert_eq!(
            s.history.iter().map(|h| h.status).collect::<Vec<_>>(),
            [Status::Draft, Status::Submitted, Status::Published]
        );
        assert_eq!(s.version, 3);
    }

    #[test]
    fn a_submission_counts_when_it_went_out_not_when_it_was_typed_in() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("a fixed instant");
        let sent = now - chrono::Duration::days(400);
        let past =
            NewSubmission { status: Status::Acknowledged, status_at: Some(sent), ..new(Kind::Statement, 10, vec![]) };
        let past = Submission::create("a".into(), past, "x", now).expect("recorded after the fact");
        assert_eq!((past.dated_at(), past.created_at), (sent, now));
        let draft = Submission::create("b".into(), new(Kind::Statement, 10, vec![]), "x", now).expect("draft");
        assert_eq!(draft.dated_at(), now);
        let later = now + chrono::Duration::days(2);
        let draft = draft.moved_to(Status::Submitted, later, String::new(), "x", later).expect("submitted");
        assert_eq!(draft.dated_at(), later);
        let future =
            NewSubmission { status_at: Some(now + chrono::Duration::days(1)), ..new(Kind::Statement, 1, vec![]) };
        assert_eq!(Submission::create("c".into(), future, "x", now), Err(RuleError::InFuture));
    }
}
