//! All SQL of the briefings service, one set for SQLite and PostgreSQL. Records are kept
//! whole as JSON snapshots beside the columns that filtering and counting need; follow-ups
//! have a table of their own because they change on their own.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{AnyPool, AssertSqlSafe, Row, any::AnyRow};

use advocacy_platform::db::{Sql, is_unique_violation};
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::outbox::Outbox;
use advocacy_platform::time::{from_micros, to_micros};
use advocacy_platform::{Caller, Classification, Database};

use crate::domain::{
    ActorKind, Answered, Briefing, Contact, FollowUp, Institution, NewInstitution, QUIET_COMPARTMENT, normalize_name,
};
use crate::error::BriefingError;

#[derive(Debug, Clone, Default)]
pub struct BriefingQuery {
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub theme: Option<String>,
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
}

/// A follow-up whose deadline still has to be created or completed, with what the
/// deadline inherits from its briefing.
#[derive(Debug, Clone)]
pub struct PendingFollowUp {
    pub follow_up: FollowUp,
    pub briefing_id: String,
    pub classification: Classification,
    pub quiet: bool,
}

/// The outbox topic of follow-ups whose deadline must be created or completed.
pub const FOLLOW_UP_TOPIC: &str = "follow-up-deadline";

/// One row of an import, checked: its institution as named in the file, and the briefing.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub institution: NewInstitution,
    pub briefing: Briefing,
    pub request_id: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub briefings: i64,
    pub already_imported: i64,
    pub institutions_created: i64,
    pub institutions_matched: i64,
}

/// Counts for impact reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregates {
    pub briefings: i64,
    pub governments: i64,
    pub multilateral: i64,
    pub by_format: Vec<(String, i64)>,
    pub by_city: Vec<(String, i64)>,
    pub by_month: Vec<(String, i64)>,
    pub follow_ups_open: i64,
    pub follow_ups_overdue: i64,
    pub follow_ups_done: i64,
    pub quiet_or_restricted: i64,
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    pool: AnyPool,
    /// Follow-ups whose deadline the deadlines service does not have as it is here yet.
    outbox: Outbox,
}

impl Store {
    pub fn new(db: &Database, outbox: Outbox) -> Store {
        Store { db: db.clone(), pool: db.pool.clone(), outbox }
    }

    /// For the request protocol's look before a write.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Stores a new institution under the request protocol; a name the actor already
    /// has (compared loosely) is `DuplicateInstitution`.
    pub async fn create_institution(
        &self,
        institution: &Institution,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Institution>, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
        let error = match insert_institution_row(&mut tx, institution, Some(request.key())).await {
            Ok(()) => {
                request.answered(&mut tx, &institution.id, institution, now).await?;
                tx.commit().await?;
                return Ok(Written::New(institution.clone()));
            }
            Err(BriefingError::Database(e)) => e,
            Err(other) => return Err(other),
        };
        drop(tx);
        if is_unique_violation(&error, "institutions_actor_name", "institutions.actor, institutions.normalized_name") {
            let existing = sqlx::query("SELECT id, name FROM institutions WHERE actor = $1 AND normalized_name = $2")
                .bind(&institution.actor)
                .bind(normalize_name(&institution.name))
                .fetch_one(&self.pool)
                .await?;
            return Err(BriefingError::DuplicateInstitution { id: existing.try_get(0)?, name: existing.try_get(1)? });
        }
        if is_unique_violation(&error, "institutions_request_id", "institutions.request_id") {
            // Taken by an institution made before requests were kept apart.
            return Err(request.reused().into());
        }
        Err(error.into())
    }

    pub async fn institutions(&self, ids: &[String]) -> Result<Vec<Institution>, BriefingError> {
        let mut sql = Sql::new("SELECT snapshot FROM institutions WHERE id IN (");
        let placeholders: Vec<String> = ids.iter().map(|id| sql.bind_text(id)).collect();
        sql.push(&placeholders.join(", "));
        sql.push(")");
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        sql.fetch_all(&self.pool).await?.iter().map(|r| parse(&r.try_get::<String, _>(0)?)).collect()
    }

