//! Deadlines benchmark: the service over gRPC on loopback against the same statements run
//! directly with sqlx (the service's own store, called in-process), on the same database,
//! at the same concurrency, in the same run. Figures are ratios against that baseline.
//!
//! SQLite by default; PostgreSQL with ADVOCACY_TEST_DATABASE_URL set.
//!   cargo bench -p advocacy-tests --bench deadlines

use std::time::{Duration, Instant};

use advocacy_deadlines::domain::{ChangeKind, Deadline};
use advocacy_deadlines::store::{ListQuery, Store, Write};
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::page_token;
use advocacy_platform::{Caller, Role};
use advocacy_tests::{POSTGRES_ENV, TestSystem, new_deadline, pb, seed};
use chrono::{TimeZone, Utc};

const CONCURRENCY: usize = 8;
const CREATES: usize = 2_000;
const LISTED: usize = 100_000;
const PAGE: usize = 100;
const LIST_ROUNDS: usize = 300;

#[tokio::main]
async fn main() {
    let engine = if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) { "postgres" } else { "sqlite" };
    println!("deadlines benchmark on {engine}, {CONCURRENCY} concurrent clients");
    let system = TestSystem::spawn().await;
    let db = system.database("deadlines").clone();
    let store = Store::new(&db).await.expect("store");
    let caller = Caller::new("bench@advocacy.example", vec![Role::Staff], vec![]);

    // Warm both paths up (connections, statement caches) before measuring either.
    create_over_grpc(&system, "warm", 200).await;
    create_direct(&store, &caller, "warm", 200).await;

    let grpc = create_over_grpc(&system, "grpc", CREATES).await;
    let direct = create_direct(&store, &caller, "direct", CREATES).await;
    let target = if engine == "postgres" { 0.60 } else { 0.50 };
    report_throughput("create", grpc, direct, target);

    seed::open_deadlines(&db, LISTED, seed::year_start(2027)).await;
    let mut client = system.deadlines().await;
    let middle = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().expect("date");
    // The fixed cost of one call, for reading the list figures: a page of one.
    let one = pb::ListDeadlinesRequest { page_size: 1, ..Default::default() };
    let one_query = ListQuery { limit: 2, ..Default::default() };
    let (mut grpc_one, mut direct_one) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..LIST_ROUNDS {
        let start = Instant::now();
        client.list_deadlines(one.clone()).await.expect("list one");
        grpc_one += start.elapsed();
        let start = Instant::now();
        store.list(&caller, &one_query).await.expect("direct one");
        direct_one += start.elapsed();
    }
    println!(
        "list 1 (fixed cost of a call): grpc {:.3} ms, direct {:.3} ms",
        (grpc_one / LIST_ROUNDS as u32).as_secs_f64() * 1e3,
        (direct_one / LIST_ROUNDS as u32).as_secs_f64() * 1e3
    );
    for (name, after) in [("first page", None), ("deep page", Some(middle))] {
        let token = match after {
            Some(at) => page_token_at(&mut client, at).await,
            None => String::new(),
        };
        let query_after = after.and_then(|_| page_token::decode_at(&token).expect("our own token"));
        let request = pb::ListDeadlinesRequest {
            page_size: PAGE as i32,
            page_token: token,
            statuses: vec![pb::DeadlineStatus::Open.into()],
            ..Default::default()
        };
        let query = ListQuery {
            statuses: vec![advocacy_deadlines::domain::Status::Open],
            after: query_after,
            limit: PAGE + 1,
            ..Default::default()
        };
        // Interleave the two so that machine noise falls on both alike.
        let (mut grpc_total, mut direct_total) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..LIST_ROUNDS {
            let start = Instant::now();
            let page = client.list_deadlines(request.clone()).await.expect("list").into_inner();
            grpc_total += start.elapsed();
            assert_eq!(page.deadlines.len(), PAGE);
            let start = Instant::now();
            let rows = store.list(&caller, &query).await.expect("direct list");
            direct_total += start.elapsed();
            assert_eq!(rows.len(), PAGE + 1);
        }
        let (g, d) = (grpc_total / LIST_ROUNDS as u32, direct_total / LIST_ROUNDS as u32);
        let ratio = g.as_secs_f64() / d.as_secs_f64();
        println!(
            "list {PAGE} of {LISTED} ({name}): grpc {:.2} ms, direct {:.2} ms, ratio {ratio:.2} (target <= 1.50) {}",
            g.as_secs_f64() * 1e3,
            d.as_secs_f64() * 1e3,
            verdict(ratio <= 1.5)
        );
    }
    system.finish().await;
}

async fn create_over_grpc(system: &TestSystem, tag: &str, total: usize) -> f64 {
    let mut tasks = Vec::new();
    let start = Instant::now();
    for worker in 0..CONCURRENCY {
        let mut client = system.deadlines().await;
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            for i in 0..total / CONCURRENCY {
                client
                    .create_deadline(new_deadline(
                        &format!("{tag}-{worker}-{i}"),
                        "Benchmark deadline",
                        "2027-03-01T12:00",
                    ))
                    .await
                    .expect("create");
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn create_direct(store: &Store, caller: &Caller, tag: &str, total: usize) -> f64 {
    let mut tasks = Vec::new();
    let start = Instant::now();
    for worker in 0..CONCURRENCY {
        let store = store.clone();
        let caller = caller.clone();
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            for i in 0..total / CONCURRENCY {
                let id = uuid::Uuid::now_v7().to_string();
                let request = Request::new(&caller, &format!("{tag}-{worker}-{i}"), &("create", i));
                let now = Utc::now();
                let due = Utc.with_ymd_and_hms(2027, 3, 1, 11, 0, 0).single().expect("date");
                let deadline = Deadline::create(
                    id.clone(),
                    seed::example_deadline("Benchmark deadline", due),
                    &caller.subject,
                    now,
                );
                let written = store
                    .write(&id, &request, now, |_| {
                        Ok(Write { kind: ChangeKind::Created, deadline, previous_due: None, reason: String::new() })
                    })
                    .await
                    .expect("direct write");
                assert!(matches!(written, Written::New(_)), "not a replay");
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// A page token that starts listing at `at`: the token of the page just before it.
async fn page_token_at(
    client: &mut advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient<
        advocacy_platform::client::AuthedChannel,
    >,
    at: chrono::DateTime<Utc>,
) -> String {
    let before = client
        .list_deadlines(pb::ListDeadlinesRequest {
            page_size: 1,
            due_to: Some(prost_types::Timestamp { seconds: at.timestamp(), nanos: 0 }),
            due_from: Some(prost_types::Timestamp { seconds: at.timestamp() - 1800, nanos: 0 }),
            ..Default::default()
        })
        .await
        .expect("one before")
        .into_inner();
    let last = before.deadlines.last().expect("a deadline before the middle");
    let due = last.due.as_ref().expect("due");
    let due = chrono::DateTime::from_timestamp(due.seconds, due.nanos as u32).expect("time");
    page_token::encode_at(due, &last.id)
}

fn report_throughput(what: &str, grpc: f64, direct: f64, target: f64) {
    let ratio = grpc / direct;
    println!(
        "{what}: grpc {grpc:.0}/s, direct {direct:.0}/s, ratio {ratio:.2} (target >= {target:.2}) {}",
        verdict(ratio >= target)
    );
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
