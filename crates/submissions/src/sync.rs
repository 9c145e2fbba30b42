//! Completes a submission's linked deadline in the deadlines service once the submission
//! is submitted, at the time it was submitted, so the deadlines service records whether
//! that was on time. The pending mark is committed with the status change, and this
//! outbox retries until the deadlines service has it: an outage delays, never loses.

use tonic::Code;

use advocacy_platform::hosting::SystemChannel;
use advocacy_platform::outbox::{Delivery, Failure};
use advocacy_platform::time::to_timestamp;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::Submission;
use crate::store::Store;

/// Completes a submission's linked deadline (the outbox's delivery).
#[derive(Debug, Clone)]
pub struct DeadlineLink {
    store: Store,
    deadlines: DeadlinesServiceClient<SystemChannel>,
}

impl Delivery for DeadlineLink {
    async fn deliver(&self, submission_id: &str) -> Result<(), Failure> {
        match self.store.get(submission_id).await {
            Ok(Some(submission)) => self.complete(&submission).await.map_err(Failure::from),
            Ok(None) => Err(Failure::Permanent(format!("submission {submission_id} does not exist"))),
            Err(e) => Err(Failure::Retry(e.to_string())),
        }
    }
}

impl DeadlineLink {
    pub fn new(store: Store, deadlines: DeadlinesServiceClient<SystemChannel>) -> Self {
        Self { store, deadlines }
    }

    async fn complete(&self, s: &Submission) -> Result<(), tonic::Status> {
        let (Some(deadline_id), Some(submitted_at)) = (&s.deadline_id, s.submitted_at()) else { return Ok(()) };
        let mut client = self.deadlines.clone();
        let current = match client.get_deadline(pb::GetDeadlineRequest { id: deadline_id.clone() }).await {
            Ok(d) => d.into_inner(),
            Err(status) if status.code() == Code::NotFound => return Ok(()), // nothing left to complete
            Err(status) => return Err(status),
        };
        if current.status != pb::DeadlineStatus::Open as i32 {
            return Ok(());
        }
        let request = pb::CompleteDeadlineRequest {
            request_id: format!("submission:{}", s.id),
            id: deadline_id.clone(),
            expected_version: current.version,
            completed_at: Some(to_timestamp(submitted_at)),
        };
        match client.complete_deadline(request).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::FailedPrecondition => Ok(()),
            Err(status) => Err(status),
        }
    }
}
