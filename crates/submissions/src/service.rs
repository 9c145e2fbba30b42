//! The submissions operations, in domain terms.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use advocacy_platform::idempotency::{Request, Written, scoped};
use advocacy_platform::{Caller, Clock, FieldViolation, FieldViolations};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::publications::{NewPublication, Publication, PublicationKind};
use crate::domain::resolutions::{
    Amendment, AmendmentEdit, AmendmentStatus, NewAmendment, NewResolution, Resolution, ResolutionState, Vote,
};
use crate::domain::{NewSubmission, RuleError, Status, Submission, SubmissionEdit};
use crate::error::SubmissionError;
use crate::store::{Aggregates, ImportCounts, RecordStore, Store, SubmissionQuery};

#[derive(Debug, Clone)]
pub struct Submissions {
    store: Store,
    /// Publications, which evidence must name.
    records: RecordStore,
    /// The deadlines service, to check a linked deadline as the caller.
    deadlines: Channel,
    clock: Clock,
}

impl Submissions {
    pub fn new(store: Store, records: RecordStore, deadlines: Channel, clock: Clock) -> Self {
        Self { store, records, deadlines, clock }
    }

    /// A linked deadline must exist and be visible to the caller: it is looked up in the
    /// deadlines service with the caller's own token, so its rights apply, not ours.
    async fn check_deadline(&self, caller: &Caller, id: &str) -> Result<(), SubmissionError> {
        let token = caller.bearer().map_err(|s| SubmissionError::Unavailable(s.message().to_owned()))?;
        let mut client = DeadlinesServiceClient::new(InterceptedService::new(self.deadlines.clone(), token));
        match client.get_deadline(pb::GetDeadlineRequest { id: id.to_owned() }).await {
            Ok(_) => Ok(()),
            Err(s) if matches!(s.code(), Code::NotFound | Code::InvalidArgument) => {
                Err(FieldViolation::new("deadline_id", "is not a deadline you can see in the deadlines service").into())
            }
            Err(s) => Err(SubmissionError::Unavailable(format!("the deadlines service: {}", s.message()))),
        }
    }

    pub async fn create(
        &self,
        caller: &Caller,
        request_id: &str,
        new: NewSubmission,
    ) -> Result<Submission, SubmissionError> {
        if let Some(compartment) = new.classification.compartment_missing_for(caller) {
            return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
        }
        check_evidence(&self.records, caller, &new.evidence).await?;
        if let Some(deadline) = &new.deadline_id {
            self.check_deadline(caller, deadline).await?;
        }
        let request = Request::new(caller, request_id, &new);
        let now = self.clock.now();
        let submission = Submission::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now)?;
        let written = self.store.create(&submission, &request, now).await?;
        self.answer(caller, written).await
    }

    /// Imports checked rows in one transaction. Every row must pass the same rules as a
    /// submission recorded by hand (the word limits, evidence, compartments); if one does
    /// not, every problem is reported by its line and nothing is written.
    pub async fn import(
        &self,
        caller: &Caller,
        rows: Vec<(i32, (String, NewSubmission))>,
    ) -> Result<ImportCounts, SubmissionError> {
        let now = self.clock.now();
        let unseen = self.records.unseen_publications(caller, rows.iter().flat_map(|(_, (_, n))| &n.evidence)).await?;
        let mut problems = FieldViolations::new();
        let mut checked = Vec::with_capacity(rows.len());
        for (line, (request_id, new)) in rows {
            if let Some(compartment) = new.classification.compartment_missing_for(caller) {
                return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
            }
            let mut found = evidence_problems(&new.evidence, &unseen);
            let request = Request::new(caller, &request_id, &new);
            match Submission::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now) {
                Ok(s) => checked.push((s, request.key().to_owned(), request.fingerprint().to_owned())),
                Err(e) => found.push_under("", &rule_problems(e)),
            }
            problems.push_at_line(line, &found);
        }
        problems.into_result()?;
        self.store.import(&checked).await
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Submission, SubmissionError> {
        let submission = self.store.get(id).await?.ok_or_else(|| SubmissionError::NotFound(id.to_owned()))?;
        visible(caller, submission)
    }

    pub async fn list(&self, caller: &Caller, query: &SubmissionQuery) -> Result<Vec<Submission>, SubmissionError> {
        let found = self.store.list(caller, query).await?;
        for s in found.iter().filter(|s| s.classification.is_restricted()) {
            audit_read(caller, s);
        }
        Ok(found)
    }

    /// Records a status change at the version the caller read. The same change sent again
    /// (a retry) answers with the submission as it is.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_status(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        status: Status,
        at: Option<DateTime<Utc>>,
        note: String,
    ) -> Result<Submission, SubmissionError> {
        let request = Request::new(caller, request_id, &("status", id, expected_version, status, at, &note));
        if let Some(first) = request.lookup(self.store.db()).await? {
            return self.answer(caller, first).await;
        }
        let current = at_version(self.get(caller, id).await?, expected_version, |s| (&s.id, s.version))?;
        let now = self.clock.now();
        let next = current.moved_to(status, at.unwrap_or(now), note, &caller.subject, now)?;
        let complete_deadline = status == Status::Submitted && next.deadline_id.is_some();
        let written = self.store.update(&next, expected_version, complete_deadline, &request, now).await?;
        self.answer(caller, written).await
    }

    /// Rewrites what a submission says, at the version the caller read. The same edit
    /// sent again (a retry) answers with the submission as it is.
    pub async fn edit(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        edit: SubmissionEdit,
    ) -> Result<Submission, SubmissionError> {
        let request = Request::new(caller, request_id, &("edit", id, expected_version, &edit));
        if let Some(first) = request.lookup(self.store.db()).await? {
            return self.answer(caller, first).await;
        }
        let current = at_version(self.get(caller, id).await?, expected_version, |s| (&s.id, s.version))?;
        check_evidence(&self.records, caller, &edit.evidence).await?;
        let now = self.clock.now();
        let next = current.edited(edit, &caller.subject, now)?;
        let written = self.store.update(&next, expected_version, false, &request, now).await?;
        self.answer(caller, written).await
    }

    /// The answer to a write, or to its retry if the caller may still see the submission.
    async fn answer(&self, caller: &Caller, written: Written<Submission>) -> Result<Submission, SubmissionError> {
        let answer = written.answer(async |id| self.get(caller, &id).await.map(drop)).await?;
        visible(caller, answer)
    }
}

