//! Bad and hostile input: each gets the right status naming the field, and nothing is
//! written: not a row, not a feed revision.

use advocacy_platform::{KeyDir, Role};
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_tests::{Person, TestSystem, local_time, new_deadline, pb, violated_fields};
use tonic::Code;

/// What the deadlines database holds, in counts: equal before and after means unchanged.
async fn database_state(system: &TestSystem) -> Vec<i64> {
    let queries = [
        "SELECT COUNT(*) FROM deadlines",
        "SELECT COUNT(*) FROM deadline_owners",
        "SELECT COUNT(*) FROM deadline_changes",
        "SELECT revision FROM feed_head",
        "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM deadlines",
    ];
    system.numbers("deadlines", &queries).await
}

fn create_case(
    name: &'static str,
    field: &'static str,
    edit: impl FnOnce(&mut pb::CreateDeadlineRequest),
) -> (&'static str, &'static str, pb::CreateDeadlineRequest) {
    let mut request = new_deadline("hostile", "A valid title", "2027-03-01T12:00");
    edit(&mut request);
    (name, field, request)
}

fn utc(seconds: i64, nanos: i32) -> Option<pb::WhenInput> {
    Some(pb::WhenInput {
        at: Some(pb::when_input::At::Utc(prost_types::Timestamp { seconds, nanos })),
        zone: String::new(),
    })
}

