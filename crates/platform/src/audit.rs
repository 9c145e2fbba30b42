//! The audit log: an append-only table in each service's own database recording every
//! write and every read of a restricted record — who, when, which RPC, which record — and
//! nothing of the record itself, so erasing a person's data leaves nothing of it here.
//! Each entry holds the hash of the one before, so a row changed, removed or inserted by
//! hand breaks the chain at that row, and [`verify`] names it.
//!
//! Writes are logged where every write RPC ends, in the request protocol's transaction
//! ([`crate::idempotency::Request::answered`]); reads of restricted records by the
//! services, with [`record_reads`]. The RPC and its caller come from the guard
//! ([`crate::access`]), which runs each call inside [`CALL`].

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use advocacy_proto::v1 as pb;

use crate::db::Dialect;
use crate::time::{from_micros, to_micros};
use crate::{Caller, Database};

/// The audit table: each service applies this as a migration.
pub const SCHEMA: &str = include_str!("../migrations/audit.sql");

/// The hash before the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The RPC being served and by whom, for the entries it writes.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub subject: String,
}

tokio::task_local! {
    /// Set by the guard around every authenticated call.
    pub static CALL: Call;
}

/// The RPC being served, if any (a background worker serves none).
fn current() -> Option<Call> {
    CALL.try_with(Call::clone).ok()
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The RPC (`CreateDeadline`), or `write` for one made outside an RPC.
    pub action: String,
    /// `write`, `read`, or `failure` (a refused sign-in).
    pub kind: String,
    pub record_id: String,
    pub prev_hash: String,
    pub hash: String,
}

fn hash_of(prev: &str, seq: i64, at: i64, actor: &str, action: &str, kind: &str, record_id: &str) -> String {
    let mut digest = Sha256::new();
    for part in [prev, &seq.to_string(), &at.to_string(), actor, action, kind, record_id] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    hex::encode(digest.finalize())
}

/// Appends entries inside the caller's write transaction, after the change they record.
/// On PostgreSQL an advisory lock orders appenders (SQLite has one writer already).
pub async fn append(
    tx: &mut AnyConnection,
    actor: &str,
    kind: &str,
    record_ids: &[&str],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if record_ids.is_empty() {
        return Ok(());
    }
    if Dialect::of_connection(tx) == Dialect::Postgres {
        sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(hashtext('audit_log'))").execute(&mut *tx).await?;
    }
    let last =
        sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *tx).await?;
    let (mut seq, mut prev) = match last {
        Some(row) => (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
        None => (0, GENESIS.to_owned()),
    };
    let call = current();
    let action = call.as_ref().map_or("write", |c| c.method.as_str()).to_owned();
    let at = to_micros(now);
    for record_id in record_ids {
        seq += 1;
        let hash = hash_of(&prev, seq, at, actor, &action, kind, record_id);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, kind, record_id, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(seq)
        .bind(at)
        .bind(actor)
        .bind(&action)
        .bind(kind)
        .bind(*record_id)
        .bind(&prev)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        prev = hash;
    }
    Ok(())
}

/// Records that `caller` read the restricted records `record_ids`, in a transaction of its
/// own: the read is answered only once it is logged.
pub async fn record_reads(
    db: &Database,
    caller: &Caller,
    record_ids: &[&str],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if record_ids.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    append(&mut tx, &caller.subject, "read", record_ids, now).await?;
    tx.commit().await
}

/// Entries after `after_seq`, oldest first, `limit` of them.
pub async fn list(db: &Database, after_seq: i64, limit: usize) -> Result<Vec<Entry>, sqlx::Error> {
    let sql = format!(
        "SELECT seq, at, actor, action, kind, record_id, prev_hash, hash FROM audit_log WHERE seq > $1 \
         ORDER BY seq{}",
        crate::db::limit(limit)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after_seq).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                seq: r.try_get(0)?,
                at: from_micros(r.try_get(1)?),
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                kind: r.try_get(4)?,
                record_id: r.try_get(5)?,
                prev_hash: r.try_get(6)?,
                hash: r.try_get(7)?,
            })
        })
        .collect()
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Checks the whole chain: each entry's number follows the one before, holds its hash,
/// and hashes to what it says. The entries checked, or the first that breaks it.
pub async fn verify(db: &Database) -> Result<Result<i64, Broken>, sqlx::Error> {
    let (mut expected_seq, mut prev, mut checked) = (1, GENESIS.to_owned(), 0);
    loop {
        let entries = list(db, expected_seq - 1, 1_000).await?;
        let Some(last) = entries.last().map(|e| e.seq) else { return Ok(Ok(checked)) };
        for e in &entries {
            let broken = |reason: &str| Ok(Err(Broken { seq: e.seq, reason: reason.to_owned() }));
            if e.seq != expected_seq {
                return broken(&format!("entry {expected_seq} is missing"));
            }
            if e.prev_hash != prev {
                return broken("it does not hold the hash of the entry before");
            }
            let recomputed = hash_of(&prev, e.seq, to_micros(e.at), &e.actor, &e.action, &e.kind, &e.record_id);
            if recomputed != e.hash {
                return broken("its contents do not match its hash: it was changed");
            }
            prev = e.hash.clone();
            expected_seq += 1;
            checked += 1;
        }
        if last < expected_seq - 1 {
            return Ok(Ok(checked));
        }
    }
}

