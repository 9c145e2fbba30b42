//! Completes a submission's linked deadline in the deadlines service once the submission
//! is submitted, at the time it was submitted, so the deadlines service records whether
//! that was on time. The pending mark is committed with the status change, and this
//! outbox retries until the deadlines service has it: an outage delays, never loses.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use advocacy_platform::client::SystemToken;
use advocacy_platform::time::to_timestamp;
use advocacy_platform::{Shutdown, outbox};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::Submission;
use crate::store::Store;

type Deadlines = DeadlinesServiceClient<InterceptedService<Channel, SystemToken>>;

const POLL: Duration = Duration::from_secs(1);
const BATCH: usize = 50;

#[derive(Debug, Clone)]
pub struct DeadlineLink {
    store: Store,
    deadlines: Deadlines,
    wake: Arc<Notify>,
}

impl DeadlineLink {
    pub fn new(store: Store, channel: Channel, token: SystemToken, wake: Arc<Notify>) -> Self {
        Self { store, deadlines: DeadlinesServiceClient::new(InterceptedService::new(channel, token)), wake }
    }

    pub async fn run(self, shutdown: Shutdown) {
        let wake = self.wake.clone();
        outbox::run(wake, POLL, shutdown, || async {
            let pending = match self.store.pending_deadlines(Utc::now(), BATCH).await {
                Ok(pending) => pending,
                Err(e) => {
                    tracing::warn!(error = %e, "deadline link: cannot read pending submissions");
                    return;
                }
            };
            for (submission, attempts) in pending {
                let recorded = match self.complete(&submission).await {
                    Ok(()) => self.store.deadline_done(&submission.id).await,
                    Err(status) => {
                        let delay = outbox::backoff_secs(attempts);
                        tracing::warn!(submission = %submission.id, code = ?status.code(), error = status.message(), retry_in_secs = delay, "linked deadline not completed yet");
                        let error = format!("{:?}: {}", status.code(), status.message());
                        self.store.deadline_failed(&submission.id, &error, Utc::now() + chrono::Duration::seconds(delay)).await
                    }
                };
                if let Err(e) = recorded {
                    tracing::warn!(submission = %submission.id, error = %e, "deadline link: cannot record the outcome; will retry");
                }
            }
        })
        .await;
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
