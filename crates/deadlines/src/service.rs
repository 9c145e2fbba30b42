//! The deadline operations, in domain terms: who asks, what they ask, what happens. Each
//! write is one store transaction; a repeated request id replays the first answer.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::{Caller, Clock, Shutdown};

use advocacy_platform::time::WhenGiven;

use crate::domain::{Change, ChangeKind, Deadline, DeadlineEdit, Due, NewDeadline};
use crate::error::DeadlineError;
use crate::store::{ListQuery, Store, Write};

/// How often a watcher looks for changes committed by other replicas of this service.
const WATCH_POLL: StdDuration = StdDuration::from_secs(2);
/// Changes read per query while catching up.
const WATCH_BATCH: usize = 500;

/// Watches open at once, in all and per caller: each holds a task and a connection's
/// stream for as long as it lasts, so neither one person nor a runaway client may hold
/// them all.
pub const MAX_WATCHES: usize = 256;
pub const MAX_WATCHES_PER_CALLER: usize = 8;

#[derive(Debug, Clone)]
pub struct Deadlines {
    store: Store,
    clock: Clock,
    watches: Watches,
}

/// The open watches, by caller.
#[derive(Debug, Clone, Default)]
struct Watches(Arc<Mutex<HashMap<String, usize>>>);

/// One open watch; closing it (dropping this) frees its place.
#[derive(Debug)]
struct WatchSlot {
    watches: Watches,
    subject: String,
}

impl Watches {
    fn open(&self, subject: &str) -> Result<WatchSlot, DeadlineError> {
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if open.values().sum::<usize>() >= MAX_WATCHES {
            return Err(DeadlineError::TooManyWatches(format!(
                "the server holds {MAX_WATCHES} watches; try again later"
            )));
        }
        let mine = open.entry(subject.to_owned()).or_default();
        if *mine >= MAX_WATCHES_PER_CALLER {
            return Err(DeadlineError::TooManyWatches(format!(
                "you hold {MAX_WATCHES_PER_CALLER} watches already; close one first"
            )));
        }
        *mine += 1;
        Ok(WatchSlot { watches: self.clone(), subject: subject.to_owned() })
    }
}

impl Drop for WatchSlot {
    fn drop(&mut self) {
        let mut open = self.watches.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.subject) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.subject);
            }
        }
    }
}

/// A move as asked for: the new due time, in the given zone or the deadline's own.
#[derive(Debug, Clone, Serialize)]
pub struct MoveRequest {
    pub id: String,
    pub expected_version: i64,
    pub due: WhenGiven,
    pub zone: Option<Tz>,
    pub reason: String,
}

impl Deadlines {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self { store, clock, watches: Watches::default() }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub async fn create(&self, caller: &Caller, request_id: &str, new: NewDeadline) -> Result<Deadline, DeadlineError> {
        if let Some(compartment) = new.classification.compartment_missing_for(caller) {
            return Err(DeadlineError::NotInCompartment(compartment.to_owned()));
        }
        let request = Request::new(caller, request_id, &("create", &new));
        let id = uuid::Uuid::now_v7().to_string();
        let now = self.clock.now();
        let written = self
            .store
            .write(&id, &request, now, |_| {
                let deadline = Deadline::create(id.clone(), new, &caller.subject, now);
                Ok(Write { kind: ChangeKind::Created, deadline, previous_due: None, reason: String::new() })
            })
            .await?;
        self.answer(caller, written).await
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Arc<Deadline>, DeadlineError> {
        let deadline = self.store.get(id).await?.ok_or_else(|| DeadlineError::NotFound(id.to_owned()))?;
        let deadline = visible(caller, deadline)?;
        self.audit_reads(caller, std::slice::from_ref(&deadline)).await?;
        Ok(deadline)
    }

    /// Those of `ids` that exist and `caller` may see, in the order asked.
    pub async fn get_visible(&self, caller: &Caller, ids: &[String]) -> Result<Vec<Arc<Deadline>>, DeadlineError> {
        // Asked all at once, so the store reads them together (one query for those that
        // arrive while the first runs).
        let mut reads = tokio::task::JoinSet::new();
        for (n, id) in ids.iter().enumerate() {
            let (store, id) = (self.store.clone(), id.clone());
            reads.spawn(async move { (n, store.get(&id).await) });
        }
        let mut read = Vec::with_capacity(ids.len());
        while let Some(done) = reads.join_next().await {
            // A read that panicked is a bug: it panics here as it would have unspawned.
            let (n, deadline) = done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            read.extend(deadline?.map(|d| (n, d)));
        }
        read.sort_by_key(|(n, _)| *n);
        let found: Vec<Arc<Deadline>> =
            read.into_iter().filter_map(|(_, deadline)| visible(caller, deadline).ok()).collect();
        self.audit_reads(caller, &found).await?;
        Ok(found)
    }

