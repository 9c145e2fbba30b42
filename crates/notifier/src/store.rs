//! The notifier's SQL: the deadlines as the feed showed them, and the deliveries planned
//! for them. A plan changes in the transaction that records the deadline's new state, and
//! each delivery to send sits in the platform's outbox (topic [`TOPIC`]) until its moment,
//! so a crash between planning and sending loses nothing.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, Row};

use advocacy_platform::db::{Columns, Sql};
use advocacy_platform::outbox::{Claim, Outbox};
use advocacy_platform::time::{from_micros, to_micros};
use advocacy_platform::{Caller, Classification, Clock, Database};
use advocacy_proto::v1 as pb;

use crate::domain::{self, Deadline, Key, PlanInputs, Planned, Purpose};
use crate::people::People;

/// The outbox topic of deliveries; each item is a delivery id.
pub const TOPIC: &str = "delivery";

/// A delivery's state as people see it. Retrying and failed are read from its outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Planned,
    Retrying,
    Failed,
    Sent,
    Cancelled,
    Skipped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Planned => "planned",
            State::Retrying => "retrying",
            State::Failed => "failed",
            State::Sent => "sent",
            State::Cancelled => "cancelled",
            State::Skipped => "skipped",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "retrying" => State::Retrying,
            "failed" => State::Failed,
            "sent" => State::Sent,
            "cancelled" => State::Cancelled,
            "skipped" => State::Skipped,
            _ => State::Planned,
        }
    }

    pub fn of_proto(state: pb::DeliveryState) -> Option<State> {
        Some(match state {
            pb::DeliveryState::Unspecified => return None,
            pb::DeliveryState::Planned => State::Planned,
            pb::DeliveryState::Sent => State::Sent,
            pb::DeliveryState::Retrying => State::Retrying,
            pb::DeliveryState::Failed => State::Failed,
            pb::DeliveryState::Cancelled => State::Cancelled,
            pb::DeliveryState::Skipped => State::Skipped,
        })
    }

    pub fn to_proto(self) -> pb::DeliveryState {
        match self {
            State::Planned => pb::DeliveryState::Planned,
            State::Retrying => pb::DeliveryState::Retrying,
            State::Failed => pb::DeliveryState::Failed,
            State::Sent => pb::DeliveryState::Sent,
            State::Cancelled => pb::DeliveryState::Cancelled,
            State::Skipped => pb::DeliveryState::Skipped,
        }
    }
}

/// One delivery as stored, with its outbox attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: String,
    pub key: Key,
    pub catch_up: bool,
    pub state: State,
    pub reason: String,
    pub send_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub last_error: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub message_id: String,
}

/// A delivery about to be sent, with its deadline as the feed last showed it (none for
/// digests and tests).
pub type ToSend = (DeliveryRow, Option<Arc<Deadline>>);

/// What ListDeliveries asks for.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub deadline_id: Option<String>,
    pub recipient: Option<String>,
    pub state: Option<State>,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Where the previous page ended (send time, id), latest first.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
}

/// How plans are made, from the config.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    pub escalate_before: Duration,
    pub digest_schedule: String,
    /// Digests of people whose zone is not known are sent in this one.
    pub organisation_zone: chrono_tz::Tz,
    /// The domain of Message-IDs: the sender's.
    pub message_domain: String,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    outbox: Outbox,
    clock: Clock,
    people: People,
    settings: PlanSettings,
}

const DELIVERY_COLUMNS: &str = "v.id, v.purpose, v.deadline_id, v.due_at, v.lead_minutes, v.recipient, v.catch_up, \
     v.shown_state, v.reason, v.send_at, v.sent_at, v.shown_attempts, v.last_error, v.next_attempt_at, v.message_id";

impl Store {
    pub fn new(db: &Database, outbox: Outbox, clock: Clock, people: People, settings: PlanSettings) -> Store {
        Store { db: db.clone(), outbox, clock, people, settings }
    }

    pub fn people(&self) -> &People {
        &self.people
    }

    pub fn settings(&self) -> &PlanSettings {
        &self.settings
    }

