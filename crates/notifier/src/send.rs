//! Sending one delivery when the outbox hands it over at its moment. What is sent is
//! decided now, from the deadline as the feed last showed it: a deadline that moved or
//! closed is not reminded, one that has passed is skipped with the reason, and after
//! downtime only the closest of several due reminders goes out. The message is handed to
//! the mail server before the delivery is marked sent, so a crash in between sends it
//! once more with the same Message-ID, and never loses it.

use chrono::{DateTime, Duration, Utc};

use advocacy_platform::Clock;
use advocacy_platform::hosting::SystemChannel;
use advocacy_platform::outbox::{Delivery, Failure};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::{Deadline, Purpose};
use crate::mailer::Mailer;
use crate::messages::{Messages, Rendered};
use crate::store::{DeliveryRow, State, Store};

/// How far ahead a digest looks.
pub const DIGEST_HORIZON: Duration = Duration::weeks(4);

#[derive(Debug, Clone)]
pub struct Sender {
    store: Store,
    messages: std::sync::Arc<Messages>,
    mailer: Mailer,
    deadlines: DeadlinesServiceClient<SystemChannel>,
    clock: Clock,
}

/// What to do with a delivery at its moment.
enum Decision {
    Send(Rendered, Option<Deadline>),
    Mark(State, String),
    /// Already sent, cancelled or skipped (or gone): nothing to do.
    Nothing,
}

fn store_error(e: sqlx::Error) -> Failure {
    Failure::Retry(format!("the notifier's database: {e}"))
}

impl Sender {
    pub fn new(
        store: Store,
        messages: std::sync::Arc<Messages>,
        mailer: Mailer,
        deadlines: DeadlinesServiceClient<SystemChannel>,
        clock: Clock,
    ) -> Sender {
        Sender { store, messages, mailer, deadlines, clock }
    }

    async fn decide(&self, row: &DeliveryRow, now: DateTime<Utc>) -> Result<Decision, Failure> {
        if row.state != State::Planned && row.state != State::Retrying {
            return Ok(Decision::Nothing);
        }
        let to = self.store.people().person(&row.key.recipient);
        let rendered = |r: Result<Rendered, String>| r.map_err(Failure::Permanent);
        match row.key.purpose {
            Purpose::Reminder | Purpose::Escalation => {
                let Some(d) = self.store.deadline(&row.key.deadline_id).await.map_err(store_error)? else {
                    return Ok(Decision::Mark(State::Cancelled, "the deadline is unknown".into()));
                };
                if !d.is_open() || d.due != row.key.due {
                    return Ok(Decision::Mark(State::Cancelled, "the deadline moved or closed".into()));
                }
                if d.due <= now {
                    let why = "the deadline had passed when the reminder could be sent";
                    return Ok(Decision::Mark(State::Skipped, why.into()));
                }
                if row.key.purpose == Purpose::Reminder
                    && self.store.closer_reminder_due(row, now).await.map_err(store_error)?
                {
                    let why = "a closer reminder of the same due time was due as well and went out instead";
                    return Ok(Decision::Mark(State::Skipped, why.into()));
                }
                let message = self.messages.reminder(&d, row.key.purpose, row.catch_up, &to, now);
                Ok(Decision::Send(rendered(message)?, Some(d)))
            }
            Purpose::Digest => {
                let deadlines = self
                    .store
                    .open_deadlines_of(&row.key.recipient, now + DIGEST_HORIZON)
                    .await
                    .map_err(store_error)?;
                if deadlines.is_empty() {
                    return Ok(Decision::Mark(State::Skipped, "nothing due or overdue that week".into()));
                }
                Ok(Decision::Send(rendered(self.messages.digest(&deadlines, &to, now))?, None))
            }
            Purpose::Test => Ok(Decision::Send(rendered(self.messages.test(&to, now))?, None)),
        }
    }

    /// The deadline's calendar entry from the deadlines service, the one calendar writer.
    /// A restricted deadline's entry would carry its title, so its message has none.
    async fn attachment(&self, deadline: &Deadline) -> Result<Option<String>, Failure> {
        if deadline.classification.is_restricted() {
            return Ok(None);
        }
        let request = pb::ExportCalendarRequest { deadline_id: deadline.id.clone(), ..Default::default() };
        let mut client = self.deadlines.clone();
        match client.export_calendar(request).await {
            Ok(calendar) => Ok(Some(calendar.into_inner().ics)),
            // Gone since: the message still goes, without the entry.
            Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
            Err(s) => Err(Failure::Retry(format!("the calendar entry: {:?}: {}", s.code(), s.message()))),
        }
    }
}

impl Delivery for Sender {
    async fn deliver(&self, id: &str) -> Result<(), Failure> {
        let Some(row) = self.store.delivery(id).await.map_err(store_error)? else { return Ok(()) };
        let now = self.clock.now();
        let (rendered, deadline) = match self.decide(&row, now).await? {
            Decision::Nothing => return Ok(()),
            Decision::Mark(state, reason) => {
                self.store.mark(id, state, &reason).await.map_err(store_error)?;
                if row.key.purpose == Purpose::Digest {
                    self.store.plan_next_digest(&row.key.recipient, row.key.due).await.map_err(store_error)?;
                }
                return Ok(());
            }
            Decision::Send(rendered, deadline) => (rendered, deadline),
        };
        let ics = match &deadline {
            Some(d) => self.attachment(d).await?,
            None => None,
        };
        let to = self.store.people().person(&row.key.recipient);
        let message = self.messages.email(&rendered, &row.key, &to, now, ics).map_err(Failure::Permanent)?;
        self.mailer.send(message).await?;
        self.store.mark_sent(id, now).await.map_err(store_error)?;
        if row.key.purpose == Purpose::Digest {
            self.store.plan_next_digest(&row.key.recipient, row.key.due).await.map_err(store_error)?;
        }
        tracing::info!(delivery = id, purpose = row.key.purpose.as_str(), "sent");
        Ok(())
    }
}
