//! Briefings benchmark, ratios against baselines from the same run on the same database:
//! logging briefings over gRPC against the service's own inserts called directly (same
//! concurrency), and the impact aggregates over 1,000,000 briefings through the RPC
//! against the same figures computed by hand-written SQL.
//!
//!   cargo bench -p advocacy-tests --bench briefings       (BENCH_LOGS=100000 by default)
//!   cargo bench -p advocacy-tests --bench briefings -- import-memory
//!       the process's peak memory while the largest import allowed (64 MiB) is checked
//!       and written, against its memory before, in the same run

use std::time::{Duration, Instant};

use advocacy_briefings::domain::{Briefing, Format, NewBriefing};
use advocacy_briefings::store::Store;
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::{Caller, Classification, Role};
use advocacy_tests::seed::{self, year_start};
use advocacy_tests::{POSTGRES_ENV, TestSystem, pb};
use chrono::{TimeZone, Utc};
use sqlx::AssertSqlSafe;

const CONCURRENCY: usize = 8;
const AGGREGATED: usize = 1_000_000;
const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let engine = if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) { "postgres" } else { "sqlite" };
    let logs: usize = std::env::var("BENCH_LOGS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    println!("briefings benchmark on {engine}, {CONCURRENCY} concurrent clients");
    let system = TestSystem::spawn().await;
    if std::env::args().skip(1).any(|a| a == "import-memory") {
        return import_memory(system).await;
    }
    let db = system.database("briefings").clone();
    let outbox = advocacy_platform::outbox::Outbox::new(
        &db,
        advocacy_briefings::store::FOLLOW_UP_TOPIC,
        advocacy_platform::Clock::system(),
        Default::default(),
    );
    let store = Store::new(&db, outbox);
    let mut client = system.briefings().await;
    let institution = client
        .create_institution(pb::CreateInstitutionRequest {
            request_id: "bench".into(),
            name: "Permanent Mission of Switzerland".into(),
            kind: pb::InstitutionKind::PermanentMission.into(),
            actor: "CH".into(),
            city: "Geneva".into(),
            parent_id: String::new(),
        })
        .await
        .expect("institution")
        .into_inner()
        .id;

    let grpc = log_over_grpc(&system, &institution, logs).await;
    let direct = log_direct(&store, &institution, logs).await;
    println!("log {logs} briefings: grpc {grpc:.0}/s, direct {direct:.0}/s, ratio {:.2}", grpc / direct);

    // Empty the tables and load a million briefings for the aggregates.
    for table in ["briefing_themes", "briefing_institutions", "briefing_actors", "follow_ups", "briefings"] {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&db.pool).await.expect("empty");
    }
    seed::briefings(&db, &institution, AGGREGATED).await;
    let (start_at, end_at) = (year_start(2021), year_start(2025));
    let period = pb::Period {
        start: Some(prost_types::Timestamp { seconds: start_at.timestamp(), nanos: 0 }),
        end: Some(prost_types::Timestamp { seconds: end_at.timestamp(), nanos: 0 }),
    };
    let (from, to) = (start_at.timestamp_micros(), end_at.timestamp_micros());
    let (mut grpc_total, mut sql_total) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let figures = client
            .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: Some(period) })
            .await
            .expect("rpc")
            .into_inner();
        grpc_total += start.elapsed();
        let start = Instant::now();
        let by_hand = seed::briefing_figures_by_hand(&db.pool, from, to, Utc::now().timestamp_micros()).await;
        sql_total += start.elapsed();
        assert_eq!(
            (figures.briefings, figures.governments_briefed, figures.multilateral_actors_briefed),
            (by_hand.get("briefings"), by_hand.get("governments_briefed"), by_hand.get("multilateral_briefed")),
            "the same figures"
        );
    }
    let (g, s) = (grpc_total / ROUNDS as u32, sql_total / ROUNDS as u32);
    let ratio = g.as_secs_f64() / s.as_secs_f64();
    println!(
        "aggregates over {AGGREGATED} briefings: grpc {:.0} ms, hand-written SQL {:.0} ms, ratio {ratio:.2} (target <= 1.50) {}",
        g.as_secs_f64() * 1e3,
        s.as_secs_f64() * 1e3,
        if ratio <= 1.5 { "met" } else { "MISSED" }
    );
    system.finish().await;
}

