//! Input limits shared by every service, so "too long" means the same everywhere: each
//! function checks one field of a request and names it when it is wrong. Email addresses
//! are those lettre (the notifier's mailer) accepts, web addresses those `url` parses.

use crate::FieldViolation;

/// The most entries a list field takes (themes, partners, ids of other records, ...).
pub const MAX_ENTRIES: usize = 50;

/// An id made by a service (a UUID, written in its usual form); anything else cannot
/// name a record.
pub fn id(field: &str, value: &str) -> Result<String, FieldViolation> {
    uuid::Uuid::try_parse(value.trim()).map(|u| u.to_string()).map_err(|_| {
        FieldViolation::new(
            field,
            format!(
                "{:?} is not an id (ids look like 01936f4e-7b1c-7d2a-9c3e-5f6a7b8c9d0e)",
                value.trim().chars().take(64).collect::<String>()
            ),
        )
    })
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
pub fn lines(field: &str, values: &[String], max_chars: usize, fold_case: bool) -> Result<Vec<String>, FieldViolation> {
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

/// An id that may be left empty: `None` when it is.
pub fn optional_id(field: &str, value: &str) -> Result<Option<String>, FieldViolation> {
    if value.trim().is_empty() { Ok(None) } else { id(field, value).map(Some) }
}

/// An email address that may be left empty: `None` when it is.
pub fn optional_email(field: &str, value: &str) -> Result<Option<String>, FieldViolation> {
    if value.trim().is_empty() { Ok(None) } else { email(field, value).map(Some) }
}

/// An email address of a person, as lettre parses it (so the notifier can send to every
/// address the services take), with a dotted domain name (no bare host, no IP literal),
/// at most 254 bytes. Lowercased, so the same person is always the same owner.
pub fn email(field: &str, value: &str) -> Result<String, FieldViolation> {
    let value = value.trim().to_lowercase();
    let bad = || FieldViolation::new(field, format!("{value:.80} is not an email address"));
    if value.is_empty() {
        return Err(FieldViolation::new(field, "is required"));
    }
    if value.len() > 254 {
        return Err(bad());
    }
    let address: lettre::Address = value.parse().map_err(|_| bad())?;
    let domain = address.domain();
    let dotted = domain.contains('.') && !domain.starts_with('[') && !domain.ends_with('.');
    if !dotted {
        return Err(bad());
    }
    Ok(value)
}

/// An http(s) URL a person can open, as `url` parses it: a host, no spaces, at most
/// 2,048 bytes. Kept as written.
pub fn optional_url(field: &str, value: &str) -> Result<String, FieldViolation> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let bad = |why: &str| FieldViolation::new(field, format!("is not a web address: {why}"));
    if value.len() > 2048 {
        return Err(bad("longer than 2,048 characters"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    let parsed = url::Url::parse(value).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(bad("it must start with https:// or http://"));
    }
    // `url` reads "https:///path" as host "path", as browsers do; a person who wrote it
    // most likely left the host out.
    let written_host = value.split_once("://").map_or("", |(_, rest)| rest);
    if parsed.host_str().is_none_or(str::is_empty) || written_host.starts_with('/') {
        return Err(bad("it has no valid host name"));
    }
    Ok(value.to_owned())
}

/// A SHA-256 digest as 64 hexadecimal characters, lower-cased; empty stays empty.
pub fn optional_sha256(field: &str, value: &str) -> Result<String, FieldViolation> {
    let value = value.trim().to_lowercase();
    match hex::decode(&value) {
        Ok(bytes) if bytes.len() == 32 || bytes.is_empty() => Ok(value),
        _ => Err(FieldViolation::new(field, "is not a SHA-256 digest (64 hexadecimal characters)")),
    }
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

/// A mechanism code of the catalog, in any case; a mistyped one is answered with the
/// nearest code.
pub fn mechanism(field: &str, code: &str) -> Result<advocacy_catalog::Mechanism, FieldViolation> {
    advocacy_catalog::mechanism(code).ok_or_else(|| {
        let hint = match advocacy_catalog::nearest_mechanism(code) {
            Some(near) => format!("did you mean {near}?"),
            None => "see the catalog's mechanisms, such as UPR, SR-TORTURE, CRC, SANCTIONS-UK".to_owned(),
        };
        FieldViolation::new(field, format!("{:.64} is not a mechanism code: {hint}", code.trim()))
    })
}

/// Some of what a client sent, quoted, for an error message: never all of a huge value.
pub fn excerpt(text: &str, chars: usize) -> String {
    let mut shown: String = text.chars().take(chars).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email("e", " Ana@Example.org ").as_deref(), Ok("ana@example.org"));
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "a b@example.org",
            "ana@exa..org",
            "ana@-x.org,",
            "ana@[127.0.0.1]",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests() {
        let digest = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
        assert_eq!(optional_sha256("d", digest).as_deref(), Ok(digest.to_lowercase().as_str()));
        assert_eq!(optional_sha256("d", "").as_deref(), Ok(""));
        for bad in ["zz", &digest[..62], "9f86d0"] {
            assert!(optional_sha256("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(optional_url("u", "https://www.ohchr.org/en/calls-for-input?x=1").is_ok());
        assert!(optional_url("u", "http://localhost:8080/x").is_ok());
        assert_eq!(optional_url("u", "").as_deref(), Ok(""));
        for bad in
            ["ftp://x.org", "javascript:alert(1)", "https://", "https://exa mple.org", "https://<x>/", "https:///x"]
        {
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

    #[test]
    fn a_mechanism_is_read_in_any_case_and_a_slip_is_answered_with_the_nearest_code() {
        assert_eq!(mechanism("mechanism", " upr ").map(|m| m.code), Ok("UPR"));
        let slip = mechanism("mechanism", "SR-TORTUR").expect_err("a slip");
        assert!(slip.description.contains("did you mean SR-TORTURE?"), "{}", slip.description);
        let nothing = mechanism("mechanism", "QWERTYUIOP").expect_err("nothing near");
        assert!(!nothing.description.contains("did you mean"), "{}", nothing.description);
    }
}