/// A service's audit log as its gRPC API serves it to admins: each service's
/// `ListAuditEntries` and `VerifyAuditLog` are these two calls.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Database,
    service: &'static str,
}

impl AuditLog {
    pub fn new(db: &Database, service: &'static str) -> AuditLog {
        AuditLog { db: db.clone(), service }
    }

    pub fn to_proto(&self, e: &Entry) -> pb::AuditEntry {
        pb::AuditEntry {
            service: self.service.to_owned(),
            seq: e.seq,
            at: Some(crate::time::to_timestamp(e.at)),
            actor: e.actor.clone(),
            action: e.action.clone(),
            kind: e.kind.clone(),
            record_id: e.record_id.clone(),
            hash: e.hash.clone(),
        }
    }

    pub async fn list(&self, r: &pb::ListAuditEntriesRequest) -> Result<pb::ListAuditEntriesResponse, tonic::Status> {
        let mut v = crate::FieldViolations::new();
        let size = v.check(crate::limits::count("page_size", r.page_size, 100, 1_000));
        let since = v.check(crate::time::optional_timestamp("since", r.since.as_ref()));
        if r.after_seq < 0 {
            v.push(crate::FieldViolation::new("after_seq", "is 0 or an entry's number"));
        }
        let (size, since) = crate::error::checked(v, size.zip(since))?;
        let database = |e: sqlx::Error| tonic::Status::internal(format!("the audit log: {e}"));
        let after = match since {
            Some(since) => self.first_at(since).await.map_err(database)?.max(r.after_seq),
            None => r.after_seq,
        };
        let entries = list(&self.db, after, size).await.map_err(database)?;
        Ok(pb::ListAuditEntriesResponse { entries: entries.iter().map(|e| self.to_proto(e)).collect() })
    }

    /// The number of the last entry before `since`.
    async fn first_at(&self, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE at < $1")
            .bind(to_micros(since))
            .fetch_one(&self.db.pool)
            .await?;
        row.try_get(0)
    }

    /// Logs that `caller` read the restricted records `ids` (see [`record_reads`]).
    pub async fn reads(&self, caller: &Caller, ids: &[&str], now: DateTime<Utc>) -> Result<(), tonic::Status> {
        record_reads(&self.db, caller, ids, now)
            .await
            .map_err(|e| tonic::Status::unavailable(format!("the audit log: {e}")))
    }

    pub async fn verify(&self) -> Result<pb::VerifyAuditLogResponse, tonic::Status> {
        let checked = verify(&self.db).await.map_err(|e| tonic::Status::internal(format!("the audit log: {e}")))?;
        let service = self.service.to_owned();
        Ok(match checked {
            Ok(checked) => pb::VerifyAuditLogResponse { service, checked, intact: true, ..Default::default() },
            Err(broken) => pb::VerifyAuditLogResponse {
                service,
                checked: broken.seq - 1,
                intact: false,
                broken_seq: broken.seq,
                reason: broken.reason,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_an_entry_is_in_its_hash() {
        let base = hash_of(GENESIS, 1, 10, "ana", "GetDeadline", "read", "d-1");
        assert_eq!(base, hash_of(GENESIS, 1, 10, "ana", "GetDeadline", "read", "d-1"));
        for other in [
            hash_of(GENESIS, 2, 10, "ana", "GetDeadline", "read", "d-1"),
            hash_of(GENESIS, 1, 11, "ana", "GetDeadline", "read", "d-1"),
            hash_of(GENESIS, 1, 10, "eve", "GetDeadline", "read", "d-1"),
            hash_of(GENESIS, 1, 10, "ana", "CreateDeadline", "read", "d-1"),
            hash_of(GENESIS, 1, 10, "ana", "GetDeadline", "write", "d-1"),
            hash_of(GENESIS, 1, 10, "ana", "GetDeadline", "read", "d-2"),
            // Lengths are hashed too: moving a character between parts changes the hash.
            hash_of(GENESIS, 1, 10, "an", "aGetDeadline", "read", "d-1"),
        ] {
            assert_ne!(base, other);
        }
    }
}
