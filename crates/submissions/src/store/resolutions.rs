//! Resolutions and amendments, kept as snapshots.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use advocacy_platform::db::Sql;
use advocacy_platform::db::SqlValue::{Int, Null, Text};
use advocacy_platform::idempotency::{Request, Written, write_once};
use advocacy_platform::names::normalize_name;
use advocacy_platform::time::to_micros;
use advocacy_platform::{Caller, Database};
use sqlx::Row;

use crate::domain::resolutions::{Amendment, AmendmentStatus, NewResolution, Resolution};
use crate::error::SubmissionError;

/// Which amendments a listing asks for, already checked.
#[derive(Debug, Clone, Default)]
pub struct AmendmentQuery {
    pub resolution_id: Option<String>,
    /// Proposed in [from, to).
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub status: Option<AmendmentStatus>,
    /// Continue after this (created, id).
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
}

use super::{
    ImportCounts, ROWS_PER_INSERT, RecordStore, parse_versioned, stale, to_json, update_snapshot, written_ids,
};

impl RecordStore {
    /// The store, once amendments recorded before their words kept had a column of their
    /// own have it filled.
    pub async fn open(db: &Database) -> Result<Self, SubmissionError> {
        fill_kept_words(db).await?;
        Ok(Self { db: db.clone() })
    }

    /// For the request protocol's look before a write.
    pub fn db(&self) -> &Database {
        &self.db
    }

    pub async fn create_resolution(
        &self,
        r: &Resolution,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Resolution>, SubmissionError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        // One resolution per body, session and title, however the title is spelled: the
        // same natural key the imports match on.
        self.db.serialize_on(&mut tx, "resolutions").await?;
        if let Some(existing) = same_resolution(&mut tx, &r.body, &r.session, &r.title).await? {
            return Err(SubmissionError::Exists(
                advocacy_platform::FieldViolation::new(
                    "title",
                    format!("{} is already recorded for {} {} as resolution {existing}", r.title, r.body, r.session),
                )
                .into(),
            ));
        }
        if insert_resolution(r, Some(request.key()))?.execute(&mut tx).await? == 0 {
            return Err(request.reused().into());
        }
        request.answered(&mut tx, &r.id, r, now).await?;
        tx.commit().await?;
        Ok(Written::New(r.clone()))
    }

