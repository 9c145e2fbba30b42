//! Briefings as advocacy staff log them and managers count them.

use std::time::Duration;

use advocacy_tests::{Person, TestSystem, eventually, first_failed_push, institution, local_time, pb, violated_fields};
use sqlx::Row;
use tonic::Code;

fn briefing(request_id: &str, local: &str, zone: &str, city: &str, institutions: &[&str]) -> pb::LogBriefingRequest {
    pb::LogBriefingRequest {
        request_id: request_id.into(),
        at: Some(local_time(local, zone)),
        city: city.into(),
        format: pb::BriefingFormat::InPerson.into(),
        institution_ids: institutions.iter().map(|s| (*s).to_owned()).collect(),
        themes: vec!["Penal system".into()],
        asks: vec!["Co-sponsor the resolution's paragraph on prisons".into()],
        summary: "Briefed on the new report.".into(),
        ..Default::default()
    }
}

fn period(start: i64, end: i64) -> Option<pb::Period> {
    Some(pb::Period {
        start: Some(prost_types::Timestamp { seconds: start, nanos: 0 }),
        end: Some(prost_types::Timestamp { seconds: end, nanos: 0 }),
    })
}

/// 2027-01-01 to 2028-01-01, UTC.
const YEAR_2027: (i64, i64) = (1_798_761_600, 1_830_297_600);

#[tokio::test]
async fn three_briefings_with_one_governments_ministry_mission_and_embassy_count_one_government() {
    let system = TestSystem::spawn().await;
    let mut client = system.briefings().await;
    let ministry =
        institution(&mut client, "Federal Department of Foreign Affairs", pb::InstitutionKind::Ministry, "CH", "Bern")
            .await;
    let mission = institution(
        &mut client,
        "Permanent Mission of Switzerland",
        pb::InstitutionKind::PermanentMission,
        "CH",
        "Geneva",
    )
    .await;
    let embassy =
        institution(&mut client, "Embassy of Switzerland in Seoul", pb::InstitutionKind::Embassy, "CH", "Seoul").await;
    let eeas =
        institution(&mut client, "Human rights division", pb::InstitutionKind::MultilateralUnit, "EU-EEAS", "Brussels")
            .await;
    let korea = institution(&mut client, "외교부", pb::InstitutionKind::Ministry, "KR", "Seoul").await;

    client.log_briefing(briefing("b-1", "2027-04-12T10:00", "Europe/Zurich", "Bern", &[&ministry])).await.expect("b1");
    client.log_briefing(briefing("b-2", "2027-04-20T15:00", "Europe/Zurich", "Geneva", &[&mission])).await.expect("b2");
    client
        .log_briefing(briefing("b-3", "2027-05-03T11:00", "Asia/Seoul", "Seoul", &[&embassy, &korea]))
        .await
        .expect("b3");
    let mut online = briefing("b-4", "2027-05-04T09:00", "Europe/Brussels", "", &[&eeas]);
    online.format = pb::BriefingFormat::Virtual.into();
    client.log_briefing(online).await.expect("b4");
    // Outside the period: not counted.
    client.log_briefing(briefing("b-5", "2026-12-31T10:00", "Europe/Zurich", "Bern", &[&ministry])).await.expect("b5");

    let figures = client
        .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: period(YEAR_2027.0, YEAR_2027.1) })
        .await
        .expect("aggregates")
        .into_inner();
    assert_eq!(figures.briefings, 4);
    assert_eq!(figures.governments_briefed, 2, "Switzerland three times and Korea once are two governments");
    assert_eq!(figures.multilateral_actors_briefed, 1);
    let pairs = |counts: &[pb::CountByKey]| counts.iter().map(|c| (c.key.clone(), c.count)).collect::<Vec<_>>();
    assert_eq!(pairs(&figures.by_format), [("in_person".into(), 3), ("virtual".into(), 1)]);
    assert_eq!(
        pairs(&figures.by_city),
        [("Bern".into(), 1), ("Geneva".into(), 1), ("Seoul".into(), 1), ("online".into(), 1)]
    );
    assert_eq!(pairs(&figures.by_month), [("2027-04".into(), 2), ("2027-05".into(), 2)]);

    let swiss = client
        .list_briefings(pb::ListBriefingsRequest {
            actor: "CH".into(),
            period: period(YEAR_2027.0, YEAR_2027.1),
            ..Default::default()
        })
        .await
        .expect("by actor")
        .into_inner();
    assert_eq!(
        swiss.briefings.len(),
        3,
        "newest first: {:?}",
        swiss.briefings.iter().map(|b| &b.at_local).collect::<Vec<_>>()
    );
    assert_eq!(swiss.briefings[0].at_local, "2027-05-03T11:00:00+09:00");
    assert_eq!(swiss.briefings[0].actors, ["CH", "KR"]);
    let themed = client
        .list_briefings(pb::ListBriefingsRequest { theme: "PENAL SYSTEM".into(), page_size: 2, ..Default::default() })
        .await
        .expect("by theme")
        .into_inner();
    assert_eq!(themed.briefings.len(), 2);
    let rest = client
        .list_briefings(pb::ListBriefingsRequest {
            theme: "penal system".into(),
            page_size: 2,
            page_token: themed.next_page_token,
            ..Default::default()
        })
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(rest.briefings.len(), 2);
    assert!(
        rest.briefings.iter().all(|b| !themed.briefings.iter().any(|t| t.id == b.id)),
        "no briefing twice across pages"
    );
    system.finish().await;
}

