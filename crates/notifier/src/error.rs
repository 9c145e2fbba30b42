//! Everything that can go wrong in the notifier's API, and which error code each is.

use advocacy_platform::{ErrorCode, FieldViolations, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    /// One or more fields of the request are wrong; each is named.
    #[error("invalid request: {0}")]
    Invalid(FieldViolations),
    /// No such deadline or delivery, or one the caller may not see (the two look alike).
    #[error("{0}")]
    NotFound(String),
    /// The delivery is not in a state that allows this.
    #[error("{0}")]
    Precondition(String),
    /// A message could not be rendered: a template bug.
    #[error("cannot render the message: {0}")]
    Render(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<FieldViolations> for NotifierError {
    fn from(v: FieldViolations) -> Self {
        NotifierError::Invalid(v)
    }
}

impl From<advocacy_platform::FieldViolation> for NotifierError {
    fn from(v: advocacy_platform::FieldViolation) -> Self {
        NotifierError::Invalid(v.into())
    }
}

impl ServiceError for NotifierError {
    fn code(&self) -> ErrorCode {
        match self {
            NotifierError::Invalid(_) => ErrorCode::InvalidArgument,
            NotifierError::NotFound(_) => ErrorCode::NotFound,
            NotifierError::Precondition(_) => ErrorCode::FailedPrecondition,
            NotifierError::Render(_) => ErrorCode::Internal,
            NotifierError::Database(e) => advocacy_platform::db::error_code(e),
        }
    }

    fn violations(&self) -> Option<&FieldViolations> {
        match self {
            NotifierError::Invalid(v) => Some(v),
            _ => None,
        }
    }
}