    pub async fn resolution(&self, id: &str) -> Result<Option<Resolution>, SubmissionError> {
        let row = sqlx::query("SELECT snapshot, version FROM resolutions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|r| parse_versioned(&r)).transpose()
    }

    pub async fn resolutions(
        &self,
        body: Option<&str>,
        session: Option<&str>,
    ) -> Result<Vec<Resolution>, SubmissionError> {
        let mut sql = Sql::new("SELECT snapshot, version FROM resolutions WHERE 1 = 1");
        for (column, value) in [("body", body), ("session", session)] {
            if let Some(value) = value {
                let p = sql.bind_text(value);
                sql.push(&format!(" AND {column} = {p}"));
            }
        }
        sql.push(" ORDER BY created_at DESC, id DESC LIMIT 1000");
        sql.fetch_all(&self.db.pool).await?.iter().map(parse_versioned).collect()
    }

    pub async fn update_resolution(
        &self,
        r: &Resolution,
        expected: i64,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Resolution>, SubmissionError> {
        let update = update_snapshot(
            "resolutions",
            &[("state", Text(r.state.as_str()))],
            &r.id,
            expected,
            r.version,
            &to_json(r)?,
        );
        write_once(&self.db, request, update, &r.id, r, now, || stale(&r.id, expected)).await
    }

    pub async fn create_amendment(
        &self,
        a: &Amendment,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Amendment>, SubmissionError> {
        let insert = insert_amendments([(a, request.key())])?;
        write_once(&self.db, request, insert, &a.id, a, now, || request.reused().into()).await
    }

    /// Writes a checked amendments import in one transaction. Each row's resolution is
    /// the one of the registry with its body, session and title (compared loosely), or
    /// one created once for the file; amendments imported before are skipped.
    pub async fn import_amendments(
        &self,
        rows: Vec<(NewResolution, Amendment, String)>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, SubmissionError> {
        let mut tx = self.db.begin_write().await?;
        // Two imports naming the same new resolution must not both create it.
        self.db.serialize_on(&mut tx, "resolutions").await?;
        let sessions: BTreeSet<(&str, &str)> =
            rows.iter().map(|(r, _, _)| (r.body.as_str(), r.session.as_str())).collect();
        let mut known: HashMap<(String, String, String), (String, bool)> = HashMap::new();
        for (body, session) in sessions {
            let found = sqlx::query("SELECT snapshot, version FROM resolutions WHERE body = $1 AND session = $2")
                .bind(body)
                .bind(session)
                .fetch_all(&mut *tx)
                .await?;
            for row in &found {
                let r: Resolution = parse_versioned(row)?;
                known.entry((r.body, r.session, normalize_name(&r.title))).or_insert((r.id, false));
            }
        }
        let mut counts = ImportCounts::default();
        let mut created_ids = Vec::new();
        let mut matched = Vec::with_capacity(rows.len());
        for (resolution, mut amendment, request_id) in rows {
            let key = (resolution.body.clone(), resolution.session.clone(), normalize_name(&resolution.title));
            amendment.resolution_id = match known.get_mut(&key) {
                Some((id, counted)) => {
                    if !*counted {
                        *counted = true;
                        counts.resolutions_matched += 1;
                    }
                    id.clone()
                }
                None => {
                    let created = Resolution::create(uuid::Uuid::now_v7().to_string(), resolution, actor, now);
                    insert_resolution(&created, None)?.execute(&mut tx).await?;
                    counts.resolutions_created += 1;
                    created_ids.push(created.id.clone());
                    known.insert(key, (created.id.clone(), true));
                    created.id
                }
            };
            matched.push((amendment, request_id));
        }
        let created: Vec<&str> = created_ids.iter().map(String::as_str).collect();
        advocacy_platform::audit::append(&mut tx, actor, "write", &created, now).await?;
        for batch in matched.chunks(ROWS_PER_INSERT) {
            let insert = insert_amendments(batch.iter().map(|(a, r)| (a, r.as_str())))?;
            let written = written_ids(&mut tx, insert).await?;
            counts.written += written.len() as i64;
            counts.skipped += (batch.len() - written.len()) as i64;
            let ids: Vec<&str> = written.iter().map(String::as_str).collect();
            advocacy_platform::audit::append(&mut tx, actor, "write", &ids, now).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn amendment(&self, id: &str) -> Result<Option<Amendment>, SubmissionError> {
        let row = sqlx::query("SELECT snapshot, version FROM amendments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|r| parse_versioned(&r)).transpose()
    }

    /// Up to `limit` amendments to a resolution the caller may see, oldest first, after
    /// the (time, id) a previous page ended at.
    pub async fn amendments(&self, caller: &Caller, query: &AmendmentQuery) -> Result<Vec<Amendment>, SubmissionError> {
        let AmendmentQuery { resolution_id, period, status, after, limit } = query;
        let mut sql = Sql::new("SELECT a.snapshot, a.version FROM amendments a WHERE 1 = 1");
        if let Some(resolution_id) = resolution_id {
            let p = sql.bind_text(resolution_id);
            sql.push(&format!(" AND a.resolution_id = {p}"));
        }
        if let Some((from, to)) = period {
            let (f, t) = (sql.bind_int(to_micros(*from)), sql.bind_int(to_micros(*to)));
            sql.push(&format!(" AND a.created_at >= {f} AND a.created_at < {t}"));
        }
        if let Some(status) = status {
            let p = sql.bind_text(status.as_str());
            sql.push(&format!(" AND a.status = {p}"));
        }
        if let Some((at, id)) = after {
            let (p_at, p_id) = (sql.bind_int(to_micros(*at)), sql.bind_text(id));
            sql.push(&format!(" AND (a.created_at, a.id) > ({p_at}, {p_id})"));
        }
        sql.visible_to(caller, "a");
        sql.push(" ORDER BY a.created_at, a.id");
        sql.push(&advocacy_platform::db::limit(*limit));
        sql.fetch_all(&self.db.pool).await?.iter().map(parse_versioned).collect()
    }

    pub async fn update_amendment(
        &self,
        a: &Amendment,
        expected: i64,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Amendment>, SubmissionError> {
        let columns = [("status", Text(a.status.as_str())), ("kept_words", Int(kept_words(a)))];
        let update = update_snapshot("amendments", &columns, &a.id, expected, a.version, &to_json(a)?);
        write_once(&self.db, request, update, &a.id, a, now, || stale(&a.id, expected)).await
    }
}

/// The words of our text the adopted resolution kept, 0 before it is adopted.
fn kept_words(a: &Amendment) -> i64 {
    a.comparison.as_ref().map_or(0, |c| c.kept_words as i64)
}

/// Reads the words kept of amendments recorded before they had a column, once.
async fn fill_kept_words(db: &Database) -> Result<(), SubmissionError> {
    let mut tx = db.begin_write().await?;
    let filled: i64 = sqlx::query("SELECT filled FROM amendment_kept_words_filled WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if filled == 0 {
        let rows = sqlx::query("SELECT snapshot, version FROM amendments").fetch_all(&mut *tx).await?;
        for row in &rows {
            let a: Amendment = parse_versioned(row)?;
            let kept = kept_words(&a);
            if kept > 0 {
                sqlx::query("UPDATE amendments SET kept_words = $1 WHERE id = $2")
                    .bind(kept)
                    .bind(&a.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("UPDATE amendment_kept_words_filled SET filled = 1 WHERE id = 1").execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The id of a resolution of `body` and `session` whose title reads as `title`.
async fn same_resolution(
    tx: &mut sqlx::AnyConnection,
    body: &str,
    session: &str,
    title: &str,
) -> Result<Option<String>, SubmissionError> {
    let rows = sqlx::query("SELECT snapshot, version FROM resolutions WHERE body = $1 AND session = $2")
        .bind(body)
        .bind(session)
        .fetch_all(&mut *tx)
        .await?;
    let wanted = normalize_name(title);
    for row in &rows {
        let found: Resolution = parse_versioned(row)?;
        if normalize_name(&found.title) == wanted {
            return Ok(Some(found.id));
        }
    }
    Ok(None)
}

/// A resolution's row; `request_id` is None for one an import created.
fn insert_resolution(r: &Resolution, request_id: Option<&str>) -> Result<Sql, SubmissionError> {
    let mut sql = Sql::new(
        "INSERT INTO resolutions (id, version, body, session, state, created_at, request_id, snapshot) VALUES ",
    );
    sql.push_row(&[
        Text(&r.id),
        Int(r.version),
        Text(&r.body),
        Text(&r.session),
        Text(r.state.as_str()),
        Int(to_micros(r.created_at)),
        request_id.map_or(Null, Text),
        Text(&to_json(r)?),
    ]);
    sql.push(" ON CONFLICT (request_id) DO NOTHING");
    Ok(sql)
}

/// Amendments in one statement, leaving out those whose request id is already there.
fn insert_amendments<'a>(rows: impl IntoIterator<Item = (&'a Amendment, &'a str)>) -> Result<Sql, SubmissionError> {
    let mut sql = Sql::new(
        "INSERT INTO amendments (id, version, resolution_id, status, confidentiality, compartment, created_at,
         kept_words, request_id, snapshot) VALUES ",
    );
    for (a, request_id) in rows {
        let (level, compartment) = a.classification.columns();
        sql.push_row(&[
            Text(&a.id),
            Int(a.version),
            Text(&a.resolution_id),
            Text(a.status.as_str()),
            Text(level),
            Text(compartment),
            Int(to_micros(a.created_at)),
            Int(kept_words(a)),
            Text(request_id),
            Text(&to_json(a)?),
        ]);
    }
    sql.push(" ON CONFLICT (request_id) DO NOTHING");
    Ok(sql)
}
