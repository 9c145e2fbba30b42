//! Work that must reach another service eventually, whatever happens meanwhile: the write
//! that needs it enqueues a row in the same transaction, and a worker pushes it, retrying
//! with growing, jittered delays. A crash or a restart loses nothing: the row is in the
//! database.
//!
//! Any number of replicas may run the worker on one database. A replica claims rows with
//! a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the one write lock on SQLite), so two
//! replicas never push the same row at once, and a replica that dies holding claims has
//! them taken over when the lease runs out. Each row keeps its attempts, its next attempt
//! and its last error; after `max_attempts` it is marked failed and counted, not retried
//! forever in silence. Pushing is at least once: the other side must take a repeat
//! calmly (the services here use request ids derived from the item).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::{AnyConnection, Row};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::{Database, Shutdown};

/// The tables of the outbox and of the feed cursors ([`crate::feed`]): each service that
/// uses them applies this as one of its migrations.
pub const SCHEMA: &str = include_str!("../migrations/workers.sql");

/// Retry delays double from 1 s and stop growing at 10 minutes.
const MAX_BACKOFF_SECS: i64 = 600;

/// Even when nothing wakes it, a worker looks this often: another replica may have
/// enqueued work, or died holding claims.
const POLL: Duration = Duration::from_secs(5);

/// The longest an ended push waits to be recorded with others in one commit (beside the
/// preparing of a batch claimed meanwhile, [`PREPARE_WITHIN`] at most).
const RECORD_WITHIN: Duration = Duration::from_millis(25);

/// The longest a worker waits for [`Delivery::prepare`] before pushing the batch anyway
/// (an eighth of the lease if that is less).
pub const PREPARE_WITHIN: Duration = Duration::from_secs(2);

/// The least a worker waits between two looks that found nothing to claim.
const MIN_PAUSE: Duration = Duration::from_millis(200);

/// Seconds to wait before attempt `attempts + 1`: doubling, capped, with jitter so that
/// many items failing together do not retry together.
pub fn backoff_secs(attempts: i64) -> i64 {
    let capped = (1_i64 << attempts.clamp(0, 10)).min(MAX_BACKOFF_SECS);
    capped + rand::random_range(0..=capped / 4)
}

/// How the outbox retries, from `[outbox]` in the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxSettings {
    /// Attempts before a row is marked failed (50 is about seven hours of retries).
    pub max_attempts: i64,
    /// How long a claim lasts; a push that takes longer is cut off and retried.
    pub lease_secs: u64,
    /// Rows one replica claims and pushes at once. Claiming many at once keeps the
    /// database's share of each push small. A delivery may send fewer of them at a time
    /// (the notifier: `mail.smtp.connections`); a row waiting for that counts against its
    /// push's time, half the lease, so such a delivery claims fewer
    /// ([`Delivery::in_flight_limit`]; the notifier: as many per connection as its mail
    /// server takes in a quarter of the lease, sixteen at most).
    pub concurrency: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self { max_attempts: 50, lease_secs: 60, concurrency: 256 }
    }
}

/// Why a push did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later (the other side is down, busy or timed out).
    Retry(String),
    /// Will never succeed as it is (the other side refused it): mark it failed now.
    Permanent(String),
}

impl From<tonic::Status> for Failure {
    fn from(status: tonic::Status) -> Failure {
        use tonic::Code::*;
        let text = format!("{:?}: {}", status.code(), status.message());
        match status.code() {
            InvalidArgument | NotFound | AlreadyExists | PermissionDenied | FailedPrecondition | OutOfRange
            | Unimplemented => Failure::Permanent(text),
            _ => Failure::Retry(text),
        }
    }
}

