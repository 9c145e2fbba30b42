//! Sending one delivery when the outbox hands it over at its moment. What is sent is
//! decided now, from the deadline as the feed last showed it: a deadline that moved or
//! closed is not reminded, one that has passed is skipped with the reason, and after
//! downtime only the closest of several due reminders goes out. The message is handed to
//! the mail server before the delivery is marked sent (with its outbox row taken out, in
//! one transaction), so a crash in between sends it once more with the same Message-ID,
//! and never loses it.

use std::collections::{HashMap, HashSet};
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
use crate::store::{DeliveryRow, State, Store, ToSend};

/// How far ahead a digest looks.
pub const DIGEST_HORIZON: Duration = Duration::weeks(4);

/// Calendar entries kept, by deadline and revision: a deadline's owners, reminded
/// together, share one entry and one call for it.
const CALENDAR_CACHE: usize = 1_024;

/// What a send needs, read for its whole batch by [`Delivery::prepare`] (`None`: gone).
/// Boxed: the map of a batch's entries by id then stays small, and its table is reused
/// instead of allocated afresh for every batch.
type Prepared = Option<Box<ToSend>>;
/// A calendar entry, fetched once by whichever send asks first.
type CalendarEntry = Arc<tokio::sync::OnceCell<Option<String>>>;

/// Rows read ahead and not yet taken by their sends, at most. Each send takes its row as it
/// starts, so this is never reached; should it be, the rows are dropped and each send
/// reads its own.
const PREPARED_MOST: usize = 4_096;

/// Deadlines per `ExportCalendarEntries` call, as many as it takes.
const CALENDAR_BATCH: usize = advocacy_platform::limits::MAX_ENTRIES;

#[derive(Debug, Clone)]
pub struct Sender {
    store: Store,
    messages: Arc<Messages>,
    mailer: Mailer,
    deadlines: DeadlinesServiceClient<SystemChannel>,
    clock: Clock,
    calendars: Arc<Mutex<HashMap<(String, i64), CalendarEntry>>>,
    prepared: Arc<Mutex<HashMap<String, Prepared>>>,
    /// Deliveries handed to the mail server and not yet marked sent, with what they are:
    /// a push that ends without sending (the deadline moved, say) is no message sent, and
    /// a digest marked sent plans the person's next.
    handed_over: Arc<Mutex<HashMap<String, Purpose>>>,
}