fn request(i: usize, institution: &str) -> pb::LogBriefingRequest {
    pb::LogBriefingRequest {
        request_id: format!("log-{i}"),
        at: Some(pb::WhenInput {
            at: Some(pb::when_input::At::Local(format!("2027-03-{:02}T10:00", 1 + i % 28))),
            zone: "Europe/Zurich".into(),
        }),
        city: "Geneva".into(),
        format: pb::BriefingFormat::InPerson.into(),
        institution_ids: vec![institution.to_owned()],
        themes: vec!["penal system".into()],
        summary: "Benchmark briefing".into(),
        ..Default::default()
    }
}

async fn log_over_grpc(system: &TestSystem, institution: &str, total: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let mut client = system.briefings().await;
        let institution = institution.to_owned();
        tasks.push(tokio::spawn(async move {
            for i in (worker..total).step_by(CONCURRENCY) {
                client.log_briefing(request(i, &institution)).await.expect("log");
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn log_direct(store: &Store, institution: &str, total: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let store = store.clone();
        let institution = institution.to_owned();
        tasks.push(tokio::spawn(async move {
            for i in (worker..total).step_by(CONCURRENCY) {
                let at = Utc.with_ymd_and_hms(2027, 3, 1 + (i % 28) as u32, 9, 0, 0).single().expect("a real date");
                let new = NewBriefing {
                    at,
                    zone: chrono_tz::Europe::Zurich,
                    city: "Geneva".into(),
                    format: Format::InPerson,
                    institution_ids: vec![institution.clone()],
                    attendees: vec!["ana@advocacy.example".into()],
                    themes: vec!["penal system".into()],
                    materials: vec![],
                    asks: vec![],
                    summary: "Benchmark briefing".into(),
                    notes: String::new(),
                    quiet: false,
                    outcome: String::new(),
                    follow_ups: vec![],
                    classification: Classification::Internal,
                    contact_ids: vec![],
                };
                let b = Briefing::new(
                    uuid::Uuid::now_v7().to_string(),
                    new,
                    vec!["CH".into()],
                    "bench@advocacy.example",
                    Utc::now(),
                );
                let caller = Caller::new("bench@advocacy.example", vec![Role::Staff], vec![]);
                let request = Request::new(&caller, &format!("direct-{i}"), &i);
                let written = store.insert_briefing(&b, &request, b.created_at).await.expect("insert");
                assert!(matches!(written, Written::New(_)), "new");
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// A figure of this process from /proc/self/status, in MiB (VmRSS now, VmHWM the peak).
fn memory_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .expect("the field");
    kib / 1024.0
}

/// Streams rows of about 60 KB each (20,000-character summaries in Hangul, the most a
/// briefing holds) up to just under the 64 MiB an import may carry, and reports how far
/// the process's memory rose above where it stood before.
async fn import_memory(system: TestSystem) {
    let mut client = system.briefings().await;
    let before = memory_mib("VmRSS:");
    let row = |line: i32| pb::ImportBriefingRow {
        line,
        request_id: format!("import:memory:{line}"),
        institution: Some(pb::ImportedInstitution {
            actor: "CH".into(),
            name: "Federal Department of Foreign Affairs".into(),
            kind: pb::InstitutionKind::Ministry.into(),
            city: String::new(),
        }),
        briefing: Some(pb::LogBriefingRequest {
            at: Some(advocacy_tests::local_time("2019-05-02T10:00", "Europe/Zurich")),
            city: "Bern".into(),
            format: pb::BriefingFormat::InPerson.into(),
            themes: vec!["Penal system".into()],
            summary: "인권".repeat(10_000),
            ..Default::default()
        }),
    };
    let bytes = prost::Message::encoded_len(&row(2));
    let rows = (advocacy_platform::import::MAX_BYTES - 1_000_000) / bytes;
    let start = Instant::now();
    let result = client
        .import_briefings(tokio_stream::iter((0..rows).map(move |i| row(i as i32 + 2))))
        .await
        .expect("the largest import allowed")
        .into_inner();
    assert_eq!(result.briefings as usize, rows);
    let peak = memory_mib("VmHWM:");
    println!(
        "import of {rows} rows ({:.0} MiB) in {:.1} s: memory {before:.0} MiB before, {peak:.0} MiB at the peak, \
         {:.0} MiB for the import ({:.1}x its size)",
        (rows * bytes) as f64 / 1048576.0,
        start.elapsed().as_secs_f64(),
        peak - before,
        (peak - before) / ((rows * bytes) as f64 / 1048576.0)
    );
    system.finish().await;
}