#[tokio::test]
async fn each_bad_field_of_a_create_is_named_and_nothing_is_written() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let existing = deadlines
        .create_deadline(new_deadline("seed", "Existing", "2027-02-01T12:00"))
        .await
        .expect("seed")
        .into_inner();
    let before = database_state(&system).await;

    let cases = vec![
        create_case("empty title", "title", |r| r.title = "   ".into()),
        create_case("100 KB title", "title", |r| r.title = "x".repeat(100 * 1024)),
        create_case("control characters in title", "title", |r| r.title = "Report\u{0}\u{7}".into()),
        create_case("unknown mechanism", "mechanism", |r| r.mechanism = "UN-MARS".into()),
        create_case("SQL in mechanism", "mechanism", |r| r.mechanism = "UPR'; DROP TABLE deadlines; --".into()),
        create_case("unknown time zone", "due.zone", |r| {
            r.due = Some(local_time("2027-03-01T12:00", "Europe/Atlantis"))
        }),
        create_case("abbreviation instead of zone", "due.zone", |r| {
            r.due = Some(local_time("2027-03-01T12:00", "CET"))
        }),
        create_case("year 10000", "due.local", |r| r.due = Some(local_time("10000-01-01T00:00", ""))),
        create_case("year 10000 as an instant", "due.utc", |r| r.due = utc(253_402_300_800, 0)),
        create_case("30 February", "due.local", |r| r.due = Some(local_time("2027-02-30T12:00", ""))),
        create_case("not a date", "due.local", |r| r.due = Some(local_time("next Tuesday", ""))),
        create_case("negative nanos", "due.utc", |r| r.due = utc(1_800_000_000, -1)),
        create_case("no due time", "due", |r| r.due = None),
        create_case("empty due time", "due", |r| r.due = Some(pb::WhenInput::default())),
        create_case("negative lead time", "lead_minutes[1]", |r| r.lead_minutes = vec![1_440, -60]),
        create_case("lead time over a year", "lead_minutes[0]", |r| r.lead_minutes = vec![600_000]),
        create_case("too many lead times", "lead_minutes", |r| r.lead_minutes = (1..=11).collect()),
        create_case("bad cron", "recurrence.cron", |r| {
            r.recurrence = Some(pb::Recurrence { cron: "every monday".into(), zone: String::new() })
        }),
        create_case("cron every minute", "recurrence.cron", |r| {
            r.recurrence = Some(pb::Recurrence { cron: "* * * * *".into(), zone: String::new() })
        }),
        create_case("cron that never fires", "recurrence.cron", |r| {
            r.recurrence = Some(pb::Recurrence { cron: "0 12 30 2 *".into(), zone: String::new() })
        }),
        create_case("unknown recurrence zone", "recurrence.zone", |r| {
            r.recurrence = Some(pb::Recurrence { cron: "0 12 * * MON".into(), zone: "Nowhere/Land".into() })
        }),
        create_case("bad owner email", "owners[1]", |r| {
            r.owners = vec!["ana@advocacy.example".into(), "not-an-email".into()]
        }),
        create_case("header injection in email", "owners[0]", |r| {
            r.owners = vec!["ana@advocacy.example\r\nBcc: all@x.org".into()]
        }),
        create_case("too many owners", "owners", |r| {
            r.owners = (0..21).map(|i| format!("p{i}@advocacy.example")).collect()
        }),
        create_case("javascript URL", "source_url", |r| r.source_url = "javascript:alert(1)".into()),
        create_case("URL without host", "source_url", |r| r.source_url = "https:///path".into()),
        create_case("a cron expression of megabytes", "recurrence.cron", |r| {
            r.recurrence =
                Some(pb::Recurrence { cron: format!("0 {} 12 * * MON", "0,".repeat(1_400_000)), zone: String::new() })
        }),
        create_case("a compartment text of a megabyte", "classification.compartment", |r| {
            r.classification = Some(pb::Classification {
                level: pb::Confidentiality::Restricted.into(),
                compartment: "sanctions,".repeat(100_000),
                ..Default::default()
            })
        }),
        create_case("a hundred thousand compartments", "classification.compartments", |r| {
            r.classification = Some(pb::Classification {
                level: pb::Confidentiality::Restricted.into(),
                compartments: vec!["sanctions".into(); 100_000],
                ..Default::default()
            })
        }),
        create_case("unknown kind", "kind", |r| r.kind = 99),
        create_case("no kind", "kind", |r| r.kind = 0),
        create_case("unknown confidentiality", "classification.level", |r| {
            r.classification = Some(pb::Classification { level: 42, compartment: String::new(), ..Default::default() })
        }),
        create_case("restricted without compartment", "classification.compartment", |r| {
            r.classification = Some(pb::Classification {
                level: pb::Confidentiality::Restricted.into(),
                compartment: String::new(),
                ..Default::default()
            })
        }),
        create_case("compartment with spaces", "classification.compartment", |r| {
            r.classification = Some(pb::Classification {
                level: pb::Confidentiality::Restricted.into(),
                compartment: "quiet diplomacy".into(),
                ..Default::default()
            })
        }),
        create_case("verified in the future", "verified_at", |r| {
            r.verified_at = Some(prost_types::Timestamp { seconds: 4_000_000_000, nanos: 0 })
        }),
        create_case("no request id", "request_id", |r| r.request_id = String::new()),
        create_case("huge request id", "request_id", |r| r.request_id = "r".repeat(10_000)),
    ];
    assert!(cases.len() >= 20);
    for (name, field, request) in cases {
        let error = deadlines.create_deadline(request).await.expect_err(name);
        assert_eq!(error.code(), Code::InvalidArgument, "{name}: {}", error.message());
        assert_eq!(violated_fields(&error), [field], "{name}: {}", error.message());
        assert_eq!(database_state(&system).await, before, "{name} wrote something");
    }

    // Several bad fields at once are all reported together.
    let mut many = new_deadline("", "", "2027-02-30T12:00");
    many.mechanism = "NOPE".into();
    let error = deadlines.create_deadline(many).await.expect_err("many");
    assert_eq!(violated_fields(&error), ["request_id", "title", "mechanism"]);

    // Nothing above disturbed the deadline that was there.
    let still = deadlines
        .get_deadline(pb::GetDeadlineRequest { id: existing.id.clone() })
        .await
        .expect("still there")
        .into_inner();
    assert_eq!(still, existing);
    assert_eq!(database_state(&system).await, before);
    system.finish().await;
}