/// What a worker does with one item: push it to wherever it must go.
pub trait Delivery: Send + Sync + 'static {
    /// `Ok` once the other side has it.
    fn deliver(&self, item: &str) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Called with each batch of claimed items just before they are pushed, so that a
    /// delivery can read what its pushes need in one go instead of once per item. It
    /// must not fail: a push that finds nothing prepared for it reads for itself. It is
    /// cut off after [`PREPARE_WITHIN`] (an eighth of the lease at most): meanwhile the
    /// worker records nothing, so a push, which may take half the lease, is recorded
    /// within three quarters of it, before anyone else may claim its row.
    fn prepare(&self, items: &[&str]) -> impl Future<Output = ()> + Send {
        let _ = items;
        async {}
    }

    /// The most pushes this delivery can take at once now, each ending within half of
    /// `lease`, below `concurrency`: a delivery whose pushes queue for a few connections
    /// (the notifier's SMTP) says how many it can start in time, from how fast they go.
    /// Asked before each claim.
    fn in_flight_limit(&self, lease: Duration) -> usize {
        let _ = lease;
        usize::MAX
    }

    /// Runs in the transaction that takes pushed items out of the outbox, so the
    /// service's own record of each push (a reminder marked sent) commits with it or not
    /// at all. It runs for every push that went through, also one whose item was enqueued
    /// again meanwhile (that push happened; the item is pushed once more).
    fn done_in(
        &self,
        conn: &mut AnyConnection,
        claims: &[&Claim],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        let _ = (conn, claims);
        async { Ok(()) }
    }
}

/// A row this replica holds a lease on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub item: String,
    pub generation: i64,
    pub attempts: i64,
}

/// Rows waiting and rows given up on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub failed: i64,
}

/// One topic of a service's outbox (for example `follow-up-deadline` in briefings).
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Database,
    topic: &'static str,
    clock: Clock,
    settings: OutboxSettings,
    /// Who holds a claim: unique per process and topic.
    replica: Arc<str>,
    wake: Arc<Notify>,
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

impl Outbox {
    pub fn new(db: &Database, topic: &'static str, clock: Clock, settings: OutboxSettings) -> Outbox {
        crate::metrics::metrics().outbox_topic(topic, db);
        let replica = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
        Outbox { db: db.clone(), topic, clock, settings, replica: replica.into(), wake: Arc::new(Notify::new()) }
    }

    /// The outbox row's id for `item`: `<topic>:<item>`, for services that join their own
    /// rows to the outbox to show attempts and errors.
    pub fn row_id(&self, item: &str) -> String {
        format!("{}:{item}", self.topic)
    }

    /// Asks for `item` to be pushed, inside the caller's transaction, so the work exists
    /// exactly when the change that needs it is committed. Enqueuing an item already
    /// waiting (or failed) makes it due again with fresh attempts. Call [`Outbox::wake`]
    /// after the commit.
    pub async fn enqueue(&self, conn: &mut AnyConnection, item: &str) -> Result<(), sqlx::Error> {
        self.enqueue_at(conn, item, self.clock.now()).await
    }

    /// [`Outbox::enqueue`] for work that must not be pushed before `at` (a reminder's
    /// moment): the worker sleeps until then. A new row's generation is the time it was
    /// made, so a push still in flight for a removed row of the same item never matches
    /// the row that replaced it.
    pub async fn enqueue_at(&self, conn: &mut AnyConnection, item: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let (now, at) = (micros(self.clock.now()), micros(at));
        sqlx::query(
            "INSERT INTO outbox (id, topic, item, generation, state, attempts, next_attempt_at, claimed_by,
             claimed_until, last_error, updated_at) VALUES ($1, $2, $3, $5, 'pending', 0, $4, '', 0, '', $5)
             ON CONFLICT (id) DO UPDATE SET generation = outbox.generation + 1, state = 'pending', attempts = 0,
             next_attempt_at = $4, last_error = '', updated_at = $5",
        )
        .bind(self.row_id(item))
        .bind(self.topic)
        .bind(item)
        .bind(at)
        .bind(now)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Takes `item` out of the outbox inside the caller's transaction: the work is no
    /// longer wanted (a reminder for a deadline that moved). A push already in flight
    /// finds no row to mark done, so the caller's own state must say the work is void.
    pub async fn remove(&self, conn: &mut AnyConnection, item: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM outbox WHERE id = $1").bind(self.row_id(item)).execute(conn).await?;
        Ok(())
    }

