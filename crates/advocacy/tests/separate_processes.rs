//! The five services as an organisation runs them apart: each its own `advocacy serve
//! <service>` process, on its own port and its own database (PostgreSQL when the suite
//! runs on it), wired to the others by its config file, mailing reminders to an SMTP
//! server in this test. A whole scenario runs through them; then the deadlines service is
//! killed, the others degrade as designed, and when it is back everything catches up with
//! nothing lost or doubled. Each process serves its Prometheus metrics, and a request's id
//! crosses from the gateway to the services it calls.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use advocacy_platform::Role;
use advocacy_platform::client::AuthedChannel;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;
use advocacy_tests::processes::{Server, Storage, free_addresses, get, get_json};
use advocacy_tests::smtp::SmtpServer;
use advocacy_tests::{eventually, local_time, reminded_at};

const BINARY: &str = env!("CARGO_BIN_EXE_advocacy");
const SERVICES: [&str; 5] = ["deadlines", "briefings", "submissions", "notifier", "gateway"];
const ANA: &str = "ana@advocacy.example";

/// The five processes, each at an address fixed before any starts, so each config names
/// the others' and a restarted process is found where it was.
struct Deployment {
    storage: Storage,
    smtp: SmtpServer,
    grpc: BTreeMap<&'static str, SocketAddr>,
    metrics: BTreeMap<&'static str, SocketAddr>,
    web: SocketAddr,
    running: BTreeMap<&'static str, Server>,
}

impl Deployment {
    async fn new() -> Deployment {
        let addresses = free_addresses(2 * SERVICES.len() + 1);
        let (grpc, rest) = addresses.split_at(SERVICES.len());
        Deployment {
            storage: Storage::new(),
            smtp: SmtpServer::start().await,
            grpc: SERVICES.into_iter().zip(grpc.iter().copied()).collect(),
            metrics: SERVICES.into_iter().zip(rest.iter().copied()).collect(),
            web: rest[SERVICES.len()],
            running: BTreeMap::new(),
        }
    }

    fn config(&self, service: &str) -> PathBuf {
        let others: String = SERVICES
            .iter()
            .filter(|s| **s != service)
            .map(|s| format!("[services.{s}]\nurl = \"http://{}\"\n", self.grpc[s]))
            .collect();
        let rest = format!(
            "grpc_listen = \"{}\"\nhttp_listen = \"{}\"\nmetrics_listen = \"{}\"\n\
             [outbox]\nlease_secs = 3\n\
             [reminders]\ndigest_schedule = \"\"\nescalate_before_hours = 0\npublic_url = \"http://{}\"\n\
             [mail]\nfrom = \"Reminders <reminders@advocacy.example>\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\ntimeout_secs = 5\n{others}",
            self.grpc[service],
            if service == "gateway" { self.web.to_string() } else { "127.0.0.1:0".to_owned() },
            self.metrics[service],
            self.web,
            self.smtp.addr.port()
        );
        self.storage.config(service, &rest)
    }

    fn start(&mut self, service: &'static str) {
        let server = Server::start(Path::new(BINARY), &self.config(service), &[service]);
        assert_eq!(server.url, format!("http://{}", self.grpc[service]), "{service} listens where configured");
        self.running.insert(service, server);
    }

    /// Killed as a crash would: no shutdown, nothing flushed.
    fn kill(&mut self, service: &str) {
        self.running.remove(service).expect("running").kill();
    }

    async fn channel(&self, service: &str) -> AuthedChannel {
        self.storage.channel(&format!("http://{}", self.grpc[service]), ANA, vec![Role::Staff]).await
    }

    /// The impact report of 2026 from the gateway's JSON API, as a manager reads it: each
    /// section by name.
    async fn report(&self) -> BTreeMap<String, serde_json::Value> {
        self.report_as_request("").await
    }

