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
    /// A service this one depends on did not answer; a retry may work.
    Unavailable,
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
            ErrorCode::Internal => Code::Internal,
        }
    }

    /// For the JSON API of the gateway.
    pub fn http(self) -> u16 {
        match self {
            ErrorCode::InvalidArgument => 400,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::AlreadyExists | ErrorCode::StaleVersion => 409,
            ErrorCode::FailedPrecondition => 412,
            ErrorCode::Unavailable => 503,
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

/// Input limits shared by every service, so "too long" means the same everywhere.
pub mod limits {
    use super::FieldViolation;

    /// The most entries a list field takes (themes, partners, ids of other records, ...).
    pub const MAX_ENTRIES: usize = 50;

    /// An id made by a service (a UUID, written in its usual form); anything else cannot
    /// name a record.
    pub fn id(field: &str, value: &str) -> Result<String, FieldViolation> {
        uuid::Uuid::try_parse(value.trim())
            .map(|u| u.to_string())
            .map_err(|_| FieldViolation::new(field, "is not an id"))
    }

    /// Ids of other records: at most [`MAX_ENTRIES`], each a well-formed id, each once.
    pub fn ids(field: &str, values: &[String]) -> Result<Vec<String>, FieldViolation> {
        entries(field, values)?;
        let mut out: Vec<String> = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let id = id(&format!("{field}[{i}]"), value)?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// A list of short lines: at most [`MAX_ENTRIES`], each a line of at most `max_chars`,
    /// blanks dropped, each once (compared without case when `fold_case`, and then kept
    /// in lower case).
    pub fn lines(
        field: &str,
        values: &[String],
        max_chars: usize,
        fold_case: bool,
    ) -> Result<Vec<String>, FieldViolation> {
        entries(field, values)?;
        let mut out: Vec<String> = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let value = optional_line(&format!("{field}[{i}]"), value, max_chars)?;
            let value = if fold_case { value.to_lowercase() } else { value };
            if !value.is_empty() && !out.contains(&value) {
                out.push(value);
            }
        }
        Ok(out)
    }

    /// People named by email, each once: at most `max`; none means `default` (the caller).
    pub fn emails(field: &str, values: &[String], default: &str, max: usize) -> Result<Vec<String>, FieldViolation> {
        if values.is_empty() {
            return email(field, default)
                .map(|e| vec![e])
                .map_err(|_| FieldViolation::new(field, "name at least one person"));
        }
        if values.len() > max {
            return Err(FieldViolation::new(field, format!("at most {max} entries")));
        }
        let mut out: Vec<String> = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let email = email(&format!("{field}[{i}]"), value)?;
            if !out.contains(&email) {
                out.push(email);
            }
        }
        Ok(out)
    }

    /// A list field of at most [`MAX_ENTRIES`].
    fn entries<T>(field: &str, values: &[T]) -> Result<(), FieldViolation> {
        if values.len() > MAX_ENTRIES {
            return Err(FieldViolation::new(field, format!("at most {MAX_ENTRIES} entries")));
        }
        Ok(())
    }

    /// The version of a record the caller read, which an update must name.
    pub fn version(value: i64) -> Result<i64, FieldViolation> {
        if value < 1 {
            return Err(FieldViolation::new("expected_version", "is required: send the version you read"));
        }
        Ok(value)
    }

    /// A count such as a page size: 0 means `default`, otherwise 1 to `max`.
    pub fn count(field: &str, value: i32, default: usize, max: usize) -> Result<usize, FieldViolation> {
        match usize::try_from(value) {
            Ok(0) => Ok(default),
            Ok(v) if v <= max => Ok(v),
            _ => Err(FieldViolation::new(field, format!("must be 1 to {max}"))),
        }
    }

    /// Trims and checks a required single-line text: not empty, at most `max` characters,
    /// no control characters.
    pub fn required_line(field: &str, value: &str, max: usize) -> Result<String, FieldViolation> {
        let value = value.trim();
        if value.is_empty() {
            return Err(FieldViolation::new(field, "is required"));
        }
        optional_line(field, value, max)
    }

    /// Like [`required_line`], but empty is allowed.
    pub fn optional_line(field: &str, value: &str, max: usize) -> Result<String, FieldViolation> {
        let value = value.trim();
        let chars = value.chars().count();
        if chars > max {
            return Err(FieldViolation::new(field, format!("is {chars} characters long; at most {max} are allowed")));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldViolation::new(field, "must be a single line without control characters"));
        }
        Ok(value.to_owned())
    }

    /// Free text of several lines (a summary, notes): at most `max` characters, no
    /// control characters besides line breaks and tabs.
    pub fn optional_text(field: &str, value: &str, max: usize) -> Result<String, FieldViolation> {
        let value = value.trim();
        let chars = value.chars().count();
        if chars > max {
            return Err(FieldViolation::new(field, format!("is {chars} characters long; at most {max} are allowed")));
        }
        if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(FieldViolation::new(field, "contains control characters"));
        }
        Ok(value.to_owned())
    }

    /// An email address of a person: one `@`, a dotted domain, no spaces, at most 254 bytes.
    /// Lowercased, so the same person is always the same owner.
    pub fn email(field: &str, value: &str) -> Result<String, FieldViolation> {
        let value = value.trim().to_lowercase();
        let bad = || FieldViolation::new(field, format!("{value:.80} is not an email address"));
        if value.is_empty() {
            return Err(FieldViolation::new(field, "is required"));
        }
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || !domain_ok || local.contains(['<', '>', ',', ';', '"']) {
            return Err(bad());
        }
        Ok(value)
    }

    /// An http(s) URL a person can open: a host, no spaces, at most 2,048 bytes.
    pub fn optional_url(field: &str, value: &str) -> Result<String, FieldViolation> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(String::new());
        }
        let bad = |why: &str| FieldViolation::new(field, format!("is not a web address: {why}"));
        if value.len() > 2048 {
            return Err(bad("longer than 2,048 characters"));
        }
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .ok_or_else(|| bad("it must start with https:// or http://"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host_name = host.split(':').next().unwrap_or_default();
        let host_ok = !host_name.is_empty() && host_name.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if !host_ok {
            return Err(bad("it has no valid host name"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains spaces or control characters"));
        }
        Ok(value.to_owned())
    }

    /// A client request id: 1 to 128 visible ASCII characters (a UUID fits).
    pub fn request_id(field: &str, value: &str) -> Result<String, FieldViolation> {
        if value.is_empty() {
            return Err(FieldViolation::new(field, "is required, so that a retry creates nothing twice"));
        }
        if value.len() > 128 || !value.chars().all(|c| c.is_ascii_graphic()) {
            return Err(FieldViolation::new(field, "must be 1 to 128 visible ASCII characters"));
        }
        Ok(value.to_owned())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn emails() {
            assert_eq!(email("e", " Ana@Example.org ").as_deref(), Ok("ana@example.org"));
            for bad in
                ["", "ana", "ana@", "@example.org", "ana@example", "a b@example.org", "ana@exa..org", "ana@-x.org,"]
            {
                assert!(email("e", bad).is_err(), "{bad}");
            }
        }

        #[test]
        fn urls() {
            assert!(optional_url("u", "https://www.ohchr.org/en/calls-for-input?x=1").is_ok());
            assert!(optional_url("u", "http://localhost:8080/x").is_ok());
            assert_eq!(optional_url("u", "").as_deref(), Ok(""));
            for bad in ["ftp://x.org", "javascript:alert(1)", "https://", "https://exa mple.org", "https://<x>/"] {
                assert!(optional_url("u", bad).is_err(), "{bad}");
            }
        }

        #[test]
        fn lines() {
            assert_eq!(required_line("t", "  UPR  ", 10).as_deref(), Ok("UPR"));
            assert!(required_line("t", "   ", 10).is_err());
            assert!(required_line("t", "a\u{0}b", 10).is_err());
            assert!(required_line("t", &"é".repeat(11), 10).is_err());
            assert!(required_line("t", &"é".repeat(10), 10).is_ok());
        }
    }
}