#[tokio::test]
async fn an_institution_is_registered_once_however_it_is_spelled() {
    let system = TestSystem::spawn().await;
    let mut client = system.briefings().await;
    let first =
        institution(&mut client, "Ministère des Affaires étrangères", pb::InstitutionKind::Ministry, "FR", "Paris")
            .await;
    let again = client
        .create_institution(pb::CreateInstitutionRequest {
            request_id: "other-request".into(),
            name: "  MINISTERE des affaires-etrangeres ".into(),
            kind: pb::InstitutionKind::Ministry.into(),
            actor: "FR".into(),
            ..Default::default()
        })
        .await
        .expect_err("the same institution");
    assert_eq!(again.code(), Code::AlreadyExists);
    assert!(again.message().contains(&first), "names the existing one: {}", again.message());
    // The same name for another government is another institution.
    institution(&mut client, "Ministère des Affaires étrangères", pb::InstitutionKind::Ministry, "BE", "Brussels")
        .await;
    // A retried request answers with the institution it made.
    let retried =
        institution(&mut client, "Ministère des Affaires étrangères", pb::InstitutionKind::Ministry, "FR", "Paris")
            .await;
    assert_eq!(retried, first);
    let french = client
        .list_institutions(pb::ListInstitutionsRequest { actor: "FR".into(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(french.institutions.len(), 1);
    system.finish().await;
}

#[tokio::test]
async fn follow_ups_become_deadlines_and_are_completed_from_either_side() {
    let system = TestSystem::spawn().await;
    let mut client = system.briefings().await;
    let mission =
        institution(&mut client, "Permanent Mission of Japan", pb::InstitutionKind::PermanentMission, "JP", "Geneva")
            .await;
    let mut request = briefing("f-1", "2027-03-02T10:00", "Europe/Zurich", "Geneva", &[&mission]);
    request.follow_ups = vec![
        pb::FollowUpInput {
            action: "Send the report on detention".into(),
            owner: String::new(),
            due: Some(local_time("2027-03-09T17:00", "")),
        },
        pb::FollowUpInput {
            action: "Propose paragraph text".into(),
            owner: "sam@advocacy.example".into(),
            due: Some(local_time("2027-03-16T12:00", "")),
        },
    ];
    let logged = client.log_briefing(request).await.expect("logged").into_inner();
    let id = logged.id.clone();

    let synced = eventually(10, || {
        let mut client = client.clone();
        let id = id.clone();
        async move {
            let b = client.get_briefing(pb::GetBriefingRequest { id }).await.ok()?.into_inner();
            b.follow_ups.iter().all(|f| !f.deadline_id.is_empty()).then_some(b)
        }
    })
    .await
    .expect("each follow-up gets its deadline");
    let mut deadlines = system.deadlines().await;
    let first = deadlines
        .get_deadline(pb::GetDeadlineRequest { id: synced.follow_ups[0].deadline_id.clone() })
        .await
        .expect("deadline")
        .into_inner();
    assert_eq!(first.kind, pb::DeadlineKind::FollowUp as i32);
    assert_eq!(first.owners, ["ana@advocacy.example"], "the owner defaults to whoever logged the briefing");
    assert_eq!(first.due_local, "2027-03-09T17:00:00+01:00", "in the briefing's zone");
    assert!(first.title.contains("Send the report on detention"));

    // Done in the briefing: the deadline is completed too.
    let after = client
        .complete_follow_up(pb::CompleteFollowUpRequest {
            request_id: "done-1".into(),
            briefing_id: id.clone(),
            follow_up_id: synced.follow_ups[0].id.clone(),
            expected_version: synced.version,
        })
        .await
        .expect("completed")
        .into_inner();
    assert!(after.follow_ups[0].done && after.version == synced.version + 1);
    let completed = eventually(10, || {
        let mut deadlines = deadlines.clone();
        let deadline_id = first.id.clone();
        async move {
            let d = deadlines.get_deadline(pb::GetDeadlineRequest { id: deadline_id }).await.ok()?.into_inner();
            (d.status == pb::DeadlineStatus::Completed as i32).then_some(d)
        }
    })
    .await;
    assert!(completed.is_some(), "the follow-up's deadline is completed");

    // Done in the deadlines service: the follow-up is done too.
    let second = deadlines
        .get_deadline(pb::GetDeadlineRequest { id: synced.follow_ups[1].deadline_id.clone() })
        .await
        .expect("deadline")
        .into_inner();
    deadlines
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "d-2".into(),
            id: second.id.clone(),
            expected_version: second.version,
            completed_at: None,
        })
        .await
        .expect("completed over there");
    let done = eventually(10, || {
        let mut client = client.clone();
        let id = id.clone();
        async move {
            let b = client.get_briefing(pb::GetBriefingRequest { id }).await.ok()?.into_inner();
            b.follow_ups[1].done.then_some(b)
        }
    })
    .await;
    assert!(done.is_some(), "the follow-up is marked done from the deadlines side");

    let figures = client
        .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: period(YEAR_2027.0, YEAR_2027.1) })
        .await
        .expect("aggregates")
        .into_inner();
    assert_eq!((figures.follow_ups_done, figures.follow_ups_open), (2, 0));
    system.finish().await;
}

