//! The impact figures of the briefings service, counted in SQL over the briefings the
//! caller may see; those they may not see are one "restricted, not shown" count.

use chrono::{DateTime, Utc};

use advocacy_platform::Caller;
use advocacy_platform::db::Sql;
use advocacy_platform::time::to_micros;

use crate::domain::QUIET_COMPARTMENT;
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
    /// Briefings of the period the caller may not see (restricted, or quiet without the
    /// quiet-diplomacy compartment): counted here and in no other figure.
    pub quiet_or_restricted: i64,
}

impl Store {
    /// Impact figures for briefings at or after `from` and before `to`, as `caller` may
    /// see them.
    pub async fn aggregates(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Aggregates, BriefingError> {
        let (from, to, now) = (to_micros(from), to_micros(to), to_micros(now));
        let sees_quiet = caller.may_read_compartment(QUIET_COMPARTMENT);
        // `SELECT <select> FROM briefings b <join> WHERE <in the period, seen or hidden> <rest>`,
        // where `{now}` in `rest` is the current time.
        let statement = |select: &str, join: &str, seen: bool, rest: &str| {
            let mut sql = Sql::new(&format!("SELECT {select} FROM briefings b {join} WHERE b.at >= "));
            let (f, t) = (sql.bind_int(from), sql.bind_int(to));
            sql.push(&format!("{f} AND b.at < {t}"));
            // Seen: restricted only to compartments the caller holds, and quiet only if
            // they hold quiet diplomacy's. Hidden: all the others.
            sql.push(if seen { " AND (1 = 1" } else { " AND NOT (1 = 1" });
            sql.visible_to(caller, "b");
            sql.push(if sees_quiet { ")" } else { " AND b.quiet = 0)" });
            if rest.contains("{now}") {
                let now = sql.bind_int(now);
                sql.push(&rest.replace("{now}", &now));
            } else {
                sql.push(rest);
            }
            sql
        };
        let count = |select: &str, join: &str, seen: bool, rest: &str| {
            let sql = statement(select, join, seen, rest);
            sql.count(&self.pool)
        };
        let grouped = |key: &str| {
            let sql = statement(&format!("{key}, COUNT(*)"), "", true, &format!(" GROUP BY {key} ORDER BY 1"));
            sql.counts(&self.pool)
        };
        let actors = "JOIN briefing_actors a ON a.briefing_id = b.id";
        let follow_ups = "JOIN follow_ups f ON f.briefing_id = b.id";
        Ok(Aggregates {
            briefings: count("COUNT(*)", "", true, "").await?,
            governments: count("COUNT(DISTINCT a.actor)", actors, true, " AND a.actor_kind = 'government'").await?,
            multilateral: count("COUNT(DISTINCT a.actor)", actors, true, " AND a.actor_kind = 'multilateral'").await?,
            by_format: grouped("b.format").await?,
            by_city: grouped("CASE WHEN b.city = '' THEN 'online' ELSE b.city END").await?,
            by_month: grouped("b.month").await?,
            follow_ups_open: count("COUNT(*)", follow_ups, true, " AND f.done_at IS NULL AND f.due_at >= {now}")
                .await?,
            follow_ups_overdue: count("COUNT(*)", follow_ups, true, " AND f.done_at IS NULL AND f.due_at < {now}")
                .await?,
            follow_ups_done: count("COUNT(*)", follow_ups, true, " AND f.done_at IS NOT NULL").await?,
            quiet_or_restricted: count("COUNT(*)", "", false, "").await?,
        })
    }
}
