//! Resolutions we seek to influence, and the amendments we propose to them: tracked from
//! proposal to adoption (in full or in part), with how much of our text survived.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use advocacy_platform::Classification;

use super::RuleError;
use super::compare::{Comparison, compare};

/// The longest amendment text taken: far beyond any paragraph, within what the
/// comparison handles.
pub const MAX_TEXT_CHARS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionState {
    Draft,
    Tabled,
    Adopted,
    Rejected,
}

impl ResolutionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionState::Draft => "draft",
            ResolutionState::Tabled => "tabled",
            ResolutionState::Adopted => "adopted",
            ResolutionState::Rejected => "rejected",
        }
    }

    fn next(self) -> &'static [ResolutionState] {
        use ResolutionState::*;
        match self {
            Draft => &[Tabled, Adopted, Rejected],
            Tabled => &[Adopted, Rejected],
            Adopted | Rejected => &[],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub yes: u32,
    pub no: u32,
    pub abstain: u32,
    pub without_vote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewResolution {
    pub body: String,
    pub session: String,
    pub title: String,
    pub symbol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub id: String,
    pub version: i64,
    pub body: String,
    pub session: String,
    pub title: String,
    pub symbol: String,
    pub state: ResolutionState,
    pub adopted_on: Option<DateTime<Utc>>,
    pub vote: Option<Vote>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl Resolution {
    pub fn create(id: String, new: NewResolution, actor: &str, now: DateTime<Utc>) -> Resolution {
        Resolution {
            id,
            version: 1,
            body: new.body,
            session: new.session,
            title: new.title,
            symbol: new.symbol,
            state: ResolutionState::Draft,
            adopted_on: None,
            vote: None,
            created_by: actor.to_owned(),
            created_at: now,
            updated_by: actor.to_owned(),
            updated_at: now,
        }
    }

    /// Moves to `state`; an adopted resolution records when (default now) and the vote.
    pub fn moved_to(
        mut self,
        state: ResolutionState,
        adopted_on: Option<DateTime<Utc>>,
        vote: Option<Vote>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Resolution, RuleError> {
        if !self.state.next().contains(&state) {
            return Err(RuleError::Stage { from: self.state.as_str(), to: state.as_str() });
        }
        if state == ResolutionState::Adopted {
            self.adopted_on = Some(adopted_on.unwrap_or(now));
        }
        self.state = state;
        self.vote = vote.or(self.vote);
        self.version += 1;
        self.updated_by = actor.to_owned();
        self.updated_at = now;
        Ok(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParagraphKind {
    Preambular,
    Operative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentStatus {
    Proposed,
    Tabled,
    Adopted,
    AdoptedInPart,
    Rejected,
    Withdrawn,
}

impl AmendmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AmendmentStatus::Proposed => "proposed",
            AmendmentStatus::Tabled => "tabled",
            AmendmentStatus::Adopted => "adopted",
            AmendmentStatus::AdoptedInPart => "adopted_in_part",
            AmendmentStatus::Rejected => "rejected",
            AmendmentStatus::Withdrawn => "withdrawn",
        }
    }

    fn next(self) -> &'static [AmendmentStatus] {
        use AmendmentStatus::*;
        match self {
            Proposed => &[Tabled, Adopted, AdoptedInPart, Rejected, Withdrawn],
            Tabled => &[Adopted, AdoptedInPart, Rejected, Withdrawn],
            Adopted | AdoptedInPart | Rejected | Withdrawn => &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAmendment {
    pub resolution_id: String,
    pub paragraph_kind: ParagraphKind,
    pub paragraph_number: u32,
    pub proposed_text: String,
    pub rationale: String,
    pub evidence: Vec<String>,
    pub lobbied: Vec<String>,
    pub classification: Classification,
}

/// What may change in an amendment under negotiation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AmendmentEdit {
    pub paragraph_kind: ParagraphKind,
    pub paragraph_number: u32,
    pub proposed_text: String,
    pub rationale: String,
    pub evidence: Vec<String>,
    pub lobbied: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    pub id: String,
    pub version: i64,
    pub resolution_id: String,
    pub paragraph_kind: ParagraphKind,
    pub paragraph_number: u32,
    pub proposed_text: String,
    pub rationale: String,
    pub evidence: Vec<String>,
    pub lobbied: Vec<String>,
    pub status: AmendmentStatus,
    pub adopted_text: String,
    pub comparison: Option<Comparison>,
    pub classification: Classification,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl Amendment {
    pub fn propose(id: String, new: NewAmendment, actor: &str, now: DateTime<Utc>) -> Amendment {
        Amendment {
            id,
            version: 1,
            resolution_id: new.resolution_id,
            paragraph_kind: new.paragraph_kind,
            paragraph_number: new.paragraph_number,
            proposed_text: new.proposed_text,
            rationale: new.rationale,
            evidence: new.evidence,
            lobbied: new.lobbied,
            status: AmendmentStatus::Proposed,
            adopted_text: String::new(),
            comparison: None,
            classification: new.classification,
            created_by: actor.to_owned(),
            created_at: now,
            updated_by: actor.to_owned(),
            updated_at: now,
        }
    }

    /// The amendment as `edit` says it should read, while it is still negotiated.
    pub fn edited(mut self, edit: AmendmentEdit, actor: &str, now: DateTime<Utc>) -> Result<Amendment, RuleError> {
        if !matches!(self.status, AmendmentStatus::Proposed | AmendmentStatus::Tabled) {
            return Err(RuleError::Stage { from: self.status.as_str(), to: "edited" });
        }
        self.paragraph_kind = edit.paragraph_kind;
        self.paragraph_number = edit.paragraph_number;
        self.proposed_text = edit.proposed_text;
        self.rationale = edit.rationale;
        self.evidence = edit.evidence;
        self.lobbied = edit.lobbied;
        self.version += 1;
        self.updated_by = actor.to_owned();
        self.updated_at = now;
        Ok(self)
    }

    /// Whether it already reads as `edit` says (a retried edit).
    pub fn reads_as(&self, edit: &AmendmentEdit) -> bool {
        self.paragraph_kind == edit.paragraph_kind
            && self.paragraph_number == edit.paragraph_number
            && self.proposed_text == edit.proposed_text
            && self.rationale == edit.rationale
            && self.evidence == edit.evidence
            && self.lobbied == edit.lobbied
    }

    /// Records an outcome. Adopted without a text means our text unchanged; adopted in
    /// part needs the text as adopted. Either way the two are compared word by word.
    pub fn with_outcome(
        mut self,
        status: AmendmentStatus,
        adopted_text: String,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Amendment, RuleError> {
        if !self.status.next().contains(&status) {
            return Err(RuleError::Stage { from: self.status.as_str(), to: status.as_str() });
        }
        let adopted_text = match status {
            AmendmentStatus::Adopted if adopted_text.is_empty() => self.proposed_text.clone(),
            AmendmentStatus::AdoptedInPart if adopted_text.is_empty() => return Err(RuleError::AdoptedTextMissing),
            AmendmentStatus::Adopted | AmendmentStatus::AdoptedInPart => adopted_text,
            _ => String::new(),
        };
        self.comparison = (!adopted_text.is_empty()).then(|| compare(&self.proposed_text, &adopted_text));
        self.adopted_text = adopted_text;
        self.status = status;
        self.version += 1;
        self.updated_by = actor.to_owned();
        self.updated_at = now;
        Ok(self)
    }
}
