//! All SQL of the submissions service, one set for SQLite and PostgreSQL: one module per
//! aggregate (submissions; resolutions with their amendments; publications), the impact
//! figures, and what they share here.

mod aggregates;
mod publications;
pub mod resolutions;
mod submissions;

use std::collections::HashSet;

use sqlx::{Row, any::AnyRow};

use advocacy_platform::Database;
use advocacy_platform::db::{Sql, SqlValue};

use crate::error::SubmissionError;

pub use submissions::{DEADLINE_TOPIC, Store, SubmissionQuery};

/// Rows per multi-row INSERT of an import: one statement instead of a hundred, well
/// under both engines' limits on bound values (14 per row).
const ROWS_PER_INSERT: usize = 100;

/// Resolutions, amendments and publications: stored whole as snapshots, each created once per request
/// id, updated only at the version read.
#[derive(Debug, Clone)]
pub struct RecordStore {
    db: Database,
}

/// The answer when an update found the record at another version than the one read.
fn stale(id: &str, expected: i64) -> SubmissionError {
    SubmissionError::Stale { id: id.to_owned(), expected, current: expected + 1 }
}

/// An `UPDATE` of a record kept as a snapshot, at the version read: its version, the
/// columns kept beside the snapshot for queries (`columns`), and its snapshot.
fn update_snapshot(
    table: &str,
    columns: &[(&str, SqlValue<'_>)],
    id: &str,
    expected: i64,
    version: i64,
    snapshot: &str,
) -> Sql {
    // Only fixed table and column names are spliced in; every value is bound.
    let mut sql = Sql::new(&format!("UPDATE {table} SET "));
    let p_version = sql.bind_int(version);
    sql.push(&format!("version = {p_version}"));
    for (column, value) in columns {
        let p = sql.bind_value(value);
        sql.push(&format!(", {column} = {p}"));
    }
    let (p_snapshot, p_id, p_expected) = (sql.bind_text(snapshot), sql.bind_text(id), sql.bind_int(expected));
    sql.push(&format!(", snapshot = {p_snapshot} WHERE id = {p_id} AND version = {p_expected}"));
    sql
}

/// Runs an `INSERT .. ON CONFLICT DO NOTHING` and answers the ids it wrote (those not
/// skipped as written before), for the outbox and the audit log.
async fn written_ids(conn: &mut sqlx::AnyConnection, mut insert: Sql) -> Result<HashSet<String>, SubmissionError> {
    insert.push(" RETURNING id");
    let rows = insert.fetch_all_on(conn).await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
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
    /// Words of our text kept in amendments adopted in full or in part.
    pub amendments_words_kept: i64,
    /// Records of the period the caller may not see, one count per section.
    pub submissions_restricted: i64,
    pub amendments_restricted: i64,
    pub publications_restricted: i64,
}