#[tokio::test]
async fn a_follow_up_logged_while_deadlines_is_down_gets_its_deadline_when_it_returns() {
    // Reserve an address for the deadlines service, which is not running yet.
    let address = advocacy_tests::processes::free_addresses(1)[0];
    let url = format!("http://{address}");
    let briefings_only = TestSystem::spawn_with(&["briefings"], "127.0.0.1:0", |c| {
        c.services.entry("deadlines".into()).or_default().url = Some(url.clone());
    })
    .await;
    let mut client = briefings_only.briefings().await;
    let embassy =
        institution(&mut client, "Embassy of Canada in Seoul", pb::InstitutionKind::Embassy, "CA", "Seoul").await;
    let mut request = briefing("down-1", "2027-06-01T14:00", "Asia/Seoul", "Seoul", &[&embassy]);
    request.follow_ups = vec![pb::FollowUpInput {
        action: "Share the case list".into(),
        owner: String::new(),
        due: Some(local_time("2027-06-15T18:00", "")),
    }];
    let logged = client.log_briefing(request).await.expect("logging works while deadlines is down").into_inner();
    let (state, last_error) = first_failed_push(briefings_only.database("briefings")).await;
    assert_eq!(state, "pending", "still pending, to be retried");
    assert!(!last_error.is_empty(), "the failure is recorded for retry with its error");
    let waiting =
        client.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect("get").into_inner();
    assert!(waiting.follow_ups[0].deadline_id.is_empty(), "no deadline yet: the service is down");

    let deadlines_only = TestSystem::spawn_with(&["deadlines"], &address.to_string(), |_| {}).await;
    let id = logged.id.clone();
    let synced = eventually(40, || {
        let mut client = client.clone();
        let id = id.clone();
        async move {
            let b = client.get_briefing(pb::GetBriefingRequest { id }).await.ok()?.into_inner();
            (!b.follow_ups[0].deadline_id.is_empty()).then_some(b)
        }
    })
    .await
    .expect("the deadline is created once the service is back");
    let mut deadlines = deadlines_only.deadlines().await;
    let all = deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("list").into_inner();
    assert_eq!(all.deadlines.len(), 1, "exactly one deadline, whatever the retries");
    assert_eq!(all.deadlines[0].id, synced.follow_ups[0].deadline_id);
    briefings_only.finish().await;
    deadlines_only.finish().await;
}

