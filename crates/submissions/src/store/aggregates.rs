//! The impact figures of the submissions service, counted in SQL over what the caller may
//! see; what they may not see is one "restricted, not shown" count per section.

use chrono::{DateTime, Utc};

use advocacy_platform::Caller;
use advocacy_platform::db::Sql;
use advocacy_platform::time::to_micros;

use crate::error::SubmissionError;

use super::{Aggregates, RecordStore};

/// One section of the figures: a table, its alias and the column its period is read on.
struct Section {
    table: &'static str,
    alias: &'static str,
    dated: &'static str,
}

const SUBMISSIONS: Section = Section { table: "submissions", alias: "s", dated: "dated_at" };
const AMENDMENTS: Section = Section { table: "amendments", alias: "a", dated: "created_at" };
const PUBLICATIONS: Section = Section { table: "publications", alias: "p", dated: "published_at" };

impl RecordStore {
    /// Impact figures for [from, to): submissions sent (drafts: recorded), amendments
    /// proposed and publications published in the period.
    pub async fn aggregates(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Aggregates, SubmissionError> {
        let (from, to) = (to_micros(from), to_micros(to));
        // `SELECT <select> FROM <section> WHERE <in the period and seen> <rest>`.
        let statement = |section: &Section, select: &str, seen: bool, rest: &str| {
            let Section { table, alias, dated } = section;
            let mut sql = Sql::new(&format!("SELECT {select} FROM {table} {alias} WHERE {alias}.{dated} >= "));
            let (f, t) = (sql.bind_int(from), sql.bind_int(to));
            sql.push(&format!("{f} AND {alias}.{dated} < {t}"));
            if seen {
                sql.visible_to(caller, alias)
            } else {
                sql.hidden_from(caller, alias)
            }
            sql.push(rest);
            sql
        };
        let grouped = |section: &Section, key: &str, group: &str| {
            let sql = statement(section, &format!("{key}, COUNT(*)"), true, &format!(" GROUP BY {group} ORDER BY 1"));
            sql.counts(&self.db.pool)
        };
        let count = |section: &Section, select: &str, seen: bool, rest: &str| {
            let sql = statement(section, select, seen, rest);
            sql.count(&self.db.pool)
        };
        Ok(Aggregates {
            by_mechanism: grouped(&SUBMISSIONS, "s.mechanism", "s.mechanism").await?,
            by_kind: grouped(&SUBMISSIONS, "s.kind", "s.kind").await?,
            by_status: grouped(&SUBMISSIONS, "s.status", "s.status").await?,
            amendments_by_status: grouped(&AMENDMENTS, "a.status", "a.status").await?,
            amendments_by_resolution: grouped(
                &AMENDMENTS,
                "a.resolution_id || '/' || a.status",
                "a.resolution_id, a.status",
            )
            .await?,
            publications_by_kind: grouped(&PUBLICATIONS, "p.kind", "p.kind").await?,
            resolutions_influenced: count(
                &AMENDMENTS,
                "COUNT(DISTINCT a.resolution_id)",
                true,
                " AND a.status IN ('adopted', 'adopted_in_part')",
            )
            .await?,
            amendments_words_kept: count(
                &AMENDMENTS,
                "CAST(COALESCE(SUM(a.kept_words), 0) AS BIGINT)",
                true,
                " AND a.status IN ('adopted', 'adopted_in_part')",
            )
            .await?,
            submissions_restricted: count(&SUBMISSIONS, "COUNT(*)", false, "").await?,
            amendments_restricted: count(&AMENDMENTS, "COUNT(*)", false, "").await?,
            publications_restricted: count(&PUBLICATIONS, "COUNT(*)", false, "").await?,
        })
    }
}
