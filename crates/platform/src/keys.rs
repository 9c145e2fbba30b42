//! The signing keys of an installation, kept in one folder (`auth.keys_dir`, by default
//! `<data_dir>/keys`, owner-only):
//!
//! - `keys.json`: the public key set every service verifies tokens with, each key named by
//!   its key id and its owner (the gateway for people's tokens, a service for its own calls);
//! - `<owner>.key`: an owner's current private key (Ed25519, PKCS#8), readable by its owner
//!   only. A process holds the private keys of the services it hosts, never another's.
//!
//! Rotation adds a key and retires the owner's old one: tokens signed with the old key hold
//! until they expire, because its public half stays in the set for [`RETIRED_KEPT_SECS`].

use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

/// The owner whose key signs people's tokens.
pub const PEOPLE_ISSUER: &str = "gateway";
/// How long a retired key's public half stays in the set: longer than any token lives.
pub const RETIRED_KEPT_SECS: i64 = 24 * 3600;

const KEY_SET_FILE: &str = "keys.json";
const LOCK_FILE: &str = "keys.lock";

/// One public key of the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    /// The key id tokens name in their header (`kid`).
    pub kid: String,
    /// Who holds the private half: `gateway`, or a service's name.
    pub owner: String,
    /// The Ed25519 public key, base64url as in a JWK's `x`.
    pub x: String,
    /// Unix seconds.
    pub created: i64,
    /// When a newer key replaced it (Unix seconds); it still verifies until it is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<i64>,
}

/// The public keys of an installation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    pub keys: Vec<PublicKey>,
}

impl KeySet {
    pub fn find(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

/// An owner's private key. Its `Debug` shows only the key id.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub owner: String,
    pub(crate) encoding: jsonwebtoken::EncodingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("owner", &self.owner).finish_non_exhaustive()
    }
}

/// An owner's current key, read again from the folder when the key set changes (a
/// rotation by `advocacy keys rotate`), so a running service signs with the new key at once.
#[derive(Debug, Clone)]
pub struct Signer {
    dir: KeyDir,
    current: std::sync::Arc<std::sync::Mutex<(SigningKey, Option<std::time::SystemTime>)>>,
}

impl Signer {
    /// `key`, as read from `dir`.
    pub fn new(dir: KeyDir, key: SigningKey) -> Signer {
        let changed = dir.key_set_changed();
        Signer { dir, current: std::sync::Arc::new(std::sync::Mutex::new((key, changed))) }
    }

    /// The key to sign with now.
    pub fn key(&self) -> SigningKey {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let changed = self.dir.key_set_changed();
        if changed != current.1
            && let Ok(key) = self.dir.signing_key(&current.0.owner)
        {
            *current = (key, changed);
        }
        current.0.clone()
    }
}

/// The file an owner's private key is kept in.
#[derive(Serialize, Deserialize)]
struct PrivateFile {
    kid: String,
    /// PKCS#8 DER, base64.
    pkcs8: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "no signing key for {owner} in {dir}: run this on the server's machine with ADVOCACY_DATA_DIR \
         (or ADVOCACY_KEYS_DIR) pointing at its data, or pass --token"
    )]
    Missing { owner: String, dir: PathBuf },
}

/// The keys folder.
#[derive(Debug, Clone)]
pub struct KeyDir {
    dir: PathBuf,
}

