//! Bulk rows for the benchmarks, written straight into each service's tables with
//! multi-row inserts of generated values, and the impact figures of those tables written
//! by hand in SQL: the baseline the services' aggregates are measured against.

use std::time::Instant;

use advocacy_deadlines::domain::{Deadline, Due, Kind, NewDeadline, Status};
use advocacy_platform::db::Dialect;
use advocacy_platform::{Classification, Database};
use chrono::{DateTime, TimeZone, Utc};
use sqlx::{AssertSqlSafe, Row};

pub const ACTORS: &[&str] = &["CH", "KR", "JP", "DE", "FR", "GB", "US", "CA", "AU", "EU-EEAS", "UN-OHCHR", "EU-EP"];

/// Submissions, resolutions and amendments [`submissions`] loads.
#[derive(Debug, Clone, Copy)]
pub struct SubmissionCounts {
    pub submissions: usize,
    pub resolutions: usize,
    pub amendments: usize,
}

pub fn year_start(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().expect("a real date")
}

/// `count` briefings from 2020 on, one every 2.5 minutes (a million reach late 2024),
/// each with one actor and `institution`, one in ten with a follow-up.
pub async fn briefings(db: &Database, institution: &str, count: usize) {
    let start = Instant::now();
    let base = year_start(2020).timestamp_micros();
    let mut tx = db.pool.begin().await.expect("tx");
    let ids: Vec<String> = (0..count).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let mut briefings = String::from(
            "INSERT INTO briefings (id, version, at, month, city, format, quiet, confidentiality, compartment, request_id, request_fingerprint, snapshot) VALUES ",
        );
        let mut actors = String::from("INSERT INTO briefing_actors (briefing_id, actor, actor_kind) VALUES ");
        let mut links = String::from("INSERT INTO briefing_institutions (briefing_id, institution_id) VALUES ");
        let mut follow_ups = String::from(
            "INSERT INTO follow_ups (id, briefing_id, position, action, owner, due_at, zone, deadline_id, done_at) VALUES ",
        );
        let mut any_follow_up = false;
        for (n, &i) in chunk.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            let at = base + (i as i64) * 150_000_000;
            let month = DateTime::from_timestamp_micros(at).expect("in range").format("%Y-%m");
            let format = ["in_person", "virtual", "written", "side_event"][i % 4];
            let city = ["Geneva", "Seoul", "Tokyo", "Brussels", ""][i % 5];
            briefings.push_str(&format!(
                "{sep}('{}', 1, {at}, '{month}', '{city}', '{format}', 0, 'internal', '', NULL, NULL, '{{}}')",
                ids[i]
            ));
            let actor = ACTORS[i % ACTORS.len()];
            let kind = if actor.contains('-') { "multilateral" } else { "government" };
            actors.push_str(&format!("{sep}('{}', '{actor}', '{kind}')", ids[i]));
            links.push_str(&format!("{sep}('{}', '{institution}')", ids[i]));
            if i % 10 == 0 {
                let due = at + 14 * 86_400_000_000;
                let done = if i % 20 == 0 { (at + 86_400_000_000).to_string() } else { "NULL".into() };
                let sep = if any_follow_up { ", " } else { "" };
                follow_ups.push_str(&format!(
                    "{sep}('f{i}', '{}', 0, 'Send the report', 'ana@advocacy.example', {due}, 'Europe/Zurich', NULL, {done})",
                    ids[i]
                ));
                any_follow_up = true;
            }
        }
        let mut statements = vec![briefings, actors, links];
        if any_follow_up {
            statements.push(follow_ups);
        }
        // Values are generated above, never input.
        for sql in statements {
            sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.expect("seed briefings");
        }
    }
    tx.commit().await.expect("commit");
    analyze(db).await;
    println!("seeded {count} briefings in {:.1} s", start.elapsed().as_secs_f64());
}