#[tokio::test]
async fn restricted_and_quiet_briefings_are_hidden_but_counted() {
    let system = TestSystem::spawn().await;
    let quiet_person = Person {
        email: "q@advocacy.example",
        roles: vec![advocacy_platform::Role::Staff],
        compartments: vec!["quiet-diplomacy".into(), "briefing-notes".into()],
    };
    let mut insider = system.briefings_as(&quiet_person).await;
    let mut staff = system.briefings().await;
    let ministry =
        institution(&mut insider, "Ministry of Foreign Affairs", pb::InstitutionKind::Ministry, "MN", "Ulaanbaatar")
            .await;
    let mut quiet = briefing("q-1", "2027-02-01T10:00", "Asia/Ulaanbaatar", "Ulaanbaatar", &[&ministry]);
    quiet.quiet = true;
    quiet.notes = "The minister agreed privately to raise the case.".into();
    let refused = staff.log_briefing(quiet.clone()).await.expect_err("staff without the compartment");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let logged = insider.log_briefing(quiet).await.expect("logged").into_inner();
    assert_eq!(logged.notes, "The minister agreed privately to raise the case.");

    let mut open = briefing("q-2", "2027-02-02T10:00", "Asia/Ulaanbaatar", "Ulaanbaatar", &[&ministry]);
    open.notes = "Internal notes".into();
    let visible = insider.log_briefing(open).await.expect("logged").into_inner();

    assert_eq!(
        staff.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect_err("hidden").code(),
        Code::NotFound
    );
    let shown =
        staff.get_briefing(pb::GetBriefingRequest { id: visible.id.clone() }).await.expect("visible").into_inner();
    assert!(shown.notes.is_empty(), "notes are blanked without the notes compartment");
    let listed = staff.list_briefings(pb::ListBriefingsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.briefings.iter().map(|b| b.id.clone()).collect::<Vec<_>>(), vec![visible.id.clone()]);

    let figures = staff
        .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: period(YEAR_2027.0, YEAR_2027.1) })
        .await
        .expect("aggregates")
        .into_inner();
    assert_eq!(figures.briefings, 1, "the quiet briefing is in no figure for staff without quiet-diplomacy");
    assert_eq!(figures.governments_briefed, 1);
    assert_eq!(figures.quiet_or_restricted, 1, "but one restricted, not shown");
    assert_eq!(figures.by_format.iter().map(|c| c.count).sum::<i64>(), 1);
    let inside = insider
        .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: period(YEAR_2027.0, YEAR_2027.1) })
        .await
        .expect("aggregates")
        .into_inner();
    assert_eq!((inside.briefings, inside.quiet_or_restricted), (2, 0), "whoever may read it sees it counted");
    assert_eq!(inside.by_format.iter().map(|c| c.count).sum::<i64>(), 2);
    system.finish().await;
}

/// What the briefings database holds, in counts.
async fn database_state(system: &TestSystem) -> Vec<i64> {
    let queries = [
        "SELECT COUNT(*) FROM institutions",
        "SELECT COUNT(*) FROM briefings",
        "SELECT COUNT(*) FROM briefing_actors",
        "SELECT COUNT(*) FROM briefing_institutions",
        "SELECT COUNT(*) FROM briefing_themes",
        "SELECT COUNT(*) FROM follow_ups",
    ];
    system.numbers("briefings", &queries).await
}