#[tokio::test]
async fn bad_updates_reads_and_feed_requests_are_refused_without_effect() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let d = deadlines
        .create_deadline(new_deadline("seed", "Existing", "2027-02-01T12:00"))
        .await
        .expect("seed")
        .into_inner();
    let before = database_state(&system).await;
    let unknown = "01a20000-0000-7000-8000-000000000000".to_owned();
    let move_request = |id: &str, version: i64, due: Option<pb::WhenInput>| pb::MoveDeadlineRequest {
        request_id: format!("m-{version}-{id}"),
        id: id.to_owned(),
        expected_version: version,
        due,
        reason: String::new(),
    };

    let stale = deadlines
        .move_deadline(move_request(&d.id, 7, Some(local_time("2027-03-01T12:00", ""))))
        .await
        .expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);
    let missing_version = deadlines
        .move_deadline(move_request(&d.id, 0, Some(local_time("2027-03-01T12:00", ""))))
        .await
        .expect_err("no version");
    assert_eq!(violated_fields(&missing_version), ["expected_version"]);
    let gap = deadlines
        .move_deadline(move_request(&d.id, 1, Some(local_time("2027-03-28T02:15", ""))))
        .await
        .expect_err("gap");
    assert_eq!(violated_fields(&gap), ["due.local"]);
    let nowhere = deadlines
        .move_deadline(move_request(&unknown, 1, Some(local_time("2027-03-01T12:00", ""))))
        .await
        .expect_err("unknown");
    assert_eq!(nowhere.code(), Code::NotFound);
    let future_done = deadlines
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "c".into(),
            id: d.id.clone(),
            expected_version: 1,
            completed_at: Some(prost_types::Timestamp { seconds: 4_000_000_000, nanos: 0 }),
        })
        .await
        .expect_err("done in the future");
    assert_eq!(future_done.code(), Code::FailedPrecondition);
    let long_reason = deadlines
        .cancel_deadline(pb::CancelDeadlineRequest {
            request_id: "x".into(),
            id: d.id.clone(),
            expected_version: 1,
            reason: "r".repeat(5_000),
        })
        .await
        .expect_err("reason too long");
    assert_eq!(violated_fields(&long_reason), ["reason"]);

    let not_found = deadlines.get_deadline(pb::GetDeadlineRequest { id: unknown }).await.expect_err("unknown");
    assert_eq!(not_found.code(), Code::NotFound);
    let malformed =
        deadlines.get_deadline(pb::GetDeadlineRequest { id: "../../etc/passwd".into() }).await.expect_err("malformed");
    assert_eq!(violated_fields(&malformed), ["id"]);
    let token = deadlines
        .list_deadlines(pb::ListDeadlinesRequest { page_token: "forged!".into(), ..Default::default() })
        .await
        .expect_err("token");
    assert_eq!(violated_fields(&token), ["page_token"]);
    let size = deadlines
        .list_deadlines(pb::ListDeadlinesRequest { page_size: 100_000, ..Default::default() })
        .await
        .expect_err("size");
    assert_eq!(violated_fields(&size), ["page_size"]);
    let status = deadlines
        .list_deadlines(pb::ListDeadlinesRequest { statuses: vec![17], ..Default::default() })
        .await
        .expect_err("status");
    assert_eq!(violated_fields(&status), ["statuses[0]"]);
    let many = pb::ListDeadlinesRequest { statuses: vec![1; 40_000], ..Default::default() };
    let many = deadlines.list_deadlines(many).await.expect_err("forty thousand statuses");
    assert_eq!(violated_fields(&many), ["statuses"], "named, not INTERNAL");
    let mut feed = system.deadlines_as(&Person::service()).await;
    let revision =
        feed.list_changes(pb::ListChangesRequest { after_revision: -1, limit: 0 }).await.expect_err("revision");
    assert_eq!(violated_fields(&revision), ["after_revision"]);
    let watch = feed.watch_changes(pb::WatchChangesRequest { after_revision: -5 }).await.expect_err("watch revision");
    assert_eq!(violated_fields(&watch), ["after_revision"]);
    let occurrences = deadlines
        .list_occurrences(pb::ListOccurrencesRequest { id: d.id.clone(), from: None, limit: 100_000 })
        .await
        .expect_err("limit");
    assert_eq!(violated_fields(&occurrences), ["limit"]);

    assert_eq!(database_state(&system).await, before);
    system.finish().await;
}