/// What to do with a delivery at its moment.
enum Decision {
    Send(Box<(Rendered, Option<Arc<Deadline>>, Person)>),
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
        Sender {
            store,
            messages,
            mailer,
            deadlines,
            clock,
            calendars: Arc::default(),
            prepared: Arc::default(),
            handed_over: Arc::default(),
        }
    }

    async fn decide(
        &self,
        row: &DeliveryRow,
        deadline: Option<Arc<Deadline>>,
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

    /// The cache's cell for a deadline's calendar entry at one revision.
    fn calendar_cell(&self, deadline: &Deadline) -> CalendarEntry {
        let mut cache = self.calendars.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CALENDAR_CACHE {
            cache.clear();
        }
        cache.entry((deadline.id.clone(), deadline.revision)).or_default().clone()
    }

    /// The deadlines whose calendar entries a batch's reminders will attach and the cache
    /// has not got, each once.
    fn calendars_wanted(&self, rows: &[Box<ToSend>]) -> Vec<(Arc<Deadline>, CalendarEntry)> {
        let mut wanted: HashMap<&str, (Arc<Deadline>, CalendarEntry)> = HashMap::new();
        for (row, deadline) in rows.iter().map(|r| &**r) {
            let Some(d) = deadline else { continue };
            let reminded = matches!(row.key.purpose, Purpose::Reminder | Purpose::Escalation);
            if reminded
                && row.state == State::Planned
                && d.is_open()
                && !d.classification.is_restricted()
                && !wanted.contains_key(d.id.as_str())
            {
                let cell = self.calendar_cell(d);
                if !cell.initialized() {
                    wanted.insert(d.id.as_str(), (d.clone(), cell));
                }
            }
        }
        wanted.into_values().collect()
    }

    /// Fetches `wanted` calendar entries, in one call per [`CALENDAR_BATCH`] deadlines.
    /// Those it cannot get now, each send asks for itself.
    async fn fetch_calendars(&self, wanted: Vec<(Arc<Deadline>, CalendarEntry)>) {
        for chunk in wanted.chunks(CALENDAR_BATCH) {
            let deadline_ids = chunk.iter().map(|(d, _)| d.id.clone()).collect();
            let request = pb::ExportCalendarEntriesRequest { deadline_ids };
            let answer = match self.deadlines.clone().export_calendar_entries(request).await {
                Ok(response) => response.into_inner(),
                Err(s) => {
                    tracing::warn!(code = ?s.code(), error = s.message(), "calendar entries: each send asks for its own");
                    return;
                }
            };
            let mut entries: HashMap<String, pb::CalendarEntry> =
                answer.entries.into_iter().map(|e| (e.deadline_id.clone(), e)).collect();
            // Too large to come with the others: each send asks for its own.
            for (deadline, cell) in chunk.iter().filter(|(d, _)| !answer.left_out.contains(&d.id)) {
                // Unknown to the deadlines service, or changed since the feed showed it:
                // the message goes without an entry, as a send asking for itself decides.
                let ics = entries.remove(&deadline.id).and_then(|e| (e.revision == deadline.revision).then_some(e.ics));
                let _ = cell.set(ics);
            }
        }
    }

    /// The deadline's calendar entry from the deadlines service, the one calendar writer,
    /// if it shows the deadline at the revision reminded of. A restricted deadline's entry
    /// would carry its title, so its message has none.
    async fn attachment(&self, deadline: &Deadline) -> Result<Option<String>, Failure> {
        if deadline.classification.is_restricted() {
            return Ok(None);
        }
        // Usually fetched with the batch; otherwise one call per entry even when its
        // owners' reminders are sent at the same moment: the first asks, the others wait.
        let cell = self.calendar_cell(deadline);
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
    /// Reads the batch's rows in one query, and their calendar entries in one call.
    async fn prepare(&self, items: &[&str]) {
        let ids: Vec<String> = items.iter().map(|id| (*id).to_owned()).collect();
        let rows = match self.store.to_send(&ids).await {
            Ok(rows) => rows,
            Err(e) => return tracing::warn!(error = %e, "deliveries to send: each send reads its own"),
        };
        let calendars = self.calendars_wanted(&rows);
        {
            let mut prepared = self.prepared.lock().unwrap_or_else(|p| p.into_inner());
            if prepared.len() >= PREPARED_MOST {
                prepared.clear();
            }
            // Those not read are gone.
            for id in ids {
                prepared.insert(id, None);
            }
            for row in rows {
                prepared.insert(row.0.id.clone(), Some(row));
            }
        }
        // After the rows are in place: cut off meanwhile, the sends still have them.
        self.fetch_calendars(calendars).await;
    }

    async fn deliver(&self, id: &str) -> Result<(), Failure> {
        let prepared = self.prepared.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        let loaded = match prepared {
            Some(prepared) => prepared,
            None => self.store.to_send(&[id.to_owned()]).await.map_err(store_error)?.into_iter().next(),
        };
        let Some(loaded) = loaded else { return Ok(()) };
        let (row, deadline) = *loaded;
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
        let message = self.messages.email(rendered, &row.message_id, &to, now, ics).map_err(Failure::Permanent)?;
        self.mailer.send(message).await?;
        self.handed_over.lock().unwrap_or_else(|p| p.into_inner()).insert(row.id.clone(), row.key.purpose);
        tracing::info!(delivery = id, purpose = row.key.purpose.as_str(), "sent");
        Ok(())
    }

    /// As many as the mail server takes in time at its pace.
    fn in_flight_limit(&self, lease: std::time::Duration) -> usize {
        self.mailer.in_flight_limit(lease)
    }

    /// Those that handed a message to the mail server marked sent, with their outbox rows'
    /// removal, in one transaction (with each sent digest's successor).
    async fn done_in(&self, conn: &mut sqlx::AnyConnection, claims: &[&Claim]) -> Result<(), sqlx::Error> {
        // Taken out now: should the transaction fail, the rows are pushed again, and what
        // is sent then is noted again.
        let (mut sent, mut digests) = (Vec::new(), HashSet::new());
        {
            let mut noted = self.handed_over.lock().unwrap_or_else(|p| p.into_inner());
            for claim in claims {
                match noted.remove(&claim.item) {
                    Some(Purpose::Digest) => {
                        digests.insert(claim.item.clone());
                        sent.push(*claim);
                    }
                    Some(_) => sent.push(*claim),
                    // Found void at its moment: marked cancelled or skipped then, if at all.
                    None => {}
                }
            }
        }
        self.store.mark_sent(conn, &sent, &digests).await
    }
}
