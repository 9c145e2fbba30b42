//! The deadline as the organisation thinks of it: validated values and the rules of its
//! life cycle (open → completed or cancelled; a recurring deadline moves on to its next
//! occurrence when completed). Pure: no database, no gRPC.

pub mod due;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use advocacy_platform::Classification;

pub use advocacy_platform::schedule::Recurrence;
pub use due::Due;

/// Reminder lead times when a deadline names none: 30 days, 7 days, 1 day, 2 hours.
pub const DEFAULT_LEAD_MINUTES: &[i32] = &[43_200, 10_080, 1_440, 120];
pub const MAX_LEAD_MINUTES: i32 = 366 * 24 * 60;
pub const MAX_LEADS: usize = 10;
pub const MAX_OWNERS: usize = 20;
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_REASON_CHARS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    UprStakeholderSubmission,
    UprPreSession,
    SpecialProceduresCallForInput,
    HrcSession,
    TreatyBody,
    FollowUp,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::UprStakeholderSubmission,
        Kind::UprPreSession,
        Kind::SpecialProceduresCallForInput,
        Kind::HrcSession,
        Kind::TreatyBody,
        Kind::FollowUp,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UprStakeholderSubmission => "upr_stakeholder_submission",
            Kind::UprPreSession => "upr_pre_session",
            Kind::SpecialProceduresCallForInput => "special_procedures_call_for_input",
            Kind::HrcSession => "hrc_session",
            Kind::TreatyBody => "treaty_body",
            Kind::FollowUp => "follow_up",
            Kind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How people read it in a calendar or an email.
    pub fn label(self) -> &'static str {
        match self {
            Kind::UprStakeholderSubmission => "UPR stakeholder submission",
            Kind::UprPreSession => "UPR pre-session",
            Kind::SpecialProceduresCallForInput => "Special Procedures call for input",
            Kind::HrcSession => "HRC session",
            Kind::TreatyBody => "Treaty body",
            Kind::FollowUp => "Follow-up",
            Kind::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Completed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Open, Status::Completed, Status::Cancelled].into_iter().find(|k| k.as_str() == s)
    }
}

/// A checked request to create a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDeadline {
    pub title: String,
    pub mechanism: String,
    pub kind: Kind,
    pub due: Due,
    pub source_url: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub owners: Vec<String>,
    pub lead_minutes: Vec<i32>,
    pub recurrence: Option<Recurrence>,
    pub classification: Classification,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub mechanism: String,
    pub kind: Kind,
    pub due: Due,
    pub source_url: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub owners: Vec<String>,
    pub lead_minutes: Vec<i32>,
    pub recurrence: Option<Recurrence>,
    pub status: Status,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_on_time: bool,
    pub cancel_reason: String,
    pub classification: Classification,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    /// The change-feed revision that produced this state.
    pub revision: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Moved,
    Completed,
    Cancelled,
    Updated,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Moved => "moved",
            ChangeKind::Completed => "completed",
            ChangeKind::Cancelled => "cancelled",
            ChangeKind::Updated => "updated",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        [ChangeKind::Created, ChangeKind::Moved, ChangeKind::Completed, ChangeKind::Cancelled, ChangeKind::Updated]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What an update changes; `None` keeps the field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeadlineEdit {
    pub title: Option<String>,
    pub owners: Option<Vec<String>>,
    pub lead_minutes: Option<Vec<i32>>,
    pub source_url: Option<String>,
    pub verified_at: Option<Option<DateTime<Utc>>>,
    pub classification: Option<Classification>,
}

/// One entry of the change feed: what happened, and the deadline right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub revision: i64,
    pub kind: ChangeKind,
    pub deadline: Deadline,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub previous_due: Option<DateTime<Utc>>,
    pub reason: String,
}

/// Why a transition is not allowed, in words for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the deadline is {}; only open deadlines can be {action}", .status.as_str())]
    NotOpen { status: Status, action: &'static str },
    #[error("the completion time is in the future")]
    CompletedInFuture,
}