#[tokio::test]
async fn calls_without_a_valid_token_are_refused_and_change_nothing() {
    let system = TestSystem::spawn().await;
    let before = database_state(&system).await;
    let request = new_deadline("anon", "Sneaky", "2027-03-01T12:00");

    let mut anonymous = DeadlinesServiceClient::new(system.anonymous_channel().await);
    let error = anonymous.create_deadline(request.clone()).await.expect_err("no token");
    assert_eq!(error.code(), Code::Unauthenticated);

    // A key of the same kind and name, made by someone else.
    let elsewhere = tempfile::tempdir().expect("a directory");
    let forger = KeyDir::new(elsewhere.path()).ensure("gateway", 0).expect("key");
    let forged = forger.issue(
        "eve@evil.example",
        vec![Role::Admin],
        vec!["sanctions".into()],
        chrono::Utc::now().timestamp(),
        3600,
    );
    let mut eve = DeadlinesServiceClient::new(system.channel_with_token(&forged).await);
    let error = eve.create_deadline(request.clone()).await.expect_err("forged");
    assert_eq!(error.code(), Code::Unauthenticated);
    assert!(error.message().contains("does not know"), "{}", error.message());

    let mut late =
        DeadlinesServiceClient::new(system.channel_with_token(&system.expired_token_for(&Person::staff())).await);
    let error = late.create_deadline(request.clone()).await.expect_err("expired");
    assert_eq!(error.code(), Code::Unauthenticated);
    assert!(error.message().contains("expired"), "{}", error.message());

    let mut garbage = DeadlinesServiceClient::new(system.channel_with_token("not.a.token").await);
    assert_eq!(
        garbage.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect_err("garbage").code(),
        Code::Unauthenticated
    );

    assert_eq!(database_state(&system).await, before);
    system.finish().await;
}

#[tokio::test]
async fn an_oversized_message_is_cut_off_by_the_server_limit() {
    let system = TestSystem::spawn().await;
    let before = database_state(&system).await;
    let mut deadlines = system.deadlines().await.max_encoding_message_size(64 * 1024 * 1024);
    let mut request = new_deadline("big", "Big", "2027-03-01T12:00");
    request.source_url = format!("https://example.org/{}", "a".repeat(5 * 1024 * 1024));
    let error = deadlines.create_deadline(request).await.expect_err("5 MB message");
    assert!(
        matches!(error.code(), Code::ResourceExhausted | Code::OutOfRange),
        "{:?}: {}",
        error.code(),
        error.message()
    );
    assert_eq!(database_state(&system).await, before);
    system.finish().await;
}

#[tokio::test]
async fn a_page_of_the_largest_records_stops_at_its_byte_bound_and_the_next_page_has_the_rest() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let domain = ["d", "e", "f"].map(|c| c.repeat(60)).join(".");
    let owners: Vec<String> = (0..20).map(|i| format!("{}{i:02}@{domain}.example", "o".repeat(58))).collect();
    for i in 0..220 {
        let largest = pb::CreateDeadlineRequest {
            owners: owners.clone(),
            lead_minutes: (1..=10).collect(),
            source_url: format!("https://example.org/{}", "p".repeat(2_000)),
            ..new_deadline(&format!("large-{i}"), &"유엔 인권이사회 보고서 ".repeat(21), "2027-03-01T12:00")
        };
        deadlines.create_deadline(largest).await.expect("the largest record allowed");
    }
    let (mut seen, mut page_token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let request = pb::ListDeadlinesRequest { page_size: 500, page_token, ..Default::default() };
        let page = deadlines.list_deadlines(request).await.expect("a page, never OUT_OF_RANGE").into_inner();
        pages += 1;
        seen.extend(page.deadlines.into_iter().map(|d| d.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert!(pages >= 2, "220 records of about 8 KB take more than one page of 1 MiB");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (220, 220), "every record once");
    let feed = system.deadlines_as(&Person::service()).await;
    let changes = feed.clone().list_changes(pb::ListChangesRequest { after_revision: 0, limit: 1000 }).await;
    let changes = changes.expect("the feed too stops at its bound").into_inner();
    assert!(changes.more && changes.changes.len() < 220, "{} changes", changes.changes.len());
    assert_eq!(changes.resume_after_revision, changes.changes.last().expect("some").revision);
    system.finish().await;
}