    /// Tells this process's worker that new work was committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Takes a lease on up to `limit` rows that are due and not held by anyone, in
    /// statements of [`Dialect::rows_per_statement`](crate::Dialect::rows_per_statement)
    /// rows at most, all at one moment: with a moment per statement, a clock stepping a
    /// lease ahead between two would let the second claim the first's rows again.
    async fn claim_on(&self, conn: &mut AnyConnection, limit: usize) -> Result<Vec<Claim>, sqlx::Error> {
        let now = micros(self.clock.now());
        let until = now + (self.settings.lease_secs as i64) * 1_000_000;
        let mut claims = Vec::new();
        while claims.len() < limit {
            let asked = (limit - claims.len()).min(self.db.dialect.rows_per_statement());
            let sql = format!(
                "UPDATE outbox SET claimed_by = $1, claimed_until = $2
                 WHERE claimed_until <= $3 AND id IN (
                     SELECT id FROM outbox WHERE topic = $4 AND state = 'pending' AND next_attempt_at <= $3
                     AND claimed_until <= $3 ORDER BY next_attempt_at{}{})
                 RETURNING item, generation, attempts",
                crate::db::limit(asked),
                self.db.dialect.skip_locked()
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&*self.replica)
                .bind(until)
                .bind(now)
                .bind(self.topic)
                .fetch_all(&mut *conn)
                .await?;
            for r in &rows {
                claims.push(Claim { item: r.try_get(0)?, generation: r.try_get(1)?, attempts: r.try_get(2)? });
            }
            // Fewer than asked: nothing else is due.
            if rows.len() < asked {
                break;
            }
        }
        Ok(claims)
    }

    /// The pushes went through: their rows are gone, unless an item was enqueued again
    /// while it was being pushed; then it only loses its claim and is pushed once more.
    async fn done_on(&self, conn: &mut AnyConnection, claims: &[&Claim]) -> Result<(), sqlx::Error> {
        if claims.is_empty() {
            return Ok(());
        }
        let mut sql = crate::db::Sql::new("DELETE FROM outbox WHERE id IN (");
        let ids = sql.bind_list(claims.iter().map(|c| self.row_id(&c.item)));
        sql.push(&format!("{ids}) AND claimed_by = "));
        let replica = sql.bind_text(&self.replica);
        sql.push(&format!("{replica} AND (id || ':' || generation) IN ("));
        let generations = sql.bind_list(claims.iter().map(|c| format!("{}:{}", self.row_id(&c.item), c.generation)));
        sql.push(&format!("{generations})"));
        // Fewer gone than pushed: some were enqueued again meanwhile (or are no longer
        // this replica's); those still held lose their claim.
        if sql.execute(conn).await? < claims.len() as u64 {
            self.release_on(conn, claims).await?;
        }
        Ok(())
    }

