//! Everything that can go wrong in the briefings service, and which error code each is.

use advocacy_platform::{ErrorCode, FieldViolation, FieldViolations, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum BriefingError {
    /// One or more fields of the request are wrong; each is named.
    #[error("invalid request: {0}")]
    Invalid(FieldViolations),
    /// No such record, or one the caller may not see (the two look the same on purpose).
    #[error("no {0}")]
    NotFound(String),
    #[error("briefing {id} is at version {current}, not {expected}: read it again and retry")]
    Stale { id: String, expected: i64, current: i64 },
    /// The actor already has this institution under a name that differs only in case,
    /// accents or spacing.
    #[error("this actor already has the institution {name:?} ({id})")]
    DuplicateInstitution { id: String, name: String },
    /// The request id was used before for a different request (names `request_id`).
    #[error("{0}")]
    RequestIdReused(FieldViolations),
    #[error("you may not file records in the {0} compartment")]
    NotInCompartment(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<advocacy_platform::idempotency::RequestError> for BriefingError {
    fn from(e: advocacy_platform::idempotency::RequestError) -> Self {
        match e {
            advocacy_platform::idempotency::RequestError::Reused(v) => BriefingError::RequestIdReused(v),
            advocacy_platform::idempotency::RequestError::Corrupt(e) => BriefingError::Corrupt(e),
            advocacy_platform::idempotency::RequestError::Database(e) => BriefingError::Database(e),
        }
    }
}

impl From<FieldViolations> for BriefingError {
    fn from(v: FieldViolations) -> Self {
        BriefingError::Invalid(v)
    }
}

impl From<FieldViolation> for BriefingError {
    fn from(v: FieldViolation) -> Self {
        BriefingError::Invalid(v.into())
    }
}

impl ServiceError for BriefingError {
    fn code(&self) -> ErrorCode {
        match self {
            BriefingError::Invalid(_) => ErrorCode::InvalidArgument,
            BriefingError::NotFound(_) => ErrorCode::NotFound,
            BriefingError::Stale { .. } => ErrorCode::StaleVersion,
            BriefingError::DuplicateInstitution { .. } | BriefingError::RequestIdReused(_) => ErrorCode::AlreadyExists,
            BriefingError::NotInCompartment(_) => ErrorCode::PermissionDenied,
            BriefingError::Corrupt(_) => ErrorCode::Internal,
            BriefingError::Database(e) => advocacy_platform::db::error_code(e),
        }
    }

    fn violations(&self) -> Option<&FieldViolations> {
        match self {
            BriefingError::Invalid(v) | BriefingError::RequestIdReused(v) => Some(v),
            _ => None,
        }
    }
}