#[tokio::test]
async fn each_bad_field_of_a_briefing_or_institution_is_named_and_nothing_is_written() {
    let system = TestSystem::spawn().await;
    let mut client = system.briefings().await;
    let ministry = institution(&mut client, "Ministry of Justice", pb::InstitutionKind::Ministry, "GB", "London").await;
    let before = database_state(&system).await;
    let unknown = "01a20000-0000-7000-8000-000000000000";

    type Edit = Box<dyn Fn(&mut pb::LogBriefingRequest)>;
    let log_cases: Vec<(&str, &str, Edit)> = vec![
        ("no request id", "request_id", Box::new(|r| r.request_id.clear())),
        ("no time", "at", Box::new(|r| r.at = None)),
        ("local time without zone", "at.zone", Box::new(|r| r.at = Some(local_time("2027-03-01T10:00", "")))),
        ("unknown zone", "at.zone", Box::new(|r| r.at = Some(local_time("2027-03-01T10:00", "Europe/Gotham")))),
        (
            "skipped hour (London jumps at 01:00)",
            "at.local",
            Box::new(|r| r.at = Some(local_time("2027-03-28T01:30", "Europe/London"))),
        ),
        ("year 10000", "at.local", Box::new(|r| r.at = Some(local_time("10000-03-01T10:00", "Europe/London")))),
        ("no format", "format", Box::new(|r| r.format = 0)),
        ("unknown format", "format", Box::new(|r| r.format = 42)),
        ("no institution", "institution_ids", Box::new(|r| r.institution_ids.clear())),
        (
            "malformed institution id",
            "institution_ids[0]",
            Box::new(|r| r.institution_ids = vec!["'; DROP TABLE briefings; --".into()]),
        ),
        ("unknown institution", "institution_ids[0]", Box::new(move |r| r.institution_ids = vec![unknown.into()])),
        ("bad attendee", "attendees[0]", Box::new(|r| r.attendees = vec!["not an email".into()])),
        ("100 KB summary", "summary", Box::new(|r| r.summary = "x".repeat(100 * 1024))),
        ("control characters in notes", "notes", Box::new(|r| r.notes = "a\u{0}b".into())),
        ("multi-line theme", "themes[0]", Box::new(|r| r.themes = vec!["a\nb".into()])),
        ("too many asks", "asks", Box::new(|r| r.asks = (0..51).map(|i| format!("ask {i}")).collect())),
        (
            "follow-up without action",
            "follow_ups[0].action",
            Box::new(|r| {
                r.follow_ups = vec![pb::FollowUpInput {
                    action: " ".into(),
                    owner: String::new(),
                    due: Some(local_time("2027-03-05T10:00", "")),
                }]
            }),
        ),
        (
            "follow-up with bad owner",
            "follow_ups[0].owner",
            Box::new(|r| {
                r.follow_ups = vec![pb::FollowUpInput {
                    action: "Call".into(),
                    owner: "x@".into(),
                    due: Some(local_time("2027-03-05T10:00", "")),
                }]
            }),
        ),
        (
            "follow-up without due",
            "follow_ups[0].due",
            Box::new(|r| {
                r.follow_ups = vec![pb::FollowUpInput { action: "Call".into(), owner: String::new(), due: None }]
            }),
        ),
        (
            "follow-up on 31 April",
            "follow_ups[0].due.local",
            Box::new(|r| {
                r.follow_ups = vec![pb::FollowUpInput {
                    action: "Call".into(),
                    owner: String::new(),
                    due: Some(local_time("2027-04-31T10:00", "")),
                }]
            }),
        ),
        (
            "unknown confidentiality",
            "classification.level",
            Box::new(|r| {
                r.classification =
                    Some(pb::Classification { level: 9, compartment: String::new(), ..Default::default() })
            }),
        ),
    ];
    for (name, field, edit) in &log_cases {
        let mut request = briefing("hostile", "2027-03-01T10:00", "Europe/London", "London", &[&ministry]);
        edit(&mut request);
        let error = client.log_briefing(request).await.expect_err(name);
        assert_eq!(error.code(), Code::InvalidArgument, "{name}: {}", error.message());
        assert_eq!(violated_fields(&error), [*field], "{name}: {}", error.message());
        assert_eq!(database_state(&system).await, before, "{name} wrote something");
    }

    let institution_cases: Vec<(&str, &str, pb::CreateInstitutionRequest)> = vec![
        ("empty name", "name", pb::CreateInstitutionRequest { name: " ".into(), ..valid_institution() }),
        ("punctuation only", "name", pb::CreateInstitutionRequest { name: "...".into(), ..valid_institution() }),
        ("huge name", "name", pb::CreateInstitutionRequest { name: "n".repeat(10_000), ..valid_institution() }),
        ("unknown actor", "actor", pb::CreateInstitutionRequest { actor: "XX".into(), ..valid_institution() }),
        ("lowercase actor", "actor", pb::CreateInstitutionRequest { actor: "ch".into(), ..valid_institution() }),
        ("unknown kind", "kind", pb::CreateInstitutionRequest { kind: 77, ..valid_institution() }),
        ("bad parent", "parent_id", pb::CreateInstitutionRequest { parent_id: "nope".into(), ..valid_institution() }),
        (
            "unknown parent",
            "parent_id",
            pb::CreateInstitutionRequest { parent_id: unknown.into(), ..valid_institution() },
        ),
    ];
    for (name, field, request) in institution_cases {
        let error = client.create_institution(request).await.expect_err(name);
        assert_eq!(error.code(), Code::InvalidArgument, "{name}: {}", error.message());
        assert_eq!(violated_fields(&error), [field], "{name}: {}", error.message());
        assert_eq!(database_state(&system).await, before, "{name} wrote something");
    }

    let no_period =
        client.get_briefing_aggregates(pb::BriefingAggregatesRequest { period: None }).await.expect_err("period");
    assert_eq!(violated_fields(&no_period), ["period"]);
    let backwards = client
        .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: period(YEAR_2027.1, YEAR_2027.0) })
        .await
        .expect_err("backwards");
    assert_eq!(violated_fields(&backwards), ["period.end"]);
    let missing = client.get_briefing(pb::GetBriefingRequest { id: unknown.into() }).await.expect_err("unknown");
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(database_state(&system).await, before);
    system.finish().await;
}

