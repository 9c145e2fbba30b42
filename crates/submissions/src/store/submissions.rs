//! Submissions: their rows, the outbox that completes linked deadlines, imports.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{Row, any::AnyRow};

use advocacy_platform::db::SqlValue::{Int, Text};
use advocacy_platform::db::{Sql, limit};
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::outbox::Outbox;
use advocacy_platform::time::to_micros;
use advocacy_platform::{Caller, Database};

use crate::domain::{Kind, Status, Submission};
use crate::error::SubmissionError;

use super::{ImportCounts, ROWS_PER_INSERT, stale, written_ids};

#[derive(Debug, Clone, Default)]
pub struct SubmissionQuery {
    pub mechanism: Option<String>,
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    pub country: Option<String>,
    /// Only those dated in [from, to), as the aggregates count them.
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Continue after this (created_at, id), newest first.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
}

/// The outbox topic of submissions whose linked deadline must be completed.
pub const DEADLINE_TOPIC: &str = "submission-deadline";

#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    /// Submitted submissions whose linked deadline the deadlines service has not completed yet.
    outbox: Outbox,
}

impl Store {
    /// The service's database, for the audit log.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

impl Store {
    pub fn new(db: &Database, outbox: Outbox) -> Store {
        Store { db: db.clone(), outbox }
    }

    /// For the request protocol's look before a write.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Stores a new submission under the request protocol ([`Request`]).
    pub async fn create(
        &self,
        s: &Submission,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Submission>, SubmissionError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        if insert_rows(&mut tx, [(s, request.key(), request.fingerprint())]).await?.is_empty() {
            // An imported row holds this request id.
            return Err(request.reused().into());
        }
        if s.completes_deadline() {
            self.outbox.enqueue(&mut tx, &s.id).await?;
        }
        request.answered(&mut tx, &s.id, s, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(Written::New(s.clone()))
    }

    /// Writes checked submissions in one transaction; those whose request id is already
    /// there are skipped.
    pub async fn import(
        &self,
        rows: &[(Submission, String, String)],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, SubmissionError> {
        let mut tx = self.db.begin_write().await?;
        let mut counts = ImportCounts::default();
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let written = insert_rows(&mut tx, batch.iter().map(|(s, r, f)| (s, r.as_str(), f.as_str()))).await?;
            counts.written += written.len() as i64;
            counts.skipped += (batch.len() - written.len()) as i64;
            for (s, _, _) in batch.iter().filter(|(s, _, _)| s.completes_deadline() && written.contains(&s.id)) {
                self.outbox.enqueue(&mut tx, &s.id).await?;
            }
            let ids: Vec<&str> = written.iter().map(String::as_str).collect();
            advocacy_platform::audit::append(&mut tx, actor, "write", &ids, now).await?;
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(counts)
    }

    pub async fn get(&self, id: &str) -> Result<Option<Submission>, SubmissionError> {
        let row = sqlx::query("SELECT snapshot, version FROM submissions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|r| submission_of(&r)).transpose()
    }

    /// Writes a changed submission if the stored one is still at `expected` (else
    /// `Stale`), under the request protocol; with `complete_deadline`, its linked
    /// deadline is now to be completed (the outbox).
    pub async fn update(
        &self,
        s: &Submission,
        expected: i64,
        complete_deadline: bool,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Submission>, SubmissionError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        let updated = sqlx::query(
            "UPDATE submissions SET version = $3, status = $4, snapshot = $5, dated_at = $6
             WHERE id = $1 AND version = $2",
        )
        .bind(&s.id)
        .bind(expected)
        .bind(s.version)
        .bind(s.status.as_str())
        .bind(snapshot(s)?)
        .bind(to_micros(s.dated_at()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(stale(&s.id, expected));
        }
        if complete_deadline {
            self.outbox.enqueue(&mut tx, &s.id).await?;
        }
        request.answered(&mut tx, &s.id, s, now).await?;
        tx.commit().await?;
        if complete_deadline {
            self.outbox.wake();
        }
        Ok(Written::New(s.clone()))
    }

    /// A page of submissions the caller may see, newest first.
    pub async fn list(&self, caller: &Caller, q: &SubmissionQuery) -> Result<Vec<Submission>, SubmissionError> {
        let mut sql = Sql::new("SELECT s.snapshot, s.version FROM submissions s WHERE 1 = 1");
        for (column, value) in [
            ("mechanism", q.mechanism.clone()),
            ("kind", q.kind.map(|k| k.as_str().to_owned())),
            ("status", q.status.map(|s| s.as_str().to_owned())),
            ("country", q.country.clone()),
        ] {
            if let Some(value) = value {
                let p = sql.bind_text(&value);
                sql.push(&format!(" AND s.{column} = {p}"));
            }
        }
        if let Some((from, to)) = q.period {
            let (f, t) = (sql.bind_int(to_micros(from)), sql.bind_int(to_micros(to)));
            sql.push(&format!(" AND s.dated_at >= {f} AND s.dated_at < {t}"));
        }
        if let Some((at, id)) = &q.after {
            let (p_at, p_id) = (sql.bind_int(to_micros(*at)), sql.bind_text(id));
            sql.push(&format!(" AND (s.created_at, s.id) < ({p_at}, {p_id})"));
        }
        sql.visible_to(caller, "s");
        sql.push(" ORDER BY s.created_at DESC, s.id DESC");
        sql.push(&limit(q.limit));
        sql.fetch_all(&self.db.pool).await?.iter().map(submission_of).collect()
    }
}

/// Inserts submissions in one statement; those whose request id is already there are
/// left out. The ids inserted.
async fn insert_rows<'a>(
    conn: &mut sqlx::AnyConnection,
    rows: impl IntoIterator<Item = (&'a Submission, &'a str, &'a str)>,
) -> Result<HashSet<String>, SubmissionError> {
    let mut sql = Sql::new(
        "INSERT INTO submissions (id, version, mechanism, kind, country, status, created_at, confidentiality,
         compartment, request_id, request_fingerprint, snapshot, dated_at) VALUES ",
    );
    for (s, request_id, fingerprint) in rows {
        let (level, compartment) = s.classification.columns();
        let created = to_micros(s.created_at);
        let snapshot = snapshot(s)?;
        sql.push_row(&[
            Text(&s.id),
            Int(s.version),
            Text(&s.mechanism),
            Text(s.kind.as_str()),
            Text(&s.country),
            Text(s.status.as_str()),
            Int(created),
            Text(level),
            Text(compartment),
            Text(request_id),
            Text(fingerprint),
            Text(&snapshot),
            Int(to_micros(s.dated_at())),
        ]);
    }
    sql.push(" ON CONFLICT (request_id) DO NOTHING");
    written_ids(conn, sql).await
}

fn snapshot(s: &Submission) -> Result<String, SubmissionError> {
    serde_json::to_string(s).map_err(|e| SubmissionError::Corrupt(e.to_string()))
}

fn submission_of(row: &AnyRow) -> Result<Submission, SubmissionError> {
    let text: String = row.try_get(0)?;
    let mut s: Submission = serde_json::from_str(&text).map_err(|e| SubmissionError::Corrupt(e.to_string()))?;
    s.version = row.try_get(1)?;
    Ok(s)
}
