//! Bearer tokens: JSON Web Tokens signed with HMAC-SHA256 (RFC 7519, "HS256"), so any JWT
//! library can read them. The gateway will issue them at sign-in; until then
//! `advocacy token` mints one from the same signing key. Every service verifies them in
//! [`Authenticator`] and reads the [`Caller`] from the request.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tonic::{Request, Status};

const ISSUER: &str = "advocacy";
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// The most compartments one token carries (see [`crate::classification::readable_columns`]).
pub const MAX_TOKEN_COMPARTMENTS: usize = 10;
/// A key shorter than this could be guessed offline from one token.
pub const MIN_KEY_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Advocacy staff: log, record, propose, own deadlines.
    Staff,
    /// Reads impact reports across the organisation.
    Manager,
    /// Manages users and settings.
    Admin,
    /// Another service of ours (the notifier reading every deadline to plan reminders).
    System,
}

/// What a token says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The person's email address, or a service's name for system tokens.
    pub sub: String,
    #[serde(default)]
    pub name: String,
    pub roles: Vec<Role>,
    /// Compartments of restricted records this person may read ("sanctions").
    #[serde(default)]
    pub compartments: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// The verified holder of a request's token, put in the request's extensions.
#[derive(Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub roles: Vec<Role>,
    pub compartments: Vec<String>,
    /// When the token stops being valid (Unix seconds): a stream ends then, so the client
    /// comes back with a fresh token. Never, for callers made in-process.
    pub expires_at: i64,
    /// The token itself, to call another service on this caller's behalf (so that service
    /// applies the caller's rights, not ours). Empty for callers made in-process.
    token: String,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("subject", &self.subject)
            .field("roles", &self.roles)
            .field("compartments", &self.compartments)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// A caller made in-process (benchmarks, tools), with no token to pass on.
    pub fn new(subject: &str, roles: Vec<Role>, compartments: Vec<String>) -> Caller {
        Caller { subject: subject.to_owned(), roles, compartments, expires_at: i64::MAX, token: String::new() }
    }

    /// The bearer token to send when calling another service as this caller.
    pub fn bearer(&self) -> Result<crate::client::BearerToken, Status> {
        crate::client::BearerToken::new(&self.token).map_err(Status::unauthenticated)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether this caller may read records of a restricted compartment. System callers
    /// may: they act for the records' owners (reminders) and never show them to others.
    pub fn may_read_compartment(&self, compartment: &str) -> bool {
        self.has_role(Role::System) || self.compartments.iter().any(|c| c == compartment)
    }

    /// The caller a request carries; the guard ([`crate::access`]) puts it on every
    /// authenticated service, so its absence is a wiring bug reported as unauthenticated.
    pub fn of<T>(request: &Request<T>) -> Result<Caller, Status> {
        request.extensions().get::<Caller>().cloned().ok_or_else(|| Status::unauthenticated("missing bearer token"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a signed advocacy token")]
    Malformed,
    #[error("the token's signature does not match: it was not issued with this server's key")]
    BadSignature,
    #[error("the token expired")]
    Expired,
    #[error("the token was issued for another system")]
    WrongIssuer,
}

/// The HMAC key tokens are signed with. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct TokenKey(Arc<[u8]>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

impl TokenKey {
    pub fn new(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!("the signing key is {} bytes; it needs at least {MIN_KEY_BYTES}", bytes.len()));
        }
        Ok(Self(bytes.into()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    /// Signs claims for `subject`, valid from `now` for `ttl_seconds`.
    pub fn issue(
        &self,
        subject: &str,
        roles: Vec<Role>,
        compartments: Vec<String>,
        now: i64,
        ttl_seconds: i64,
    ) -> String {
        let claims = Claims {
            sub: subject.to_owned(),
            name: String::new(),
            roles,
            compartments,
            iat: now,
            exp: now + ttl_seconds,
            iss: ISSUER.to_owned(),
        };
        self.sign(&claims)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims always serialize");
        let signing_input = format!("{}.{}", B64.encode(HEADER), B64.encode(payload));
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = B64.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// Checks signature (in constant time), issuer and expiry at `now` (UNIX seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
        // Only after the signature holds is anything inside trusted enough to parse.
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(header).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::Malformed);
        }
        let claims: Claims = serde_json::from_slice(&B64.decode(payload).map_err(|_| TokenError::Malformed)?)
            .map_err(|_| TokenError::Malformed)?;
        if claims.iss != ISSUER {
            return Err(TokenError::WrongIssuer);
        }
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// Verifies bearer tokens for the guard every service is served behind ([`crate::access`]):
/// no valid token, no call.
#[derive(Debug, Clone)]
pub struct Authenticator {
    key: TokenKey,
    clock: crate::clock::Clock,
}

impl Authenticator {
    /// Verifies with `key`, checking expiry against `clock`.
    pub fn new(key: TokenKey, clock: crate::clock::Clock) -> Self {
        Self { key, clock }
    }
}

impl Authenticator {
    /// The verified holder of the bearer token in `headers`.
    pub fn caller(&self, headers: &http::HeaderMap) -> Result<Caller, Status> {
        let header = headers
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| Status::unauthenticated("missing bearer token (authorization header)"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("the authorization header must be `Bearer <token>`"))?
            .trim();
        let claims =
            self.key.verify(token, self.clock.unix_seconds()).map_err(|e| Status::unauthenticated(e.to_string()))?;
        if claims.compartments.len() > MAX_TOKEN_COMPARTMENTS {
            return Err(Status::unauthenticated(format!(
                "a token carries at most {MAX_TOKEN_COMPARTMENTS} compartments"
            )));
        }
        crate::telemetry::record_caller(&claims.sub);
        Ok(Caller {
            subject: claims.sub,
            roles: claims.roles,
            compartments: claims.compartments,
            expires_at: claims.exp,
            token: token.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> TokenKey {
        TokenKey::new(&[byte; 32]).expect("32 bytes")
    }

    #[test]
    fn a_token_verifies_with_its_key_only_and_until_it_expires() {
        let token = key(1).issue("ana@example.org", vec![Role::Staff], vec![], 1_000, 60);
        let claims = key(1).verify(&token, 1_030).expect("valid");
        assert_eq!(claims.sub, "ana@example.org");
        assert_eq!(key(2).verify(&token, 1_030), Err(TokenError::BadSignature));
        assert_eq!(key(1).verify(&token, 1_060), Err(TokenError::Expired));
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let token = key(1).issue("ana@example.org", vec![Role::Staff], vec![], 1_000, 60);
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = B64.encode(
            br#"{"sub":"ana@example.org","roles":["admin"],"compartments":["sanctions"],"iat":1000,"exp":9999999999,"iss":"advocacy"}"#,
        );
        parts[1] = &forged;
        assert_eq!(key(1).verify(&parts.join("."), 1_030), Err(TokenError::BadSignature));
        assert_eq!(key(1).verify("not-a-token", 1_030), Err(TokenError::Malformed));
    }

    #[test]
    fn short_keys_are_refused_and_never_printed() {
        assert!(TokenKey::new(b"short").is_err());
        assert_eq!(format!("{:?}", key(7)), "TokenKey(<redacted>)");
    }
}
