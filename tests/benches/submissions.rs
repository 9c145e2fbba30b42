//! Submissions benchmark: the impact aggregates over 1,000,000 submissions and 200,000
//! amendments through the RPC, against the same figures computed by hand-written SQL on
//! the same database in the same run (target: at most 1.5x).
//!
//!   cargo bench -p advocacy-tests --bench submissions
//!   cargo bench -p advocacy-tests --bench submissions -- imports    # the imports alone

use std::time::{Duration, Instant};

use advocacy_platform::Role;
use advocacy_platform::db::{Sql, SqlValue};
use advocacy_tests::{POSTGRES_ENV, Person, TestSystem, pb};
use chrono::{TimeZone, Utc};
use sqlx::{AssertSqlSafe, Column, Row};

const SUBMISSIONS: usize = 1_000_000;
const AMENDMENTS: usize = 200_000;
const RESOLUTIONS: usize = 1_000;
const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let engine = if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) { "postgres" } else { "sqlite" };
    println!("submissions benchmark on {engine}");
    let system = TestSystem::spawn().await;
    let db = system.database("submissions").clone();
    import_against_plain_inserts(&system, &db).await;
    amendment_import_against_plain_inserts(&system, &db).await;
    if std::env::args().skip(1).any(|a| a == "imports") {
        return system.finish().await;
    }
    for table in ["amendments", "resolutions", "submissions"] {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&db.pool).await.expect("empty");
    }
    seed(&db).await;
    let start_at = Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).single().expect("date");
    let end_at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("date");
    let period = pb::Period {
        start: Some(prost_types::Timestamp { seconds: start_at.timestamp(), nanos: 0 }),
        end: Some(prost_types::Timestamp { seconds: end_at.timestamp(), nanos: 0 }),
    };
    let manager = Person { email: "maria@advocacy.example", roles: vec![Role::Manager], compartments: vec![] };
    let mut client = system.submissions_as(&manager).await;
    let (mut rpc_total, mut sql_total) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let figures = client
            .get_submission_aggregates(pb::AggregatesRequest { period: Some(period) })
            .await
            .expect("rpc")
            .into_inner();
        rpc_total += start.elapsed();
        let start = Instant::now();
        let (by_mechanism, influenced) =
            hand_written(&db.pool, start_at.timestamp_micros(), end_at.timestamp_micros()).await;
        sql_total += start.elapsed();
        let rpc_mechanisms: Vec<(String, i64)> =
            figures.by_mechanism.iter().map(|c| (c.key.clone(), c.count)).collect();
        assert_eq!((rpc_mechanisms, figures.resolutions_influenced), (by_mechanism, influenced), "the same figures");
    }
    let (r, s) = (rpc_total / ROUNDS as u32, sql_total / ROUNDS as u32);
    let ratio = r.as_secs_f64() / s.as_secs_f64();
    println!(
        "aggregates over {SUBMISSIONS} submissions and {AMENDMENTS} amendments: grpc {:.0} ms, hand-written SQL {:.0} ms, ratio {ratio:.2} (target <= 1.50) {}",
        r.as_secs_f64() * 1e3,
        s.as_secs_f64() * 1e3,
        if ratio <= 1.5 { "met" } else { "MISSED" }
    );
    system.finish().await;
}

const IMPORTED: usize = 100_000;

/// 100,000 rows through the import (streamed, every row checked, one transaction) against
/// the same rows as plain multi-row INSERTs.
async fn import_against_plain_inserts(system: &TestSystem, db: &advocacy_platform::Database) {
    let rows: Vec<pb::ImportSubmissionRow> = (0..IMPORTED)
        .map(|i| pb::ImportSubmissionRow {
            line: i as i32 + 2,
            submission: Some(pb::CreateSubmissionRequest {
                request_id: format!("import:bench:{i}"),
                title: format!("Report {i} on the penal system"),
                mechanism: "UPR".into(),
                kind: pb::SubmissionKind::UprStakeholderReport.into(),
                country: "KP".into(),
                word_count: 2_000,
                themes: vec!["penal system".into()],
                status: pb::SubmissionStatus::Submitted.into(),
                ..Default::default()
            }),
        })
        .collect();
    let staff = Person { email: "ana@advocacy.example", roles: vec![Role::Staff], compartments: vec![] };
    let mut client = system.submissions_as(&staff).await.max_decoding_message_size(64 << 20);
    let start = Instant::now();
    let result = client.import_submissions(tokio_stream::iter(rows)).await.expect("import").into_inner();
    let imported = start.elapsed();
    assert_eq!(result.submissions as usize, IMPORTED);

    let plain = plain_inserts_of(db, "submissions").await;
    let (a, b) = (IMPORTED as f64 / imported.as_secs_f64(), IMPORTED as f64 / plain.as_secs_f64());
    println!(
        "import {IMPORTED} rows: {a:.0} rows/s through the import, {b:.0} rows/s as plain multi-row INSERTs, ratio {:.2}",
        a / b
    );
}

