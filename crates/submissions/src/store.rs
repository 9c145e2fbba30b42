//! All SQL of the submissions service, one set for SQLite and PostgreSQL.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{Row, any::AnyRow};

use advocacy_platform::db::Sql;
use advocacy_platform::db::SqlValue::{Int, Null, Text};
use advocacy_platform::idempotency::{Request, Written, write_once};
use advocacy_platform::names::normalize_name;
use advocacy_platform::outbox::Outbox;
use advocacy_platform::time::to_micros;
use advocacy_platform::{Caller, Database};

use crate::domain::publications::{Publication, PublicationKind};
use crate::domain::resolutions::{Amendment, NewResolution, Resolution};
use crate::domain::{Kind, Status, Submission};
use crate::error::SubmissionError;

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
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
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
    pub async fn import(&self, rows: &[(Submission, String, String)]) -> Result<ImportCounts, SubmissionError> {
        let mut tx = self.db.begin_write().await?;
        let mut counts = ImportCounts::default();
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let written = insert_rows(&mut tx, batch.iter().map(|(s, r, f)| (s, r.as_str(), f.as_str()))).await?;
            counts.written += written.len() as i64;
            counts.skipped += (batch.len() - written.len()) as i64;
            for (s, _, _) in batch.iter().filter(|(s, _, _)| s.completes_deadline() && written.contains(&s.id)) {
                self.outbox.enqueue(&mut tx, &s.id).await?;
            }
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
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
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
        let p = sql.bind_int(q.limit as i64);
        sql.push(&format!(" ORDER BY s.created_at DESC, s.id DESC LIMIT {p}"));
        sql.fetch_all(&self.db.pool).await?.iter().map(submission_of).collect()
    }
}

/// Rows per multi-row INSERT of an import: one statement instead of a hundred, well
/// under both engines' limits on bound values (14 per row).
const ROWS_PER_INSERT: usize = 100;

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
    sql.push(" ON CONFLICT (request_id) DO NOTHING RETURNING id");
    let rows = sql.fetch_all_on(conn).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
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

/// Resolutions, amendments and publications: stored whole as snapshots, each created once per request
/// id, updated only at the version read.
#[derive(Debug, Clone)]
pub struct RecordStore {
    db: Database,
}

/// What a snapshot table's create found: the new record, or the one a request id made.
/// The answer when an update found the record at another version than the one read.
fn stale(id: &str, expected: i64) -> SubmissionError {
    SubmissionError::Stale { id: id.to_owned(), expected, current: expected + 1 }
}

/// An `UPDATE` of a record kept as a snapshot, at the version read.
fn update_snapshot(table: &str, status: &str, id: &str, expected: i64, version: i64, snapshot: &str) -> Sql {
    // Only fixed table and column names are spliced in; every value is bound.
    let mut sql = Sql::new(&format!("UPDATE {table} SET "));
    let (p_version, p_status, p_snapshot) = (sql.bind_int(version), sql.bind_text(status), sql.bind_text(snapshot));
    let (p_id, p_expected) = (sql.bind_text(id), sql.bind_int(expected));
    let status_column = if table == "resolutions" { "state" } else { "status" };
    sql.push(&format!(
        "version = {p_version}, {status_column} = {p_status}, snapshot = {p_snapshot} WHERE id = {p_id} AND version = {p_expected}"
    ));
    sql
}

fn parse_versioned<T: serde::de::DeserializeOwned>(row: &AnyRow) -> Result<T, SubmissionError> {
    let text: String = row.try_get(0)?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| SubmissionError::Corrupt(e.to_string()))?;
    value["version"] = serde_json::Value::from(row.try_get::<i64, _>(1)?);
    serde_json::from_value(value).map_err(|e| SubmissionError::Corrupt(e.to_string()))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, SubmissionError> {
    serde_json::to_string(value).map_err(|e| SubmissionError::Corrupt(e.to_string()))
}