    /// Institutions sorted by normalised name, then id.
    pub async fn list_institutions(
        &self,
        actor: Option<&str>,
        after: Option<(String, String)>,
        limit: usize,
    ) -> Result<Vec<Institution>, BriefingError> {
        let mut sql = Sql::new("SELECT snapshot FROM institutions i WHERE 1 = 1");
        if let Some(actor) = actor {
            let p = sql.bind_text(actor);
            sql.push(&format!(" AND i.actor = {p}"));
        }
        if let Some((name, id)) = &after {
            let (p_name, p_id) = (sql.bind_text(name), sql.bind_text(id));
            sql.push(&format!(" AND (i.normalized_name, i.id) > ({p_name}, {p_id})"));
        }
        let p = sql.bind_int(limit as i64);
        sql.push(&format!(" ORDER BY i.normalized_name, i.id LIMIT {p}"));
        sql.fetch_all(&self.pool).await?.iter().map(|r| parse(&r.try_get::<String, _>(0)?)).collect()
    }

    /// Stores a new briefing with its actors, themes and follow-ups (their deadlines to be
    /// created by the outbox), under the request protocol.
    pub async fn insert_briefing(
        &self,
        b: &Briefing,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Answered>, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
        if insert_briefing_row(&mut tx, b, request.key(), request.fingerprint()).await? == 0 {
            // An imported briefing holds this request id.
            return Err(request.reused().into());
        }
        insert_links(&mut tx, b).await?;
        for (position, f) in b.follow_ups.iter().enumerate() {
            sqlx::query(
                "INSERT INTO follow_ups (id, briefing_id, position, action, owner, due_at, zone, deadline_id, done_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)",
            )
            .bind(&f.id)
            .bind(&b.id)
            .bind(position as i64)
            .bind(&f.action)
            .bind(&f.owner)
            .bind(to_micros(f.due))
            .bind(f.zone.name())
            .execute(&mut *tx)
            .await?;
            self.outbox.enqueue(&mut tx, &f.id).await?;
        }
        let answer = Answered::of(b);
        request.answered(&mut tx, &b.id, &answer, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(Written::New(answer))
    }

    /// Writes a whole import in one transaction: each row's institution matched by actor
    /// and normalised name or created, each briefing inserted unless its request id was
    /// imported before.
    pub async fn import(
        &self,
        rows: Vec<ImportRow>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        let mut known: HashMap<(String, String), (String, bool)> = HashMap::new();
        for row in sqlx::query("SELECT id, actor, normalized_name FROM institutions").fetch_all(&mut *tx).await? {
            known.insert((row.try_get(1)?, row.try_get(2)?), (row.try_get(0)?, false));
        }
        let mut counts = ImportCounts::default();
        for row in rows {
            let key = (row.institution.actor.clone(), normalize_name(&row.institution.name));
            let institution_id = match known.get_mut(&key) {
                Some((id, used)) => {
                    if !*used {
                        *used = true;
                        counts.institutions_matched += 1;
                    }
                    id.clone()
                }
                None => {
                    let institution = Institution {
                        id: uuid::Uuid::now_v7().to_string(),
                        version: 1,
                        name: row.institution.name,
                        kind: row.institution.kind,
                        actor: row.institution.actor,
                        city: row.institution.city,
                        parent_id: None,
                        created_by: actor.to_owned(),
                        created_at: now,
                    };
                    insert_institution_row(&mut tx, &institution, None).await?;
                    counts.institutions_created += 1;
                    known.insert(key, (institution.id.clone(), true));
                    institution.id
                }
            };
            let mut briefing = row.briefing;
            briefing.institution_ids = vec![institution_id];
            if insert_briefing_row(&mut tx, &briefing, &row.request_id, &row.fingerprint).await? == 0 {
                counts.already_imported += 1;
                continue;
            }
            insert_links(&mut tx, &briefing).await?;
            counts.briefings += 1;
        }
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn create_contact(
        &self,
        c: &Contact,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Contact>, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
        let inserted = sqlx::query(
            "INSERT INTO contacts (id, version, institution_id, name, role, email, phone, erased_at, request_id,
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10)
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&c.id)
        .bind(c.version)
        .bind(&c.institution_id)
        .bind(&c.name)
        .bind(&c.role)
        .bind(&c.email)
        .bind(&c.phone)
        .bind(request.key())
        .bind(&c.created_by)
        .bind(to_micros(c.created_at))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Taken by a contact made before requests were kept apart.
            return Err(request.reused().into());
        }
        // The answer names the contact only: a replay reads the person's data afresh,
        // so an erasure since is never undone by a retry.
        request.answered(&mut tx, &c.id, &c.id, now).await?;
        tx.commit().await?;
        Ok(Written::New(c.clone()))
    }

