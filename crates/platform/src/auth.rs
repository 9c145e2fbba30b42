//! Bearer tokens: JSON Web Tokens signed with Ed25519 ("EdDSA", RFC 8037), read and checked
//! by the `jsonwebtoken` crate. The gateway signs people's tokens at sign-in with its key;
//! each service signs its calls to the others with its own ([`crate::keys`]). Every service
//! verifies with the public key set only, in [`Authenticator`], and reads the [`Caller`]
//! from the request. A service's key signs that service's system token and nothing else,
//! so no process but the gateway can mint a person's token.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::{Request, Status};

use crate::keys::{KeyDir, KeySet, PEOPLE_ISSUER, SigningKey};

/// Every token of this installation is meant for its services.
pub const AUDIENCE: &str = "advocacy";
/// Clock difference between machines that `exp` and `nbf` forgive.
pub const LEEWAY_SECS: i64 = 30;
/// The most compartments one token carries (see [`crate::classification::readable_columns`]).
pub const MAX_TOKEN_COMPARTMENTS: usize = 10;

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
    pub nbf: i64,
    pub exp: i64,
    /// The key's owner: `gateway` for people, a service's name for its own calls.
    pub iss: String,
    pub aud: String,
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

    /// The token this caller came with (empty for callers made in-process).
    pub fn token(&self) -> &str {
        &self.token
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
    #[error("the token is signed by a key this installation does not know")]
    UnknownKey,
    #[error("the token's signature does not match its key")]
    BadSignature,
    #[error("the token expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued for another system")]
    WrongAudience,
    #[error("the token's issuer does not hold its key")]
    WrongIssuer,
    #[error("a service's key signs only that service's own system token")]
    BeyondItsKey,
    #[error("the token was signed by a key retired before it was made")]
    RetiredKey,
}

impl SigningKey {
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
            nbf: now,
            exp: now + ttl_seconds,
            iss: self.owner.clone(),
            aud: AUDIENCE.to_owned(),
        };
        self.sign(&claims)
    }

    /// `caller` without `compartment`, with a short-lived token of this key saying so: what
    /// the gateway computes exports as, so every service leaves those records out itself.
    pub fn narrowed(&self, caller: &Caller, compartment: &str, now: i64) -> Caller {
        let compartments: Vec<String> = caller.compartments.iter().filter(|c| *c != compartment).cloned().collect();
        let expires_at = caller.expires_at.min(now + 300);
        let token = self.issue(&caller.subject, caller.roles.clone(), compartments.clone(), now, expires_at - now);
        Caller { subject: caller.subject.clone(), roles: caller.roles.clone(), compartments, expires_at, token }
    }

    /// Signs `claims` as they are (the gateway sets the name; tests forge fields).
    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header { kid: Some(self.kid.clone()), ..Header::new(Algorithm::EdDSA) };
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("claims always serialize and sign")
    }
}

/// The public keys a verifier knows, by key id.
struct Known {
    /// By key id: the owner, the key, and when it was retired.
    keys: HashMap<String, (String, DecodingKey, Option<i64>)>,
    /// When the key set file was last changed, as read.
    changed: Option<SystemTime>,
}

impl Known {
    fn of(set: &KeySet, changed: Option<SystemTime>) -> Known {
        let keys = set
            .keys
            .iter()
            .filter_map(|k| {
                let key = DecodingKey::from_ed_components(&k.x).ok()?;
                Some((k.kid.clone(), (k.owner.clone(), key, k.retired)))
            })
            .collect();
        Known { keys, changed }
    }
}

/// Verifies bearer tokens for the guard every service is served behind ([`crate::access`]):
/// no valid token, no call.
#[derive(Clone)]
pub struct Authenticator {
    /// Read again when a token names a key id not seen yet (a rotation elsewhere).
    dir: KeyDir,
    known: Arc<RwLock<Known>>,
    verified: Arc<Mutex<HashMap<Box<str>, Verified>>>,
    clock: crate::clock::Clock,
}

/// A token whose signature has been checked: the same bytes need no second check (an
/// Ed25519 verification was a third of a read's CPU), but its times, its key's
/// retirement and its key's owner are checked on every call.
#[derive(Clone)]
struct Verified {
    claims: Claims,
    kid: String,
}

