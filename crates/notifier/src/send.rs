//! Sending one delivery when the outbox hands it over at its moment. What is sent is
//! decided now, from the deadline as the feed last showed it: a deadline that moved or
//! closed is not reminded, one that has passed is skipped with the reason, and after
//! downtime only the closest of several due reminders goes out. The message is handed to
//! the mail server before the delivery is marked sent (with its outbox row taken out, in
//! one transaction), so a crash in between sends it once more with the same Message-ID,
//! and never loses it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use advocacy_platform::Clock;
use advocacy_platform::hosting::SystemChannel;
use advocacy_platform::outbox::{Claim, Delivery, Failure};
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::domain::{Deadline, Purpose};
use crate::mailer::Mailer;
use crate::messages::{Messages, Rendered};
use crate::people::Person;
use crate::store::{DeliveryRow, State, Store};

/// How far ahead a digest looks.
pub const DIGEST_HORIZON: Duration = Duration::weeks(4);

/// Calendar entries kept, by deadline and revision: a deadline's owners, reminded
/// together, share one entry and one call for it.
const CALENDAR_CACHE: usize = 1_024;

type Loaded = Result<Option<(DeliveryRow, Option<Deadline>)>, String>;
/// Sends waiting for the batch read, each with where its row goes.
type Waiting = Arc<Mutex<Vec<(String, tokio::sync::oneshot::Sender<Loaded>)>>>;
/// A calendar entry, fetched once by whichever send asks first.
type CalendarEntry = Arc<tokio::sync::OnceCell<Option<String>>>;

/// Reads deliveries for the sender, those asked for together in one query: the outbox
/// starts a batch of sends at once, and each would otherwise read its own row.
#[derive(Debug, Clone)]
struct Loader {
    store: Store,
    waiting: Waiting,
}

