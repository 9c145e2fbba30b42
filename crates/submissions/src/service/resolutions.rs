//! Resolutions we seek to influence and the amendments we propose to them.

use chrono::{DateTime, Utc};

use advocacy_platform::idempotency::{Request, Written, scoped};
use advocacy_platform::{Caller, Clock, FieldViolation, FieldViolations};

use crate::domain::resolutions::{
    Amendment, AmendmentEdit, AmendmentStatus, NewAmendment, NewResolution, Resolution, ResolutionState, Vote,
};
use crate::error::SubmissionError;
use crate::store::{ImportCounts, RecordStore};

use super::{at_version, check_evidence, evidence_problems, off_runtime, rule_problems};

/// Resolutions and the amendments we propose to them.
#[derive(Debug, Clone)]
pub struct Resolutions {
    store: RecordStore,
    clock: Clock,
}

impl Resolutions {
    pub fn new(store: RecordStore, clock: Clock) -> Self {
        Self { store, clock }
    }

    pub async fn create(
        &self,
        caller: &Caller,
        request_id: &str,
        new: NewResolution,
    ) -> Result<Resolution, SubmissionError> {
        let request = Request::new(caller, request_id, &("resolution", &new));
        let now = self.clock.now();
        let resolution = Resolution::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now);
        let written = self.store.create_resolution(&resolution, &request, now).await?;
        written.answer(async |id| self.get(&id).await.map(drop)).await
    }

    pub async fn get(&self, id: &str) -> Result<Resolution, SubmissionError> {
        self.store.resolution(id).await?.ok_or_else(|| SubmissionError::NotFound(format!("resolution {id}")))
    }

    pub async fn list(&self, body: Option<&str>, session: Option<&str>) -> Result<Vec<Resolution>, SubmissionError> {
        self.store.resolutions(body, session).await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn record_state(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        state: ResolutionState,
        adopted_on: Option<DateTime<Utc>>,
        vote: Option<Vote>,
    ) -> Result<Resolution, SubmissionError> {
        let request = Request::new(caller, request_id, &("state", id, expected_version, state, adopted_on, &vote));
        let written = request
            .once(self.store.db(), || async {
                let current = at_version(self.get(id).await?, expected_version, |r| (&r.id, r.version))?;
                let now = self.clock.now();
                let next = current.moved_to(state, adopted_on, vote, &caller.subject, now)?;
                self.store.update_resolution(&next, expected_version, &request, now).await
            })
            .await?;
        written.answer(async |id| self.get(&id).await.map(drop)).await
    }

    pub async fn propose(
        &self,
        caller: &Caller,
        request_id: &str,
        new: NewAmendment,
    ) -> Result<Amendment, SubmissionError> {
        if let Some(compartment) = new.classification.compartment_missing_for(caller) {
            return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
        }
        if self.store.resolution(&new.resolution_id).await?.is_none() {
            return Err(FieldViolation::new("resolution_id", "is not a resolution of the registry").into());
        }
        check_evidence(&self.store, caller, &new.evidence).await?;
        let request = Request::new(caller, request_id, &("amendment", &new));
        let now = self.clock.now();
        let amendment = Amendment::propose(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now);
        let written = self.store.create_amendment(&amendment, &request, now).await?;
        self.answer_amendment(caller, written).await
    }

    /// Imports checked amendments in one transaction, with their outcomes when known.
    /// Every row must pass the rules of a proposal by hand; if one does not, every
    /// problem is reported by its line and nothing is written.
    pub async fn import(
        &self,
        caller: &Caller,
        rows: Vec<(i32, ImportedAmendment)>,
        mode: advocacy_platform::import::Mode,
    ) -> Result<ImportCounts, SubmissionError> {
        let now = self.clock.now();
        let unseen =
            self.store.unseen_publications(caller, rows.iter().flat_map(|(_, r)| &r.amendment.evidence)).await?;
        if let Some(compartment) =
            rows.iter().find_map(|(_, row)| row.amendment.classification.compartment_missing_for(caller))
        {
            return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
        }
        // Comparing each outcome with its proposal is CPU work: off the async runtime, so
        // a large import does not stall other calls.
        let by = caller.clone();
        let checked = off_runtime(move || {
            let mut problems = FieldViolations::new();
            let mut checked = Vec::with_capacity(rows.len());
            for (line, row) in rows {
                let mut found = evidence_problems(&row.amendment.evidence, &unseen);
                let proposed_on = row.proposed_on.unwrap_or(now);
                let mut proposed =
                    Amendment::propose(uuid::Uuid::now_v7().to_string(), row.amendment, &by.subject, proposed_on);
                proposed.updated_at = now;
                let amendment = match row.outcome {
                    None => Ok(proposed),
                    Some((status, adopted_text)) => proposed.with_outcome(status, adopted_text, &by.subject, now),
                };
                match amendment {
                    Ok(a) => checked.push((row.resolution, a, scoped(&by, &row.request_id))),
                    Err(e) => found.push_under("", &rule_problems(e)),
                }
                problems.push_at_line(line, &found);
            }
            problems.into_result().map(|()| checked).map_err(SubmissionError::from)
        })
        .await??;
        if mode == advocacy_platform::import::Mode::CheckOnly {
            return Ok(ImportCounts::default());
        }
        self.store.import_amendments(checked, &caller.subject, now).await
    }

    pub async fn amendment(&self, caller: &Caller, id: &str) -> Result<Amendment, SubmissionError> {
        let found =
            self.store.amendment(id).await?.ok_or_else(|| SubmissionError::NotFound(format!("amendment {id}")))?;
        amendment_visible(caller, found)
    }

    /// A page of amendments the caller may see (see the store); of a resolution that must
    /// exist, when one is named.
    pub async fn amendments(
        &self,
        caller: &Caller,
        query: &crate::store::resolutions::AmendmentQuery,
    ) -> Result<Vec<Amendment>, SubmissionError> {
        if let Some(id) = &query.resolution_id {
            self.get(id).await?;
        }
        self.store.amendments(caller, query).await
    }

    pub async fn record_outcome(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        status: AmendmentStatus,
        adopted_text: String,
    ) -> Result<Amendment, SubmissionError> {
        let request = Request::new(caller, request_id, &("outcome", id, expected_version, status, &adopted_text));
        let written = request
            .once(self.store.db(), || async {
                let current = at_version(self.amendment(caller, id).await?, expected_version, |a| (&a.id, a.version))?;
                let (actor, now) = (caller.subject.clone(), self.clock.now());
                let next = off_runtime(move || current.with_outcome(status, adopted_text, &actor, now)).await??;
                self.store.update_amendment(&next, expected_version, &request, now).await
            })
            .await?;
        self.answer_amendment(caller, written).await
    }

    /// Rewrites an amendment under negotiation at the version the caller read.
    pub async fn edit_amendment(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        edit: AmendmentEdit,
    ) -> Result<Amendment, SubmissionError> {
        let request = Request::new(caller, request_id, &("edit", id, expected_version, &edit));
        let written = request
            .once(self.store.db(), || async {
                let current = at_version(self.amendment(caller, id).await?, expected_version, |a| (&a.id, a.version))?;
                check_evidence(&self.store, caller, &edit.evidence).await?;
                let now = self.clock.now();
                let next = current.edited(edit, &caller.subject, now)?;
                self.store.update_amendment(&next, expected_version, &request, now).await
            })
            .await?;
        self.answer_amendment(caller, written).await
    }

    /// The answer to a write, or to its retry if the caller may still see the amendment.
    async fn answer_amendment(
        &self,
        caller: &Caller,
        written: Written<Amendment>,
    ) -> Result<Amendment, SubmissionError> {
        let answer = written.answer(async |id| self.amendment(caller, &id).await.map(drop)).await?;
        amendment_visible(caller, answer)
    }
}

/// Restricted amendments (quiet diplomacy) look absent to callers without the compartment.
fn amendment_visible(caller: &Caller, a: Amendment) -> Result<Amendment, SubmissionError> {
    if a.classification.visible_to(caller) {
        Ok(a)
    } else {
        Err(SubmissionError::NotFound(format!("amendment {}", a.id)))
    }
}

/// A checked row of an amendments import.
#[derive(Debug, Clone)]
pub struct ImportedAmendment {
    pub request_id: String,
    /// Matched in the registry by body, session and title, or created.
    pub resolution: NewResolution,
    pub amendment: NewAmendment,
    /// What became of it, when the file says.
    pub outcome: Option<(AmendmentStatus, String)>,
    /// When we proposed it, if before the import.
    pub proposed_on: Option<DateTime<Utc>>,
}