/// Runs CPU-heavy work (comparing texts) on the blocking pool instead of the async
/// runtime's few threads.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, SubmissionError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| SubmissionError::Corrupt(format!("comparison failed: {e}")))
}

/// Restricted submissions look absent to callers without the compartment.
fn visible(caller: &Caller, s: Submission) -> Result<Submission, SubmissionError> {
    if !s.classification.visible_to(caller) {
        return Err(SubmissionError::NotFound(s.id));
    }
    if s.classification.is_restricted() {
        audit_read(caller, &s);
    }
    Ok(s)
}

fn audit_read(caller: &Caller, s: &Submission) {
    tracing::info!(target: "audit", actor = %caller.subject, submission = %s.id, "read of a restricted submission");
}

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
        let written = match request.lookup(self.store.db()).await? {
            Some(first) => first,
            None => {
                let current = at_version(self.get(id).await?, expected_version, |r| (&r.id, r.version))?;
                let now = self.clock.now();
                let next = current.moved_to(state, adopted_on, vote, &caller.subject, now)?;
                self.store.update_resolution(&next, expected_version, &request, now).await?
            }
        };
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
        self.store.import_amendments(checked, &caller.subject, now).await
    }

    pub async fn amendment(&self, caller: &Caller, id: &str) -> Result<Amendment, SubmissionError> {
        let found =
            self.store.amendment(id).await?.ok_or_else(|| SubmissionError::NotFound(format!("amendment {id}")))?;
        amendment_visible(caller, found)
    }

    pub async fn amendments(&self, caller: &Caller, resolution_id: &str) -> Result<Vec<Amendment>, SubmissionError> {
        self.get(resolution_id).await?;
        self.store.amendments(caller, resolution_id).await
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
        if let Some(first) = request.lookup(self.store.db()).await? {
            return self.answer_amendment(caller, first).await;
        }
        let current = at_version(self.amendment(caller, id).await?, expected_version, |a| (&a.id, a.version))?;
        let (actor, now) = (caller.subject.clone(), self.clock.now());
        let next = off_runtime(move || current.with_outcome(status, adopted_text, &actor, now)).await??;
        let written = self.store.update_amendment(&next, expected_version, &request, now).await?;
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
        if let Some(first) = request.lookup(self.store.db()).await? {
            return self.answer_amendment(caller, first).await;
        }
        let current = at_version(self.amendment(caller, id).await?, expected_version, |a| (&a.id, a.version))?;
        check_evidence(&self.store, caller, &edit.evidence).await?;
        let now = self.clock.now();
        let next = current.edited(edit, &caller.subject, now)?;
        let written = self.store.update_amendment(&next, expected_version, &request, now).await?;
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

/// Our publications, and the impact figures of the whole service.
#[derive(Debug, Clone)]
pub struct Publications {
    store: RecordStore,
    clock: Clock,
}

impl Publications {
    pub fn new(store: RecordStore, clock: Clock) -> Self {
        Self { store, clock }
    }

    pub async fn create(
        &self,
        caller: &Caller,
        request_id: &str,
        new: NewPublication,
    ) -> Result<Publication, SubmissionError> {
        if let Some(compartment) = new.classification.compartment_missing_for(caller) {
            return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
        }
        let request = Request::new(caller, request_id, &("publication", &new));
        let now = self.clock.now();
        let publication = Publication::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now);
        let written = self.store.create_publication(&publication, &request, now).await?;
        written.answer(async |id| self.get(caller, &id).await.map(drop)).await
    }

    /// Imports checked publications in one transaction, skipping those imported before.
    pub async fn import(
        &self,
        caller: &Caller,
        rows: Vec<(i32, (String, NewPublication))>,
    ) -> Result<ImportCounts, SubmissionError> {
        let now = self.clock.now();
        let mut checked = Vec::with_capacity(rows.len());
        for (_, (request_id, new)) in rows {
            if let Some(compartment) = new.classification.compartment_missing_for(caller) {
                return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
            }
            let publication = Publication::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now);
            checked.push((publication, scoped(caller, &request_id)));
        }
        self.store.import_publications(&checked).await
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Publication, SubmissionError> {
        let found =
            self.store.publication(id).await?.ok_or_else(|| SubmissionError::NotFound(format!("publication {id}")))?;
        if found.classification.visible_to(caller) {
            Ok(found)
        } else {
            Err(SubmissionError::NotFound(format!("publication {id}")))
        }
    }

    pub async fn list(
        &self,
        caller: &Caller,
        kind: Option<PublicationKind>,
        period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<Publication>, SubmissionError> {
        self.store.publications(caller, kind, period).await
    }

    pub async fn aggregates(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Aggregates, SubmissionError> {
        self.store.aggregates(from, to).await
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
