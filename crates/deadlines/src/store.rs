//! All SQL of the deadlines service. One set of statements for SQLite and PostgreSQL.
//!
//! Every write runs in one transaction that first takes the next feed revision (an
//! `UPDATE` of the single `feed_head` row). That write lock comes first on purpose: it
//! serialises writers, so revisions commit in order, the read-check-write of a version
//! needs no further locking, and SQLite never has to upgrade a read lock mid-transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{AnyPool, Row};
use tokio::sync::watch;

use advocacy_platform::batch::RowsById;
use advocacy_platform::db::{Columns, Sql, limit};
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::snapshots::Snapshots;
use advocacy_platform::time::{from_micros, to_micros};
use advocacy_platform::{Caller, Classification, Database};

use crate::domain::{Change, ChangeKind, Deadline, Status};
use crate::error::DeadlineError;

/// The filters of a listing, already checked.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub statuses: Vec<Status>,
    pub mechanism: Option<String>,
    pub owner: Option<String>,
    pub due_from: Option<DateTime<Utc>>,
    pub due_to: Option<DateTime<Utc>>,
    /// Continue after this (due, id).
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
    /// Only deadlines with a due time of this outcome in the due window.
    pub outcome: Option<Outcome>,
    /// What "past due" is measured against.
    pub now: DateTime<Utc>,
}

/// What became of one due time (see the proto's `DeadlineOutcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    MetOnTime,
    CompletedLate,
    Missed,
    Open,
    Cancelled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::MetOnTime => "met_on_time",
            Outcome::CompletedLate => "completed_late",
            Outcome::Missed => "missed",
            Outcome::Open => "open",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// Due times of a period by outcome, mechanism and kind, of those the caller may see; and
/// how many the caller may not.
#[derive(Debug, Clone, Default)]
pub struct Aggregates {
    /// (mechanism, kind, outcome, count)
    pub counts: Vec<(String, String, Outcome, i64)>,
    pub restricted: i64,
}

/// A write to record: the new state, what kind of change it is, and why.
#[derive(Debug)]
pub struct Write {
    pub kind: ChangeKind,
    pub deadline: Deadline,
    pub previous_due: Option<DateTime<Utc>>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    pool: AnyPool,
    head: watch::Sender<i64>,
    /// Deadlines read by id, those asked for together in one query.
    by_id: RowsById,
    snapshots: Snapshots<Deadline>,
}

/// What [`Store::deadline_of`] reads, in its order.
const DEADLINE_COLUMNS: &str = "d.snapshot, d.revision, d.id";

impl Store {
    pub async fn new(db: &Database) -> Result<Store, DeadlineError> {
        let head: i64 =
            sqlx::query("SELECT revision FROM feed_head WHERE id = 1").fetch_one(&db.pool).await?.try_get(0)?;
        let by_id = RowsById::new(db, "SELECT d.snapshot, d.revision, d.id FROM deadlines d WHERE d.id IN ", 2);
        fill_outcomes(db).await?;
        Ok(Store {
            db: db.clone(),
            pool: db.pool.clone(),
            head: watch::channel(head).0,
            by_id,
            snapshots: Snapshots::default(),
        })
    }

