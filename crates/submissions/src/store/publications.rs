//! Publications, kept as snapshots, and the evidence check against them.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::Row;

use advocacy_platform::Caller;
use advocacy_platform::db::Sql;
use advocacy_platform::db::SqlValue::{Int, Text};
use advocacy_platform::idempotency::{Request, Written, write_once};
use advocacy_platform::time::to_micros;

use crate::domain::publications::{Publication, PublicationKind};
use crate::error::SubmissionError;

use super::{ImportCounts, ROWS_PER_INSERT, RecordStore, parse_versioned, to_json, written_ids};

impl RecordStore {
    pub async fn create_publication(
        &self,
        p: &Publication,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Publication>, SubmissionError> {
        let insert = insert_publications([(p, request.key())])?;
        write_once(&self.db, request, insert, &p.id, p, now, || request.reused().into()).await
    }

    /// Writes checked publications in one transaction, skipping those imported before.
    pub async fn import_publications(
        &self,
        rows: &[(Publication, String)],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, SubmissionError> {
        let mut tx = self.db.begin_write().await?;
        let mut counts = ImportCounts::default();
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let insert = insert_publications(batch.iter().map(|(p, r)| (p, r.as_str())))?;
            let written = written_ids(&mut tx, insert).await?;
            counts.written += written.len() as i64;
            counts.skipped += (batch.len() - written.len()) as i64;
            let ids: Vec<&str> = written.iter().map(String::as_str).collect();
            advocacy_platform::audit::append(&mut tx, actor, "write", &ids, now).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// Those of `ids` that are not publications the caller can see (a hidden one looks
    /// absent, as everywhere).
    pub async fn unseen_publications<'a>(
        &self,
        caller: &Caller,
        ids: impl IntoIterator<Item = &'a String>,
    ) -> Result<HashSet<String>, SubmissionError> {
        let mut unseen: HashSet<String> = ids.into_iter().cloned().collect();
        let asked: Vec<String> = unseen.iter().cloned().collect();
        // Well under the bind-parameter limits of both engines.
        for chunk in asked.chunks(advocacy_platform::db::PADDED_LIST) {
            let mut sql = Sql::new("SELECT p.id FROM publications p WHERE p.id IN (");
            let placeholders = sql.bind_list(chunk);
            sql.push(&format!("{placeholders})"));
            sql.visible_to(caller, "p");
            for row in sql.fetch_all(&self.db.pool).await? {
                unseen.remove(&row.try_get::<String, _>(0)?);
            }
        }
        Ok(unseen)
    }

    pub async fn publication(&self, id: &str) -> Result<Option<Publication>, SubmissionError> {
        let row = sqlx::query("SELECT snapshot, version FROM publications WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|r| parse_versioned(&r)).transpose()
    }

    /// Publications the caller may see, newest first.
    pub async fn publications(
        &self,
        caller: &Caller,
        kind: Option<PublicationKind>,
        period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<Publication>, SubmissionError> {
        let mut sql = Sql::new("SELECT p.snapshot, p.version FROM publications p WHERE 1 = 1");
        if let Some(kind) = kind {
            let k = sql.bind_text(kind.as_str());
            sql.push(&format!(" AND p.kind = {k}"));
        }
        if let Some((from, to)) = period {
            let (f, t) = (sql.bind_int(to_micros(from)), sql.bind_int(to_micros(to)));
            sql.push(&format!(" AND p.published_at >= {f} AND p.published_at < {t}"));
        }
        sql.visible_to(caller, "p");
        sql.push(" ORDER BY p.published_at DESC, p.id DESC LIMIT 1000");
        sql.fetch_all(&self.db.pool).await?.iter().map(parse_versioned).collect()
    }
}

/// Publications in one statement, leaving out those whose request id is already there.
fn insert_publications<'a>(rows: impl IntoIterator<Item = (&'a Publication, &'a str)>) -> Result<Sql, SubmissionError> {
    let mut sql = Sql::new(
        "INSERT INTO publications (id, version, kind, published_at, confidentiality, compartment, request_id,
         snapshot) VALUES ",
    );
    for (p, request_id) in rows {
        let (level, compartment) = p.classification.columns();
        sql.push_row(&[
            Text(&p.id),
            Int(p.version),
            Text(p.kind.as_str()),
            Int(to_micros(p.published_on)),
            Text(level),
            Text(compartment),
            Text(request_id),
            Text(&to_json(p)?),
        ]);
    }
    sql.push(" ON CONFLICT (request_id) DO NOTHING");
    Ok(sql)
}