/// 100,000 amendment rows naming 50 resolutions (matched or created), a third adopted in
/// part (so compared word by word), against the same rows as plain multi-row INSERTs.
async fn amendment_import_against_plain_inserts(system: &TestSystem, db: &advocacy_platform::Database) {
    let ours = "Expresses grave concern at the entire penal system, including political prison camps";
    let adopted = "Expresses serious concern at the entire penal system, including prison camps";
    let rows: Vec<pb::ImportAmendmentRow> = (0..IMPORTED)
        .map(|i| pb::ImportAmendmentRow {
            line: i as i32 + 2,
            resolution: Some(pb::ImportedResolution {
                body: "UN-HRC".into(),
                session: format!("HRC {}", 50 + i % 10),
                title: format!("Resolution {}", (i / 10) % 5),
                symbol: String::new(),
            }),
            amendment: Some(pb::ProposeAmendmentRequest {
                request_id: format!("import:bench:{i}"),
                paragraph_kind: pb::ParagraphKind::Operative.into(),
                paragraph_number: (i % 40) as i32 + 1,
                proposed_text: ours.into(),
                lobbied: vec!["CH".into(), "KR".into()],
                ..Default::default()
            }),
            status: if i % 3 == 0 { pb::AmendmentStatus::AdoptedInPart.into() } else { 0 },
            adopted_text: if i % 3 == 0 { adopted.into() } else { String::new() },
            proposed_on: None,
        })
        .collect();
    let staff = Person { email: "ana@advocacy.example", roles: vec![Role::Staff], compartments: vec![] };
    let mut client = system.submissions_as(&staff).await.max_decoding_message_size(64 << 20);
    let start = Instant::now();
    let result = client.import_amendments(tokio_stream::iter(rows)).await.expect("import").into_inner();
    let imported = start.elapsed();
    assert_eq!((result.amendments as usize, result.resolutions_created), (IMPORTED, 50));

    let plain = plain_inserts_of(db, "amendments").await;
    let (a, b) = (IMPORTED as f64 / imported.as_secs_f64(), IMPORTED as f64 / plain.as_secs_f64());
    println!(
        "import {IMPORTED} amendment rows: {a:.0} rows/s through the import, {b:.0} rows/s as plain multi-row INSERTs, ratio {:.2}",
        a / b
    );
}

/// The time to write again, as plain multi-row INSERTs with bound values (1,000 rows per
/// statement, one transaction), exactly the rows an import wrote to `table`: the same
/// columns and snapshots, under fresh ids and request ids.
async fn plain_inserts_of(db: &advocacy_platform::Database, table: &str) -> Duration {
    enum Value {
        Int(i64),
        Text(String),
        Null,
    }
    let rows = sqlx::query(AssertSqlSafe(format!("SELECT * FROM {table}"))).fetch_all(&db.pool).await.expect("rows");
    let columns: Vec<String> = rows[0].columns().iter().map(|c| c.name().to_owned()).collect();
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|row| {
            (0..columns.len())
                .map(|i| match row.try_get::<Option<i64>, _>(i) {
                    Ok(n) => n.map_or(Value::Null, Value::Int),
                    Err(_) => match row.try_get::<Option<String>, _>(i).expect("a text or integer column") {
                        Some(t) if columns[i] == "id" || columns[i] == "request_id" => {
                            Value::Text(format!("plain-{t}"))
                        }
                        Some(t) => Value::Text(t),
                        None => Value::Null,
                    },
                })
                .collect()
        })
        .collect();
    let start = Instant::now();
    let mut tx = db.pool.begin().await.expect("tx");
    for chunk in values.chunks(1000) {
        let mut sql = Sql::new(&format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")));
        for row in chunk {
            let row: Vec<SqlValue> = row
                .iter()
                .map(|v| match v {
                    Value::Int(n) => SqlValue::Int(*n),
                    Value::Text(t) => SqlValue::Text(t),
                    Value::Null => SqlValue::Null,
                })
                .collect();
            sql.push_row(&row);
        }
        sql.execute(&mut tx).await.expect("plain insert");
    }
    tx.commit().await.expect("commit");
    start.elapsed()
}

