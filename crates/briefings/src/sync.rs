//! Keeps follow-ups and their deadlines in step, in both directions, without ever losing
//! one: the platform's outbox pushes each follow-up's deadline (created, then completed)
//! to the deadlines service, retrying while that service is down; the platform's feed
//! follower reads the deadlines change feed from a stored revision, so a follow-up
//! deadline completed over there marks the follow-up done here, even after a restart.
//!
//! Request ids are derived from the follow-up id, so a retry or a second replica never
//! makes a second deadline.

use chrono::{DateTime, Utc};
use tonic::Code;

use advocacy_platform::Classification;
use advocacy_platform::feed::ChangeHandler;
use advocacy_platform::hosting::SystemChannel;
use advocacy_platform::outbox::{Delivery, Failure};
use advocacy_platform::time::to_timestamp;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::QUIET_COMPARTMENT;
use crate::store::{PendingFollowUp, Store};

type Deadlines = DeadlinesServiceClient<SystemChannel>;

/// Pushes a follow-up's deadline to the deadlines service (the outbox's delivery).
#[derive(Debug, Clone)]
pub struct FollowUpDeadlines {
    store: Store,
    deadlines: Deadlines,
}

impl FollowUpDeadlines {
    pub fn new(store: Store, deadlines: Deadlines) -> Self {
        Self { store, deadlines }
    }

    /// Creates the deadline if it does not exist yet, then completes it if the follow-up is done.
    async fn push(&self, item: &PendingFollowUp) -> Result<(), Failure> {
        let mut client = self.deadlines.clone();
        let f = &item.follow_up;
        let unavailable = |e: crate::BriefingError| Failure::Retry(e.to_string());
        let deadline_id = match &f.deadline_id {
            Some(id) => id.clone(),
            None => {
                let created = client.create_deadline(create_request(item)).await?.into_inner();
                self.store.record_deadline(&f.id, &created.id).await.map_err(unavailable)?;
                // Completed over there before the id was recorded here? The feed follower
                // could not match that change, so look once now; any later completion it
                // will match.
                let now = client.get_deadline(pb::GetDeadlineRequest { id: created.id.clone() }).await?.into_inner();
                if let Some((id, at)) = completion_of(&now) {
                    self.store.done_from_deadline(&id, at).await.map_err(unavailable)?;
                }
                created.id
            }
        };
        let mut current = client.get_deadline(pb::GetDeadlineRequest { id: deadline_id.clone() }).await?.into_inner();
        let wanted = create_request(item);
        if current.classification != wanted.classification || current.title != wanted.title {
            // The briefing's confidentiality changed: the deadline follows, whatever its status.
            current = client
                .update_deadline(pb::UpdateDeadlineRequest {
                    request_id: format!("follow-up-classification:{}:{}", f.id, current.version),
                    id: deadline_id.clone(),
                    expected_version: current.version,
                    update_mask: Some(advocacy_proto::FieldMask {
                        paths: vec!["title".into(), "classification".into()],
                    }),
                    title: wanted.title,
                    classification: wanted.classification,
                    ..Default::default()
                })
                .await?
                .into_inner();
        }
        let Some(done_at) = f.done_at else { return Ok(()) };
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
            Err(s) => Err(s.into()),
        }
    }
}

impl Delivery for FollowUpDeadlines {
    async fn deliver(&self, follow_up_id: &str) -> Result<(), Failure> {
        match self.store.follow_up_to_sync(follow_up_id).await {
            Ok(Some(item)) => self.push(&item).await,
            Ok(None) => Err(Failure::Permanent(format!("follow-up {follow_up_id} does not exist"))),
            Err(e) => Err(Failure::Retry(e.to_string())),
        }
    }
}

/// Marks follow-ups done whose deadline was completed in the deadlines service (the
/// feed follower's handler). Applying a completion twice changes nothing.
#[derive(Debug, Clone)]
pub struct CompletedFollowUps {
    store: Store,
}

impl CompletedFollowUps {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

impl ChangeHandler for CompletedFollowUps {
    async fn apply(&self, change: &pb::DeadlineChange) -> Result<(), String> {
        if let Some((deadline_id, at)) = completed_follow_up(change) {
            self.store.done_from_deadline(&deadline_id, at).await.map_err(|e| e.to_string())?;
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
    // The deadline is never more visible than the briefing it came from: a reader needs
    // every compartment the briefing needs, and quiet diplomacy's if it is quiet.
    let classification = match (&item.classification, item.quiet) {
        (c, true) => c.with_compartment(QUIET_COMPARTMENT),
        (Classification::Public, false) => Classification::Internal,
        (c, false) => c.clone(),
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
        classification: Some(classification.to_proto()),
        ..Default::default()
    }
}
