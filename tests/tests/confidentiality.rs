//! Restricted deadlines (sanctions packages, quiet diplomacy) are visible only to people
//! granted their compartment; to everyone else they do not exist.

use advocacy_platform::Role;
use advocacy_tests::{Person, TestSystem, local_time, new_deadline, pb};
use tonic::Code;

fn sanctions_deadline(request_id: &str) -> pb::CreateDeadlineRequest {
    pb::CreateDeadlineRequest {
        mechanism: "SANCTIONS-UK".into(),
        kind: pb::DeadlineKind::Other.into(),
        classification: Some(pb::Classification {
            level: pb::Confidentiality::Restricted.into(),
            compartment: "sanctions".into(),
            ..Default::default()
        }),
        ..new_deadline(request_id, "Sanctions package: named prison officials", "2027-02-26T17:00")
    }
}

#[tokio::test]
async fn staff_without_the_compartment_cannot_read_list_watch_or_change_a_sanctions_deadline() {
    let system = TestSystem::spawn().await;
    let mut sam = system.deadlines_as(&Person::sanctions_staff()).await;
    let secret = sam.create_deadline(sanctions_deadline("s-1")).await.expect("created").into_inner();
    assert_eq!(secret.zone, "Europe/London");
    let public =
        sam.create_deadline(new_deadline("s-2", "UPR report", "2027-03-29T12:00")).await.expect("created").into_inner();

    let mut ana = system.deadlines_as(&Person::staff()).await;
    let get = ana.get_deadline(pb::GetDeadlineRequest { id: secret.id.clone() }).await.expect_err("hidden");
    assert_eq!(get.code(), Code::NotFound, "indistinguishable from an id that does not exist");
    assert!(!get.message().contains("Sanctions"));

    let listed = ana.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.deadlines.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), vec![public.id.clone()]);
    let by_mechanism = ana
        .list_deadlines(pb::ListDeadlinesRequest { mechanism: "SANCTIONS-UK".into(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert!(by_mechanism.deadlines.is_empty());

    // The feed is for services: its revisions would tell a person when hidden records changed.
    let feed = ana.list_changes(pb::ListChangesRequest { after_revision: 0, limit: 0 }).await.expect_err("feed");
    assert_eq!(feed.code(), Code::PermissionDenied);
    let watch = ana.watch_changes(pb::WatchChangesRequest { after_revision: 0 }).await.expect_err("watch");
    assert_eq!(watch.code(), Code::PermissionDenied);
    let mut sam_feed =
        system.deadlines_as(&Person { roles: vec![Role::Staff, Role::Manager], ..Person::sanctions_staff() }).await;
    let denied = sam_feed.list_changes(pb::ListChangesRequest { after_revision: 0, limit: 0 }).await.expect_err("feed");
    assert_eq!(denied.code(), Code::PermissionDenied, "not for people, whatever their compartments");
    let service = system.deadlines_as(&Person::service()).await.list_changes(pb::ListChangesRequest::default()).await;
    assert_eq!(service.expect("the notifier reads it").into_inner().changes.len(), 2, "every change, hidden ones too");

    for attempt in [
        ana.move_deadline(pb::MoveDeadlineRequest {
            request_id: "a-1".into(),
            id: secret.id.clone(),
            expected_version: 1,
            due: Some(local_time("2027-03-01T12:00", "")),
            reason: String::new(),
        })
        .await
        .err(),
        ana.complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "a-2".into(),
            id: secret.id.clone(),
            expected_version: 1,
            completed_at: None,
        })
        .await
        .err(),
        ana.cancel_deadline(pb::CancelDeadlineRequest {
            request_id: "a-3".into(),
            id: secret.id.clone(),
            expected_version: 1,
            reason: String::new(),
        })
        .await
        .err(),
        ana.list_occurrences(pb::ListOccurrencesRequest { id: secret.id.clone(), from: None, limit: 0 }).await.err(),
    ] {
        assert_eq!(attempt.map(|e| e.code()), Some(Code::NotFound));
    }

    let calendar = ana.export_calendar(pb::ExportCalendarRequest::default()).await.expect("ics").into_inner();
    assert!(!calendar.ics.contains("Sanctions") && !calendar.ics.contains(&secret.id));
    assert_eq!(calendar.events, 1);

    // A manager without the compartment is no exception; the holder still sees it whole.
    let mut maria = system.deadlines_as(&Person::manager()).await;
    assert_eq!(
        maria.get_deadline(pb::GetDeadlineRequest { id: secret.id.clone() }).await.expect_err("hidden").code(),
        Code::NotFound
    );
    let seen = sam.get_deadline(pb::GetDeadlineRequest { id: secret.id.clone() }).await.expect("visible").into_inner();
    assert_eq!(seen, secret);
    system.finish().await;
}