/// A small allowance for clocks of clients that run slightly ahead.
const CLOCK_SKEW: Duration = Duration::minutes(5);

impl Deadline {
    /// A new deadline from a checked request.
    pub fn create(id: String, new: NewDeadline, actor: &str, now: DateTime<Utc>) -> Deadline {
        Deadline {
            id,
            version: 1,
            title: new.title,
            mechanism: new.mechanism,
            kind: new.kind,
            due: new.due,
            source_url: new.source_url,
            verified_at: new.verified_at,
            owners: new.owners,
            lead_minutes: new.lead_minutes,
            recurrence: new.recurrence,
            status: Status::Open,
            completed_at: None,
            completed_on_time: false,
            cancel_reason: String::new(),
            classification: new.classification,
            created_by: actor.to_owned(),
            created_at: now,
            updated_by: actor.to_owned(),
            updated_at: now,
            revision: 0,
        }
    }

    fn touched(mut self, actor: &str, now: DateTime<Utc>) -> Deadline {
        self.version += 1;
        self.updated_by = actor.to_owned();
        self.updated_at = now;
        self
    }

    fn require_open(&self, action: &'static str) -> Result<(), TransitionError> {
        match self.status {
            Status::Open => Ok(()),
            status => Err(TransitionError::NotOpen { status, action }),
        }
    }

    pub fn moved(self, due: Due, actor: &str, now: DateTime<Utc>) -> Result<Deadline, TransitionError> {
        self.require_open("moved")?;
        let mut next = self.touched(actor, now);
        next.due = due;
        Ok(next)
    }

    /// Completes the deadline at `done_at`. A recurring deadline records the completion and
    /// moves to its next occurrence; it is completed for good only when none is left.
    pub fn completed(
        self,
        done_at: DateTime<Utc>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Deadline, TransitionError> {
        self.require_open("completed")?;
        if done_at > now + CLOCK_SKEW {
            return Err(TransitionError::CompletedInFuture);
        }
        let mut next = self.touched(actor, now);
        next.completed_at = Some(done_at);
        next.completed_on_time = done_at <= next.due.at;
        match next.recurrence.as_ref().and_then(|r| r.next_after(next.due.at)) {
            Some(following) => next.due.at = following,
            None => next.status = Status::Completed,
        }
        Ok(next)
    }

    /// The deadline with `edit` applied, in whatever status: a completed follow-up must
    /// still follow its briefing's confidentiality.
    pub fn edited(self, edit: DeadlineEdit, actor: &str, now: DateTime<Utc>) -> Deadline {
        let mut next = self.touched(actor, now);
        let DeadlineEdit { title, owners, lead_minutes, source_url, verified_at, classification } = edit;
        next.title = title.unwrap_or(next.title);
        next.owners = owners.unwrap_or(next.owners);
        next.lead_minutes = lead_minutes.unwrap_or(next.lead_minutes);
        next.source_url = source_url.unwrap_or(next.source_url);
        next.verified_at = verified_at.unwrap_or(next.verified_at);
        next.classification = classification.unwrap_or(next.classification);
        next
    }

    pub fn cancelled(self, reason: String, actor: &str, now: DateTime<Utc>) -> Result<Deadline, TransitionError> {
        self.require_open("cancelled")?;
        let mut next = self.touched(actor, now);
        next.status = Status::Cancelled;
        next.cancel_reason = reason;
        Ok(next)
    }

    /// The coming due times: the occurrences of a recurring deadline from `from`, or the
    /// one due time of a plain deadline if it is not before `from`.
    pub fn occurrences(&self, from: DateTime<Utc>, limit: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(limit.min(64));
        if self.due.at >= from {
            out.push(self.due.at);
        }
        if let Some(r) = &self.recurrence {
            let after = self.due.at.max(from - Duration::microseconds(1));
            out.extend(r.occurrences_after(after, limit.saturating_sub(out.len())));
        }
        out.truncate(limit);
        out
    }
}
