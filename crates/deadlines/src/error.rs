//! Everything that can go wrong in the deadlines service, and which error code each is.

use advocacy_platform::{ErrorCode, FieldViolations, ServiceError};

use crate::domain::TransitionError;

#[derive(Debug, thiserror::Error)]
pub enum DeadlineError {
    /// One or more fields of the request are wrong; each is named.
    #[error("invalid request: {0}")]
    Invalid(FieldViolations),
    /// No such deadline, or one the caller may not see (the two look the same on purpose).
    #[error("no deadline {0}")]
    NotFound(String),
    /// The caller read an older version than the one stored.
    #[error("deadline {id} is at version {current}, not {expected}: read it again and retry")]
    Stale { id: String, expected: i64, current: i64 },
    /// A caller tried to file a deadline in a compartment they do not hold.
    #[error("you may not file records in the {0} compartment")]
    NotInCompartment(String),
    /// The deadline's status does not allow this change.
    #[error("{0}")]
    Transition(#[from] TransitionError),
    /// The request id was used before for a different request (names `request_id`).
    #[error("{0}")]
    RequestIdReused(FieldViolations),
    /// The caller already holds as many open watches as one caller may, or the server as
    /// many as it serves.
    #[error("{0}")]
    TooManyWatches(String),
    /// A watch outlived the token it was opened with.
    #[error("the token expired: watch again with a fresh one")]
    TokenExpired,
    /// A stored row no longer parses: a bug or a hand-edited database.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<advocacy_platform::idempotency::RequestError> for DeadlineError {
    fn from(e: advocacy_platform::idempotency::RequestError) -> Self {
        match e {
            advocacy_platform::idempotency::RequestError::Reused(v) => DeadlineError::RequestIdReused(v),
            advocacy_platform::idempotency::RequestError::Corrupt(e) => DeadlineError::Corrupt(e),
            advocacy_platform::idempotency::RequestError::Database(e) => DeadlineError::Database(e),
        }
    }
}

impl From<FieldViolations> for DeadlineError {
    fn from(v: FieldViolations) -> Self {
        DeadlineError::Invalid(v)
    }
}

impl From<advocacy_platform::FieldViolation> for DeadlineError {
    fn from(v: advocacy_platform::FieldViolation) -> Self {
        DeadlineError::Invalid(v.into())
    }
}

impl ServiceError for DeadlineError {
    fn code(&self) -> ErrorCode {
        match self {
            DeadlineError::Invalid(_) => ErrorCode::InvalidArgument,
            DeadlineError::NotFound(_) => ErrorCode::NotFound,
            DeadlineError::Stale { .. } => ErrorCode::StaleVersion,
            DeadlineError::NotInCompartment(_) => ErrorCode::PermissionDenied,
            DeadlineError::Transition(_) => ErrorCode::FailedPrecondition,
            DeadlineError::RequestIdReused(_) => ErrorCode::AlreadyExists,
            DeadlineError::TooManyWatches(_) => ErrorCode::Exhausted,
            DeadlineError::TokenExpired => ErrorCode::Unauthenticated,
            DeadlineError::Corrupt(_) => ErrorCode::Internal,
            DeadlineError::Database(e) => advocacy_platform::db::error_code(e),
        }
    }

    fn violations(&self) -> Option<&FieldViolations> {
        match self {
            DeadlineError::Invalid(v) | DeadlineError::RequestIdReused(v) => Some(v),
            _ => None,
        }
    }
}
