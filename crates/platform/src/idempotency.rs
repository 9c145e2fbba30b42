//! One protocol for every write a client may retry. Each carries a client request id,
//! scoped to the caller (another person sending the same id makes a request of their own
//! and never reaches someone else's answer). The `requests` table keeps, per scoped id,
//! a fingerprint of what was asked and the answer given, written in the same
//! transaction as the change itself:
//! - the same id with the same content gets the first answer again, re-checked by the
//!   service for what the caller may see now;
//! - the same id with other content is `ALREADY_EXISTS`, naming `request_id`.
//!
//! A twin of the request in flight at the same moment waits for the first to commit
//! (SQLite's one writer; an advisory lock on PostgreSQL), then sees its answer.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::{Caller, Database, FieldViolation, FieldViolations};

/// The `requests` table: each service that takes writes applies this as a migration.
pub const SCHEMA: &str = include_str!("../migrations/requests.sql");

/// The request id as stored: the caller's, never shared with anyone else's.
pub fn scoped(caller: &Caller, request_id: &str) -> String {
    format!("{}\n{request_id}", caller.subject)
}

/// A hash of what a request asks for.
pub fn fingerprint(value: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// One retryable write as the protocol sees it.
#[derive(Debug, Clone)]
pub struct Request {
    key: String,
    id: String,
    fingerprint: String,
}

/// What a write transaction finds for its request before it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prior {
    /// Never seen: do the write, then [`Request::answered`].
    New,
    /// Answered before: give `answer` again if the caller may still see `record_id`.
    Answered { record_id: String, answer: String },
}

/// What a store's write did: wrote, or found the request answered before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written<T> {
    New(T),
    /// The stored answer, for the service to give again once it has checked that the
    /// caller may still see `record_id`.
    Replay {
        record_id: String,
        answer: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The id was used before for a different request.
    #[error("{0}")]
    Reused(FieldViolations),
    /// A stored answer no longer reads back: a bug or a hand-edited database.
    #[error("a stored answer is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl<T: serde::de::DeserializeOwned> Written<T> {
    /// What the client is told: the new result, or the first answer again once
    /// `still_visible` has checked (with the record as it is now) that the caller may
    /// still see it. A replay is never more visible than the record.
    pub async fn answer<E, Fut>(self, still_visible: impl FnOnce(String) -> Fut) -> Result<T, E>
    where
        E: From<RequestError>,
        Fut: std::future::Future<Output = Result<(), E>>,
    {
        match self {
            Written::New(value) => Ok(value),
            Written::Replay { record_id, answer } => {
                still_visible(record_id).await?;
                serde_json::from_str(&answer).map_err(|e| RequestError::Corrupt(e.to_string()).into())
            }
        }
    }
}

/// A write of one statement under the protocol: the stored answer if the request was
/// answered before; else `statement` in a write transaction, and `record` remembered as
/// the answer. A statement that changes no row ends with `nothing_written` (a stale
/// version; a request id that an imported row holds) and writes nothing.
pub async fn write_once<T, E>(
    db: &Database,
    request: &Request,
    statement: crate::db::Sql,
    record_id: &str,
    record: &T,
    now: DateTime<Utc>,
    nothing_written: impl FnOnce() -> E,
) -> Result<Written<T>, E>
where
    T: Serialize + Clone,
    E: From<RequestError> + From<sqlx::Error>,
{
    let mut tx = match request.begin(db).await? {
        Ok(tx) => tx,
        Err(replay) => return Ok(replay),
    };
    if statement.execute(&mut tx).await? == 0 {
        return Err(nothing_written());
    }
    request.answered(&mut tx, record_id, record, now).await?;
    tx.commit().await?;
    Ok(Written::New(record.clone()))
}

impl Request {
    /// `content` is what the request asks for, with whatever names the operation, so
    /// the same id sent to another operation or with other values is told apart.
    pub fn new(caller: &Caller, request_id: &str, content: &impl Serialize) -> Request {
        crate::telemetry::record_request_id(request_id);
        Request::row(caller, request_id, content)
    }

    /// A row of an import: a request of its own, that leaves the RPC's span alone (it
    /// would name only the last row).
    pub fn row(caller: &Caller, request_id: &str, content: &impl Serialize) -> Request {
        Request { key: scoped(caller, request_id), id: request_id.to_owned(), fingerprint: fingerprint(content) }
    }

