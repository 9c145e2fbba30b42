//! The impact figures of the briefings service, counted in SQL.

use chrono::{DateTime, Utc};
use sqlx::Row;

use advocacy_platform::time::to_micros;

use crate::error::BriefingError;

use super::Store;

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

impl Store {
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
