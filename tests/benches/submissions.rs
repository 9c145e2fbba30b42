//! Submissions benchmark: the impact aggregates over 1,000,000 submissions and 200,000
//! amendments through the RPC, against the same figures computed by hand-written SQL on
//! the same database in the same run (target: at most 1.5x).
//!
//!   cargo bench -p advocacy-tests --bench submissions
//!   cargo bench -p advocacy-tests --bench submissions -- imports    # the imports alone

use std::time::{Duration, Instant};

use advocacy_platform::Role;
use advocacy_platform::db::{Sql, SqlValue};
use advocacy_tests::seed::{self, SubmissionCounts, year_start};
use advocacy_tests::{POSTGRES_ENV, Person, TestSystem, pb};
use sqlx::{AssertSqlSafe, Column, Row};

const COUNTS: SubmissionCounts = SubmissionCounts { submissions: 1_000_000, resolutions: 1_000, amendments: 200_000 };
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
    seed::submissions(&db, COUNTS).await;
    let (start_at, end_at) = (year_start(2021), year_start(2025));
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
        let by_hand =
            seed::submission_figures_by_hand(&db.pool, start_at.timestamp_micros(), end_at.timestamp_micros()).await;
        sql_total += start.elapsed();
        for c in &figures.by_mechanism {
            assert_eq!(c.count, by_hand.get(&format!("by_mechanism/{}", c.key)), "the same figures");
        }
        assert_eq!(figures.resolutions_influenced, by_hand.get("resolutions_influenced"), "the same figures");
    }
    let (r, s) = (rpc_total / ROUNDS as u32, sql_total / ROUNDS as u32);
    let ratio = r.as_secs_f64() / s.as_secs_f64();
    println!(
        "aggregates over {} submissions and {} amendments: grpc {:.0} ms, hand-written SQL {:.0} ms, ratio {ratio:.2} (target <= 1.50) {}",
        COUNTS.submissions,
        COUNTS.amendments,
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
