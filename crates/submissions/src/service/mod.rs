//! The submissions operations, in domain terms: one module per aggregate (submissions;
//! resolutions with their amendments; publications), and the rules they share here.

mod publications;
mod resolutions;
mod submissions;

use std::collections::HashSet;

use advocacy_platform::{Caller, FieldViolation, FieldViolations};

use crate::domain::RuleError;
use crate::error::SubmissionError;
use crate::store::RecordStore;

pub use publications::Publications;
pub use resolutions::{ImportedAmendment, Resolutions};
pub use submissions::Submissions;

/// Runs CPU-heavy work (comparing texts) on the blocking pool instead of the async
/// runtime's few threads.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, SubmissionError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| SubmissionError::Corrupt(format!("comparison failed: {e}")))
}

/// Evidence must name publications the caller can see.
async fn check_evidence(records: &RecordStore, caller: &Caller, evidence: &[String]) -> Result<(), SubmissionError> {
    let unseen = records.unseen_publications(caller, evidence).await?;
    Ok(evidence_problems(evidence, &unseen).into_result()?)
}

fn evidence_problems(evidence: &[String], unseen: &HashSet<String>) -> FieldViolations {
    let mut found = FieldViolations::new();
    for (i, id) in evidence.iter().enumerate().filter(|(_, id)| unseen.contains(*id)) {
        found.push(FieldViolation::new(format!("evidence[{i}]"), format!("{id} is not a publication you can see")));
    }
    found
}

/// A broken rule as the problems of an imported row.
fn rule_problems(e: RuleError) -> FieldViolations {
    match SubmissionError::from(e) {
        SubmissionError::Invalid(found) => found,
        other => FieldViolation::new("status", other.to_string()).into(),
    }
}

/// The record as read, if it is still at the version the caller read; else `Stale`.
fn at_version<T>(record: T, expected: i64, id_version: impl Fn(&T) -> (&String, i64)) -> Result<T, SubmissionError> {
    let (id, version) = id_version(&record);
    if version != expected {
        return Err(stale(id, expected, version));
    }
    Ok(record)
}

fn stale(id: &str, expected: i64, current: i64) -> SubmissionError {
    SubmissionError::Stale { id: id.to_owned(), expected, current }
}