/// Submissions every 2.5 minutes from 2020 across mechanisms, kinds and statuses (one in
/// ten restricted to "sanctions"); resolutions with amendments in every status.
pub async fn submissions(db: &Database, counts: SubmissionCounts) {
    let started = Instant::now();
    let base = year_start(2020).timestamp_micros();
    let mechanisms = ["UPR", "SR-TORTURE", "SR-DPRK", "CRC", "CEDAW", "WGEID", "SANCTIONS-US", "SANCTIONS-EU"];
    let kinds = [
        "upr_stakeholder_report",
        "special_procedures_communication",
        "treaty_body_report",
        "wgeid_petition",
        "sanctions_package",
    ];
    let statuses = ["draft", "submitted", "acknowledged", "published", "cited", "withdrawn"];
    let amendment_statuses = ["proposed", "tabled", "adopted", "adopted_in_part", "rejected", "withdrawn"];
    let mut tx = db.pool.begin().await.expect("tx");
    for chunk in (0..counts.submissions).collect::<Vec<_>>().chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO submissions (id, version, mechanism, kind, country, status, created_at, dated_at, confidentiality, compartment, snapshot) VALUES ",
        );
        for (n, &i) in chunk.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            let at = base + i as i64 * 150_000_000;
            let (level, compartment) = if i % 10 == 0 { ("restricted", "sanctions") } else { ("internal", "") };
            sql.push_str(&format!(
                "{sep}('s{i}', 1, '{}', '{}', 'KP', '{}', {at}, {at}, '{level}', '{compartment}', '{{}}')",
                mechanisms[i % mechanisms.len()],
                kinds[i % kinds.len()],
                statuses[i % statuses.len()]
            ));
        }
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.expect("submissions");
    }
    for chunk in (0..counts.resolutions).collect::<Vec<_>>().chunks(1000) {
        let mut sql =
            String::from("INSERT INTO resolutions (id, version, body, session, state, created_at, snapshot) VALUES ");
        for (n, &i) in chunk.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            sql.push_str(&format!("{sep}('r{i}', 1, 'UN-HRC', 'HRC {}', 'adopted', {base}, '{{}}')", 40 + i % 20));
        }
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.expect("resolutions");
    }
    for chunk in (0..counts.amendments).collect::<Vec<_>>().chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO amendments (id, version, resolution_id, status, confidentiality, compartment, created_at, kept_words, snapshot) VALUES ",
        );
        for (n, &i) in chunk.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            let at = base + i as i64 * 750_000_000;
            sql.push_str(&format!(
                "{sep}('a{i}', 1, 'r{}', '{}', 'internal', '', {at}, {}, '{{}}')",
                i % counts.resolutions,
                amendment_statuses[(i / 7) % amendment_statuses.len()],
                i % 40
            ));
        }
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.expect("amendments");
    }
    tx.commit().await.expect("commit");
    analyze(db).await;
    println!(
        "seeded {} submissions, {} resolutions, {} amendments in {:.1} s",
        counts.submissions,
        counts.resolutions,
        counts.amendments,
        started.elapsed().as_secs_f64()
    );
}

/// An internal UPR deadline due at `due` in Zurich, owned by one person with four leads.
pub fn example_deadline(title: &str, due: DateTime<Utc>) -> NewDeadline {
    NewDeadline {
        title: title.into(),
        mechanism: "UPR".into(),
        kind: Kind::UprStakeholderSubmission,
        due: Due { at: due, zone: chrono_tz::Europe::Zurich },
        source_url: String::new(),
        verified_at: None,
        owners: vec!["ana@advocacy.example".into()],
        lead_minutes: vec![43_200, 10_080, 1_440, 120],
        recurrence: None,
        classification: Classification::Internal,
    }
}

/// `count` open deadlines from `from` on, one every 30 minutes.
pub async fn open_deadlines(db: &Database, count: usize, from: DateTime<Utc>) {
    deadlines(db, count, from, |_| Status::Open).await
}