impl RecordStore {
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
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
        let insert = insert_resolution(r, Some(request.key()))?;
        write_once(&self.db, request, insert, &r.id, r, now, || request.reused().into()).await
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
        let update = update_snapshot("resolutions", r.state.as_str(), &r.id, expected, r.version, &to_json(r)?);
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
                    known.insert(key, (created.id.clone(), true));
                    created.id
                }
            };
            matched.push((amendment, request_id));
        }
        for batch in matched.chunks(ROWS_PER_INSERT) {
            let written = insert_amendments(batch.iter().map(|(a, r)| (a, r.as_str())))?.execute(&mut tx).await? as i64;
            counts.written += written;
            counts.skipped += batch.len() as i64 - written;
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

    /// The amendments to a resolution the caller may see, oldest first.
    pub async fn amendments(&self, caller: &Caller, resolution_id: &str) -> Result<Vec<Amendment>, SubmissionError> {
        let mut sql = Sql::new("SELECT a.snapshot, a.version FROM amendments a WHERE a.resolution_id = ");
        let p = sql.bind_text(resolution_id);
        sql.push(&p);
        sql.visible_to(caller, "a");
        sql.push(" ORDER BY a.created_at, a.id");
        sql.fetch_all(&self.db.pool).await?.iter().map(parse_versioned).collect()
    }

    pub async fn update_amendment(
        &self,
        a: &Amendment,
        expected: i64,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Amendment>, SubmissionError> {
        let update = update_snapshot("amendments", a.status.as_str(), &a.id, expected, a.version, &to_json(a)?);
        write_once(&self.db, request, update, &a.id, a, now, || stale(&a.id, expected)).await
    }
}

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
    pub async fn import_publications(&self, rows: &[(Publication, String)]) -> Result<ImportCounts, SubmissionError> {
        let mut tx = self.db.begin_write().await?;
        let mut counts = ImportCounts::default();
        for batch in rows.chunks(ROWS_PER_INSERT) {
            let written =
                insert_publications(batch.iter().map(|(p, r)| (p, r.as_str())))?.execute(&mut tx).await? as i64;
            counts.written += written;
            counts.skipped += batch.len() as i64 - written;
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
        for chunk in asked.chunks(500) {
            let mut sql = Sql::new("SELECT p.id FROM publications p WHERE p.id IN (");
            for (i, id) in chunk.iter().enumerate() {
                let p = sql.bind_text(id);
                sql.push(&if i == 0 { p } else { format!(", {p}") });
            }
            sql.push(")");
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

    /// Impact figures for [from, to): submissions sent (drafts: recorded), amendments
    /// proposed and publications published in the period, counted in SQL. Restricted
    /// records count.
    pub async fn aggregates(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Aggregates, SubmissionError> {
        let (from, to) = (to_micros(from), to_micros(to));
        let grouped = |sql: &'static str| async move {
            let rows = sqlx::query(sql).bind(from).bind(to).fetch_all(&self.db.pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        };
        let influenced: i64 = sqlx::query(
            "SELECT COUNT(DISTINCT resolution_id) FROM amendments
             WHERE created_at >= $1 AND created_at < $2 AND status IN ('adopted', 'adopted_in_part')",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&self.db.pool)
        .await?
        .try_get(0)?;
        Ok(Aggregates {
            by_mechanism: grouped(
                "SELECT mechanism, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2
                 GROUP BY mechanism ORDER BY mechanism",
            )
            .await?,
            by_kind: grouped(
                "SELECT kind, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2 GROUP BY kind ORDER BY kind",
            )
            .await?,
            by_status: grouped(
                "SELECT status, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2
                 GROUP BY status ORDER BY status",
            )
            .await?,
            amendments_by_status: grouped(
                "SELECT status, COUNT(*) FROM amendments WHERE created_at >= $1 AND created_at < $2
                 GROUP BY status ORDER BY status",
            )
            .await?,
            amendments_by_resolution: grouped(
                "SELECT resolution_id || '/' || status, COUNT(*) FROM amendments WHERE created_at >= $1 AND created_at < $2
                 GROUP BY resolution_id, status ORDER BY 1",
            )
            .await?,
            publications_by_kind: grouped(
                "SELECT kind, COUNT(*) FROM publications WHERE published_at >= $1 AND published_at < $2
                 GROUP BY kind ORDER BY kind",
            )
            .await?,
            resolutions_influenced: influenced,
        })
    }
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
         request_id, snapshot) VALUES ",
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
            Text(request_id),
            Text(&to_json(a)?),
        ]);
    }
    sql.push(" ON CONFLICT (request_id) DO NOTHING");
    Ok(sql)
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

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub written: i64,
    /// Rows imported before (their request id was there).
    pub skipped: i64,
    pub resolutions_matched: i64,
    pub resolutions_created: i64,
}

/// Impact figures of the submissions service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregates {
    pub by_mechanism: Vec<(String, i64)>,
    pub by_kind: Vec<(String, i64)>,
    pub by_status: Vec<(String, i64)>,
    pub amendments_by_status: Vec<(String, i64)>,
    pub amendments_by_resolution: Vec<(String, i64)>,
    pub publications_by_kind: Vec<(String, i64)>,
    pub resolutions_influenced: i64,
}
