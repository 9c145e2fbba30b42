//! People as the gateway keeps them, and the checks every field passes at the edge.

use std::collections::BTreeSet;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use advocacy_platform::classification::is_compartment_name;
use advocacy_platform::{FieldViolation, Role, limits};
use advocacy_proto::v1 as pb;

/// Passwords shorter than this are refused; longer than the maximum too (hashing a
/// megabyte on every guess would be a way to load the server).
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_BYTES: usize = 256;
pub const MAX_NAME_CHARS: usize = 200;

/// The roles a person may hold; `system` belongs to services only.
pub const PERSON_ROLES: &[(&str, Role)] = &[("staff", Role::Staff), ("manager", Role::Manager), ("admin", Role::Admin)];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub email: String,
    pub name: String,
    pub roles: BTreeSet<String>,
    pub compartments: BTreeSet<String>,
    pub zone: String,
    /// `en` or `ko`.
    pub language: String,
    pub manager: String,
    pub disabled: bool,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl Person {
    /// The roles as the token carries them.
    pub fn token_roles(&self) -> Vec<Role> {
        PERSON_ROLES.iter().filter(|(name, _)| self.roles.contains(*name)).map(|(_, role)| *role).collect()
    }

    pub fn to_proto(&self) -> pb::Person {
        use advocacy_platform::time::to_timestamp;
        pb::Person {
            email: self.email.clone(),
            name: self.name.clone(),
            roles: self.roles.iter().cloned().collect(),
            compartments: self.compartments.iter().cloned().collect(),
            zone: self.zone.clone(),
            language: match self.language.as_str() {
                "ko" => pb::Language::Ko,
                _ => pb::Language::En,
            }
            .into(),
            manager: self.manager.clone(),
            disabled: self.disabled,
            version: self.version,
            stamp: Some(pb::Stamp {
                created_by: self.created_by.clone(),
                created_at: Some(to_timestamp(self.created_at)),
                updated_by: self.updated_by.clone(),
                updated_at: Some(to_timestamp(self.updated_at)),
            }),
        }
    }
}

/// An email as the directory keys it: checked, lower case.
pub fn email(field: &str, value: &str) -> Result<String, FieldViolation> {
    limits::email(field, value).map(|e| e.to_lowercase())
}

pub fn name(field: &str, value: &str) -> Result<String, FieldViolation> {
    limits::required_line(field, value, MAX_NAME_CHARS)
}

pub fn roles(field: &str, values: &[String]) -> Result<BTreeSet<String>, FieldViolation> {
    let mut roles = BTreeSet::new();
    for (i, value) in values.iter().enumerate().take(limits::MAX_ENTRIES + 1) {
        let value = value.trim().to_ascii_lowercase();
        if !PERSON_ROLES.iter().any(|(name, _)| *name == value) {
            return Err(FieldViolation::new(
                format!("{field}[{i}]"),
                format!("{} is not a role; a person is staff, manager or admin", limits::excerpt(&value, 40)),
            ));
        }
        roles.insert(value);
    }
    Ok(roles)
}

pub fn compartments(field: &str, values: &[String]) -> Result<BTreeSet<String>, FieldViolation> {
    let max = advocacy_platform::auth::MAX_TOKEN_COMPARTMENTS;
    if values.len() > max {
        return Err(FieldViolation::new(field, format!("at most {max} compartments")));
    }
    let mut set = BTreeSet::new();
    for (i, value) in values.iter().enumerate() {
        let value = value.trim();
        if !is_compartment_name(value) {
            return Err(FieldViolation::new(format!("{field}[{i}]"), "a compartment is 1 to 64 of a-z, 0-9 and -"));
        }
        set.insert(value.to_owned());
    }
    Ok(set)
}

/// An IANA zone; empty means the organisation's.
pub fn zone(field: &str, value: &str, default: &str) -> Result<String, FieldViolation> {
    if value.trim().is_empty() {
        return Ok(default.to_owned());
    }
    advocacy_platform::time::parse_zone(field, value.trim()).map(|z| z.name().to_owned())
}

pub fn language(field: &str, value: i32) -> Result<Option<&'static str>, FieldViolation> {
    match pb::Language::try_from(value) {
        Ok(pb::Language::Unspecified) => Ok(None),
        Ok(pb::Language::En) => Ok(Some("en")),
        Ok(pb::Language::Ko) => Ok(Some("ko")),
        Err(_) => Err(FieldViolation::new(field, format!("{value} is not a language: English (1) or Korean (2)"))),
    }
}

/// A password fit to set: long enough, not absurdly long.
pub fn new_password(field: &str, value: &str) -> Result<String, FieldViolation> {
    if value.len() > MAX_PASSWORD_BYTES {
        return Err(FieldViolation::new(field, format!("at most {MAX_PASSWORD_BYTES} bytes")));
    }
    if value.chars().count() < MIN_PASSWORD_CHARS {
        return Err(FieldViolation::new(field, format!("at least {MIN_PASSWORD_CHARS} characters")));
    }
    Ok(value.to_owned())
}

/// Hashes a password with argon2id and a fresh salt, in PHC form.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes is a valid salt");
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashes any password").to_string()
}

/// Whether `password` matches `hash`. An empty or unreadable hash matches nothing, after
/// the same work as a real check, so timing tells no account from another.
pub fn password_matches(hash: &str, password: &str) -> bool {
    static STAND_IN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stand_in = STAND_IN.get_or_init(|| hash_password("a password no account has"));
    let (hash, real) = match PasswordHash::new(hash) {
        Ok(parsed) => (parsed, true),
        Err(_) => (PasswordHash::new(stand_in).expect("our own hash parses"), false),
    };
    let matches = argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok();
    real && matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_own_hash_only() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches(&hash, "correct horse battery"));
        assert!(!password_matches(&hash, "correct horse battery!"));
        assert!(!password_matches("", "anything"), "no password set: nothing signs in");
    }

    #[test]
    fn fields_are_checked_and_named() {
        assert_eq!(email("email", " Ana@Example.ORG ").expect("valid"), "ana@example.org");
        assert_eq!(roles("roles", &["root".into()]).expect_err("no such role").field, "roles[0]");
        assert_eq!(roles("roles", &["system".into()]).expect_err("services only").field, "roles[0]");
        assert_eq!(compartments("c", &["Sanctions!".into()]).expect_err("bad name").field, "c[0]");
        assert!(zone("zone", "Mars/Olympus", "UTC").is_err());
        assert_eq!(language("language", 9).expect_err("no such language").field, "language");
        assert!(new_password("password", "short").is_err());
        assert!(new_password("password", &"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }
}
