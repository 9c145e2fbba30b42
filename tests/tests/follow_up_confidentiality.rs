//! A follow-up's deadline is never more visible than its briefing, when it is made and
//! after any change: briefings keeps it in step through the outbox and UpdateDeadline.

use advocacy_platform::Role;
use advocacy_tests::{Person, TestSystem, eventually, institution, local_time, pb};
use tonic::Code;

fn briefing_with_follow_up(request_id: &str, mission: &str, action: &str) -> pb::LogBriefingRequest {
    pb::LogBriefingRequest {
        request_id: request_id.into(),
        at: Some(local_time("2027-03-02T10:00", "Europe/Zurich")),
        city: "Geneva".into(),
        format: pb::BriefingFormat::InPerson.into(),
        institution_ids: vec![mission.to_owned()],
        themes: vec!["Penal system".into()],
        summary: "Briefed on the camps.".into(),
        follow_ups: vec![pb::FollowUpInput {
            action: action.into(),
            owner: String::new(),
            due: Some(local_time("2027-03-09T17:00", "")),
        }],
        ..Default::default()
    }
}

fn quiet_diplomat() -> Person {
    Person { email: "nora@advocacy.example", roles: vec![Role::Staff], compartments: vec!["quiet-diplomacy".into()] }
}

/// The ids of the follow-up deadlines `person` finds in ListDeadlines and in the calendar.
async fn seen_by(system: &TestSystem, person: &Person) -> (Vec<String>, Vec<String>) {
    let mut deadlines = system.deadlines_as(person).await;
    let listed = deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("list").into_inner();
    let calendar = deadlines.export_calendar(pb::ExportCalendarRequest::default()).await.expect("ics").into_inner();
    let follow_ups: Vec<String> = listed
        .deadlines
        .iter()
        .filter(|d| d.kind == pb::DeadlineKind::FollowUp as i32)
        .map(|d| d.title.clone())
        .collect();
    let in_calendar = follow_ups.iter().filter(|t| calendar.ics.contains(t.as_str())).cloned().collect();
    (follow_ups, in_calendar)
}

/// The briefing once its follow-up has a deadline.
async fn synced(system: &TestSystem, person: &Person, id: &str) -> pb::Briefing {
    let client = system.briefings_as(person).await;
    eventually(20, || {
        let (mut client, id) = (client.clone(), id.to_owned());
        async move {
            let b = client.get_briefing(pb::GetBriefingRequest { id }).await.ok()?.into_inner();
            b.follow_ups.iter().all(|f| !f.deadline_id.is_empty()).then_some(b)
        }
    })
    .await
    .expect("the follow-up gets its deadline")
}

#[tokio::test]
async fn a_briefing_made_quiet_afterwards_takes_its_follow_up_deadline_out_of_everyones_view() {
    let system = TestSystem::spawn().await;
    let nora = quiet_diplomat();
    let mut briefings = system.briefings_as(&nora).await;
    let mission =
        institution(&mut briefings, "Ministry of Foreign Affairs", pb::InstitutionKind::Ministry, "CH", "Bern").await;
    let request = briefing_with_follow_up("q-1", &mission, "Send the minister the camp report");
    let logged = briefings.log_briefing(request.clone()).await.expect("logged").into_inner();
    let logged = synced(&system, &nora, &logged.id).await;
    let title = "Follow-up: Send the minister the camp report".to_owned();
    assert_eq!(
        seen_by(&system, &Person::staff()).await,
        (vec![title.clone()], vec![title.clone()]),
        "internal at first"
    );

    // Made quiet: the deadline follows, in the background.
    let quiet = pb::LogBriefingRequest { quiet: true, ..request };
    briefings
        .update_briefing(pb::UpdateBriefingRequest {
            id: logged.id.clone(),
            expected_version: logged.version,
            briefing: Some(quiet),
            request_id: "q-2".into(),
        })
        .await
        .expect("made quiet");
    let hidden = eventually(20, || async { seen_by(&system, &Person::staff()).await.0.is_empty().then_some(()) }).await;
    assert!(hidden.is_some(), "gone from ListDeadlines of those without quiet-diplomacy");
    assert_eq!(seen_by(&system, &Person::staff()).await, (vec![], vec![]), "and from their calendar");
    assert_eq!(seen_by(&system, &Person::manager()).await.0, Vec::<String>::new(), "managers are no exception");
    assert_eq!(seen_by(&system, &nora).await, (vec![title.clone()], vec![title]), "still Nora's");
    let deadline_id = &logged.follow_ups[0].deadline_id;
    let direct = system.deadlines().await.get_deadline(pb::GetDeadlineRequest { id: deadline_id.clone() }).await;
    assert_eq!(direct.expect_err("hidden").code(), Code::NotFound);

    // The feed tells the services what happened.
    let feed = system.deadlines_as(&Person::service()).await.list_changes(pb::ListChangesRequest::default()).await;
    let feed = feed.expect("feed").into_inner();
    let last = feed.changes.last().expect("a change");
    assert_eq!(last.kind, pb::ChangeKind::Updated as i32);
    let compartments = last.deadline.as_ref().and_then(|d| d.classification.as_ref()).map(|c| c.compartments.clone());
    assert_eq!(compartments, Some(vec!["quiet-diplomacy".to_owned()]));
    system.finish().await;
}

#[tokio::test]
async fn a_quiet_sanctions_briefing_gives_a_deadline_only_those_holding_both_can_read() {
    let system = TestSystem::spawn().await;
    let both = Person { compartments: vec!["quiet-diplomacy".into(), "sanctions".into()], ..quiet_diplomat() };
    let mut briefings = system.briefings_as(&both).await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of the UK",
        pb::InstitutionKind::PermanentMission,
        "GB",
        "Geneva",
    )
    .await;
    let request = pb::LogBriefingRequest {
        quiet: true,
        classification: Some(pb::Classification {
            level: pb::Confidentiality::Restricted.into(),
            compartment: "sanctions".into(),
            ..Default::default()
        }),
        ..briefing_with_follow_up("qs-1", &mission, "Share the designation evidence")
    };
    let logged = briefings.log_briefing(request).await.expect("logged").into_inner();
    let logged = synced(&system, &both, &logged.id).await;
    let title = "Follow-up: Share the designation evidence".to_owned();
    assert_eq!(seen_by(&system, &both).await.0, vec![title]);
    for partial in [Person::sanctions_staff(), quiet_diplomat(), Person::staff()] {
        assert_eq!(seen_by(&system, &partial).await, (vec![], vec![]), "{}", partial.email);
        let mut deadlines = system.deadlines_as(&partial).await;
        let id = logged.follow_ups[0].deadline_id.clone();
        let direct = deadlines.get_deadline(pb::GetDeadlineRequest { id }).await.expect_err("hidden");
        assert_eq!(direct.code(), Code::NotFound, "{}", partial.email);
    }
    system.finish().await;
}
