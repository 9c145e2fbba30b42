//! All SQL of the submissions service, one set for SQLite and PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{Row, any::AnyRow};

use advocacy_platform::db::Sql;
use advocacy_platform::time::to_micros;
use advocacy_platform::{Caller, Database};

use crate::domain::{Kind, Status, Submission};
use crate::error::SubmissionError;

#[derive(Debug, Clone, Default)]
pub struct SubmissionQuery {
    pub mechanism: Option<String>,
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    pub country: Option<String>,
    /// Continue after this (created_at, id), newest first.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    pub fn new(db: &Database) -> Store {
        Store { db: db.clone() }
    }

    /// Stores a new submission; a request id seen before answers with the first result,
    /// or `RequestIdReused` if it asked for something else.
    pub async fn create(
        &self,
        s: &Submission,
        request_id: &str,
        fingerprint: &str,
    ) -> Result<Submission, SubmissionError> {
        let (level, compartment) = s.classification.columns();
        let inserted = sqlx::query(
            "INSERT INTO submissions (id, version, mechanism, kind, country, status, created_at, confidentiality,
             compartment, request_id, request_fingerprint, snapshot, deadline_pending, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $7) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&s.id)
        .bind(s.version)
        .bind(&s.mechanism)
        .bind(s.kind.as_str())
        .bind(&s.country)
        .bind(s.status.as_str())
        .bind(to_micros(s.created_at))
        .bind(level)
        .bind(compartment)
        .bind(request_id)
        .bind(fingerprint)
        .bind(snapshot(s)?)
        .bind(i64::from(s.completes_deadline()))
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(s.clone());
        }
        let row = sqlx::query("SELECT snapshot, version, request_fingerprint FROM submissions WHERE request_id = $1")
            .bind(request_id)
            .fetch_one(&self.db.pool)
            .await?;
        if row.try_get::<Option<String>, _>(2)?.as_deref() != Some(fingerprint) {
            return Err(SubmissionError::RequestIdReused);
        }
        submission_of(&row)
    }

    pub async fn get(&self, id: &str) -> Result<Option<Submission>, SubmissionError> {
        let row = sqlx::query("SELECT snapshot, version FROM submissions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|r| submission_of(&r)).transpose()
    }

    /// Writes a changed submission if the stored one is still at `expected`; with
    /// `complete_deadline`, its linked deadline is now pending completion (the outbox).
    pub async fn update(
        &self,
        s: &Submission,
        expected: i64,
        complete_deadline: bool,
    ) -> Result<bool, SubmissionError> {
        let mut tx = self.db.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE submissions SET version = $3, status = $4, snapshot = $5,
             deadline_pending = CASE WHEN $6 = 1 THEN 1 ELSE deadline_pending END, next_attempt_at = $7
             WHERE id = $1 AND version = $2",
        )
        .bind(&s.id)
        .bind(expected)
        .bind(s.version)
        .bind(s.status.as_str())
        .bind(snapshot(s)?)
        .bind(i64::from(complete_deadline))
        .bind(to_micros(s.updated_at))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(updated == 1)
    }

    /// Submissions whose linked deadline still has to be completed, due for an attempt.
    pub async fn pending_deadlines(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(Submission, i64)>, SubmissionError> {
        let rows = sqlx::query(
            "SELECT snapshot, version, attempts FROM submissions WHERE deadline_pending = 1 AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(to_micros(now))
        .bind(limit as i64)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(|r| Ok((submission_of(r)?, r.try_get(2)?))).collect()
    }

    pub async fn deadline_done(&self, id: &str) -> Result<(), SubmissionError> {
        sqlx::query("UPDATE submissions SET deadline_pending = 0, last_error = '' WHERE id = $1")
            .bind(id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    pub async fn deadline_failed(&self, id: &str, error: &str, retry_at: DateTime<Utc>) -> Result<(), SubmissionError> {
        sqlx::query(
            "UPDATE submissions SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(to_micros(retry_at))
        .bind(error.chars().take(500).collect::<String>())
        .execute(&self.db.pool)
        .await?;
        Ok(())
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
        if let Some((at, id)) = &q.after {
            let (p_at, p_id) = (sql.bind_int(to_micros(*at)), sql.bind_text(id));
            sql.push(&format!(" AND (s.created_at, s.id) < ({p_at}, {p_id})"));
        }
        sql.visible_to(caller, "s");
        let p = sql.bind_int(q.limit as i64);
        sql.push(&format!(" ORDER BY s.created_at DESC, s.id DESC LIMIT {p}"));
        sql.fetch_all(&self.db.pool).await?.iter().map(submission_of).collect()
    }
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