impl Loader {
    async fn load(&self, id: &str) -> Loaded {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let first = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
            waiting.push((id.to_owned(), answer));
            waiting.len() == 1
        };
        if first {
            // In a task of its own, so a send that is dropped meanwhile (timed out) does
            // not strand the others waiting for this read.
            tokio::spawn(self.clone().read_batch());
        }
        answered.await.unwrap_or_else(|_| Err("the batch read was dropped".into()))
    }

    /// Lets the other sends of the batch ask too, then reads for all of them.
    async fn read_batch(self) {
        tokio::task::yield_now().await;
        let batch = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|p| p.into_inner()));
        let ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
        match self.store.to_send(&ids).await {
            Ok(found) => {
                let found: HashMap<&str, _> = found.iter().map(|found| (found.0.id.as_str(), found)).collect();
                for (id, answer) in batch {
                    let _ = answer.send(Ok(found.get(id.as_str()).map(|&found| found.clone())));
                }
            }
            Err(e) => {
                for (_, answer) in batch {
                    let _ = answer.send(Err(e.to_string()));
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sender {
    store: Store,
    messages: Arc<Messages>,
    mailer: Mailer,
    deadlines: DeadlinesServiceClient<SystemChannel>,
    clock: Clock,
    calendars: Arc<Mutex<HashMap<(String, i64), CalendarEntry>>>,
    loader: Loader,
}

/// What to do with a delivery at its moment.
enum Decision {
    Send(Box<(Rendered, Option<Deadline>, Person)>),
    Mark(State, String),
    /// Already sent, cancelled or skipped (or gone): nothing to do.
    Nothing,
}

fn store_error(e: impl std::fmt::Display) -> Failure {
    Failure::Retry(format!("the notifier's database: {e}"))
}

impl Sender {
    pub fn new(
        store: Store,
        messages: Arc<Messages>,
        mailer: Mailer,
        deadlines: DeadlinesServiceClient<SystemChannel>,
        clock: Clock,
    ) -> Sender {
        let loader = Loader { store: store.clone(), waiting: Arc::default() };
        Sender { store, messages, mailer, deadlines, clock, calendars: Arc::default(), loader }
    }

    async fn decide(
        &self,
        row: &DeliveryRow,
        deadline: Option<Deadline>,
        now: DateTime<Utc>,
    ) -> Result<Decision, Failure> {
        if row.state != State::Planned {
            return Ok(Decision::Nothing);
        }
        self.store.people().learn(std::slice::from_ref(&row.key.recipient)).await;
        let to = self.store.people().person(&row.key.recipient);
        let rendered = |r: Result<Rendered, String>| r.map_err(Failure::Permanent);
        match row.key.purpose {
            Purpose::Reminder | Purpose::Escalation => {
                let Some(d) = deadline else {
                    return Ok(Decision::Mark(State::Cancelled, "the deadline is unknown".into()));
                };
                if !d.is_open() || d.due != row.key.due {
                    return Ok(Decision::Mark(State::Cancelled, "the deadline moved or closed".into()));
                }
                if d.due <= now {
                    let why = "the deadline had passed when the reminder could be sent";
                    return Ok(Decision::Mark(State::Skipped, why.into()));
                }
                // Leads differ by a minute at least: only a reminder that late may have a
                // closer one due as well (after downtime).
                let late = now - row.send_at >= Duration::minutes(1);
                if late
                    && row.key.purpose == Purpose::Reminder
                    && self.store.closer_reminder_due(row, now).await.map_err(store_error)?
                {
                    let why = "a closer reminder of the same due time was due as well and went out instead";
                    return Ok(Decision::Mark(State::Skipped, why.into()));
                }
                let message = self.messages.reminder(&d, row.key.purpose, row.catch_up, &to, now);
                Ok(Decision::Send(Box::new((rendered(message)?, Some(d), to))))
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
                let message = self.messages.digest(&deadlines, &to, now);
                Ok(Decision::Send(Box::new((rendered(message)?, None, to))))
            }
            Purpose::Test => Ok(Decision::Send(Box::new((rendered(self.messages.test(&to, now))?, None, to)))),
        }
    }

    /// The deadline's calendar entry from the deadlines service, the one calendar writer,
    /// if it shows the deadline at the revision reminded of. A restricted deadline's entry
    /// would carry its title, so its message has none.
    async fn attachment(&self, deadline: &Deadline) -> Result<Option<String>, Failure> {
        if deadline.classification.is_restricted() {
            return Ok(None);
        }
        let key = (deadline.id.clone(), deadline.revision);
        // One call per entry even when its owners' reminders are sent at the same moment:
        // the first asks, the others wait for its answer.
        let cell = {
            let mut cache = self.calendars.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CALENDAR_CACHE {
                cache.clear();
            }
            cache.entry(key).or_default().clone()
        };
        let fetched = cell
            .get_or_try_init(|| async {
                let request = pb::ExportCalendarRequest { deadline_id: deadline.id.clone(), ..Default::default() };
                let mut client = self.deadlines.clone();
                let calendar = client.export_calendar(request).await?.into_inner();
                // Changed since the feed showed it (restricted now, perhaps): the message
                // goes without an entry rather than with one it may not carry.
                Ok::<_, tonic::Status>((calendar.revision == deadline.revision).then_some(calendar.ics))
            })
            .await;
        match fetched {
            Ok(ics) => Ok(ics.clone()),
            // Gone since: the message still goes, without the entry.
            Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
            Err(s) => Err(Failure::Retry(format!("the calendar entry: {:?}: {}", s.code(), s.message()))),
        }
    }
}

impl Delivery for Sender {
    async fn deliver(&self, id: &str) -> Result<(), Failure> {
        let loaded = self.loader.load(id).await.map_err(store_error)?;
        let Some((row, deadline)) = loaded else { return Ok(()) };
        let now = self.clock.now();
        let (rendered, deadline, to) = match self.decide(&row, deadline, now).await? {
            Decision::Nothing => return Ok(()),
            Decision::Mark(state, reason) => {
                if row.key.purpose == Purpose::Digest {
                    let after = row.key.due.max(now);
                    self.store.plan_next_digest(&row.key.recipient, after).await.map_err(store_error)?;
                }
                self.store.mark(id, state, &reason).await.map_err(store_error)?;
                return Ok(());
            }
            Decision::Send(send) => *send,
        };
        let ics = match &deadline {
            Some(d) => self.attachment(d).await?,
            None => None,
        };
        let message = self.messages.email(&rendered, &row.key, &to, now, ics).map_err(Failure::Permanent)?;
        self.mailer.send(message).await?;
        tracing::info!(delivery = id, purpose = row.key.purpose.as_str(), "sent");
        Ok(())
    }

    /// Marked sent with their outbox rows' removal, in one transaction (with each sent
    /// digest's successor).
    async fn done_in(&self, conn: &mut sqlx::AnyConnection, claims: &[&Claim]) -> Result<(), sqlx::Error> {
        self.store.mark_sent(conn, claims).await
    }
}