    /// Logs the reads of the restricted ones among `deadlines`.
    async fn audit_reads(&self, caller: &Caller, deadlines: &[Arc<Deadline>]) -> Result<(), DeadlineError> {
        let ids: Vec<&str> =
            deadlines.iter().filter(|d| d.classification.is_restricted()).map(|d| d.id.as_str()).collect();
        Ok(advocacy_platform::audit::record_reads(self.store.database(), caller, &ids, self.clock.now()).await?)
    }

    /// What became of the due times of [from, to), as of now.
    pub async fn aggregates(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<crate::store::Aggregates, DeadlineError> {
        self.store.aggregates(caller, from, to, self.clock.now()).await
    }

    pub async fn list(&self, caller: &Caller, query: &ListQuery) -> Result<Vec<Arc<Deadline>>, DeadlineError> {
        let deadlines = self.store.list(caller, query).await?;
        self.audit_reads(caller, &deadlines).await?;
        Ok(deadlines)
    }

    pub async fn move_due(
        &self,
        caller: &Caller,
        request_id: &str,
        request: MoveRequest,
    ) -> Result<Deadline, DeadlineError> {
        let once = Request::new(caller, request_id, &("move", &request));
        self.update(caller, &once, &request.id, request.expected_version, |current, now| {
            let due = Due::parse("due", &request.due, request.zone.unwrap_or(current.due.zone))
                .map_err(advocacy_platform::FieldViolations::from)?;
            let previous_due = Some(current.due.at);
            let deadline = current.moved(due, &caller.subject, now)?;
            Ok(Write { kind: ChangeKind::Moved, deadline, previous_due, reason: request.reason.clone() })
        })
        .await
    }

    /// Changes title, owners, lead times, source or classification. A new classification
    /// must be one the caller can read: nobody hides a deadline from themselves.
    pub async fn edit(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        edit: DeadlineEdit,
    ) -> Result<Deadline, DeadlineError> {
        if let Some(compartment) = edit.classification.as_ref().and_then(|c| c.compartment_missing_for(caller)) {
            return Err(DeadlineError::NotInCompartment(compartment.to_owned()));
        }
        let request = Request::new(caller, request_id, &("update", id, expected_version, &edit));
        self.update(caller, &request, id, expected_version, |current, now| {
            let deadline = current.edited(edit, &caller.subject, now);
            Ok(Write { kind: ChangeKind::Updated, deadline, previous_due: None, reason: String::new() })
        })
        .await
    }

    pub async fn complete(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        done_at: Option<DateTime<Utc>>,
    ) -> Result<Deadline, DeadlineError> {
        let request = Request::new(caller, request_id, &("complete", id, expected_version, done_at));
        self.update(caller, &request, id, expected_version, |current, now| {
            let previous_due = Some(current.due.at);
            let deadline = current.completed(done_at.unwrap_or(now), &caller.subject, now)?;
            Ok(Write { kind: ChangeKind::Completed, deadline, previous_due, reason: String::new() })
        })
        .await
    }

    pub async fn cancel(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        reason: String,
    ) -> Result<Deadline, DeadlineError> {
        let request = Request::new(caller, request_id, &("cancel", id, expected_version, &reason));
        self.update(caller, &request, id, expected_version, |current, now| {
            let deadline = current.cancelled(reason.clone(), &caller.subject, now)?;
            Ok(Write { kind: ChangeKind::Cancelled, deadline, previous_due: None, reason })
        })
        .await
    }

    /// A change to an existing deadline: the caller must see it and have read its current
    /// version; a retried request replays its first answer.
    async fn update(
        &self,
        caller: &Caller,
        request: &Request,
        id: &str,
        expected_version: i64,
        change: impl FnOnce(Deadline, DateTime<Utc>) -> Result<Write, DeadlineError>,
    ) -> Result<Deadline, DeadlineError> {
        let now = self.clock.now();
        let written = self
            .store
            .write(id, request, now, |current| change(editable(caller, id, expected_version, current)?, now))
            .await?;
        self.answer(caller, written).await
    }

    /// The answer to a write: its result, or on a retry the first result, given only if
    /// the caller may still see the deadline as it is now.
    async fn answer(&self, caller: &Caller, written: Written<Deadline>) -> Result<Deadline, DeadlineError> {
        written.answer(async |id| self.get(caller, &id).await.map(drop)).await
    }

    /// A page of the change feed: the changes the caller may see, where to resume, and
    /// whether more are waiting.
    pub async fn changes(
        &self,
        caller: &Caller,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<Change>, i64, bool), DeadlineError> {
        let (changes, last_scanned, more) = self.store.changes_after(caller, after, limit).await?;
        Ok((changes, last_scanned.unwrap_or(after), more))
    }

    /// Streams every change after `after`, then each new one as it commits, until the
    /// client goes away or the server shuts down.
    /// The feed as a stream: stored changes after `after`, then each new one. It holds one
    /// of the caller's few watch places, and ends when the caller's token expires.
    pub fn watch(
        &self,
        caller: Caller,
        after: i64,
        mut shutdown: Shutdown,
    ) -> Result<ReceiverStream<Result<Change, DeadlineError>>, DeadlineError> {
        let slot = self.watches.open(&caller.subject)?;
        let (tx, rx) = mpsc::channel(64);
        let (store, clock) = (self.store.clone(), self.clock.clone());
        let expires = DateTime::from_timestamp(caller.expires_at, 0);
        let mut head = store.subscribe();
        tokio::spawn(async move {
            let _slot = slot;
            let mut cursor = after;
            let expired = || expires.is_some_and(|at| clock.now() >= at);
            loop {
                if expired() {
                    let _ = tx.send(Err(DeadlineError::TokenExpired)).await;
                    return;
                }
                let (changes, last_scanned, more) = match store.changes_after(&caller, cursor, WATCH_BATCH).await {
                    Ok(page) => page,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                for change in changes {
                    if tx.send(Ok(change)).await.is_err() {
                        return; // the client went away
                    }
                }
                cursor = last_scanned.unwrap_or(cursor);
                if more {
                    continue;
                }
                let expiry = async {
                    match expires {
                        Some(at) => clock.sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = head.changed() => {}
                    () = tokio::time::sleep(WATCH_POLL) => {}
                    () = expiry => {}
                    () = tx.closed() => return,
                    () = shutdown.recv() => return,
                }
            }
        });
        Ok(ReceiverStream::new(rx))
    }

    /// Deadlines for a calendar: open ones, for one owner or all the caller may see.
    /// The open deadlines for a calendar, soonest first: at most `most` and one more, so
    /// the calendar can tell that it left some out.
    pub async fn for_calendar(
        &self,
        caller: &Caller,
        owner: Option<String>,
        most: usize,
    ) -> Result<Vec<Arc<Deadline>>, DeadlineError> {
        let mut all = Vec::new();
        let mut query =
            ListQuery { statuses: vec![crate::domain::Status::Open], owner, limit: 500, ..ListQuery::default() };
        loop {
            let page = self.list(caller, &query).await?;
            let last = page.last().map(|d| (d.due.at, d.id.clone()));
            let full = page.len() == query.limit;
            all.extend(page);
            match last {
                Some(after) if full && all.len() <= most => query.after = Some(after),
                _ => {
                    all.truncate(most + 1);
                    return Ok(all);
                }
            }
        }
    }
}

/// The current state, if the caller may change it at this version.
fn editable(
    caller: &Caller,
    id: &str,
    expected_version: i64,
    current: Option<Deadline>,
) -> Result<Deadline, DeadlineError> {
    let current = current.ok_or_else(|| DeadlineError::NotFound(id.to_owned()))?;
    let current = visible(caller, current)?;
    if current.version != expected_version {
        return Err(DeadlineError::Stale { id: id.to_owned(), expected: expected_version, current: current.version });
    }
    Ok(current)
}

/// Restricted deadlines look absent to callers without the compartment: no existence leak.
fn visible<D: Borrow<Deadline>>(caller: &Caller, deadline: D) -> Result<D, DeadlineError> {
    let d = deadline.borrow();
    if !d.classification.visible_to(caller) {
        return Err(DeadlineError::NotFound(d.id.clone()));
    }
    Ok(deadline)
}
