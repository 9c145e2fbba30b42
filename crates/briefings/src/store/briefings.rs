//! Briefings: kept whole as snapshots beside the columns that filtering and counting
//! need, with their actors, institutions, themes and contacts in link tables.

use chrono::{DateTime, Utc};
use sqlx::{Row, any::AnyRow};

use advocacy_platform::Caller;
use advocacy_platform::db::{Sql, limit};
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::time::to_micros;

use crate::domain::{ActorKind, Answered, Briefing, QUIET_COMPARTMENT};
use crate::error::BriefingError;

use super::{Store, parse};

#[derive(Debug, Clone, Default)]
pub struct BriefingQuery {
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub theme: Option<String>,
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
}

/// Inserts the briefing row; 0 when its request id is already there.
pub(super) async fn insert_briefing_row(
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
pub(super) async fn insert_links(conn: &mut sqlx::AnyConnection, b: &Briefing) -> Result<(), BriefingError> {
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

fn briefing_of(row: &AnyRow) -> Result<Briefing, BriefingError> {
    let mut briefing: Briefing = parse(&row.try_get::<String, _>(0)?)?;
    briefing.version = row.try_get(1)?;
    Ok(briefing)
}

impl Store {
    /// Stores a new briefing with its actors, themes and follow-ups (their deadlines to be
    /// created by the outbox), under the request protocol.
    pub async fn insert_briefing(
        &self,
        b: &Briefing,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Answered>, BriefingError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
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

    /// Replaces a briefing's content if it is still at `expected` (else `Stale`), under
    /// the request protocol.
    pub async fn update_briefing(
        &self,
        b: &Briefing,
        expected: i64,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Answered>, BriefingError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
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
        // The follow-ups' deadlines follow the briefing's confidentiality (the outbox).
        let follow_ups =
            sqlx::query("SELECT id FROM follow_ups WHERE briefing_id = $1").bind(&b.id).fetch_all(&mut *tx).await?;
        for row in &follow_ups {
            self.outbox.enqueue(&mut tx, &row.try_get::<String, _>(0)?).await?;
        }
        let answer = Answered::of(b);
        request.answered(&mut tx, &b.id, &answer, now).await?;
        tx.commit().await?;
        if !follow_ups.is_empty() {
            self.outbox.wake();
        }
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
        sql.push(" ORDER BY b.at DESC, b.id DESC");
        sql.push(&limit(q.limit));
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
}