#[tokio::test]
async fn a_request_id_cannot_be_used_to_fish_for_a_hidden_deadline() {
    let system = TestSystem::spawn().await;
    let mut sam = system.deadlines_as(&Person::sanctions_staff()).await;
    let secret = sam.create_deadline(sanctions_deadline("guessable-id")).await.expect("created").into_inner();
    let mut ana = system.deadlines_as(&Person::staff()).await;

    // Replaying Sam's request as Ana: she may not file into a compartment she lacks.
    let replay = ana.create_deadline(sanctions_deadline("guessable-id")).await.expect_err("refused");
    assert_eq!(replay.code(), Code::PermissionDenied);

    // The same id for an ordinary deadline is simply Ana's own request.
    let own = ana
        .create_deadline(new_deadline("guessable-id", "Ana's own", "2027-03-01T12:00"))
        .await
        .expect("created")
        .into_inner();
    assert_ne!(own.id, secret.id);
    assert_eq!(own.title, "Ana's own");
    system.finish().await;
}

#[tokio::test]
async fn impact_figures_never_pinpoint_a_hidden_record() {
    let system = TestSystem::spawn_with(&advocacy::serve::service_names(), "127.0.0.1:0", |config| {
        config.organisation.zone = "Asia/Seoul".into();
    })
    .await;
    let mut sam = system.submissions_as(&Person::sanctions_staff()).await;
    let package = pb::CreateSubmissionRequest {
        request_id: "pkg-1".into(),
        title: "Designation package: camp commanders".into(),
        mechanism: "SANCTIONS-UK".into(),
        kind: pb::SubmissionKind::SanctionsPackage.into(),
        country: "KP".into(),
        word_count: 1_000,
        ..Default::default()
    };
    sam.create_submission(package).await.expect("filed");
    let mut ana = system.submissions_as(&Person::staff()).await;
    let seoul_day = |y: i32, m: u32, d: u32| {
        use chrono::TimeZone;
        let at = chrono_tz::Asia::Seoul.with_ymd_and_hms(y, m, d, 0, 0, 0).single().expect("a day");
        Some(prost_types::Timestamp { seconds: at.timestamp(), nanos: 0 })
    };
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Seoul).date_naive();
    let tomorrow = today.succ_opt().expect("tomorrow");
    use chrono::Datelike;
    let whole_days = pb::Period {
        start: seoul_day(today.year(), today.month(), today.day()),
        end: seoul_day(tomorrow.year(), tomorrow.month(), tomorrow.day()),
    };
    let figures = ana
        .get_submission_aggregates(pb::AggregatesRequest { period: Some(whole_days) })
        .await
        .expect("whole days in the organisation's zone")
        .into_inner();
    assert!(figures.by_mechanism.is_empty() && figures.by_kind.is_empty() && figures.by_status.is_empty());
    assert_eq!(figures.submissions_restricted, 1, "one restricted, not shown, with no breakdown");

    // Narrowing the period to find when it was filed is refused, at any resolution finer than a day.
    let now = chrono::Utc::now().timestamp();
    for (start, end) in [(now - 60, now + 60), (now / 86_400 * 86_400, now / 86_400 * 86_400 + 86_400)] {
        let narrow = pb::Period {
            start: Some(prost_types::Timestamp { seconds: start, nanos: 0 }),
            end: Some(prost_types::Timestamp { seconds: end, nanos: 0 }),
        };
        let refused = ana.get_submission_aggregates(pb::AggregatesRequest { period: Some(narrow) }).await;
        let refused = refused.expect_err("not whole days in Seoul");
        assert_eq!(advocacy_tests::violated_fields(&refused), ["period.start"], "{refused:?}");
        let mut briefings = system.briefings().await;
        let refused = briefings.get_briefing_aggregates(pb::BriefingAggregatesRequest { period: Some(narrow) }).await;
        let refused = refused.expect_err("the same rule for briefings");
        assert_eq!(advocacy_tests::violated_fields(&refused), ["period.start"]);
    }
    system.finish().await;
}