/// Tokens whose signatures are remembered; past this the memory is emptied and filled again.
const VERIFIED_CAPACITY: usize = 4_096;

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<String> = self.known.read().map(|k| k.keys.keys().cloned().collect()).unwrap_or_default();
        f.debug_struct("Authenticator").field("keys", &kids).finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Verifies with the key set of `keys`, checking time against `clock`.
    pub fn new(keys: KeyDir, clock: crate::clock::Clock) -> Result<Self, crate::keys::KeyError> {
        let changed = keys.key_set_changed();
        let known = Known::of(&keys.key_set()?, changed);
        Ok(Self { dir: keys, known: Arc::new(RwLock::new(known)), verified: Arc::default(), clock })
    }

    /// The owner and key named `kid`, reading the folder's set again when it is not known
    /// and the set changed since it was read (a key made or rotated by another process).
    fn key(&self, kid: &str) -> Option<(String, DecodingKey, Option<i64>)> {
        let known = self.known.read().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = known.keys.get(kid) {
            return Some(found.clone());
        }
        let dir = &self.dir;
        let changed = dir.key_set_changed();
        if changed == known.changed {
            return None;
        }
        drop(known);
        let set = dir.key_set().ok()?;
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        *known = Known::of(&set, changed);
        known.keys.get(kid).cloned()
    }

    /// Checks a token's key, signature, issuer, audience and times, and that a service's
    /// key spoke only for that service.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let remembered = self.verified.lock().unwrap_or_else(|e| e.into_inner()).get(token).cloned();
        let Verified { claims, kid } = match remembered {
            Some(verified) => verified,
            None => {
                let verified = self.verify_signature(token)?;
                let mut memory = self.verified.lock().unwrap_or_else(|e| e.into_inner());
                if memory.len() >= VERIFIED_CAPACITY {
                    memory.clear();
                }
                memory.insert(token.into(), verified.clone());
                verified
            }
        };
        let (owner, retired) = {
            let known = self.known.read().unwrap_or_else(|e| e.into_inner());
            let (owner, _, retired) = known.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
            (owner.clone(), *retired)
        };
        let now = self.clock.unix_seconds();
        if claims.exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf - LEEWAY_SECS > now {
            return Err(TokenError::NotYetValid);
        }
        // A retired key verifies what it signed before, never anything new: a key rotated
        // away after a theft mints nothing more.
        if retired.is_some_and(|retired| claims.iat > retired + LEEWAY_SECS) {
            return Err(TokenError::RetiredKey);
        }
        if owner != PEOPLE_ISSUER
            && (claims.sub != owner || claims.roles != [Role::System] || !claims.compartments.is_empty())
        {
            return Err(TokenError::BeyondItsKey);
        }
        Ok(claims)
    }

    /// The claims of a token signed by a key of the set, with the issuer and audience it
    /// must name; what changes with time is checked by [`Authenticator::verify`].
    fn verify_signature(&self, token: &str) -> Result<Verified, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Malformed);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let (owner, key, _) = self.key(&kid).ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&owner]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // Time is this service's clock (tests control it), checked by the caller.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                _ => TokenError::Malformed,
            })?
            .claims;
        Ok(Verified { claims, kid })
    }

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
        self.caller_of(token)
    }

    /// The verified holder of `token` (the web pages hold theirs server-side).
    pub fn caller_of(&self, token: &str) -> Result<Caller, Status> {
        let claims = self.verify(token).map_err(|e| Status::unauthenticated(e.to_string()))?;
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
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    use super::*;
    use crate::clock::Clock;

    struct Installation {
        _dir: tempfile::TempDir,
        keys: KeyDir,
        gateway: SigningKey,
        deadlines: SigningKey,
    }

    fn installation() -> Installation {
        let dir = tempfile::tempdir().expect("a directory");
        let keys = KeyDir::new(dir.path());
        let gateway = keys.ensure("gateway", 0).expect("key");
        let deadlines = keys.ensure("deadlines", 0).expect("key");
        Installation { _dir: dir, keys, gateway, deadlines }
    }

    fn verifier(keys: &KeyDir, now: i64) -> Authenticator {
        Authenticator::new(keys.clone(), Clock::manual(chrono::DateTime::from_timestamp(now, 0).expect("a time")))
            .expect("keys")
    }

    #[test]
    fn a_token_verifies_with_the_set_until_it_expires() {
        let i = installation();
        let token = i.gateway.issue("ana@example.org", vec![Role::Staff], vec![], 1_000, 60);
        assert_eq!(verifier(&i.keys, 1_030).verify(&token).expect("valid").sub, "ana@example.org");
        assert_eq!(verifier(&i.keys, 1_060 + LEEWAY_SECS).verify(&token), Err(TokenError::Expired));
        assert_eq!(verifier(&i.keys, 1_000 - LEEWAY_SECS - 1).verify(&token), Err(TokenError::NotYetValid));
        let elsewhere = installation();
        assert_eq!(verifier(&elsewhere.keys, 1_030).verify(&token), Err(TokenError::UnknownKey));
    }

    #[test]
    fn a_remembered_token_is_still_checked_for_time_and_retirement() {
        let i = installation();
        let clock = Clock::manual(chrono::DateTime::from_timestamp(1_030, 0).expect("a time"));
        let verifier = Authenticator::new(i.keys.clone(), clock.clone()).expect("keys");
        let token = i.gateway.issue("ana@example.org", vec![Role::Staff], vec![], 1_000, 60);
        let minted_later = i.gateway.issue("eve@example.org", vec![Role::Admin], vec![], 1_200, 600);
        assert!(verifier.verify(&token).is_ok());
        assert!(verifier.verify(&token).is_ok(), "the second time from memory");
        clock.advance(chrono::Duration::seconds(60 + LEEWAY_SECS));
        assert_eq!(verifier.verify(&token), Err(TokenError::Expired), "a remembered token expires too");

        clock.advance(chrono::Duration::seconds(1_200 - 1_030 - 60 - LEEWAY_SECS));
        assert!(verifier.verify(&minted_later).is_ok());
        // The key is retired elsewhere; the next unknown key id makes this verifier read the set.
        let rotated = i.keys.rotate("gateway", 1_000).expect("rotated");
        assert!(verifier.verify(&rotated.issue("ana@example.org", vec![Role::Staff], vec![], 1_200, 60)).is_ok());
        assert_eq!(verifier.verify(&minted_later), Err(TokenError::RetiredKey), "its memory does not outlive the key");

        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[2] = B64.encode([0u8; 64]);
        assert_eq!(verifier.verify(&parts.join(".")), Err(TokenError::BadSignature), "other bytes, another check");
    }

    #[test]
    fn tampered_unsigned_and_symmetric_tokens_are_refused() {
        let i = installation();
        let verifier = verifier(&i.keys, 1_030);
        let token = i.gateway.issue("ana@example.org", vec![Role::Staff], vec![], 1_000, 60);
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = B64.encode(
            br#"{"sub":"ana@example.org","roles":["admin"],"compartments":["sanctions"],"iat":1000,"nbf":1000,"exp":9999999999,"iss":"gateway","aud":"advocacy"}"#,
        );
        parts[1] = &forged;
        assert_eq!(verifier.verify(&parts.join(".")), Err(TokenError::BadSignature));
        assert_eq!(verifier.verify("not-a-token"), Err(TokenError::Malformed));

        let header = |alg: &str| B64.encode(format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{}"}}"#, i.gateway.kid));
        let unsigned = format!("{}.{}.", header("none"), parts[1]);
        assert_eq!(verifier.verify(&unsigned), Err(TokenError::Malformed));
        // HS256 keyed with the public key, which every service can read.
        let public = i.keys.key_set().expect("set").find(&i.gateway.kid).expect("listed").x.clone();
        let claims = i.gateway.issue("eve@example.org", vec![Role::Admin], vec![], 1_000, 60);
        let claims = claims.split('.').nth(1).expect("payload").to_owned();
        let symmetric = jsonwebtoken::encode(
            &Header { kid: Some(i.gateway.kid.clone()), ..Header::new(Algorithm::HS256) },
            &serde_json::from_slice::<Claims>(&B64.decode(claims).expect("b64")).expect("claims"),
            &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
        )
        .expect("signed");
        assert_eq!(verifier.verify(&symmetric), Err(TokenError::Malformed));
    }

    #[test]
    fn a_service_key_signs_its_own_system_token_and_nothing_else() {
        let i = installation();
        let verifier = verifier(&i.keys, 1_030);
        let own = i.deadlines.issue("deadlines", vec![Role::System], vec![], 1_000, 60);
        assert_eq!(verifier.verify(&own).expect("its own").sub, "deadlines");
        for (subject, roles, compartments) in [
            ("ana@example.org", vec![Role::Admin], vec![]),
            ("deadlines", vec![Role::System, Role::Admin], vec![]),
            ("notifier", vec![Role::System], vec![]),
            ("deadlines", vec![Role::System], vec!["sanctions".to_owned()]),
        ] {
            let token = i.deadlines.issue(subject, roles, compartments, 1_000, 60);
            assert_eq!(verifier.verify(&token), Err(TokenError::BeyondItsKey), "{subject}");
        }
        // Claiming to be the gateway does not make a service key the gateway's.
        let mut claims: Claims =
            serde_json::from_slice(&B64.decode(own.split('.').nth(1).expect("payload")).expect("b64")).expect("claims");
        claims.iss = "gateway".into();
        assert_eq!(verifier.verify(&i.deadlines.sign(&claims)), Err(TokenError::WrongIssuer));
    }

    #[test]
    fn after_rotation_old_tokens_hold_and_the_new_key_id_is_learnt() {
        let i = installation();
        let verifier = verifier(&i.keys, 1_030);
        let old = i.gateway.issue("ana@example.org", vec![Role::Staff], vec![], 1_000, 600);
        let rotated = i.keys.rotate("gateway", 1_010).expect("rotated");
        let new = rotated.issue("ana@example.org", vec![Role::Staff], vec![], 1_010, 600);
        assert!(verifier.verify(&new).is_ok(), "the new key id is read from the folder");
        assert!(verifier.verify(&old).is_ok(), "the retired key still verifies");
        let old_key = i.gateway.clone();
        let minted_later = old_key.issue("eve@example.org", vec![Role::Admin], vec![], 1_010 + 2 * LEEWAY_SECS, 600);
        let later = Authenticator::new(
            i.keys.clone(),
            Clock::manual(chrono::DateTime::from_timestamp(1_010 + 2 * LEEWAY_SECS, 0).expect("a time")),
        )
        .expect("keys");
        assert_eq!(later.verify(&minted_later), Err(TokenError::RetiredKey), "nothing new from a retired key");
    }
}