/// `count` deadlines from `from` on, one every 30 minutes: a quarter completed on time, a
/// quarter completed late, a quarter cancelled, the rest open.
pub async fn settled_deadlines(db: &Database, count: usize, from: DateTime<Utc>) {
    deadlines(db, count, from, |i| [Status::Completed, Status::Completed, Status::Cancelled, Status::Open][i % 4]).await
}

async fn deadlines(db: &Database, count: usize, from: DateTime<Utc>, status: impl Fn(usize) -> Status) {
    let start = Instant::now();
    let example = example_deadline("Seeded", from);
    let mechanisms = ["UPR", "SR-DPRK", "CRC", "WGEID"];
    let mut tx = db.pool.begin().await.expect("tx");
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO deadlines (id, version, title, mechanism, kind, due_at, zone, status, confidentiality, compartment, revision, snapshot) VALUES ",
        );
        let mut outcomes =
            String::from("INSERT INTO deadline_outcomes (deadline_id, due_at, done_at, on_time) VALUES ");
        let mut any_outcome = false;
        let mut rows = Vec::new();
        for (n, &i) in chunk.iter().enumerate() {
            let mut d = Deadline::create(
                uuid::Uuid::now_v7().to_string(),
                example.clone(),
                "seed@advocacy.example",
                Utc::now(),
            );
            d.due.at = from + chrono::Duration::minutes(i as i64 * 30);
            d.mechanism = mechanisms[i % mechanisms.len()].into();
            d.status = status(i);
            let due = d.due.at.timestamp_micros();
            if d.status == Status::Completed {
                let on_time = i % 4 == 0;
                let done = if on_time { due - 3_600_000_000 } else { due + 3_600_000_000 };
                d.completed_at = DateTime::from_timestamp_micros(done);
                d.completed_on_time = on_time;
                let sep = if any_outcome { ", " } else { "" };
                outcomes.push_str(&format!("{sep}('{}', {due}, {done}, {})", d.id, i64::from(on_time)));
                any_outcome = true;
            }
            let p = n * 4;
            sql.push_str(&format!(
                "{}(${}, 1, 'Seeded', ${}, 'upr_stakeholder_submission', ${}, 'Europe/Zurich', '{}', 'internal', '', 0, ${})",
                if n == 0 { "" } else { ", " },
                p + 1,
                p + 2,
                p + 3,
                d.status.as_str(),
                p + 4
            ));
            rows.push((d.id.clone(), d.mechanism.clone(), due, serde_json::to_string(&d).expect("json")));
        }
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (id, mechanism, due, snapshot) in rows {
            query = query.bind(id).bind(mechanism).bind(due).bind(snapshot);
        }
        query.execute(&mut *tx).await.expect("seed deadlines");
        if any_outcome {
            sqlx::query(AssertSqlSafe(outcomes)).execute(&mut *tx).await.expect("seed outcomes");
        }
    }
    tx.commit().await.expect("commit");
    analyze(db).await;
    println!("seeded {count} deadlines in {:.1} s", start.elapsed().as_secs_f64());
}

/// Some of the figures each hand-written baseline computes, to check the service's answer
/// against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headline {
    pub counts: Vec<(String, i64)>,
}

impl Headline {
    pub fn get(&self, key: &str) -> i64 {
        self.counts.iter().find(|(k, _)| k == key).map(|(_, n)| *n).unwrap_or(0)
    }
}

