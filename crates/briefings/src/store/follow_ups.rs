//! Follow-ups: a table of their own, as they change on their own, and the outbox that
//! keeps their deadlines in the deadlines service in step.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row, any::AnyRow};

use advocacy_platform::Classification;
use advocacy_platform::db::Sql;
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::time::{from_micros, to_micros};

use crate::domain::{Answered, Briefing, FollowUp};
use crate::error::BriefingError;

use super::Store;

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

impl Store {
    pub(super) async fn follow_ups_of(
        &self,
        briefing_ids: &[String],
    ) -> Result<Vec<(String, FollowUp)>, BriefingError> {
        if briefing_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!("SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups f WHERE f.briefing_id IN ("));
        let placeholders = sql.bind_list(briefing_ids);
        sql.push(&placeholders);
        sql.push(") ORDER BY f.briefing_id, f.position");
        sql.fetch_all(&self.pool).await?.iter().map(follow_up_of).collect()
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
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
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
}
