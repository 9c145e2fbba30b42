//! Web pages benchmark, in one run against one server: the managers' dashboard for the
//! demo's 2024 campaign year plus 20,000 briefings, under a local load generator (threads
//! of keep-alive HTTP/1.1 clients sending the session cookie), beside the stylesheet, a
//! static page of the same server, at the same concurrency. The dashboard's cost over the
//! static page is the session check, the three services' aggregates over gRPC, and the
//! page's rendering.
//!
//!   cargo bench -p advocacy-tests --bench web
//!   ADVOCACY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432 cargo bench -p advocacy-tests --bench web

use std::time::Duration;

use advocacy::demo::year_2024;
use advocacy_tests::load::http_load;
use advocacy_tests::web::{PASSWORD, Visitor, add_person};
use advocacy_tests::{POSTGRES_ENV, Person, TestSystem, institution, pb, seed};

const CLIENTS: usize = 8;
const LOAD: Duration = Duration::from_secs(10);
const BRIEFINGS: usize = 20_000;

#[tokio::main]
async fn main() {
    let engine = if std::env::var(POSTGRES_ENV).is_ok() { "PostgreSQL" } else { "SQLite" };
    println!("web pages benchmark on {engine}");
    let system = TestSystem::spawn().await;
    let recorder = Person::sanctions_staff();
    year_2024::briefings(&mut system.briefings_as(&recorder).await).await.expect("the year's briefings");
    year_2024::submissions(&mut system.submissions_as(&recorder).await).await.expect("the year's submissions");
    let mut briefings = system.briefings_as(&recorder).await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of Norway",
        pb::InstitutionKind::PermanentMission,
        "NO",
        "Geneva",
    )
    .await;
    seed::briefings(system.database("briefings"), &mission, BRIEFINGS).await;
    add_person(&system, "mina@advocacy.example", &["manager"], &["sanctions"], pb::Language::En).await;
    let mina = Visitor::new(&system);
    mina.sign_in("mina@advocacy.example", PASSWORD).await;
    let headers = vec![("cookie".to_owned(), mina.cookie_header())];
    let base = system.http_url();

    let (url, h) = (format!("{base}/static/site.css"), headers.clone());
    let stylesheet =
        tokio::task::spawn_blocking(move || http_load(&url, &h, "--accent", CLIENTS, LOAD)).await.expect("load");
    stylesheet.print("GET /static/site.css (static)");
    let (url, h) = (format!("{base}/report?period=2024"), headers.clone());
    let dashboard = tokio::task::spawn_blocking(move || http_load(&url, &h, "Governments briefed", CLIENTS, LOAD))
        .await
        .expect("load");
    dashboard.print("GET /report?period=2024 (dashboard)");
    println!(
        "dashboard against the static page: throughput ratio {:.3}, p99 {:.1} ms against {:.1} ms",
        dashboard.rate / stylesheet.rate,
        dashboard.percentile(0.99).as_secs_f64() * 1e3,
        stylesheet.percentile(0.99).as_secs_f64() * 1e3,
    );
    system.finish().await;
}