/// Submissions over 2020–2025 across mechanisms, kinds and statuses; resolutions with
/// amendments in every status. Multi-row inserts of generated values.
async fn seed(db: &advocacy_platform::Database) {
    let started = Instant::now();
    let base = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).single().expect("date").timestamp_micros();
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
    for chunk in (0..SUBMISSIONS).collect::<Vec<_>>().chunks(1000) {
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
    for chunk in (0..RESOLUTIONS).collect::<Vec<_>>().chunks(1000) {
        let mut sql =
            String::from("INSERT INTO resolutions (id, version, body, session, state, created_at, snapshot) VALUES ");
        for (n, &i) in chunk.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            sql.push_str(&format!("{sep}('r{i}', 1, 'UN-HRC', 'HRC {}', 'adopted', {base}, '{{}}')", 40 + i % 20));
        }
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.expect("resolutions");
    }
    for chunk in (0..AMENDMENTS).collect::<Vec<_>>().chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO amendments (id, version, resolution_id, status, confidentiality, compartment, created_at, snapshot) VALUES ",
        );
        for (n, &i) in chunk.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            let at = base + i as i64 * 750_000_000;
            sql.push_str(&format!(
                "{sep}('a{i}', 1, 'r{}', '{}', 'internal', '', {at}, '{{}}')",
                i % RESOLUTIONS,
                amendment_statuses[(i / 7) % amendment_statuses.len()]
            ));
        }
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.expect("amendments");
    }
    tx.commit().await.expect("commit");
    println!(
        "seeded {SUBMISSIONS} submissions, {RESOLUTIONS} resolutions, {AMENDMENTS} amendments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Every figure of the RPC, written by hand against the same tables.
async fn hand_written(pool: &sqlx::AnyPool, from: i64, to: i64) -> (Vec<(String, i64)>, i64) {
    let pairs = |rows: Vec<sqlx::any::AnyRow>| -> Vec<(String, i64)> {
        rows.iter().map(|r| (r.try_get::<String, _>(0).expect("key"), r.try_get::<i64, _>(1).expect("n"))).collect()
    };
    let by_mechanism = sqlx::query("SELECT mechanism, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2 GROUP BY mechanism ORDER BY mechanism")
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
        .expect("by mechanism");
    for sql in [
        "SELECT kind, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2 GROUP BY kind",
        "SELECT status, COUNT(*) FROM submissions WHERE dated_at >= $1 AND dated_at < $2 GROUP BY status",
        "SELECT status, COUNT(*) FROM amendments WHERE created_at >= $1 AND created_at < $2 GROUP BY status",
        "SELECT resolution_id || '/' || status, COUNT(*) FROM amendments WHERE created_at >= $1 AND created_at < $2 GROUP BY resolution_id, status",
        "SELECT kind, COUNT(*) FROM publications WHERE published_at >= $1 AND published_at < $2 GROUP BY kind",
    ] {
        let rows = sqlx::query(sql).bind(from).bind(to).fetch_all(pool).await.expect("figure");
        let _ = pairs(rows);
    }
    let influenced: i64 = sqlx::query(
        "SELECT COUNT(DISTINCT resolution_id) FROM amendments WHERE created_at >= $1 AND created_at < $2 AND status IN ('adopted', 'adopted_in_part')",
    )
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await
    .expect("influenced")
    .try_get(0)
    .expect("n");
    (pairs(by_mechanism), influenced)
}
