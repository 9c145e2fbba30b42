//! Everything that can go wrong in the gateway's API, and which error code each is.

use advocacy_platform::idempotency::RequestError;
use advocacy_platform::{ErrorCode, FieldViolations, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// One or more fields of the request are wrong; each is named.
    #[error("invalid request: {0}")]
    Invalid(FieldViolations),
    /// Sign-in refused: the same words whether the email is unknown or the password wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many failed sign-ins for the account or from the address.
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Exists(String),
    /// The record changed since the version the caller read.
    #[error("{0}")]
    Stale(String),
    /// The change would leave the product without what it needs (the last admin).
    #[error("{0}")]
    Precondition(String),
    /// A service the answer needs did not answer.
    #[error("{0}")]
    Unavailable(String),
    /// A stored record no longer reads back: a bug or a hand-edited database.
    #[error("a stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Request(#[from] RequestError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<FieldViolations> for GatewayError {
    fn from(v: FieldViolations) -> Self {
        GatewayError::Invalid(v)
    }
}

impl From<advocacy_platform::FieldViolation> for GatewayError {
    fn from(v: advocacy_platform::FieldViolation) -> Self {
        GatewayError::Invalid(v.into())
    }
}

impl ServiceError for GatewayError {
    fn code(&self) -> ErrorCode {
        match self {
            GatewayError::Invalid(_) => ErrorCode::InvalidArgument,
            GatewayError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            GatewayError::TooManyAttempts(_) => ErrorCode::Exhausted,
            GatewayError::NotFound(_) => ErrorCode::NotFound,
            GatewayError::Exists(_) => ErrorCode::AlreadyExists,
            GatewayError::Stale(_) => ErrorCode::StaleVersion,
            GatewayError::Precondition(_) => ErrorCode::FailedPrecondition,
            GatewayError::Unavailable(_) => ErrorCode::Unavailable,
            GatewayError::Corrupt(_) => ErrorCode::Internal,
            GatewayError::Request(RequestError::Reused(_)) => ErrorCode::AlreadyExists,
            GatewayError::Request(RequestError::Corrupt(_)) => ErrorCode::Internal,
            GatewayError::Request(RequestError::Database(e)) | GatewayError::Database(e) => {
                advocacy_platform::db::error_code(e)
            }
        }
    }

    fn violations(&self) -> Option<&FieldViolations> {
        match self {
            GatewayError::Invalid(v) | GatewayError::Request(RequestError::Reused(v)) => Some(v),
            _ => None,
        }
    }
}
