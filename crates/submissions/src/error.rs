//! Everything that can go wrong in the submissions service, and which error code each is.

use advocacy_platform::{ErrorCode, FieldViolation, FieldViolations, ServiceError};

use crate::domain::RuleError;

#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("invalid request: {0}")]
    Invalid(FieldViolations),
    /// No such submission, or one the caller may not see (the two look the same).
    #[error("no submission {0}")]
    NotFound(String),
    #[error("submission {id} is at version {current}, not {expected}: read it again and retry")]
    Stale { id: String, expected: i64, current: i64 },
    /// The life cycle does not allow this change.
    #[error("{0}")]
    Rule(RuleError),
    /// The request id was used before for a different request (names `request_id`).
    #[error("{0}")]
    RequestIdReused(FieldViolations),
    #[error("you may not file records in the {0} compartment")]
    NotInCompartment(String),
    /// The record is already there under its natural key; the violation names the field
    /// and the existing record's id.
    #[error("already recorded: {0}")]
    Exists(FieldViolations),
    /// A service this one needs did not answer; nothing was written, a retry may work.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<advocacy_platform::idempotency::RequestError> for SubmissionError {
    fn from(e: advocacy_platform::idempotency::RequestError) -> Self {
        match e {
            advocacy_platform::idempotency::RequestError::Reused(v) => SubmissionError::RequestIdReused(v),
            advocacy_platform::idempotency::RequestError::Corrupt(e) => SubmissionError::Corrupt(e),
            advocacy_platform::idempotency::RequestError::Database(e) => SubmissionError::Database(e),
        }
    }
}

impl From<FieldViolations> for SubmissionError {
    fn from(v: FieldViolations) -> Self {
        SubmissionError::Invalid(v)
    }
}

impl From<FieldViolation> for SubmissionError {
    fn from(v: FieldViolation) -> Self {
        SubmissionError::Invalid(v.into())
    }
}

impl From<RuleError> for SubmissionError {
    /// A text too long for the mechanism is a bad field; the rest are life-cycle rules.
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::TooLong { .. } => FieldViolation::new("word_count", e.to_string()).into(),
            RuleError::InFuture | RuleError::BeforeLast(_) => FieldViolation::new("at", e.to_string()).into(),
            RuleError::AdoptedTextMissing => FieldViolation::new("adopted_text", e.to_string()).into(),
            RuleError::Transition { .. } | RuleError::Stage { .. } | RuleError::DocumentSent => {
                SubmissionError::Rule(e)
            }
        }
    }
}

impl ServiceError for SubmissionError {
    fn code(&self) -> ErrorCode {
        match self {
            SubmissionError::Invalid(_) => ErrorCode::InvalidArgument,
            SubmissionError::NotFound(_) => ErrorCode::NotFound,
            SubmissionError::Stale { .. } => ErrorCode::StaleVersion,
            SubmissionError::Rule(_) => ErrorCode::FailedPrecondition,
            SubmissionError::RequestIdReused(_) | SubmissionError::Exists(_) => ErrorCode::AlreadyExists,
            SubmissionError::NotInCompartment(_) => ErrorCode::PermissionDenied,
            SubmissionError::Unavailable(_) => ErrorCode::Unavailable,
            SubmissionError::Corrupt(_) => ErrorCode::Internal,
            SubmissionError::Database(e) => advocacy_platform::db::error_code(e),
        }
    }

    fn violations(&self) -> Option<&FieldViolations> {
        match self {
            SubmissionError::Invalid(v) | SubmissionError::RequestIdReused(v) | SubmissionError::Exists(v) => Some(v),
            _ => None,
        }
    }
}