impl KeyDir {
    pub fn new(dir: impl Into<PathBuf>) -> KeyDir {
        KeyDir { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn io(&self, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
        let path = path.to_owned();
        move |source| KeyError::Io { path, source }
    }

    /// The public key set; empty when no key was made yet.
    pub fn key_set(&self) -> Result<KeySet, KeyError> {
        let path = self.dir.join(KEY_SET_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| KeyError::Invalid { path, message: format!("not a key set: {e}") }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeySet::default()),
            Err(e) => Err(KeyError::Io { path, source: e }),
        }
    }

    /// When the key set file last changed (a cheap check before reading it again).
    pub fn key_set_changed(&self) -> Option<std::time::SystemTime> {
        std::fs::metadata(self.dir.join(KEY_SET_FILE)).and_then(|m| m.modified()).ok()
    }

    /// `owner`'s current private key, which must exist.
    pub fn signing_key(&self, owner: &str) -> Result<SigningKey, KeyError> {
        let path = self.dir.join(format!("{owner}.key"));
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyError::Missing { owner: owner.to_owned(), dir: self.dir.clone() });
            }
            Err(e) => return Err(KeyError::Io { path, source: e }),
        };
        let invalid = |message: String| KeyError::Invalid { path: path.clone(), message };
        let file: PrivateFile = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        let der = STANDARD.decode(&file.pkcs8).map_err(|e| invalid(e.to_string()))?;
        Ed25519KeyPair::from_pkcs8(&der).map_err(|e| invalid(format!("not an Ed25519 key: {e}")))?;
        Ok(SigningKey {
            kid: file.kid,
            owner: owner.to_owned(),
            encoding: jsonwebtoken::EncodingKey::from_ed_der(&der),
        })
    }

    /// `owner`'s key, made (and its public half added to the set) when it has none yet.
    /// A folder mounted read-only (a Kubernetes secret) works as long as the key is there.
    pub fn ensure(&self, owner: &str, now: i64) -> Result<SigningKey, KeyError> {
        if let Ok(key) = self.signing_key(owner) {
            return Ok(key);
        }
        let _lock = self.lock()?;
        match self.signing_key(owner) {
            Err(KeyError::Missing { .. }) => self.make(owner, now),
            other => other,
        }
    }

    /// A new key for `owner`; the old one is retired and still verifies for a day. Keys
    /// retired longer ago than that leave the set.
    pub fn rotate(&self, owner: &str, now: i64) -> Result<SigningKey, KeyError> {
        let _lock = self.lock()?;
        self.make(owner, now)
    }

    /// Makes and stores a key for `owner`; the caller holds the lock.
    fn make(&self, owner: &str, now: i64) -> Result<SigningKey, KeyError> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| KeyError::Invalid { path: self.dir.clone(), message: "no randomness".into() })?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .map_err(|e| KeyError::Invalid { path: self.dir.clone(), message: e.to_string() })?;
        let suffix: [u8; 6] = rand::random();
        let kid = format!("{owner}-{}", hex::encode(suffix));
        let mut set = self.key_set()?;
        for key in set.keys.iter_mut().filter(|k| k.owner == owner && k.retired.is_none()) {
            key.retired = Some(now);
        }
        set.keys.retain(|k| k.retired.is_none_or(|retired| now - retired < RETIRED_KEPT_SECS));
        set.keys.push(PublicKey {
            kid: kid.clone(),
            owner: owner.to_owned(),
            x: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            created: now,
            retired: None,
        });
        // The public half first: a token signed with the new key must never meet a set
        // that does not know it yet.
        let set_json = serde_json::to_vec_pretty(&set).expect("a key set serializes");
        self.replace(KEY_SET_FILE, &set_json)?;
        let private = PrivateFile { kid: kid.clone(), pkcs8: STANDARD.encode(pkcs8.as_ref()) };
        self.replace(&format!("{owner}.key"), &serde_json::to_vec(&private).expect("serializes"))?;
        Ok(SigningKey {
            kid,
            owner: owner.to_owned(),
            encoding: jsonwebtoken::EncodingKey::from_ed_der(pkcs8.as_ref()),
        })
    }

    /// Writes `name` (owner-only) whole or not at all: a temporary file renamed over it.
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<(), KeyError> {
        let path = self.dir.join(name);
        let temporary = self.dir.join(format!(".{name}.new"));
        let mut file = private_file(&temporary, true).map_err(self.io(&temporary))?;
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(self.io(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(self.io(&path))
    }

    /// The folder's lock, so processes starting together make one set, not two.
    fn lock(&self) -> Result<File, KeyError> {
        crate::config::private_dir(&self.dir).map_err(self.io(&self.dir))?;
        let path = self.dir.join(LOCK_FILE);
        let file = private_file(&path, false).map_err(self.io(&path))?;
        file.lock().map_err(self.io(&path))?;
        Ok(file)
    }
}

/// Opens `path` for writing, made readable by its owner only.
fn private_file(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_rotation_keeps_the_old_public_half_for_a_day() {
        let dir = tempfile::tempdir().expect("a directory");
        let keys = KeyDir::new(dir.path().join("keys"));
        let first = keys.ensure("gateway", 1_000).expect("made");
        assert_eq!(keys.ensure("gateway", 1_001).expect("kept").kid, first.kid);
        let second = keys.rotate("gateway", 2_000).expect("rotated");
        assert_ne!(second.kid, first.kid);
        let set = keys.key_set().expect("set");
        assert_eq!(set.find(&first.kid).and_then(|k| k.retired), Some(2_000));
        assert_eq!(set.find(&second.kid).and_then(|k| k.retired), None);
        keys.rotate("gateway", 2_000 + RETIRED_KEPT_SECS).expect("rotated again");
        assert!(keys.key_set().expect("set").find(&first.kid).is_none(), "retired a day ago: dropped");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join("keys")), 0o700);
            assert_eq!(mode(&dir.path().join("keys/gateway.key")), 0o600);
        }
    }

    #[test]
    fn a_missing_key_says_where_it_was_looked_for() {
        let dir = tempfile::tempdir().expect("a directory");
        let error = KeyDir::new(dir.path()).signing_key("gateway").expect_err("none yet");
        assert!(error.to_string().contains("ADVOCACY_KEYS_DIR"), "{error}");
    }
}