    pub async fn contacts(&self, ids: &[String]) -> Result<Vec<Contact>, BriefingError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id IN ("));
        let placeholders: Vec<String> = ids.iter().map(|id| sql.bind_text(id)).collect();
        sql.push(&placeholders.join(", "));
        sql.push(")");
        sql.fetch_all(&self.pool).await?.iter().map(contact_of).collect()
    }

    pub async fn contacts_at(&self, institution_id: &str) -> Result<Vec<Contact>, BriefingError> {
        let mut sql = Sql::new(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE institution_id = "));
        let p = sql.bind_text(institution_id);
        sql.push(&format!("{p} ORDER BY name, id"));
        sql.fetch_all(&self.pool).await?.iter().map(contact_of).collect()
    }

    /// Deletes a person's data, keeping the row so briefings can say a contact was there.
    /// Erases a contact's personal data, under the request protocol (the answer names
    /// the contact only).
    pub async fn erase_contact(
        &self,
        id: &str,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<String>, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
        sqlx::query(
            "UPDATE contacts SET name = '', role = '', email = '', phone = '', erased_at = $2, version = version + 1
             WHERE id = $1 AND erased_at IS NULL",
        )
        .bind(id)
        .bind(to_micros(now))
        .execute(&mut *tx)
        .await?;
        // The fingerprint of the request that recorded the person is derived from their
        // data: it goes too. A retry of that request is refused from now on.
        sqlx::query("UPDATE requests SET fingerprint = 'erased', answer = '\"\"' WHERE record_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        request.answered(&mut tx, id, &id, now).await?;
        tx.commit().await?;
        Ok(Written::New(id.to_owned()))
    }

    /// Replaces a briefing's content if it is still at `expected` (else `Stale`), under
    /// the request protocol.
    pub async fn update_briefing(
        &self,
        b: &Briefing,
        expected: i64,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Answered>, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
        let (level, compartment) = b.classification.columns();
        let updated = sqlx::query(
            "UPDATE briefings SET version = $3, at = $4, month = $5, city = $6, format = $7, quiet = $8,
             confidentiality = $9, compartment = $10, snapshot = $11 WHERE id = $1 AND version = $2",
        )
        .bind(&b.id)
        .bind(expected)
        .bind(b.version)
        .bind(to_micros(b.at))
        .bind(b.month())
        .bind(&b.city)
        .bind(b.format.as_str())
        .bind(i64::from(b.quiet))
        .bind(level)
        .bind(compartment)
        .bind(serde_json::to_string(b).map_err(|e| BriefingError::Corrupt(e.to_string()))?)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(BriefingError::Stale { id: b.id.clone(), expected, current: expected + 1 });
        }
        for table in ["briefing_actors", "briefing_institutions", "briefing_themes", "briefing_contacts"] {
            // Table names are fixed above, never input.
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE briefing_id = $1")))
                .bind(&b.id)
                .execute(&mut *tx)
                .await?;
        }
        insert_links(&mut tx, b).await?;
        let answer = Answered::of(b);
        request.answered(&mut tx, &b.id, &answer, now).await?;
        tx.commit().await?;
        Ok(Written::New(answer))
    }

    pub async fn briefing(&self, id: &str) -> Result<Option<Briefing>, BriefingError> {
        let Some(row) = sqlx::query("SELECT snapshot, version FROM briefings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut briefing = briefing_of(&row)?;
        briefing.follow_ups = self.follow_ups_of(&[briefing.id.clone()]).await?.into_iter().map(|(_, f)| f).collect();
        Ok(Some(briefing))
    }

    async fn follow_ups_of(&self, briefing_ids: &[String]) -> Result<Vec<(String, FollowUp)>, BriefingError> {
        if briefing_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!("SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups f WHERE f.briefing_id IN ("));
        let placeholders: Vec<String> = briefing_ids.iter().map(|id| sql.bind_text(id)).collect();
        sql.push(&placeholders.join(", "));
        sql.push(") ORDER BY f.briefing_id, f.position");
        sql.fetch_all(&self.pool).await?.iter().map(follow_up_of).collect()
    }

    /// A page of briefings the caller may see, newest first.
    pub async fn list_briefings(&self, caller: &Caller, q: &BriefingQuery) -> Result<Vec<Briefing>, BriefingError> {
        let mut sql = Sql::new("SELECT b.snapshot, b.version FROM briefings b WHERE 1 = 1");
        if let Some(actor) = &q.actor {
            let p = sql.bind_text(actor);
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM briefing_actors a WHERE a.briefing_id = b.id AND a.actor = {p})"
            ));
        }
        if let Some(theme) = &q.theme {
            let p = sql.bind_text(theme);
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM briefing_themes t WHERE t.briefing_id = b.id AND t.theme = {p})"
            ));
        }
        if let Some(from) = q.from {
            let p = sql.bind_int(to_micros(from));
            sql.push(&format!(" AND b.at >= {p}"));
        }
        if let Some(to) = q.to {
            let p = sql.bind_int(to_micros(to));
            sql.push(&format!(" AND b.at < {p}"));
        }
        if let Some((at, id)) = &q.after {
            let (p_at, p_id) = (sql.bind_int(to_micros(*at)), sql.bind_text(id));
            sql.push(&format!(" AND (b.at, b.id) < ({p_at}, {p_id})"));
        }
        sql.visible_to(caller, "b");
        if !caller.may_read_compartment(QUIET_COMPARTMENT) {
            sql.push(" AND b.quiet = 0");
        }
        let p = sql.bind_int(q.limit as i64);
        sql.push(&format!(" ORDER BY b.at DESC, b.id DESC LIMIT {p}"));
        let mut briefings: Vec<Briefing> =
            sql.fetch_all(&self.pool).await?.iter().map(briefing_of).collect::<Result<_, _>>()?;
        let ids: Vec<String> = briefings.iter().map(|b| b.id.clone()).collect();
        for (briefing_id, follow_up) in self.follow_ups_of(&ids).await? {
            if let Some(b) = briefings.iter_mut().find(|b| b.id == briefing_id) {
                b.follow_ups.push(follow_up);
            }
        }
        Ok(briefings)
    }

    /// Marks a follow-up done at `done_at` and bumps the briefing's version, if the
    /// briefing is still at `expected_version`. The outbox completes the deadline.
    pub async fn complete_follow_up(
        &self,
        briefing: &Briefing,
        follow_up_id: &str,
        done_at: DateTime<Utc>,
        request: &Request,
    ) -> Result<Written<Answered>, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(replay) = request.replay(&self.db, &mut tx).await? {
            return Ok(replay);
        }
        let bumped =
            sqlx::query("UPDATE briefings SET version = version + 1, snapshot = $3 WHERE id = $1 AND version = $2")
                .bind(&briefing.id)
                .bind(briefing.version - 1)
                .bind(serde_json::to_string(briefing).map_err(|e| BriefingError::Corrupt(e.to_string()))?)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if bumped == 0 {
            let expected = briefing.version - 1;
            return Err(BriefingError::Stale { id: briefing.id.clone(), expected, current: briefing.version });
        }
        sqlx::query("UPDATE follow_ups SET done_at = $3 WHERE id = $1 AND briefing_id = $2 AND done_at IS NULL")
            .bind(follow_up_id)
            .bind(&briefing.id)
            .bind(to_micros(done_at))
            .execute(&mut *tx)
            .await?;
        self.outbox.enqueue(&mut tx, follow_up_id).await?;
        let answer = Answered::of(briefing);
        request.answered(&mut tx, &briefing.id, &answer, done_at).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(Written::New(answer))
    }

    /// A follow-up as the outbox pushes it, with what its deadline inherits.
    pub async fn follow_up_to_sync(&self, follow_up_id: &str) -> Result<Option<PendingFollowUp>, BriefingError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FOLLOW_UP_COLUMNS}, b.confidentiality, b.compartment, b.quiet
             FROM follow_ups f JOIN briefings b ON b.id = f.briefing_id WHERE f.id = $1"
        )))
        .bind(follow_up_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let (briefing_id, follow_up) = follow_up_of(&row)?;
            let (level, compartment): (String, String) = (row.try_get(9)?, row.try_get(10)?);
            Ok(PendingFollowUp {
                follow_up,
                briefing_id,
                classification: Classification::from_columns(&level, &compartment),
                quiet: row.try_get::<i64, _>(11)? != 0,
            })
        })
        .transpose()
    }

    pub async fn record_deadline(&self, follow_up_id: &str, deadline_id: &str) -> Result<(), BriefingError> {
        sqlx::query("UPDATE follow_ups SET deadline_id = $2 WHERE id = $1")
            .bind(follow_up_id)
            .bind(deadline_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A follow-up deadline was completed in the deadlines service: the follow-up is done.
    pub async fn done_from_deadline(&self, deadline_id: &str, done_at: DateTime<Utc>) -> Result<u64, BriefingError> {
        Ok(sqlx::query("UPDATE follow_ups SET done_at = $2 WHERE deadline_id = $1 AND done_at IS NULL")
            .bind(deadline_id)
            .bind(to_micros(done_at))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Impact figures for briefings at or after `from` and before `to`. Restricted and
    /// quiet briefings count in the totals; the breakdowns leave them out.
    pub async fn aggregates(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Aggregates, BriefingError> {
        let (from, to, now) = (to_micros(from), to_micros(to), to_micros(now));
        let count = |sql: &'static str, with_now: bool| {
            let query = sqlx::query(sql).bind(from).bind(to);
            let query = if with_now { query.bind(now) } else { query };
            async move { query.fetch_one(&self.pool).await?.try_get::<i64, _>(0) }
        };
        let grouped = |sql: &'static str| async move {
            let rows = sqlx::query(sql).bind(from).bind(to).fetch_all(&self.pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        };
        Ok(Aggregates {
            briefings: count("SELECT COUNT(*) FROM briefings WHERE at >= $1 AND at < $2", false).await?,
            governments: count(
                "SELECT COUNT(DISTINCT a.actor) FROM briefing_actors a JOIN briefings b ON b.id = a.briefing_id
                 WHERE b.at >= $1 AND b.at < $2 AND a.actor_kind = 'government'",
                false,
            )
            .await?,
            multilateral: count(
                "SELECT COUNT(DISTINCT a.actor) FROM briefing_actors a JOIN briefings b ON b.id = a.briefing_id
                 WHERE b.at >= $1 AND b.at < $2 AND a.actor_kind = 'multilateral'",
                false,
            )
            .await?,
            by_format: grouped(
                "SELECT format, COUNT(*) FROM briefings WHERE at >= $1 AND at < $2 AND quiet = 0
                 AND confidentiality <> 'restricted' GROUP BY format ORDER BY format",
            )
            .await?,
            by_city: grouped(
                "SELECT CASE WHEN city = '' THEN 'online' ELSE city END, COUNT(*) FROM briefings
                 WHERE at >= $1 AND at < $2 AND quiet = 0 AND confidentiality <> 'restricted'
                 GROUP BY CASE WHEN city = '' THEN 'online' ELSE city END ORDER BY 1",
            )
            .await?,
            by_month: grouped(
                "SELECT month, COUNT(*) FROM briefings WHERE at >= $1 AND at < $2 AND quiet = 0
                 AND confidentiality <> 'restricted' GROUP BY month ORDER BY month",
            )
            .await?,
            follow_ups_open: count(
                "SELECT COUNT(*) FROM follow_ups f JOIN briefings b ON b.id = f.briefing_id
                 WHERE b.at >= $1 AND b.at < $2 AND f.done_at IS NULL AND f.due_at >= $3",
                true,
            )
            .await?,
            follow_ups_overdue: count(
                "SELECT COUNT(*) FROM follow_ups f JOIN briefings b ON b.id = f.briefing_id
                 WHERE b.at >= $1 AND b.at < $2 AND f.done_at IS NULL AND f.due_at < $3",
                true,
            )
            .await?,
            follow_ups_done: count(
                "SELECT COUNT(*) FROM follow_ups f JOIN briefings b ON b.id = f.briefing_id
                 WHERE b.at >= $1 AND b.at < $2 AND f.done_at IS NOT NULL",
                false,
            )
            .await?,
            quiet_or_restricted: count(
                "SELECT COUNT(*) FROM briefings WHERE at >= $1 AND at < $2
                 AND (quiet = 1 OR confidentiality = 'restricted')",
                false,
            )
            .await?,
        })
    }
}

async fn insert_institution_row(
    conn: &mut sqlx::AnyConnection,
    i: &Institution,
    request_id: Option<&str>,
) -> Result<(), BriefingError> {
    let snapshot = serde_json::to_string(i).map_err(|e| BriefingError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO institutions (id, version, name, normalized_name, kind, actor, city, parent_id, request_id, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&i.id)
    .bind(i.version)
    .bind(&i.name)
    .bind(normalize_name(&i.name))
    .bind(i.kind.as_str())
    .bind(&i.actor)
    .bind(&i.city)
    .bind(i.parent_id.as_deref())
    .bind(request_id)
    .bind(&snapshot)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts the briefing row; 0 when its request id is already there.
async fn insert_briefing_row(
    conn: &mut sqlx::AnyConnection,
    b: &Briefing,
    request_id: &str,
    fingerprint: &str,
) -> Result<u64, BriefingError> {
    let snapshot = serde_json::to_string(b).map_err(|e| BriefingError::Corrupt(e.to_string()))?;
    let (level, compartment) = b.classification.columns();
    Ok(sqlx::query(
        "INSERT INTO briefings (id, version, at, month, city, format, quiet, confidentiality, compartment,
         request_id, request_fingerprint, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(&b.id)
    .bind(b.version)
    .bind(to_micros(b.at))
    .bind(b.month())
    .bind(&b.city)
    .bind(b.format.as_str())
    .bind(i64::from(b.quiet))
    .bind(level)
    .bind(compartment)
    .bind(request_id)
    .bind(fingerprint)
    .bind(&snapshot)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Who was briefed, through which institutions, on which themes, with which contacts:
/// the rows filtering and counting use.
async fn insert_links(conn: &mut sqlx::AnyConnection, b: &Briefing) -> Result<(), BriefingError> {
    for contact in &b.contact_ids {
        sqlx::query("INSERT INTO briefing_contacts (briefing_id, contact_id) VALUES ($1, $2)")
            .bind(&b.id)
            .bind(contact)
            .execute(&mut *conn)
            .await?;
    }
    for actor in &b.actors {
        let kind = ActorKind::of(actor).ok_or_else(|| BriefingError::Corrupt(format!("actor {actor}")))?;
        sqlx::query("INSERT INTO briefing_actors (briefing_id, actor, actor_kind) VALUES ($1, $2, $3)")
            .bind(&b.id)
            .bind(actor)
            .bind(kind.as_str())
            .execute(&mut *conn)
            .await?;
    }
    for institution in &b.institution_ids {
        sqlx::query("INSERT INTO briefing_institutions (briefing_id, institution_id) VALUES ($1, $2)")
            .bind(&b.id)
            .bind(institution)
            .execute(&mut *conn)
            .await?;
    }
    for theme in &b.themes {
        sqlx::query("INSERT INTO briefing_themes (briefing_id, theme) VALUES ($1, $2)")
            .bind(&b.id)
            .bind(theme)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

const CONTACT_COLUMNS: &str =
    "id, version, institution_id, name, role, email, phone, erased_at, created_by, created_at";

fn contact_of(row: &AnyRow) -> Result<Contact, BriefingError> {
    Ok(Contact {
        id: row.try_get(0)?,
        version: row.try_get(1)?,
        institution_id: row.try_get(2)?,
        name: row.try_get(3)?,
        role: row.try_get(4)?,
        email: row.try_get(5)?,
        phone: row.try_get(6)?,
        erased_at: row.try_get::<Option<i64>, _>(7)?.map(from_micros),
        created_by: row.try_get(8)?,
        created_at: from_micros(row.try_get(9)?),
    })
}

const FOLLOW_UP_COLUMNS: &str =
    "f.briefing_id, f.id, f.action, f.owner, f.due_at, f.zone, f.deadline_id, f.done_at, f.position";

fn follow_up_of(row: &AnyRow) -> Result<(String, FollowUp), BriefingError> {
    let zone: String = row.try_get(5)?;
    Ok((
        row.try_get(0)?,
        FollowUp {
            id: row.try_get(1)?,
            action: row.try_get(2)?,
            owner: row.try_get(3)?,
            due: from_micros(row.try_get(4)?),
            zone: zone.parse().map_err(|_| BriefingError::Corrupt(format!("zone {zone}")))?,
            deadline_id: row.try_get(6)?,
            done_at: row.try_get::<Option<i64>, _>(7)?.map(from_micros),
        },
    ))
}

fn briefing_of(row: &AnyRow) -> Result<Briefing, BriefingError> {
    let mut briefing: Briefing = parse(&row.try_get::<String, _>(0)?)?;
    briefing.version = row.try_get(1)?;
    Ok(briefing)
}

fn parse<T: serde::de::DeserializeOwned>(snapshot: &str) -> Result<T, BriefingError> {
    serde_json::from_str(snapshot).map_err(|e| BriefingError::Corrupt(e.to_string()))
}
