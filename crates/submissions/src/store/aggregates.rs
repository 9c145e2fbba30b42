//! The impact figures of the submissions service, counted in SQL.

use chrono::{DateTime, Utc};
use sqlx::Row;

use advocacy_platform::time::to_micros;

use crate::error::SubmissionError;

use super::{Aggregates, RecordStore};

impl RecordStore {
    /// Impact figures for [from, to): submissions sent (drafts: recorded), amendments
    /// proposed and publications published in the period, counted in SQL. Restricted
    /// records count.
    pub async fn aggregates(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Aggregates, SubmissionError> {
        let (from, to) = (to_micros(from), to_micros(to));
        let grouped = |sql: &'static str| async move {
            let rows = sqlx::query(sql).bind(from).bind(to).fetch_all(&self.db.pool).await?;
            rows.iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        };
        let influenced: i64 = sqlx::query(
            "SELECT COUNT(DISTINCT resolution_id) FROM amendments
             WHERE created_at >= $1 AND created_at < $2 AND status IN ('adopted', 'adopted_in_part')",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&self.db.pool)
        .await?
        .try_get(0)?;
        Ok(Aggregates {
            by_mechanism: grouped(
                "SELECT mechanism, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2
                 GROUP BY mechanism ORDER BY mechanism",
            )
            .await?,
            by_kind: grouped(
                "SELECT kind, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2 GROUP BY kind ORDER BY kind",
            )
            .await?,
            by_status: grouped(
                "SELECT status, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2
                 GROUP BY status ORDER BY status",
            )
            .await?,
            amendments_by_status: grouped(
                "SELECT status, COUNT(*) FROM amendments WHERE created_at >= $1 AND created_at < $2
                 GROUP BY status ORDER BY status",
            )
            .await?,
            amendments_by_resolution: grouped(
                "SELECT resolution_id || '/' || status, COUNT(*) FROM amendments WHERE created_at >= $1 AND created_at < $2
                 GROUP BY resolution_id, status ORDER BY 1",
            )
            .await?,
            publications_by_kind: grouped(
                "SELECT kind, COUNT(*) FROM publications WHERE published_at >= $1 AND published_at < $2
                 GROUP BY kind ORDER BY kind",
            )
            .await?,
            resolutions_influenced: influenced,
        })
    }
}
