//! Submissions to UN mechanisms and sanctions regimes: recorded, edited while drafts,
//! moved through their status, imported from spreadsheets.

use chrono::{DateTime, Utc};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::{Caller, Clock, FieldViolation, FieldViolations};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::{NewSubmission, Status, Submission, SubmissionEdit};
use crate::error::SubmissionError;
use crate::store::{ImportCounts, RecordStore, Store, SubmissionQuery};

use super::{at_version, check_evidence, evidence_problems, rule_problems};

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
        mode: advocacy_platform::import::Mode,
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
            let request = Request::row(caller, &request_id, &new);
            match Submission::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now) {
                Ok(s) => checked.push((s, request.key().to_owned(), request.fingerprint().to_owned())),
                Err(e) => found.push_under("", &rule_problems(e)),
            }
            problems.push_at_line(line, &found);
        }
        problems.into_result()?;
        if mode == advocacy_platform::import::Mode::CheckOnly {
            return Ok(ImportCounts::default());
        }
        self.store.import(&checked, &caller.subject, now).await
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Submission, SubmissionError> {
        let submission = self.store.get(id).await?.ok_or_else(|| SubmissionError::NotFound(id.to_owned()))?;
        let submission = visible(caller, submission)?;
        self.audit_reads(caller, std::slice::from_ref(&submission)).await?;
        Ok(submission)
    }

    pub async fn list(&self, caller: &Caller, query: &SubmissionQuery) -> Result<Vec<Submission>, SubmissionError> {
        let found = self.store.list(caller, query).await?;
        self.audit_reads(caller, &found).await?;
        Ok(found)
    }

    /// Logs the reads of the restricted ones among `submissions`.
    async fn audit_reads(&self, caller: &Caller, submissions: &[Submission]) -> Result<(), SubmissionError> {
        let ids: Vec<&str> =
            submissions.iter().filter(|s| s.classification.is_restricted()).map(|s| s.id.as_str()).collect();
        Ok(advocacy_platform::audit::record_reads(self.store.database(), caller, &ids, self.clock.now()).await?)
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
        let written = request
            .once(self.store.db(), || async {
                let current = at_version(self.get(caller, id).await?, expected_version, |s| (&s.id, s.version))?;
                let now = self.clock.now();
                let next = current.moved_to(status, at.unwrap_or(now), note, &caller.subject, now)?;
                let complete_deadline = status == Status::Submitted && next.deadline_id.is_some();
                self.store.update(&next, expected_version, complete_deadline, &request, now).await
            })
            .await?;
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
        let written = request
            .once(self.store.db(), || async {
                let current = at_version(self.get(caller, id).await?, expected_version, |s| (&s.id, s.version))?;
                check_evidence(&self.records, caller, &edit.evidence).await?;
                let now = self.clock.now();
                let next = current.edited(edit, &caller.subject, now)?;
                self.store.update(&next, expected_version, false, &request, now).await
            })
            .await?;
        self.answer(caller, written).await
    }

    /// The answer to a write, or to its retry if the caller may still see the submission.
    async fn answer(&self, caller: &Caller, written: Written<Submission>) -> Result<Submission, SubmissionError> {
        let answer = written.answer(async |id| self.get(caller, &id).await.map(drop)).await?;
        visible(caller, answer)
    }
}

/// Restricted submissions look absent to callers without the compartment. (A write's own
/// answer is not a read of the record: only `get` and `list` audit reads.)
fn visible(caller: &Caller, s: Submission) -> Result<Submission, SubmissionError> {
    if !s.classification.visible_to(caller) {
        return Err(SubmissionError::NotFound(s.id));
    }
    Ok(s)
}