    /// The service's database, for the audit log.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Tells in-process watchers of each committed revision. Watchers on other replicas
    /// poll; this only makes the common case immediate.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.head.subscribe()
    }

    pub async fn get(&self, id: &str) -> Result<Option<Arc<Deadline>>, DeadlineError> {
        self.by_id.get(id).await?.map(|row| self.deadline_of(&*row)).transpose()
    }

    /// Runs `decide` on the current state (`None` for a new id) inside the write
    /// transaction and records what it returns. A request id seen before replays the
    /// first result instead.
    pub async fn write<F>(
        &self,
        id: &str,
        request: &Request,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<Written<Deadline>, DeadlineError>
    where
        F: FnOnce(Option<Deadline>) -> Result<Write, DeadlineError>,
    {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        let revision: i64 = sqlx::query("UPDATE feed_head SET revision = revision + 1 WHERE id = 1 RETURNING revision")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;

        let current = sqlx::query("SELECT d.snapshot, d.revision, d.id FROM deadlines d WHERE d.id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| self.deadline_of(&r).map(Arc::unwrap_or_clone))
            .transpose()?;
        let existed = current.is_some();
        let mut write = decide(current)?;
        write.deadline.revision = revision;
        let d = &write.deadline;
        let snapshot = serde_json::to_string(d).map_err(|e| DeadlineError::Corrupt(e.to_string()))?;
        let (level, compartment) = d.classification.columns();

        if existed {
            sqlx::query(
                "UPDATE deadlines SET version = $2, title = $3, mechanism = $4, kind = $5, due_at = $6, zone = $7,
                 status = $8, confidentiality = $9, compartment = $10, revision = $11, snapshot = $12 WHERE id = $1",
            )
        } else {
            sqlx::query(
                "INSERT INTO deadlines (id, version, title, mechanism, kind, due_at, zone, status, confidentiality,
                 compartment, revision, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
        }
        .bind(&d.id)
        .bind(d.version)
        .bind(&d.title)
        .bind(&d.mechanism)
        .bind(d.kind.as_str())
        .bind(to_micros(d.due.at))
        .bind(d.due.zone.name())
        .bind(d.status.as_str())
        .bind(level)
        .bind(compartment)
        .bind(revision)
        .bind(&snapshot)
        .execute(&mut *tx)
        .await?;

        if !existed {
            for owner in &d.owners {
                sqlx::query("INSERT INTO deadline_owners (deadline_id, owner) VALUES ($1, $2)")
                    .bind(&d.id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
            }
        }

        sqlx::query(
            "INSERT INTO deadline_changes (revision, deadline_id, kind, at, actor, previous_due, reason,
             confidentiality, compartment, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(revision)
        .bind(&d.id)
        .bind(write.kind.as_str())
        .bind(to_micros(d.updated_at))
        .bind(&d.updated_by)
        .bind(write.previous_due.map(to_micros))
        .bind(&write.reason)
        .bind(level)
        .bind(compartment)
        .bind(&snapshot)
        .execute(&mut *tx)
        .await?;
        if write.kind == ChangeKind::Completed
            && let (Some(due), Some(done)) = (write.previous_due, d.completed_at)
        {
            record_outcome(&mut tx, &d.id, due, done, d.completed_on_time).await?;
        }
        request.answered(&mut tx, &write.deadline.id, &write.deadline, now).await?;

        tx.commit().await?;
        self.head.send_replace(revision);
        Ok(Written::New(write.deadline))
    }

    /// One page of deadlines the caller may see, sorted by due time then id.
    pub async fn list(&self, caller: &Caller, query: &ListQuery) -> Result<Vec<Arc<Deadline>>, DeadlineError> {
        let mut sql = Sql::new(&format!("SELECT {DEADLINE_COLUMNS} FROM deadlines d WHERE 1 = 1"));
        if !query.statuses.is_empty() {
            let list = sql.bind_list(query.statuses.iter().map(|s| s.as_str()));
            sql.push(&format!(" AND d.status IN ({list})"));
        }
        if let Some(mechanism) = &query.mechanism {
            let p = sql.bind_text(mechanism);
            sql.push(&format!(" AND d.mechanism = {p}"));
        }
        if let Some(owner) = &query.owner {
            let p = sql.bind_text(owner);
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM deadline_owners o WHERE o.deadline_id = d.id AND o.owner = {p})"
            ));
        }
        // A completed due time may be an earlier occurrence than the deadline's own due.
        let completed = matches!(query.outcome, Some(Outcome::MetOnTime | Outcome::CompletedLate));
        let due = if completed { "o.due_at" } else { "d.due_at" };
        let mut window = String::new();
        if let Some(from) = query.due_from {
            let p = sql.bind_int(to_micros(from));
            window.push_str(&format!(" AND {due} >= {p}"));
        }
        if let Some(to) = query.due_to {
            let p = sql.bind_int(to_micros(to));
            window.push_str(&format!(" AND {due} < {p}"));
        }
        match query.outcome {
            Some(outcome @ (Outcome::MetOnTime | Outcome::CompletedLate)) => {
                let on_time = i64::from(outcome == Outcome::MetOnTime);
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM deadline_outcomes o WHERE o.deadline_id = d.id AND o.on_time = {on_time}{window})"
                ));
            }
            Some(Outcome::Missed | Outcome::Open) => {
                let now = sql.bind_int(to_micros(query.now));
                let before = if query.outcome == Some(Outcome::Missed) { "<" } else { ">=" };
                sql.push(&format!(" AND d.status = 'open' AND d.due_at {before} {now}{window}"));
            }
            Some(Outcome::Cancelled) => sql.push(&format!(" AND d.status = 'cancelled'{window}")),
            None => sql.push(&window),
        }
        if let Some((due, id)) = &query.after {
            // A row-value comparison, so both engines seek the (due_at, id) index.
            let (p_due, p_id) = (sql.bind_int(to_micros(*due)), sql.bind_text(id));
            sql.push(&format!(" AND (d.due_at, d.id) > ({p_due}, {p_id})"));
        }
        sql.visible_to(caller, "d");
        sql.push(" ORDER BY d.due_at, d.id");
        sql.push(&limit(query.limit));
        let rows = self.db.read_all(sql).await?;
        rows.iter().map(|row| self.deadline_of(row)).collect()
    }

    /// What became of the due times in [from, to): completed ones from their outcomes,
    /// the rest from the deadlines as they stand.
    pub async fn aggregates(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Aggregates, DeadlineError> {
        let (from, to, now) = (to_micros(from), to_micros(to), to_micros(now));
        let statement = |completed: bool, seen: bool| {
            let mut sql = Sql::new("");
            let (f, t) = (sql.bind_int(from), sql.bind_int(to));
            if completed {
                sql.push(&format!(
                    "SELECT d.mechanism, d.kind, CASE WHEN o.on_time = 1 THEN 'met_on_time' ELSE 'completed_late' END, \
                     COUNT(*) FROM deadline_outcomes o JOIN deadlines d ON d.id = o.deadline_id \
                     WHERE o.due_at >= {f} AND o.due_at < {t}"
                ));
            } else {
                let n = sql.bind_int(now);
                sql.push(&format!(
                    "SELECT d.mechanism, d.kind, CASE WHEN d.status = 'cancelled' THEN 'cancelled' \
                     WHEN d.due_at < {n} THEN 'missed' ELSE 'open' END, COUNT(*) FROM deadlines d \
                     WHERE d.status <> 'completed' AND d.due_at >= {f} AND d.due_at < {t}"
                ));
            }
            if seen {
                sql.visible_to(caller, "d");
            } else {
                sql.hidden_from(caller, "d");
            }
            sql.push(" GROUP BY 1, 2, 3");
            sql.planned_each_run()
        };
        let mut aggregates = Aggregates::default();
        for completed in [true, false] {
            for row in self.db.read_all(statement(completed, true)).await? {
                let outcome = match row.value::<&str>(2)? {
                    "met_on_time" => Outcome::MetOnTime,
                    "completed_late" => Outcome::CompletedLate,
                    "missed" => Outcome::Missed,
                    "cancelled" => Outcome::Cancelled,
                    _ => Outcome::Open,
                };
                aggregates.counts.push((row.value(0)?, row.value(1)?, outcome, row.value(3)?));
            }
            for row in self.db.read_all(statement(completed, false)).await? {
                aggregates.restricted += row.value::<i64>(3)?;
            }
        }
        Ok(aggregates)
    }

    /// Changes after `after` the caller may see, at most `at_most` scanned. Returns them and
    /// the last revision scanned (which may be a change the caller may not see).
    pub async fn changes_after(
        &self,
        caller: &Caller,
        after: i64,
        at_most: usize,
    ) -> Result<(Vec<Change>, Option<i64>, bool), DeadlineError> {
        let sql = format!(
            "SELECT revision, kind, at, actor, previous_due, reason, confidentiality, compartment, snapshot
             FROM deadline_changes WHERE revision > $1 ORDER BY revision{}",
            limit(at_most)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).fetch_all(&self.pool).await?;
        let last_scanned = match rows.last() {
            Some(row) => Some(row.try_get::<i64, _>(0)?),
            None => None,
        };
        let full = rows.len() == at_most;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            let level: String = row.try_get(6)?;
            let compartment: String = row.try_get(7)?;
            if !Classification::from_columns(&level, &compartment).visible_to(caller) {
                continue;
            }
            let kind: String = row.try_get(1)?;
            let snapshot: String = row.try_get(8)?;
            let mut deadline = parse_snapshot(&snapshot)?;
            let revision: i64 = row.try_get(0)?;
            deadline.revision = revision;
            changes.push(Change {
                revision,
                kind: ChangeKind::parse(&kind).ok_or_else(|| DeadlineError::Corrupt(format!("change kind {kind}")))?,
                deadline,
                at: from_micros(row.try_get(2)?),
                actor: row.try_get(3)?,
                previous_due: row.try_get::<Option<i64>, _>(4)?.map(from_micros),
                reason: row.try_get(5)?,
            });
        }
        Ok((changes, last_scanned, full))
    }

    /// The deadline in a row of [`DEADLINE_COLUMNS`], shared with the other reads of
    /// the same version.
    fn deadline_of(&self, row: &impl Columns) -> Result<Arc<Deadline>, DeadlineError> {
        let (snapshot, revision, id): (&str, i64, &str) = (row.value(0)?, row.value(1)?, row.value(2)?);
        // The revision is in the snapshot too (written by the same statement): one text,
        // one revision.
        self.snapshots
            .decode(id, snapshot, |deadline| deadline.revision = revision)
            .map_err(|e| DeadlineError::Corrupt(e.to_string()))
    }

    /// The newest committed revision.
    pub async fn head(&self) -> Result<i64, DeadlineError> {
        Ok(sqlx::query("SELECT revision FROM feed_head WHERE id = 1").fetch_one(&self.pool).await?.try_get(0)?)
    }
}