    /// [`Deployment::report`], asked with `x-request-id: id` (none when empty).
    async fn report_as_request(&self, id: &str) -> BTreeMap<String, serde_json::Value> {
        let token = self.storage.token("maria@advocacy.example", vec![Role::Manager]);
        let headers: &[(&str, &str)] = if id.is_empty() { &[] } else { &[("x-request-id", id)] };
        let (status, report) = get_json(&format!("http://{}/api/report?year=2026", self.web), &token, headers).await;
        assert_eq!(status, 200, "{report}");
        let sections = report["sections"].as_array().expect("sections").iter();
        sections.map(|s| (s["name"].as_str().expect("a name").to_owned(), s.clone())).collect()
    }

    /// A process's metrics, in Prometheus's text format.
    async fn metrics(&self, service: &str) -> String {
        let (status, text) = get(&format!("http://{}/metrics", self.metrics[service]), &[]).await;
        assert_eq!(status, 200, "{text}");
        text
    }

    async fn finish(mut self) {
        self.running.clear();
        self.storage.finish().await;
    }
}

fn figure(section: &serde_json::Value, key: &str) -> i64 {
    let figures = section["figures"].as_array().expect("figures");
    figures.iter().find(|f| f["key"] == key).and_then(|f| f["value"].as_i64()).unwrap_or(0)
}

fn briefing_with_follow_up(request_id: &str, day: &str, institution: &str, action: &str) -> pb::LogBriefingRequest {
    pb::LogBriefingRequest {
        request_id: request_id.into(),
        at: Some(local_time(&format!("2026-11-{day}T10:00"), "Europe/Zurich")),
        city: "Geneva".into(),
        format: pb::BriefingFormat::InPerson.into(),
        institution_ids: vec![institution.to_owned()],
        summary: "Briefed the mission on the UPR of the DPRK".into(),
        follow_ups: vec![pb::FollowUpInput {
            action: action.into(),
            owner: String::new(),
            due: Some(local_time("2027-03-09T17:00", "Europe/Zurich")),
        }],
        ..Default::default()
    }
}

/// The value of the series `name{labels}` in a scrape, if it is there.
fn series(scrape: &str, name_and_labels: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
}

/// Waits until the briefing's follow-up has its deadline, and gives that deadline's id.
async fn follow_up_deadline(briefings: &BriefingsServiceClient<AuthedChannel>, id: &str, seconds: u64) -> String {
    eventually(seconds, || {
        let (mut client, id) = (briefings.clone(), id.to_owned());
        async move {
            let b = client.get_briefing(pb::GetBriefingRequest { id }).await.ok()?.into_inner();
            b.follow_ups.first().map(|f| f.deadline_id.clone()).filter(|d| !d.is_empty())
        }
    })
    .await
    .unwrap_or_else(|| panic!("the follow-up of {id} got no deadline within {seconds} s"))
}

/// How often each Message-ID arrived, by the title in its subject.
fn reminders_by_title(smtp: &SmtpServer) -> BTreeMap<String, (String, usize)> {
    let mut seen: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for message in smtp.received() {
        let parsed = message.parsed();
        let subject = parsed.subject().unwrap_or_default().to_owned();
        let id = parsed.message_id().unwrap_or_default().to_owned();
        let entry = seen.entry(subject).or_insert((id.clone(), 0));
        assert_eq!(entry.0, id, "one Message-ID per reminder");
        entry.1 += 1;
    }
    seen
}

