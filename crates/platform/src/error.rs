//! One error vocabulary for every service. Each service's error enum says which
//! [`ErrorCode`] each variant is; this module alone turns codes into gRPC statuses, with
//! field violations (google.rpc.BadRequest) for bad input. Logic never builds a `Status`.

use std::fmt;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Deliberately small and closed: adding a code is a decision about what clients must
/// handle, not a habit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A field is malformed or out of range; the violations name it.
    InvalidArgument,
    NotFound,
    /// A natural key or a request id is already taken by something else.
    AlreadyExists,
    /// The caller read an old version: re-read and try again.
    StaleVersion,
    /// The record is in a state where this is not allowed (completing a cancelled deadline).
    FailedPrecondition,
    Unauthenticated,
    PermissionDenied,
    /// A service or database this one depends on did not answer, or was busy; a retry
    /// may work.
    Unavailable,
    /// The caller holds as many of something (open watches) as one caller may.
    Exhausted,
    /// The database rolled this write back because another met it at once (a
    /// serialization failure, a deadlock); the same request again will go through.
    Contended,
    /// A bug or a broken database; details go to the log, never to the client.
    Internal,
}

impl ErrorCode {
    pub fn grpc(self) -> Code {
        match self {
            ErrorCode::InvalidArgument => Code::InvalidArgument,
            ErrorCode::NotFound => Code::NotFound,
            ErrorCode::AlreadyExists => Code::AlreadyExists,
            ErrorCode::StaleVersion => Code::Aborted,
            ErrorCode::FailedPrecondition => Code::FailedPrecondition,
            ErrorCode::Unauthenticated => Code::Unauthenticated,
            ErrorCode::PermissionDenied => Code::PermissionDenied,
            ErrorCode::Unavailable => Code::Unavailable,
            ErrorCode::Contended => Code::Aborted,
            ErrorCode::Exhausted => Code::ResourceExhausted,
            ErrorCode::Internal => Code::Internal,
        }
    }

    /// The code a gRPC status carries (a status from another service, relayed).
    pub fn of_grpc(code: Code) -> ErrorCode {
        match code {
            Code::InvalidArgument | Code::OutOfRange => ErrorCode::InvalidArgument,
            Code::NotFound => ErrorCode::NotFound,
            Code::AlreadyExists => ErrorCode::AlreadyExists,
            Code::Aborted => ErrorCode::StaleVersion,
            Code::FailedPrecondition => ErrorCode::FailedPrecondition,
            Code::Unauthenticated => ErrorCode::Unauthenticated,
            Code::PermissionDenied => ErrorCode::PermissionDenied,
            Code::Unavailable | Code::DeadlineExceeded => ErrorCode::Unavailable,
            Code::ResourceExhausted => ErrorCode::Exhausted,
            _ => ErrorCode::Internal,
        }
    }

    /// For the JSON API of the gateway.
    pub fn http(self) -> u16 {
        match self {
            ErrorCode::InvalidArgument => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyExists | ErrorCode::StaleVersion | ErrorCode::Contended => 409,
            ErrorCode::FailedPrecondition => 412,
            ErrorCode::Unavailable => 503,
            ErrorCode::Exhausted => 429,
            ErrorCode::Internal => 500,
        }
    }
}

/// One bad field: its path in the request ("due.local", "owners[2]") and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Collects every bad field of a request, so a client learns all of them at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldViolations(Vec<FieldViolation>);

impl FieldViolations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, violation: FieldViolation) {
        self.0.push(violation);
    }

    /// Keeps the value of a field that parsed, records the violation of one that did not.
    pub fn check<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(violation) => {
                self.push(violation);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldViolation> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was wrong.
    pub fn into_result(self) -> Result<(), FieldViolations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The problems of a part of the request, each field named `{prefix}{field}`.
    pub fn push_under(&mut self, prefix: &str, found: &FieldViolations) {
        for v in found.iter() {
            self.push(FieldViolation::new(format!("{prefix}{}", v.field), v.description.clone()));
        }
    }

    /// The problems of one row of an imported file, each named "line 17: field".
    pub fn push_at_line(&mut self, line: i32, found: &FieldViolations) {
        if !found.is_empty() {
            self.push_under(&format!("line {line}: "), found);
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Bad fields on their own are a complete answer: `INVALID_ARGUMENT` listing them.
impl ServiceError for FieldViolations {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidArgument
    }

    fn violations(&self) -> Option<&FieldViolations> {
        Some(self)
    }
}

impl From<FieldViolation> for FieldViolations {
    fn from(violation: FieldViolation) -> Self {
        Self(vec![violation])
    }
}

impl fmt::Display for FieldViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldViolations {}

/// Implemented by every service's error enum.
pub trait ServiceError: std::error::Error {
    fn code(&self) -> ErrorCode;

    /// The fields the error is about: the bad ones for `InvalidArgument`, the taken
    /// one for `AlreadyExists`.
    fn violations(&self) -> Option<&FieldViolations> {
        None
    }
}

/// Room for field violations in a status: well under the 16 KiB header limit HTTP/2
/// peers apply, after base64.
const MAX_DETAILS_BYTES: usize = 6 * 1024;

/// The one conversion from a service error to what the client sees. Internal errors are
/// logged with their details and reach the client as a bare "internal error".
pub fn to_status<E: ServiceError + ?Sized>(error: &E) -> Status {
    let code = error.code();
    match code {
        ErrorCode::Internal => {
            tracing::error!(error = %error, "internal error");
            Status::internal("internal error")
        }
        // Bad input, and a taken key or request id, name the field they are about.
        _ if code == ErrorCode::InvalidArgument || error.violations().is_some_and(|v| !v.is_empty()) => {
            let mut details = ErrorDetails::new();
            let mut size = 0;
            let all: Vec<&FieldViolation> = error.violations().map(|v| v.iter().collect()).unwrap_or_default();
            for (shown, v) in all.iter().enumerate() {
                // The details travel in a header; past a few KB, HTTP/2 peers refuse the
                // whole response and the client learns nothing.
                size += v.field.len() + v.description.len();
                if size > MAX_DETAILS_BYTES {
                    let more = all.len() - shown;
                    details.add_bad_request_violation("request", format!("and {more} more problems not listed"));
                    break;
                }
                details.add_bad_request_violation(v.field.clone(), v.description.clone());
            }
            let message: String = error.to_string().chars().take(1_000).collect();
            Status::with_error_details(code.grpc(), message, details)
        }
        _ => Status::new(code.grpc(), error.to_string()),
    }
}

/// The values of a request checked field by field: all of them, or `INVALID_ARGUMENT`
/// with every violation found. `values` is `None` only when a violation was recorded.
pub fn checked<T>(violations: FieldViolations, values: Option<T>) -> Result<T, Status> {
    violations.into_result().map_err(|v| to_status(&v))?;
    values.ok_or_else(|| to_status(&FieldViolations::from(FieldViolation::new("request", "incomplete"))))
}