fn parse_snapshot(snapshot: &str) -> Result<Deadline, DeadlineError> {
    serde_json::from_str(snapshot).map_err(|e| DeadlineError::Corrupt(e.to_string()))
}

/// Records what became of `deadline_id`'s due time `due`.
async fn record_outcome(
    tx: &mut sqlx::AnyConnection,
    deadline_id: &str,
    due: DateTime<Utc>,
    done: DateTime<Utc>,
    on_time: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deadline_outcomes (deadline_id, due_at, done_at, on_time) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (deadline_id, due_at) DO UPDATE SET done_at = excluded.done_at, on_time = excluded.on_time",
    )
    .bind(deadline_id)
    .bind(to_micros(due))
    .bind(to_micros(done))
    .bind(i64::from(on_time))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Reads completions made before outcomes were kept into them, once.
async fn fill_outcomes(db: &Database) -> Result<(), DeadlineError> {
    let mut tx = db.begin_write().await?;
    let filled: i64 = sqlx::query("SELECT filled FROM deadline_outcomes_filled WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if filled == 0 {
        let rows = sqlx::query(
            "SELECT deadline_id, previous_due, snapshot FROM deadline_changes \
             WHERE kind = 'completed' AND previous_due IS NOT NULL ORDER BY revision",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let snapshot: String = row.try_get(2)?;
            let deadline = parse_snapshot(&snapshot)?;
            if let Some(done) = deadline.completed_at {
                let due = from_micros(row.try_get(1)?);
                record_outcome(&mut tx, &row.try_get::<String, _>(0)?, due, done, deadline.completed_on_time).await?;
            }
        }
        sqlx::query("UPDATE deadline_outcomes_filled SET filled = 1 WHERE id = 1").execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