    /// Records a deadline's new state and makes its plan follow, in one transaction:
    /// deliveries no longer wanted are cancelled, new ones planned. A change older than
    /// the state held is ignored, so replaying the feed changes nothing.
    pub async fn apply(&self, deadline: &Deadline) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let held: Option<i64> = sqlx::query("SELECT revision FROM deadlines WHERE id = $1")
            .bind(&deadline.id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if held.is_some_and(|held| held >= deadline.revision) {
            return tx.commit().await;
        }
        let (level, compartment) = deadline.classification.columns();
        sqlx::query(
            "INSERT INTO deadlines (id, revision, title, mechanism, kind, zone, due_at, status, owners, lead_minutes,
             confidentiality, compartment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, title = excluded.title,
             mechanism = excluded.mechanism, kind = excluded.kind, zone = excluded.zone, due_at = excluded.due_at,
             status = excluded.status, owners = excluded.owners, lead_minutes = excluded.lead_minutes,
             confidentiality = excluded.confidentiality, compartment = excluded.compartment",
        )
        .bind(&deadline.id)
        .bind(deadline.revision)
        .bind(&deadline.title)
        .bind(&deadline.mechanism)
        .bind(deadline.kind as i64)
        .bind(deadline.zone.name())
        .bind(to_micros(deadline.due))
        .bind(deadline.status as i64)
        .bind(deadline.owners.join("\n"))
        .bind(deadline.lead_minutes.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
        .bind(level)
        .bind(compartment)
        .execute(&mut *tx)
        .await?;

        let recorded = sqlx::query(
            "SELECT id, purpose, due_at, lead_minutes, recipient, state FROM deliveries
             WHERE deadline_id = $1 AND purpose IN ('reminder', 'escalation')",
        )
        .bind(&deadline.id)
        .fetch_all(&mut *tx)
        .await?;
        let mut rows = Vec::with_capacity(recorded.len());
        for r in &recorded {
            let key = Key {
                purpose: Purpose::parse(&r.try_get::<String, _>(1)?).unwrap_or(Purpose::Reminder),
                deadline_id: deadline.id.clone(),
                due: from_micros(r.try_get(2)?),
                lead_minutes: r.try_get::<i64, _>(3)? as i32,
                recipient: r.try_get(4)?,
            };
            rows.push((r.try_get::<String, _>(0)?, key, r.try_get::<String, _>(5)?));
        }
        let inputs = PlanInputs {
            existing: rows.iter().map(|(_, k, _)| k.clone()).collect(),
            sent_leads: rows
                .iter()
                .filter(|(_, k, state)| state == "sent" && k.purpose == Purpose::Reminder)
                .map(|(_, k, _)| (k.recipient.clone(), k.lead_minutes))
                .collect(),
            managers: self.people.managers(&deadline.owners),
            escalate_before: self.settings.escalate_before,
        };
        let plan = domain::plan(deadline, now, &inputs);
        let why = cancel_reason(deadline);
        for (id, key, state) in &rows {
            if state == "planned" && !domain::still_wanted(key, deadline, now, &inputs) {
                let reason = if key.due != deadline.due && deadline.is_open() { "the deadline moved" } else { why };
                self.cancel(&mut tx, id, reason).await?;
            }
        }
        for planned in &plan {
            match rows.iter().find(|(_, k, _)| *k == planned.key) {
                None => self.insert(&mut tx, planned, now).await?,
                // An owner or lead that was removed and came back: the same message again.
                Some((id, _, state)) if state == "cancelled" && planned.skipped.is_none() => {
                    sqlx::query("UPDATE deliveries SET state = 'planned', reason = '', send_at = $2 WHERE id = $1")
                        .bind(id)
                        .bind(to_micros(planned.send_at))
                        .execute(&mut *tx)
                        .await?;
                    self.outbox.enqueue_at(&mut tx, id, planned.send_at).await?;
                }
                Some(_) => {}
            }
        }
        if deadline.is_open() {
            for owner in &deadline.owners {
                self.plan_digest(&mut tx, owner, now).await?;
            }
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    async fn cancel(&self, conn: &mut AnyConnection, id: &str, reason: &str) -> Result<(), sqlx::Error> {
        let marked =
            sqlx::query("UPDATE deliveries SET state = 'cancelled', reason = $2 WHERE id = $1 AND state = 'planned'")
                .bind(id)
                .bind(reason)
                .execute(&mut *conn)
                .await?;
        advocacy_platform::metrics::metrics().deliveries("cancelled", marked.rows_affected());
        self.outbox.remove(conn, id).await
    }

    /// Records one planned delivery (a repeat of its key records nothing) and, unless it
    /// is skipped, puts it in the outbox for its moment.
    async fn insert(&self, conn: &mut AnyConnection, planned: &Planned, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let id = uuid::Uuid::now_v7().to_string();
        let k = &planned.key;
        let (state, reason) = match planned.skipped {
            Some(reason) => ("skipped", reason),
            None => ("planned", ""),
        };
        let inserted = sqlx::query(
            "INSERT INTO deliveries (id, purpose, deadline_id, due_at, lead_minutes, recipient, catch_up, state, reason,
             send_at, sent_at, attempts, message_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0, $11, $12)
             ON CONFLICT (purpose, deadline_id, due_at, lead_minutes, recipient) DO NOTHING",
        )
        .bind(&id)
        .bind(k.purpose.as_str())
        .bind(&k.deadline_id)
        .bind(to_micros(k.due))
        .bind(i64::from(k.lead_minutes))
        .bind(&k.recipient)
        .bind(i64::from(planned.catch_up))
        .bind(state)
        .bind(reason)
        .bind(to_micros(planned.send_at))
        .bind(k.message_id(&self.settings.message_domain))
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 && planned.skipped.is_none() {
            self.outbox.enqueue_at(conn, &id, planned.send_at).await?;
        }
        Ok(())
    }

    /// Plans a person's next weekly digest after `after`, once: every replica computes
    /// the same instant, and its key is unique.
    async fn plan_digest(
        &self,
        conn: &mut AnyConnection,
        person: &str,
        after: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let zone = self.people.person(person).zone.unwrap_or(self.settings.organisation_zone);
        let Some(at) = domain::next_digest(&self.settings.digest_schedule, zone, after) else { return Ok(()) };
        let key = Key {
            purpose: Purpose::Digest,
            deadline_id: String::new(),
            due: at,
            lead_minutes: 0,
            recipient: person.into(),
        };
        let planned = Planned { key, send_at: at, catch_up: false, skipped: None };
        self.insert(conn, &planned, self.clock.now()).await
    }

    /// Plans the next digest of everyone listed in the config and every owner of an open
    /// deadline (at start; the plan of each deadline adds its owners as it changes).
    pub async fn plan_digests(&self) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        let rows = sqlx::query("SELECT owners FROM deadlines WHERE status = $1")
            .bind(pb::DeadlineStatus::Open as i64)
            .fetch_all(&self.db.pool)
            .await?;
        let mut people: std::collections::BTreeSet<String> = self.people.listed().into_iter().collect();
        for r in &rows {
            people.extend(r.try_get::<String, _>(0)?.lines().map(str::to_owned));
        }
        let mut tx = self.db.begin_write().await?;
        for person in &people {
            self.plan_digest(&mut tx, person, now).await?;
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    /// After a digest had nothing to say: the next one.
    pub async fn plan_next_digest(&self, person: &str, after: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        self.plan_digest(&mut tx, person, after).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    /// A test message, planned to go at once.
    pub async fn plan_test(&self, recipient: &str, actor: &str) -> Result<String, sqlx::Error> {
        let now = self.clock.now();
        let key = Key {
            purpose: Purpose::Test,
            deadline_id: String::new(),
            due: now,
            lead_minutes: 0,
            recipient: recipient.into(),
        };
        let mut tx = self.db.begin_write().await?;
        self.insert(&mut tx, &Planned { key: key.clone(), send_at: now, catch_up: false, skipped: None }, now).await?;
        let row = sqlx::query(
            "SELECT id FROM deliveries WHERE purpose = 'test' AND deadline_id = '' AND due_at = $1 AND recipient = $2",
        )
        .bind(to_micros(now))
        .bind(recipient)
        .fetch_one(&mut *tx)
        .await?;
        let id: String = row.try_get(0)?;
        advocacy_platform::audit::append(&mut tx, actor, "write", &[&id], now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(id)
    }

    pub async fn deadline(&self, id: &str) -> Result<Option<Deadline>, sqlx::Error> {
        let sql = format!("SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.db.pool).await?;
        row.as_ref().map(deadline_of).transpose()
    }

    /// A person's open deadlines due before `until`, overdue ones included, soonest first.
    pub async fn open_deadlines_of(&self, person: &str, until: DateTime<Utc>) -> Result<Vec<Deadline>, sqlx::Error> {
        let sql =
            format!("SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE status = $1 AND due_at < $2 ORDER BY due_at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(pb::DeadlineStatus::Open as i64)
            .bind(to_micros(until))
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let d = deadline_of(r)?;
            if d.owners.iter().any(|o| o.eq_ignore_ascii_case(person)) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// One delivery, whoever may see it (for the sender).
    pub async fn delivery(&self, id: &str) -> Result<Option<DeliveryRow>, sqlx::Error> {
        let mut sql = self.deliveries_view();
        let id = sql.bind_text(id);
        sql.push(&format!(" AND v.id = {id}"));
        Ok(self.db.read_all(sql).await?.iter().map(delivery_of).collect::<Result<Vec<_>, _>>()?.pop())
    }

    /// Deliveries about to be sent, in one read however many (the sender asks for those
    /// claimed together at once), and their deadlines in one more: a deadline's owners are
    /// reminded together, so each deadline is read and decoded once and shared, not copied
    /// into each delivery's row. A deadline changed between the two reads is seen as
    /// changed, as it would be a moment later.
    pub async fn to_send(&self, ids: &[String]) -> Result<Vec<Box<ToSend>>, sqlx::Error> {
        let mut sql = Sql::new(
            "SELECT id, purpose, deadline_id, due_at, lead_minutes, recipient, catch_up, state, reason, send_at,
                sent_at, attempts, '', NULL, message_id FROM deliveries WHERE id IN (",
        );
        let placeholders = sql.bind_list(ids);
        sql.push(&format!("{placeholders})"));
        let rows = self.db.read_all(sql).await?.iter().map(delivery_of).collect::<Result<Vec<_>, _>>()?;
        let mut wanted: Vec<&str> =
            rows.iter().map(|r| r.key.deadline_id.as_str()).filter(|id| !id.is_empty()).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut deadlines: HashMap<String, Arc<Deadline>> = HashMap::new();
        if !wanted.is_empty() {
            let mut sql = Sql::new(&format!("SELECT {DEADLINE_COLUMNS} FROM deadlines WHERE id IN ("));
            let placeholders = sql.bind_list(wanted);
            sql.push(&format!("{placeholders})"));
            for r in self.db.read_all(sql).await? {
                let d = deadline_of(&r)?;
                deadlines.insert(d.id.clone(), Arc::new(d));
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let deadline = deadlines.get(&row.key.deadline_id).cloned();
                Box::new((row, deadline))
            })
            .collect())
    }

    /// A closer reminder of the same due time for the same person is due as well (after
    /// downtime), or already went: only that one is worth sending.
    pub async fn closer_reminder_due(&self, row: &DeliveryRow, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
        let found = sqlx::query(
            "SELECT 1 FROM deliveries WHERE purpose = 'reminder' AND deadline_id = $1 AND due_at = $2
             AND recipient = $3 AND state IN ('planned', 'sent') AND lead_minutes < $4 AND send_at <= $5 LIMIT 1",
        )
        .bind(&row.key.deadline_id)
        .bind(to_micros(row.key.due))
        .bind(&row.key.recipient)
        .bind(i64::from(row.key.lead_minutes))
        .bind(to_micros(now))
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Handed to the mail server: sent, each after its claim's attempts (in the
    /// transaction that takes them out of the outbox), and each of them that is one of
    /// `digests` followed by the person's next digest. One statement per number of
    /// attempts; digests, a few a week per person, are marked apart and give back their
    /// person, in statements of
    /// [`Dialect::rows_per_statement`](advocacy_platform::Dialect::rows_per_statement) rows.
    pub async fn mark_sent(
        &self,
        conn: &mut AnyConnection,
        claims: &[&Claim],
        digests: &HashSet<String>,
    ) -> Result<(), sqlx::Error> {
        let now = to_micros(self.clock.now());
        let groups: BTreeSet<(bool, i64)> =
            claims.iter().map(|c| (digests.contains(&c.item), c.attempts + 1)).collect();
        for (digest, tries) in groups {
            let ids: Vec<&String> = claims
                .iter()
                .filter(|c| c.attempts + 1 == tries && digests.contains(&c.item) == digest)
                .map(|c| &c.item)
                .collect();
            let most = if digest { self.db.dialect.rows_per_statement() } else { ids.len() };
            for ids in ids.chunks(most) {
                let mut sql = Sql::new("UPDATE deliveries SET state = 'sent', reason = '', sent_at = ");
                let (at, n) = (sql.bind_int(now), sql.bind_int(tries));
                // A message cancelled while it was being handed over went out all the same.
                sql.push(&format!("{at}, attempts = {n} WHERE state IN ('planned', 'cancelled') AND id IN ("));
                let ids = sql.bind_list(ids);
                sql.push(&format!("{ids})"));
                if !digest {
                    let marked = sql.execute(&mut *conn).await?;
                    // Counted in the transaction: one that rolls back is pushed and counted again.
                    advocacy_platform::metrics::metrics().deliveries("sent", marked);
                    continue;
                }
                sql.push(" RETURNING recipient, due_at");
                let marked = sql.fetch_all_on(&mut *conn).await?;
                advocacy_platform::metrics::metrics().deliveries("sent", marked.len() as u64);
                // The person's next one, from now (after downtime, the weeks missed are not
                // sent one after another).
                for row in marked {
                    let (person, due): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
                    self.plan_digest(conn, &person, from_micros(due).max(self.clock.now())).await?;
                }
            }
        }
        Ok(())
    }

    /// Not sent, on purpose (`skipped`) or because it is no longer wanted (`cancelled`).
    pub async fn mark(&self, id: &str, state: State, reason: &str) -> Result<(), sqlx::Error> {
        let marked = sqlx::query("UPDATE deliveries SET state = $2, reason = $3 WHERE id = $1 AND state = 'planned'")
            .bind(id)
            .bind(state.as_str())
            .bind(reason)
            .execute(&self.db.pool)
            .await?;
        advocacy_platform::metrics::metrics().deliveries(state.as_str(), marked.rows_affected());
        Ok(())
    }

    /// Puts a failed delivery back in the outbox with fresh attempts; false if it was
    /// not failed.
    pub async fn retry(&self, id: &str, actor: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        let failed = sqlx::query("SELECT 1 FROM outbox WHERE id = $1 AND state = 'failed'")
            .bind(self.outbox.row_id(id))
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if failed {
            self.outbox.enqueue(&mut tx, id).await?;
            advocacy_platform::audit::append(&mut tx, actor, "write", &[id], self.clock.now()).await?;
        }
        tx.commit().await?;
        self.outbox.wake();
        Ok(failed)
    }

    /// Deliveries joined to their deadline's classification and their outbox row, as a
    /// view `v` that `visible_to` can filter.
    fn deliveries_view(&self) -> Sql {
        let mut sql = Sql::new(&format!("SELECT {DELIVERY_COLUMNS} FROM ("));
        let topic = sql.bind_text(&format!("{TOPIC}:"));
        sql.push(&format!(
            "SELECT d.*, COALESCE(dl.confidentiality, 'internal') AS confidentiality,
                 COALESCE(dl.compartment, '') AS compartment,
                 CASE WHEN d.state <> 'planned' THEN d.state WHEN o.state = 'failed' THEN 'failed'
                      WHEN o.attempts > 0 THEN 'retrying' ELSE 'planned' END AS shown_state,
                 CASE WHEN d.state = 'sent' THEN d.attempts ELSE COALESCE(o.attempts, d.attempts) END AS shown_attempts,
                 COALESCE(o.last_error, '') AS last_error,
                 CASE WHEN o.attempts > 0 AND o.state = 'pending' THEN o.next_attempt_at END AS next_attempt_at
             FROM deliveries d
             LEFT JOIN deadlines dl ON dl.id = d.deadline_id
             LEFT JOIN outbox o ON o.id = {topic} || d.id) v WHERE 1 = 1"
        ));
        sql
    }

    /// Deliveries `caller` may see, latest send time first.
    pub async fn list(&self, caller: &Caller, filter: &DeliveryFilter) -> Result<Vec<DeliveryRow>, sqlx::Error> {
        let mut sql = self.deliveries_view();
        sql.visible_to(caller, "v");
        if !may_see_everyones_digests(caller) {
            // A digest lists a person's deadlines, restricted ones too: whether it went
            // out (or had nothing to say) is theirs to see.
            let me = sql.bind_text(&caller.subject);
            sql.push(&format!(" AND (v.purpose IN ('reminder', 'escalation') OR v.recipient = {me})"));
        }
        if let Some(id) = &filter.deadline_id {
            let p = sql.bind_text(id);
            sql.push(&format!(" AND v.deadline_id = {p}"));
        }
        if let Some(r) = &filter.recipient {
            let p = sql.bind_text(r);
            sql.push(&format!(" AND v.recipient = {p}"));
        }
        if let Some(state) = filter.state {
            let p = sql.bind_text(state.as_str());
            sql.push(&format!(" AND v.shown_state = {p}"));
        }
        if let Some((start, end)) = filter.period {
            let (s, e) = (sql.bind_int(to_micros(start)), sql.bind_int(to_micros(end)));
            sql.push(&format!(" AND v.send_at >= {s} AND v.send_at < {e}"));
        }
        if let Some((at, id)) = &filter.after {
            let (a, a2, i) = (sql.bind_int(to_micros(*at)), sql.bind_int(to_micros(*at)), sql.bind_text(id));
            sql.push(&format!(" AND (v.send_at < {a} OR (v.send_at = {a2} AND v.id < {i}))"));
        }
        sql.push(" ORDER BY v.send_at DESC, v.id DESC");
        sql.push(&advocacy_platform::db::limit(filter.limit));
        self.db.read_all(sql).await?.iter().map(delivery_of).collect()
    }
}

/// Admins and the services see every person's digests and tests; others only their own.
pub fn may_see_everyones_digests(caller: &Caller) -> bool {
    caller.has_role(advocacy_platform::Role::Admin) || caller.has_role(advocacy_platform::Role::System)
}

fn cancel_reason(deadline: &Deadline) -> &'static str {
    match deadline.status {
        pb::DeadlineStatus::Completed => "the deadline was completed",
        pb::DeadlineStatus::Cancelled => "the deadline was cancelled",
        _ => "no longer in the plan: an owner, lead time or manager was removed",
    }
}

const DEADLINE_COLUMNS: &str =
    "id, revision, title, mechanism, kind, zone, due_at, status, owners, lead_minutes, confidentiality, compartment";

fn deadline_of(r: &impl Columns) -> Result<Deadline, sqlx::Error> {
    let zone: String = r.value(5)?;
    let leads: String = r.value(9)?;
    let owners: String = r.value(8)?;
    Ok(Deadline {
        id: r.value(0)?,
        revision: r.value(1)?,
        title: r.value(2)?,
        mechanism: r.value(3)?,
        kind: pb::DeadlineKind::try_from(r.value::<i64>(4)? as i32).unwrap_or_default(),
        zone: zone.parse().unwrap_or(chrono_tz::UTC),
        due: from_micros(r.value(6)?),
        status: pb::DeadlineStatus::try_from(r.value::<i64>(7)? as i32).unwrap_or_default(),
        owners: owners.lines().map(str::to_owned).collect(),
        lead_minutes: leads.split(',').filter_map(|m| m.parse().ok()).collect(),
        classification: Classification::from_columns(&r.value::<String>(10)?, &r.value::<String>(11)?),
    })
}

fn delivery_of(r: &impl Columns) -> Result<DeliveryRow, sqlx::Error> {
    let purpose: String = r.value(1)?;
    let sent_at: Option<i64> = r.value(10)?;
    let next: Option<i64> = r.value(13)?;
    Ok(DeliveryRow {
        id: r.value(0)?,
        key: Key {
            purpose: Purpose::parse(&purpose).unwrap_or(Purpose::Reminder),
            deadline_id: r.value(2)?,
            due: from_micros(r.value(3)?),
            lead_minutes: r.value::<i64>(4)? as i32,
            recipient: r.value(5)?,
        },
        catch_up: r.value::<i64>(6)? == 1,
        state: State::parse(&r.value::<String>(7)?),
        reason: r.value(8)?,
        send_at: from_micros(r.value(9)?),
        sent_at: sent_at.map(from_micros),
        attempts: r.value(11)?,
        last_error: r.value(12)?,
        next_attempt_at: next.map(from_micros),
        message_id: r.value(14)?,
    })
}