fn valid_institution() -> pb::CreateInstitutionRequest {
    pb::CreateInstitutionRequest {
        request_id: "i-hostile".into(),
        name: "Parliament".into(),
        kind: pb::InstitutionKind::Parliament.into(),
        actor: "CH".into(),
        city: "Bern".into(),
        parent_id: String::new(),
    }
}

#[tokio::test]
async fn a_briefing_is_corrected_at_the_version_read_without_losing_notes_the_editor_cannot_see() {
    let system = TestSystem::spawn().await;
    let notes_reader = Person {
        email: "nora@advocacy.example",
        roles: vec![advocacy_platform::Role::Staff],
        compartments: vec!["briefing-notes".into()],
    };
    let mut nora = system.briefings_as(&notes_reader).await;
    let mut ana = system.briefings().await;
    let swiss = institution(
        &mut nora,
        "Permanent Mission of Switzerland",
        pb::InstitutionKind::PermanentMission,
        "CH",
        "Geneva",
    )
    .await;
    let austrian =
        institution(&mut nora, "Permanent Mission of Austria", pb::InstitutionKind::PermanentMission, "AT", "Geneva")
            .await;
    let mut request = briefing("e-1", "2027-03-02T10:00", "Europe/Zurich", "Geneva", &[&swiss]);
    request.notes = "Ambassador open to co-sponsoring.".into();
    let logged = nora.log_briefing(request.clone()).await.expect("logged").into_inner();

    // Ana corrects the institution (it was the Austrian mission); she cannot see the notes.
    let seen = ana.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect("get").into_inner();
    assert!(seen.notes.is_empty());
    let corrected = pb::LogBriefingRequest { institution_ids: vec![austrian.clone()], notes: String::new(), ..request };
    let updated = ana
        .update_briefing(pb::UpdateBriefingRequest {
            request_id: "correct-1".into(),
            id: logged.id.clone(),
            expected_version: seen.version,
            briefing: Some(corrected.clone()),
        })
        .await
        .expect("updated")
        .into_inner();
    assert_eq!((updated.version, updated.actors.clone()), (2, vec!["AT".to_owned()]));
    let stale = ana
        .update_briefing(pb::UpdateBriefingRequest {
            request_id: "correct-again".into(),
            id: logged.id.clone(),
            expected_version: 1,
            briefing: Some(corrected),
        })
        .await
        .expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);

    let after = nora.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect("get").into_inner();
    assert_eq!(after.notes, "Ambassador open to co-sponsoring.", "notes the editor could not read are kept");
    let austria = nora
        .list_briefings(pb::ListBriefingsRequest { actor: "AT".into(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    let switzerland = nora
        .list_briefings(pb::ListBriefingsRequest { actor: "CH".into(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!((austria.briefings.len(), switzerland.briefings.len()), (1, 0), "the count moved with the correction");

    let bad = ana
        .update_briefing(pb::UpdateBriefingRequest {
            request_id: "bad-1".into(),
            id: logged.id.clone(),
            expected_version: 2,
            briefing: Some(pb::LogBriefingRequest { format: 99, ..Default::default() }),
        })
        .await
        .expect_err("bad content");
    assert!(violated_fields(&bad).contains(&"briefing.format".to_owned()), "{:?}", violated_fields(&bad));
    system.finish().await;
}

#[tokio::test]
async fn staff_logging_at_the_same_time_all_succeed() {
    let system = TestSystem::spawn().await;
    let mut client = system.briefings().await;
    let mission =
        institution(&mut client, "Permanent Mission of Norway", pb::InstitutionKind::PermanentMission, "NO", "Geneva")
            .await;
    let mut writers = Vec::new();
    for w in 0..8 {
        let mut client = system.briefings().await;
        let mission = mission.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..15 {
                let mut request =
                    briefing(&format!("c-{w}-{i}"), "2027-03-02T10:00", "Europe/Oslo", "Geneva", &[&mission]);
                request.follow_ups = vec![pb::FollowUpInput {
                    action: "Send the report".into(),
                    owner: String::new(),
                    due: Some(local_time("2027-03-09T17:00", "")),
                }];
                client.log_briefing(request).await.expect("every concurrent log succeeds");
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let figures = client
        .get_briefing_aggregates(pb::BriefingAggregatesRequest { period: period(YEAR_2027.0, YEAR_2027.1) })
        .await
        .expect("aggregates")
        .into_inner();
    assert_eq!(figures.briefings, 120);
    system.finish().await;
}

#[tokio::test]
async fn contacts_are_personal_data_readable_only_with_the_compartment_and_erasable() {
    let system = TestSystem::spawn().await;
    let keeper = Person {
        email: "kim@advocacy.example",
        roles: vec![advocacy_platform::Role::Staff],
        compartments: vec!["contacts".into()],
    };
    let mut kim = system.briefings_as(&keeper).await;
    let mut ana = system.briefings().await;
    let mission =
        institution(&mut kim, "Permanent Mission of Chile", pb::InstitutionKind::PermanentMission, "CL", "Geneva")
            .await;
    let contact = kim
        .create_contact(pb::CreateContactRequest {
            request_id: "c-1".into(),
            institution_id: mission.clone(),
            name: "María José Pérez".into(),
            role: "First Secretary, human rights".into(),
            email: "mj.perez@mission.example".into(),
            phone: "+41 22 000 00 00".into(),
        })
        .await
        .expect("created")
        .into_inner();

    // Without the compartment: the contact does not exist, and cannot be made or listed.
    assert_eq!(
        ana.get_contact(pb::GetContactRequest { id: contact.id.clone() }).await.expect_err("hidden").code(),
        Code::NotFound
    );
    assert_eq!(
        ana.list_contacts(pb::ListContactsRequest { institution_id: mission.clone() })
            .await
            .expect_err("denied")
            .code(),
        Code::PermissionDenied
    );
    let made = ana
        .create_contact(pb::CreateContactRequest {
            request_id: "c-2".into(),
            institution_id: mission.clone(),
            name: "X".into(),
            ..Default::default()
        })
        .await
        .expect_err("denied");
    assert_eq!(made.code(), Code::PermissionDenied);

    // A briefing names who was there; each reader sees as much as they may.
    let mut request = briefing("ct-1", "2027-03-02T10:00", "Europe/Zurich", "Geneva", &[&mission]);
    request.contact_ids = vec![contact.id.clone()];
    let logged = kim.log_briefing(request.clone()).await.expect("logged").into_inner();
    assert_eq!(logged.contacts[0].display, "María José Pérez");
    let as_ana =
        ana.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect("visible").into_inner();
    assert_eq!(as_ana.contacts[0].display, "a contact");
    let refused = ana
        .log_briefing(pb::LogBriefingRequest { request_id: "ct-2".into(), ..request })
        .await
        .expect_err("naming contacts needs the compartment");
    assert_eq!(refused.code(), Code::PermissionDenied);

    // Erasure on the person's request, by an admin: their data is gone, the briefing keeps a trace.
    let by_staff = kim
        .erase_contact(pb::EraseContactRequest { request_id: "e-0".into(), id: contact.id.clone() })
        .await
        .expect_err("erasing is for admins");
    assert_eq!(by_staff.code(), Code::PermissionDenied);
    let erased = system
        .briefings_as(&keeper.and_admin())
        .await
        .erase_contact(pb::EraseContactRequest { request_id: "e-1".into(), id: contact.id.clone() })
        .await
        .expect("erased")
        .into_inner();
    assert!(erased.erased);
    assert_eq!(
        (erased.name.as_str(), erased.email.as_str(), erased.phone.as_str(), erased.role.as_str()),
        ("", "", "", "")
    );
    let after =
        kim.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect("briefing").into_inner();
    assert_eq!(after.contacts[0].display, "a contact (erased)");
    let row = sqlx::query("SELECT name, email, phone, role FROM contacts")
        .fetch_one(&system.database("briefings").pool)
        .await
        .expect("row");
    let stored: (String, String, String, String) = (
        row.try_get(0).expect("n"),
        row.try_get(1).expect("e"),
        row.try_get(2).expect("p"),
        row.try_get(3).expect("r"),
    );
    assert_eq!(
        stored,
        (String::new(), String::new(), String::new(), String::new()),
        "nothing personal is left in the database"
    );

    let bad_phone = kim
        .create_contact(pb::CreateContactRequest {
            request_id: "c-3".into(),
            institution_id: mission.clone(),
            name: "Y".into(),
            phone: "call me maybe".into(),
            ..Default::default()
        })
        .await
        .expect_err("phone");
    assert_eq!(violated_fields(&bad_phone), ["phone"]);
    let bad_email = kim
        .create_contact(pb::CreateContactRequest {
            request_id: "c-4".into(),
            institution_id: mission,
            name: "Y".into(),
            email: "y@".into(),
            ..Default::default()
        })
        .await
        .expect_err("email");
    assert_eq!(violated_fields(&bad_email), ["email"]);
    system.finish().await;
}

fn import_row(line: i32, zone: &str, actor: &str, name: &str) -> pb::ImportBriefingRow {
    pb::ImportBriefingRow {
        line,
        request_id: format!("import:test:{line}"),
        institution: Some(pb::ImportedInstitution {
            actor: actor.into(),
            name: name.into(),
            kind: pb::InstitutionKind::Ministry.into(),
            city: String::new(),
        }),
        briefing: Some(pb::LogBriefingRequest {
            at: Some(local_time("2019-05-02T10:00", zone)),
            city: "Geneva".into(),
            format: pb::BriefingFormat::InPerson.into(),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn an_import_with_one_bad_row_in_a_thousand_writes_nothing_and_names_the_row() {
    let system = TestSystem::spawn().await;
    let mut client = system.briefings().await;
    let before = database_state(&system).await;
    let rows = |bad: Option<i32>| {
        (2..1002)
            .map(|line| {
                let zone = if Some(line) == bad { "Mars/Olympus" } else { "Europe/Zurich" };
                let (actor, name) = if line % 2 == 0 {
                    ("JP", "Ministry of Foreign Affairs")
                } else {
                    ("JP", "MINISTRY OF FOREIGN AFFAIRS ")
                };
                import_row(line, zone, actor, name)
            })
            .collect::<Vec<_>>()
    };
    let refused = client.import_briefings(tokio_stream::iter(rows(Some(500)))).await.expect_err("one bad row");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["line 500: at.zone"]);
    assert_eq!(database_state(&system).await, before, "nothing was written, not even the institution");

    let done = client.import_briefings(tokio_stream::iter(rows(None))).await.expect("clean file").into_inner();
    assert_eq!(
        (done.briefings, done.already_imported, done.institutions_created, done.institutions_matched),
        (1000, 0, 1, 0)
    );
    let again = client.import_briefings(tokio_stream::iter(rows(None))).await.expect("again").into_inner();
    assert_eq!((again.briefings, again.already_imported, again.institutions_matched), (0, 1000, 1));
    system.finish().await;
}

#[tokio::test]
async fn an_import_larger_than_its_byte_bound_is_refused_whole() {
    let system = TestSystem::spawn().await;
    let mut client = system.briefings().await;
    // About 60 KB a row (a 20,000-character summary in Hangul): 1,200 rows pass 64 MiB.
    let rows = (0..1_200).map(|i| {
        let mut row = import_row(i + 2, "Europe/Zurich", "CH", "Federal Department of Foreign Affairs");
        if let Some(b) = row.briefing.as_mut() {
            b.summary = "인권".repeat(10_000);
        }
        row
    });
    let refused = client.import_briefings(tokio_stream::iter(rows)).await.expect_err("too large");
    assert_eq!(violated_fields(&refused), ["rows"], "{refused:?}");
    assert!(refused.message().contains("64 MiB"), "{}", refused.message());
    assert_eq!(system.numbers("briefings", &["SELECT COUNT(*) FROM briefings"]).await, [0], "nothing written");
    system.finish().await;
}

#[tokio::test]
async fn a_third_import_at_once_waits_for_its_turn_and_then_goes_through() {
    let system = TestSystem::spawn().await;
    // Two imports whose files are still arriving hold both turns.
    let mut open = Vec::new();
    for n in 0..2 {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut client = system.briefings().await;
        let call = tokio::spawn(async move {
            client.import_briefings(tokio_stream::wrappers::ReceiverStream::new(rx)).await.map(|r| r.into_inner())
        });
        tx.send(import_row(n + 2, "Europe/Zurich", "CH", &format!("Ministry {n}"))).await.expect("a row");
        open.push((tx, call));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut third = system.briefings().await;
    let waiting = tokio::spawn(async move {
        let rows = vec![import_row(4, "Europe/Zurich", "CH", "Ministry 2")];
        third.import_briefings(tokio_stream::iter(rows)).await.map(|r| r.into_inner())
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!waiting.is_finished(), "the third waits while two are held");
    let (tx, first) = open.remove(0);
    drop(tx); // the first file ends
    let first = first.await.expect("joined").expect("the first import");
    let third = tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("in time").expect("joined");
    assert_eq!((first.briefings, third.expect("the third import").briefings), (1, 1));
    drop(open);
    system.finish().await;
}