    /// The scoped id, for a record that keeps it as its natural key (imported rows).
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The refusal of this id: it names another request.
    pub fn reused(&self) -> RequestError {
        RequestError::Reused(
            FieldViolation::new(
                "request_id",
                format!("{:.64} was already used for a different request; send a new id", self.id),
            )
            .into(),
        )
    }

    /// Whether the request was answered before, read outside any transaction: a service
    /// looks first, so a retry is answered before the checks that the first attempt's
    /// own change would now fail (a version moved on, a status already reached). The
    /// write transaction looks again, for a twin sent at the same moment.
    pub async fn lookup<T>(&self, db: &Database) -> Result<Option<Written<T>>, RequestError> {
        let mut conn = db.pool.acquire().await?;
        let row = sqlx::query("SELECT fingerprint, record_id, answer FROM requests WHERE request_id = $1")
            .bind(&self.key)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<String, _>(0)? != self.fingerprint {
            return Err(self.reused());
        }
        Ok(Some(Written::Replay { record_id: row.try_get(1)?, answer: row.try_get(2)? }))
    }

    /// An update checked against the record before it is written: the earlier answer if
    /// there is one; else `attempt`; and when `attempt` fails, one more look, since a
    /// twin of this request may have committed between the first look and the checks
    /// (then its answer, not "stale", is the answer).
    pub async fn once<T, E, Fut>(&self, db: &Database, attempt: impl FnOnce() -> Fut) -> Result<Written<T>, E>
    where
        E: From<RequestError>,
        Fut: std::future::Future<Output = Result<Written<T>, E>>,
    {
        if let Some(first) = self.lookup(db).await? {
            return Ok(first);
        }
        match attempt().await {
            Ok(written) => Ok(written),
            // A second look that fails itself leaves the first error as the answer.
            Err(error) => match self.lookup(db).await {
                Ok(Some(first)) => Ok(first),
                Ok(None) | Err(RequestError::Database(_)) => Err(error),
                Err(other) => Err(other.into()),
            },
        }
    }

    /// How every write under the protocol starts: a write transaction, or (`Err`) the
    /// answer already given to this request, for the store to return as it is.
    pub async fn begin<T>(
        &self,
        db: &Database,
    ) -> Result<Result<sqlx::Transaction<'static, sqlx::Any>, Written<T>>, RequestError> {
        let mut tx = db.begin_write().await?;
        match self.prior(db, &mut tx).await? {
            Prior::New => Ok(Ok(tx)),
            Prior::Answered { record_id, answer } => {
                // Release the write lock (and PostgreSQL's advisory lock) now, not when
                // the connection happens to go back to the pool.
                tx.rollback().await?;
                Ok(Err(Written::Replay { record_id, answer }))
            }
        }
    }

    /// First in a write transaction (after `begin_write`).
    pub async fn prior(&self, db: &Database, tx: &mut AnyConnection) -> Result<Prior, RequestError> {
        db.serialize_on(tx, &self.key).await?;
        let row = sqlx::query("SELECT fingerprint, record_id, answer FROM requests WHERE request_id = $1")
            .bind(&self.key)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(Prior::New) };
        if row.try_get::<String, _>(0)? != self.fingerprint {
            return Err(self.reused());
        }
        Ok(Prior::Answered { record_id: row.try_get(1)?, answer: row.try_get(2)? })
    }

    /// Last in the write transaction: the answer a retry will get, and the write in the
    /// audit log.
    pub async fn answered(
        &self,
        tx: &mut AnyConnection,
        record_id: &str,
        answer: &impl Serialize,
        now: DateTime<Utc>,
    ) -> Result<(), RequestError> {
        let answer = serde_json::to_string(answer).unwrap_or_default();
        sqlx::query(
            "INSERT INTO requests (request_id, fingerprint, record_id, answer, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&self.key)
        .bind(&self.fingerprint)
        .bind(record_id)
        .bind(answer)
        .bind(now.timestamp_micros())
        .execute(&mut *tx)
        .await?;
        let actor = self.key.split_once('\n').map_or(self.key.as_str(), |(subject, _)| subject);
        crate::audit::append(tx, actor, "write", &[record_id], now).await?;
        Ok(())
    }
}