/// Every briefings figure of the impact report for [from, to), as someone without
/// compartments sees it, in hand-written SQL. Here as in the services, each statement is
/// planned for its own values.
pub async fn briefing_figures_by_hand(pool: &sqlx::AnyPool, from: i64, to: i64, now: i64) -> Headline {
    let seen = "b.at >= $1 AND b.at < $2 AND b.confidentiality <> 'restricted' AND b.quiet = 0";
    let actors = "FROM briefings b JOIN briefing_actors a ON a.briefing_id = b.id WHERE";
    let follow_ups = "FROM briefings b JOIN follow_ups f ON f.briefing_id = b.id WHERE";
    let mut headline = Headline::default();
    for (key, sql) in [
        ("briefings", format!("SELECT COUNT(*) FROM briefings b WHERE {seen}")),
        ("governments_briefed", format!("SELECT COUNT(DISTINCT a.actor) {actors} {seen} AND a.actor_kind = 'government'")),
        ("multilateral_briefed", format!("SELECT COUNT(DISTINCT a.actor) {actors} {seen} AND a.actor_kind = 'multilateral'")),
        ("follow_ups_open", format!("SELECT COUNT(*) {follow_ups} {seen} AND f.done_at IS NULL AND f.due_at >= $3")),
        ("follow_ups_overdue", format!("SELECT COUNT(*) {follow_ups} {seen} AND f.done_at IS NULL AND f.due_at < $3")),
        ("follow_ups_done", format!("SELECT COUNT(*) {follow_ups} {seen} AND f.done_at IS NOT NULL")),
        (
            "not_shown",
            "SELECT COUNT(*) FROM briefings b WHERE b.at >= $1 AND b.at < $2 AND NOT (b.confidentiality <> 'restricted' AND b.quiet = 0)".into(),
        ),
    ] {
        let values = [from, to, now];
        let n = one(pool, &sql, if sql.contains("$3") { &values } else { &values[..2] }).await;
        headline.counts.push((key.into(), n));
    }
    for key in ["b.format", "CASE WHEN b.city = '' THEN 'online' ELSE b.city END", "b.month"] {
        grouped(
            pool,
            &format!("SELECT {key}, COUNT(*) FROM briefings b WHERE {seen} GROUP BY {key} ORDER BY 1"),
            from,
            to,
        )
        .await;
    }
    headline
}

/// Every submissions figure of the impact report for [from, to), as someone without
/// compartments sees it, in hand-written SQL.
pub async fn submission_figures_by_hand(pool: &sqlx::AnyPool, from: i64, to: i64) -> Headline {
    let seen = |alias: &str, dated: &str| {
        format!("{alias}.{dated} >= $1 AND {alias}.{dated} < $2 AND {alias}.confidentiality <> 'restricted'")
    };
    let hidden = |table: &str, alias: &str, dated: &str| {
        format!(
            "SELECT COUNT(*) FROM {table} {alias} WHERE {alias}.{dated} >= $1 AND {alias}.{dated} < $2 AND {alias}.confidentiality = 'restricted'"
        )
    };
    let (s, a, p) = (seen("s", "dated_at"), seen("a", "created_at"), seen("p", "published_at"));
    let mut headline = Headline::default();
    let by_mechanism = grouped(
        pool,
        &format!("SELECT s.mechanism, COUNT(*) FROM submissions s WHERE {s} GROUP BY s.mechanism ORDER BY 1"),
        from,
        to,
    )
    .await;
    headline.counts.extend(by_mechanism.into_iter().map(|(k, n)| (format!("by_mechanism/{k}"), n)));
    for sql in [
        format!("SELECT s.kind, COUNT(*) FROM submissions s WHERE {s} GROUP BY s.kind ORDER BY 1"),
        format!("SELECT s.status, COUNT(*) FROM submissions s WHERE {s} GROUP BY s.status ORDER BY 1"),
        format!("SELECT a.status, COUNT(*) FROM amendments a WHERE {a} GROUP BY a.status ORDER BY 1"),
        format!(
            "SELECT a.resolution_id || '/' || a.status, COUNT(*) FROM amendments a WHERE {a} GROUP BY a.resolution_id, a.status ORDER BY 1"
        ),
        format!("SELECT p.kind, COUNT(*) FROM publications p WHERE {p} GROUP BY p.kind ORDER BY 1"),
    ] {
        grouped(pool, &sql, from, to).await;
    }
    let influenced = one(
        pool,
        &format!("SELECT COUNT(DISTINCT a.resolution_id) FROM amendments a WHERE {a} AND a.status IN ('adopted', 'adopted_in_part')"),
        &[from, to],
    )
    .await;
    headline.counts.push(("resolutions_influenced".into(), influenced));
    let kept = one(
        pool,
        &format!("SELECT CAST(COALESCE(SUM(a.kept_words), 0) AS BIGINT) FROM amendments a WHERE {a} AND a.status IN ('adopted', 'adopted_in_part')"),
        &[from, to],
    )
    .await;
    headline.counts.push(("amendments_words_kept".into(), kept));
    let mut not_shown = 0;
    for sql in [
        hidden("submissions", "s", "dated_at"),
        hidden("amendments", "a", "created_at"),
        hidden("publications", "p", "published_at"),
    ] {
        not_shown += one(pool, &sql, &[from, to]).await;
    }
    headline.counts.push(("not_shown".into(), not_shown));
    headline
}