    /// The push failed: try again after a backoff, or mark the row failed when the
    /// failure is permanent or the attempts are used up.
    async fn failed_on(
        &self,
        conn: &mut AnyConnection,
        claim: &Claim,
        failure: &Failure,
    ) -> Result<Option<&'static str>, sqlx::Error> {
        let now = self.clock.now();
        let (permanent, error) = match failure {
            Failure::Retry(e) => (0_i64, e),
            Failure::Permanent(e) => (1, e),
        };
        let retry_at = now + chrono::Duration::seconds(backoff_secs(claim.attempts));
        let error: String = error.chars().take(500).collect();
        let state: Option<String> = sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $4, next_attempt_at = $5, claimed_by = '',
             claimed_until = 0, updated_at = $6,
             state = CASE WHEN $7 = 1 OR attempts + 1 >= $8 THEN 'failed' ELSE 'pending' END
             WHERE id = $1 AND generation = $2 AND claimed_by = $3 RETURNING state",
        )
        .bind(self.row_id(&claim.item))
        .bind(claim.generation)
        .bind(&*self.replica)
        .bind(&error)
        .bind(micros(retry_at))
        .bind(micros(now))
        .bind(permanent)
        .bind(self.settings.max_attempts)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        Ok(match state.as_deref() {
            Some("failed") => {
                tracing::error!(
                    topic = self.topic, item = %claim.item, attempts = claim.attempts + 1, %error,
                    "outbox: gave up; the row is marked failed"
                );
                Some("failed")
            }
            Some(_) => {
                tracing::warn!(
                    topic = self.topic, item = %claim.item, attempts = claim.attempts + 1, %error,
                    retry_at = %retry_at, "outbox: not delivered yet; will retry"
                );
                Some("retry")
            }
            // Enqueued again meanwhile: the new generation starts with fresh attempts.
            None => {
                self.release_on(conn, &[claim]).await?;
                None
            }
        })
    }

    /// Lets go of the rows of `claims` this replica still holds.
    async fn release_on(&self, conn: &mut AnyConnection, claims: &[&Claim]) -> Result<(), sqlx::Error> {
        let mut sql = crate::db::Sql::new("UPDATE outbox SET claimed_by = '', claimed_until = 0 WHERE claimed_by = ");
        let replica = sql.bind_text(&self.replica);
        sql.push(&format!("{replica} AND id IN ("));
        let ids = sql.bind_list(claims.iter().map(|c| self.row_id(&c.item)));
        sql.push(&format!("{ids})"));
        sql.execute(conn).await?;
        Ok(())
    }

    /// Records how pushes ended, with the delivery's own record of each success, and
    /// claims up to `want` more rows: one transaction (one commit) for a whole batch.
    async fn record_and_claim<D: Delivery>(
        &self,
        delivery: &D,
        outcomes: &[(Claim, Result<(), Failure>)],
        want: usize,
    ) -> Result<Vec<Claim>, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        let pushed: Vec<&Claim> = outcomes.iter().filter(|(_, o)| o.is_ok()).map(|(c, _)| c).collect();
        self.done_on(&mut tx, &pushed).await?;
        if !pushed.is_empty() {
            delivery.done_in(&mut tx, &pushed).await?;
        }
        let mut results = vec!["done"; pushed.len()];
        for (claim, outcome) in outcomes {
            if let Err(failure) = outcome {
                results.extend(self.failed_on(&mut tx, claim, failure).await?);
            }
        }
        let claims = if want > 0 { self.claim_on(&mut tx, want).await? } else { Vec::new() };
        tx.commit().await?;
        for result in results {
            crate::metrics::metrics().outbox_push(self.topic, result);
        }
        Ok(claims)
    }

    pub async fn counts(&self) -> Result<OutboxCounts, sqlx::Error> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0)
             FROM outbox WHERE topic = $1",
        )
        .bind(self.topic)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(OutboxCounts { pending: row.try_get(0)?, failed: row.try_get(1)? })
    }

    /// When the next unclaimed row falls due: one step along the due index, however many
    /// rows wait (a notifier holds a row for every future reminder). Rows another replica
    /// holds are looked at again on the next poll.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT next_attempt_at FROM outbox WHERE topic = $1 AND state = 'pending' AND claimed_until <= $2
             ORDER BY next_attempt_at LIMIT 1",
        )
        .bind(self.topic)
        .bind(micros(self.clock.now()))
        .fetch_optional(&self.db.pool)
        .await?;
        let at: Option<i64> = row.map(|r| r.try_get(0)).transpose()?;
        Ok(at.and_then(DateTime::from_timestamp_micros))
    }

    /// The worker: until shutdown, keeps up to `concurrency` pushes in flight. As pushes
    /// end, it records them and claims more due rows in one transaction, once half the
    /// slots are free (one slow push holds one slot, not a batch); with nothing to
    /// claim it sleeps until woken, until the next row falls due, or for a few seconds at
    /// most. On shutdown the pushes in flight finish and are recorded.
    pub async fn run<D: Delivery>(self, delivery: D, mut shutdown: Shutdown) {
        let delivery = Arc::new(delivery);
        let lease = Duration::from_secs(self.settings.lease_secs);
        // A push may take at most half the lease, and preparing a batch an eighth (its own
        // before it, the next one's before it is recorded), so it is recorded before anyone
        // else may claim.
        let push_timeout = Duration::from_secs(self.settings.lease_secs.max(2) / 2);
        let prepare_timeout = PREPARE_WITHIN.min(Duration::from_millis(self.settings.lease_secs.max(2) * 125));
        let mut pushes = JoinSet::new();
        let mut ended = Vec::new();
        // When the oldest push not yet recorded ended.
        let mut ended_since: Option<Instant> = None;
        loop {
            while let Some(outcome) = pushes.try_join_next() {
                ended.extend(outcome.ok());
            }
            if !ended.is_empty() && ended_since.is_none() {
                ended_since = Some(Instant::now());
            }
            let stopping = shutdown.is_shutdown();
            let limit = self.settings.concurrency.min(delivery.in_flight_limit(lease)).max(1);
            let room = limit.saturating_sub(pushes.len());
            let want = if !stopping && (pushes.is_empty() || room >= (limit / 2).max(1)) { room } else { 0 };
            let (mut more_waiting, mut pause) = (false, None);
            // Ended pushes wait to be recorded with the next claim, so one commit covers
            // half the slots at least; but never longer than a moment, so the
            // record lands well inside the lease.
            let overdue = ended_since.is_some_and(|since| since.elapsed() >= RECORD_WITHIN);
            if want > 0 || (!ended.is_empty() && (pushes.is_empty() || stopping || overdue)) {
                match self.record_and_claim(&*delivery, &ended, want).await {
                    Ok(claims) => {
                        more_waiting = want > 0 && claims.len() == want;
                        if !claims.is_empty() {
                            let items: Vec<&str> = claims.iter().map(|c| c.item.as_str()).collect();
                            // Cut off early: meanwhile nothing is recorded or claimed.
                            let _ = tokio::time::timeout(prepare_timeout, delivery.prepare(&items)).await;
                        }
                        for claim in claims {
                            pushes.spawn(push(delivery.clone(), claim, push_timeout));
                        }
                    }
                    // The leases run out and the rows are pushed again: nothing lost.
                    Err(e) => {
                        tracing::warn!(topic = self.topic, error = %e, "outbox: cannot record pushes or claim rows");
                        pause = Some(Duration::from_secs(1));
                    }
                }
                ended.clear();
                ended_since = None;
            }
            if stopping {
                match pushes.join_next().await {
                    Some(outcome) => ended.extend(outcome.ok()),
                    None => return,
                }
                continue;
            }
            // Slots will free: wait for the next push to end (or the moment to record what
            // has ended), then claim again.
            if more_waiting || (want == 0 && !pushes.is_empty()) {
                match ended_since {
                    Some(since) => tokio::select! {
                        Some(outcome) = pushes.join_next() => ended.extend(outcome.ok()),
                        () = tokio::time::sleep_until((since + RECORD_WITHIN).into()) => {}
                    },
                    None => ended.extend(pushes.join_next().await.and_then(Result::ok)),
                }
                continue;
            }
            // A row that is due but was not claimed (another replica's transaction holds
            // it, or the claim failed) must not make this loop spin: wait a little at least.
            let next = self.next_due().await.ok().flatten();
            let pause = pause.unwrap_or(MIN_PAUSE);
            let due = async {
                match next {
                    // The pause in real time: a manual clock under test must not stall it.
                    Some(at) => {
                        tokio::time::sleep(pause).await;
                        self.clock.sleep_until(at).await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(outcome) = pushes.join_next(), if !pushes.is_empty() => ended.extend(outcome.ok()),
                () = self.wake.notified() => {}
                () = due => {}
                () = tokio::time::sleep(POLL) => {}
                () = shutdown.recv() => {}
            }
        }
    }
}

/// Pushes one claimed row; how it ended.
async fn push<D: Delivery>(delivery: Arc<D>, claim: Claim, timeout: Duration) -> (Claim, Result<(), Failure>) {
    let pushed = tokio::time::timeout(timeout, delivery.deliver(&claim.item))
        .await
        .unwrap_or_else(|_| Err(Failure::Retry("timed out".into())));
    (claim, pushed)
}
