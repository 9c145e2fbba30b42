//! Keeps follow-ups and their deadlines in step, in both directions, without ever losing
//! one: an outbox worker creates (and completes) each follow-up's deadline in the
//! deadlines service, retrying with backoff while that service is down; a feed consumer
//! reads the deadlines change feed from a stored revision, so a follow-up deadline
//! completed over there marks the follow-up done here, even after a restart.
//!
//! Request ids are derived from the follow-up id, so a retry or a second replica never
//! makes a second deadline.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use advocacy_platform::client::SystemToken;
use advocacy_platform::outbox;
use advocacy_platform::time::to_timestamp;
use advocacy_platform::{Classification, Shutdown};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::QUIET_COMPARTMENT;
use crate::store::{PendingFollowUp, Store};

type Deadlines = DeadlinesServiceClient<InterceptedService<Channel, SystemToken>>;

/// How often the outbox looks even when nothing woke it (retries fall due by time).
const POLL: Duration = Duration::from_secs(1);
const BATCH: usize = 50;

#[derive(Debug, Clone)]
pub struct DeadlineSync {
    store: Store,
    deadlines: Deadlines,
    wake: Arc<Notify>,
}

impl DeadlineSync {
    pub fn new(store: Store, channel: Channel, token: SystemToken, wake: Arc<Notify>) -> Self {
        Self { store, deadlines: DeadlinesServiceClient::new(InterceptedService::new(channel, token)), wake }
    }

    /// The outbox loop: until shutdown, bring every pending follow-up's deadline up to date.
    pub async fn run_outbox(self, shutdown: Shutdown) {
        let wake = self.wake.clone();
        outbox::run(wake, POLL, shutdown, || async {
            match self.store.pending_follow_ups(Utc::now(), BATCH).await {
                Ok(pending) => {
                    for item in pending {
                        self.sync_one(item).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "follow-up outbox: cannot read pending follow-ups"),
            }
        })
        .await;
    }

    async fn sync_one(&self, item: PendingFollowUp) {
        let id = item.follow_up.id.clone();
        let outcome = self.push(&item).await;
        let recorded = match outcome {
            Ok(()) => self.store.mark_synced(&id, item.follow_up.done_at.is_some()).await,
            Err(status) => {
                let delay = outbox::backoff_secs(item.attempts);
                tracing::warn!(follow_up = %id, code = ?status.code(), error = status.message(), retry_in_secs = delay, "follow-up deadline not synced yet");
                self.store
                    .mark_failed(
                        &id,
                        &format!("{:?}: {}", status.code(), status.message()),
                        Utc::now() + chrono::Duration::seconds(delay),
                    )
                    .await
            }
        };
        if let Err(e) = recorded {
            tracing::warn!(follow_up = %id, error = %e, "follow-up outbox: cannot record the outcome; will retry");
        }
    }

    /// Creates the deadline if it does not exist yet, then completes it if the follow-up is done.
    async fn push(&self, item: &PendingFollowUp) -> Result<(), tonic::Status> {
        let mut client = self.deadlines.clone();
        let f = &item.follow_up;
        let deadline_id = match &f.deadline_id {
            Some(id) => id.clone(),
            None => {
                let created = client.create_deadline(create_request(item)).await?.into_inner();
                self.store
                    .record_deadline(&f.id, &created.id)
                    .await
                    .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
                // Completed over there before the id was recorded here? The feed consumer
                // could not match that change, so look once now; any later completion it
                // will match.
                let now = client.get_deadline(pb::GetDeadlineRequest { id: created.id.clone() }).await?.into_inner();
                if let Some((id, at)) = completion_of(&now) {
                    self.store
                        .done_from_deadline(&id, at)
                        .await
                        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
                }
                created.id
            }
        };
        let Some(done_at) = f.done_at else { return Ok(()) };
        let current = client.get_deadline(pb::GetDeadlineRequest { id: deadline_id.clone() }).await?.into_inner();
        if current.status != pb::DeadlineStatus::Open as i32 {
            return Ok(()); // completed or cancelled over there already
        }
        let completed = client
            .complete_deadline(pb::CompleteDeadlineRequest {
                request_id: format!("follow-up-done:{}", f.id),
                id: deadline_id,
                expected_version: current.version,
                completed_at: Some(to_timestamp(done_at)),
            })
            .await;
        match completed {
            Ok(_) => Ok(()),
            // Completed meanwhile by someone else: nothing left to do.
            Err(s) if s.code() == Code::FailedPrecondition => Ok(()),
            Err(s) => Err(s),
        }
    }

    /// The feed loop: until shutdown, follow the deadlines change feed from the stored
    /// revision and mark follow-ups done whose deadline was completed over there.
    pub async fn run_feed(self, mut shutdown: Shutdown) {
        let mut failures = 0;
        loop {
            let result = tokio::select! {
                r = self.follow_feed() => r,
                () = shutdown.recv() => return,
            };
            if let Err(status) = result {
                failures += 1;
                tracing::warn!(code = ?status.code(), error = status.message(), "deadlines change feed interrupted; resuming from the stored revision");
            }
            let delay = Duration::from_secs(outbox::backoff_secs(failures).min(30) as u64);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.recv() => return,
            }
        }
    }

    async fn follow_feed(&self) -> Result<(), tonic::Status> {
        let after = self.store.feed_cursor().await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let mut client = self.deadlines.clone();
        let mut stream = client.watch_changes(pb::WatchChangesRequest { after_revision: after }).await?.into_inner();
        while let Some(change) = stream.next().await {
            let change = change?;
            if let Some(done) = completed_follow_up(&change) {
                self.store
                    .done_from_deadline(&done.0, done.1)
                    .await
                    .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
            }
            self.store.set_feed_cursor(change.revision).await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        }
        Ok(())
    }
}

/// The deadline id and completion time, when a change completes a follow-up deadline.
fn completed_follow_up(change: &pb::DeadlineChange) -> Option<(String, DateTime<Utc>)> {
    if change.kind != pb::ChangeKind::Completed as i32 {
        return None;
    }
    completion_of(change.deadline.as_ref()?)
}

/// The id and completion time of a follow-up deadline that is completed.
fn completion_of(d: &pb::Deadline) -> Option<(String, DateTime<Utc>)> {
    if d.kind != pb::DeadlineKind::FollowUp as i32 || d.status != pb::DeadlineStatus::Completed as i32 {
        return None;
    }
    let at = d.completed_at.as_ref()?;
    Some((d.id.clone(), DateTime::from_timestamp(at.seconds, at.nanos as u32)?))
}

fn create_request(item: &PendingFollowUp) -> pb::CreateDeadlineRequest {
    let f = &item.follow_up;
    // The deadline is as confidential as the briefing it came from.
    let classification = match (&item.classification, item.quiet) {
        (Classification::Restricted { .. }, _) => item.classification.to_proto(),
        (_, true) => Classification::Restricted { compartment: QUIET_COMPARTMENT.to_owned() }.to_proto(),
        _ => Classification::Internal.to_proto(),
    };
    pb::CreateDeadlineRequest {
        request_id: format!("follow-up:{}", f.id),
        title: format!("Follow-up: {}", f.action).chars().take(300).collect(),
        mechanism: "OTHER".into(),
        kind: pb::DeadlineKind::FollowUp.into(),
        due: Some(pb::WhenInput {
            at: Some(pb::when_input::At::Utc(to_timestamp(f.due))),
            zone: f.zone.name().to_owned(),
        }),
        owners: vec![f.owner.clone()],
        lead_minutes: vec![7 * 24 * 60, 24 * 60],
        classification: Some(classification),
        ..Default::default()
    }
}