/// Every deadlines figure of the impact report for [from, to), as someone without
/// compartments sees it, in hand-written SQL: "mechanism/outcome" counts.
pub async fn deadline_figures_by_hand(pool: &sqlx::AnyPool, from: i64, to: i64, now: i64) -> Headline {
    let completed =
        "SELECT d.mechanism || '/' || CASE WHEN o.on_time = 1 THEN 'met_on_time' ELSE 'completed_late' END, COUNT(*)
         FROM deadline_outcomes o JOIN deadlines d ON d.id = o.deadline_id
         WHERE o.due_at >= $1 AND o.due_at < $2 AND d.confidentiality <> 'restricted' GROUP BY 1 ORDER BY 1";
    let rest = "SELECT d.mechanism || '/' || CASE WHEN d.status = 'cancelled' THEN 'cancelled' WHEN d.due_at < $3 THEN 'missed' ELSE 'open' END, COUNT(*)
         FROM deadlines d WHERE d.status <> 'completed' AND d.due_at >= $1 AND d.due_at < $2
         AND d.confidentiality <> 'restricted' GROUP BY 1 ORDER BY 1";
    let mut headline = Headline::default();
    for (sql, values) in [(completed, &[from, to][..]), (rest, &[from, to, now][..])] {
        let mut query = sqlx::query(sql).persistent(false);
        for value in values {
            query = query.bind(*value);
        }
        for row in query.fetch_all(pool).await.expect("deadline figures") {
            headline.counts.push((row.try_get(0).expect("key"), row.try_get(1).expect("n")));
        }
    }
    let mut not_shown = 0;
    for hidden in [
        "SELECT COUNT(*) FROM deadline_outcomes o JOIN deadlines d ON d.id = o.deadline_id WHERE o.due_at >= $1 AND o.due_at < $2 AND d.confidentiality = 'restricted'",
        "SELECT COUNT(*) FROM deadlines d WHERE d.status <> 'completed' AND d.due_at >= $1 AND d.due_at < $2 AND d.confidentiality = 'restricted'",
    ] {
        not_shown += one(pool, hidden, &[from, to]).await;
    }
    headline.counts.push(("not_shown".into(), not_shown));
    headline
}

/// On PostgreSQL, what autovacuum does soon after a bulk load (statistics, and the
/// visibility map that lets index-only scans skip the table), so plans are those of a
/// database in use rather than of one just loaded. SQLite does neither by itself.
async fn analyze(db: &Database) {
    if db.dialect == Dialect::Postgres {
        sqlx::query("VACUUM ANALYZE").execute(&db.pool).await.expect("vacuum");
    }
}

async fn one(pool: &sqlx::AnyPool, sql: &str, values: &[i64]) -> i64 {
    let mut query = sqlx::query(AssertSqlSafe(sql.to_owned())).persistent(false);
    for value in values {
        query = query.bind(*value);
    }
    query.fetch_one(pool).await.expect("a count").try_get(0).expect("n")
}

async fn grouped(pool: &sqlx::AnyPool, sql: &str, from: i64, to: i64) -> Vec<(String, i64)> {
    let rows = sqlx::query(AssertSqlSafe(sql.to_owned()))
        .persistent(false)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
        .expect("grouped");
    rows.iter().map(|r| (r.try_get(0).expect("key"), r.try_get(1).expect("n"))).collect()
}