#[tokio::test]
async fn five_services_as_separate_processes_run_the_work_degrade_when_one_is_killed_and_catch_up_after() {
    let mut deployment = Deployment::new().await;
    for service in SERVICES {
        deployment.start(service);
    }

    // 1. Briefings, with a follow-up that becomes a deadline in the deadlines process.
    let mut briefings = BriefingsServiceClient::new(deployment.channel("briefings").await);
    let mission = advocacy_tests::swiss_mission_in(&mut briefings).await;
    let first = briefings
        .log_briefing(briefing_with_follow_up("b-1", "10", &mission, "Send the UPR report"))
        .await
        .expect("logged")
        .into_inner();
    let first_follow_up = follow_up_deadline(&briefings, &first.id, 30).await;

    // 2. A submission and an amendment.
    let mut submissions = SubmissionsServiceClient::new(deployment.channel("submissions").await);
    submissions
        .create_submission(pb::CreateSubmissionRequest {
            request_id: "s-1".into(),
            title: "UPR stakeholder report: the penal system".into(),
            mechanism: "UPR".into(),
            kind: pb::SubmissionKind::UprStakeholderReport.into(),
            country: "KP".into(),
            word_count: 2_000,
            ..Default::default()
        })
        .await
        .expect("a submission");
    let resolution = submissions
        .create_resolution(pb::CreateResolutionRequest {
            request_id: "r-1".into(),
            body: "UN-HRC".into(),
            session: "HRC 61".into(),
            title: "Situation of human rights in the Democratic People's Republic of Korea".into(),
            symbol: String::new(),
        })
        .await
        .expect("a resolution")
        .into_inner();
    submissions
        .propose_amendment(pb::ProposeAmendmentRequest {
            request_id: "a-1".into(),
            resolution_id: resolution.id,
            paragraph_kind: pb::ParagraphKind::Operative.into(),
            paragraph_number: 4,
            proposed_text: "Calls for the immediate release of all political prisoners".into(),
            ..Default::default()
        })
        .await
        .expect("an amendment");

    // 3. A deadline reminded by email a few seconds from now.
    let mut deadlines = DeadlinesServiceClient::new(deployment.channel("deadlines").await);
    let soon = chrono::Utc::now() + chrono::Duration::seconds(4);
    deadlines.create_deadline(reminded_at(1, soon, &[ANA.to_owned()])).await.expect("a deadline");
    deployment.smtp.wait_for(1, 60).await;
    let reminded = reminders_by_title(&deployment.smtp);
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert!(reminded.keys().all(|s| s.contains("Submission 1")), "{reminded:?}");

    // 4. The impact report through the gateway's JSON API, every section there.
    let report = deployment.report().await;
    assert!(report.values().all(|s| s["available"] == true), "{report:?}");
    assert_eq!(figure(&report["briefings"], "briefings.governments_briefed"), 1);
    assert_eq!(figure(&report["submissions"], "submissions.by_mechanism/UPR"), 1);

    // A second reminder due while the deadlines service is down; then it is killed.
    let while_down = chrono::Utc::now() + chrono::Duration::seconds(4);
    deadlines.create_deadline(reminded_at(2, while_down, &[ANA.to_owned()])).await.expect("a deadline");
    deployment.kill("deadlines");

    // The report marks that section unavailable and shows the rest.
    let report = deployment.report().await;
    assert_eq!(report["deadlines"]["available"], false, "{:?}", report["deadlines"]);
    assert!(!report["deadlines"]["unavailable_reason"].as_str().unwrap_or_default().is_empty());
    assert_eq!(report["briefings"]["available"], true);
    assert_eq!(report["submissions"]["available"], true);

    // Briefings are still logged; their follow-ups wait for the deadlines service.
    let second = briefings
        .log_briefing(briefing_with_follow_up("b-2", "12", &mission, "Share the list of prisoners"))
        .await
        .expect("logged while deadlines is down")
        .into_inner();
    // The reminder waits too: its moment passes with the service down, and nothing goes.
    let past_moment = (while_down - chrono::Utc::now()).num_milliseconds().max(0) as u64 + 2_000;
    tokio::time::sleep(Duration::from_millis(past_moment)).await;
    let got = briefings.get_briefing(pb::GetBriefingRequest { id: second.id.clone() }).await.expect("read");
    assert!(got.into_inner().follow_ups[0].deadline_id.is_empty(), "no deadline while its service is down");
    assert_eq!(deployment.smtp.received().len(), 1, "the second reminder waits");

    // The deadlines service returns on its own database: everything catches up.
    deployment.start("deadlines");
    let second_follow_up = follow_up_deadline(&briefings, &second.id, 90).await;
    let arrived = deployment.smtp.wait_for(2, 90).await;
    assert_eq!(arrived.len(), 2, "the waiting reminder is sent");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let reminded = reminders_by_title(&deployment.smtp);
    assert_eq!(reminded.len(), 2, "{reminded:?}");
    assert!(reminded.values().all(|(_, n)| *n == 1), "no reminder twice: {reminded:?}");

    let mut deadlines = DeadlinesServiceClient::new(deployment.channel("deadlines").await);
    let listed = deadlines
        .list_deadlines(pb::ListDeadlinesRequest { page_size: 100, ..Default::default() })
        .await
        .expect("listed")
        .into_inner();
    let mut titles: Vec<String> = listed.deadlines.iter().map(|d| d.title.clone()).collect();
    titles.sort();
    assert_eq!(titles.len(), 4, "two reminded deadlines and two follow-ups, none lost or doubled: {titles:?}");
    let ids: Vec<&str> = listed.deadlines.iter().map(|d| d.id.as_str()).collect();
    assert!(ids.contains(&first_follow_up.as_str()) && ids.contains(&second_follow_up.as_str()));

    let report = deployment.report().await;
    assert!(report.values().all(|s| s["available"] == true), "{report:?}");
    assert_eq!(figure(&report["briefings"], "briefings.governments_briefed"), 1, "one government, twice");
    assert_eq!(
        figure(&report["deadlines"], "deadlines.open"),
        2,
        "the two due in 2026 (the follow-ups are due in 2027)"
    );

    // One request's id, in the log lines of the gateway and of each service it called.
    let id = format!("report-{}", uuid::Uuid::now_v7().simple());
    deployment.report_as_request(&id).await;
    for service in ["gateway", "briefings", "submissions", "deadlines"] {
        // Log lines reach the test through each process's stderr reader: wait (bounded).
        let running = &deployment.running[service];
        let logged = advocacy_tests::eventually(10, || async { Some(running.logged(&id)).filter(|l| !l.is_empty()) });
        assert!(logged.await.is_some(), "{service} logged the request {id}");
    }
    let briefings_line = &deployment.running["briefings"].logged(&id)[0];
    assert!(briefings_line.contains("BriefingAggregates"), "{briefings_line}");

    // What each process counted, in Prometheus's text format.
    let notifier = deployment.metrics("notifier").await;
    assert_eq!(series(&notifier, "advocacy_deliveries_total{result=\"sent\"}"), Some(2.0), "{notifier}");
    assert!(notifier.contains("advocacy_feed_lag_seconds{feed="), "{notifier}");
    // The follower watches again once its reconnect backoff since the restart has passed.
    let watching = "advocacy_feed_watching{feed=\"deadlines\"}";
    let watching_again = advocacy_tests::eventually(30, || async {
        (series(&deployment.metrics("notifier").await, watching) == Some(1.0)).then_some(())
    })
    .await;
    assert!(watching_again.is_some(), "watching again: {}", deployment.metrics("notifier").await);
    let pool = "advocacy_db_pool_connections{service=\"notifier\",state=\"max\"}";
    assert!(series(&notifier, pool) > Some(0.0), "{notifier}");
    let briefings_scrape = deployment.metrics("briefings").await;
    let retried: f64 = briefings_scrape
        .lines()
        .filter(|l| l.starts_with("advocacy_outbox_pushes_total{") && l.contains("result=\"retry\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(retried >= 1.0, "the follow-up was retried while deadlines was down: {briefings_scrape}");
    let waiting = "advocacy_outbox_rows{topic=\"follow-up-deadline\",state=\"pending\"}";
    assert_eq!(series(&briefings_scrape, waiting), Some(0.0), "nothing waits once deadlines is back");
    let deadlines_scrape = deployment.metrics("deadlines").await;
    let created = "advocacy_rpc_requests_total{method=\"/advocacy.v1.DeadlinesService/CreateDeadline\",code=\"Ok\"}";
    assert!(series(&deadlines_scrape, created).is_some(), "{deadlines_scrape}");
    assert!(deadlines_scrape.contains("advocacy_rpc_duration_seconds_bucket{"), "{deadlines_scrape}");
    for (service, server) in &deployment.running {
        eprintln!("peak memory of {service}: {} KiB", server.peak_memory_kib().unwrap_or(0));
    }
    deployment.finish().await;
}
