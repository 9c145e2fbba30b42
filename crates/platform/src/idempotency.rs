//! Retry-safe writes: every create carries a client request id. Ids are scoped to the
//! caller, so another person sending the same id makes a request of their own and can
//! never reach someone else's result; a fingerprint of the request's content tells a
//! retry (same content: answer as the first time) from a reused id (other content).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Caller;

/// The request id as stored: the caller's, never shared with anyone else's.
pub fn scoped(caller: &Caller, request_id: &str) -> String {
    format!("{}\n{request_id}", caller.subject)
}

/// A hash of what a request asks for.
pub fn fingerprint(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
