//! One rule for every write RPC of every service: the same request id with the same
//! content gets the first answer again and writes nothing more; the same id with other
//! content is ALREADY_EXISTS naming `request_id` and writes nothing; and a replay never
//! shows what the caller may no longer see. (Imports are idempotent row by row instead:
//! a row imported before is counted as such, see the import tests.)

use std::future::Future;
use std::pin::Pin;

use prost::Message;
use sqlx::Row;
use tonic::{Code, Status};

use advocacy_platform::Role;
use advocacy_tests::{Person, TestSystem, institution, local_time, new_deadline, pb, violated_fields};

type Answer = Pin<Box<dyn Future<Output = Result<Vec<u8>, Status>> + Send>>;

/// One write RPC: `send(false)` sends the request, `send(true)` the same request id with
/// other content.
struct Case {
    rpc: &'static str,
    service: &'static str,
    send: Box<dyn Fn(bool) -> Answer>,
}

/// A case calling `$method` on `$client` with the request `$request` builds, which may
/// look at `$other` (whether to send other content). Captured values are cloned per call.
macro_rules! case {
    ($rpc:literal, $service:literal, $client:expr, $method:ident, [$($captured:ident),*], |$other:ident| $request:expr) => {{
        let client = $client.clone();
        $(let $captured = $captured.clone();)*
        Case {
            rpc: $rpc,
            service: $service,
            send: Box::new(move |$other: bool| {
                let mut client = client.clone();
                $(let $captured = $captured.clone();)*
                let request = $request;
                Box::pin(async move { client.$method(request).await.map(|r| r.into_inner().encode_to_vec()) })
            }),
        }
    }};
}

/// Requests kept for the people of this test (the services' own background calls, such as
/// follow-up deadlines, are kept too, and come and go on their own time).
async fn requests_kept(system: &TestSystem, service: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM requests WHERE request_id LIKE 'ana@%' OR request_id LIKE 'nora@%'")
        .fetch_one(&system.database(service).pool)
        .await
        .expect("count requests")
        .try_get(0)
        .expect("count")
}

fn quiet_diplomat() -> Person {
    Person {
        email: "nora@advocacy.example",
        roles: vec![Role::Staff],
        compartments: vec!["quiet-diplomacy".into(), "contacts".into()],
    }
}

#[tokio::test]
async fn every_write_rpc_answers_a_retry_once_and_refuses_a_reused_id() {
    let system = TestSystem::spawn().await;
    let staff = Person::staff();
    let deadlines = system.deadlines_as(&staff).await;
    let submissions = system.submissions_as(&staff).await;
    let briefings = system.briefings_as(&quiet_diplomat().and_admin()).await;
    let gateway = system.gateway_as(&quiet_diplomat().and_admin()).await;
    let mut g = gateway.clone();
    let person = |n: &str| pb::CreatePersonRequest {
        request_id: format!("setup-{n}"),
        email: format!("{n}@advocacy.example"),
        name: format!("Person {n}"),
        roles: vec!["staff".into()],
        ..Default::default()
    };
    let to_change = g.create_person(person("changed")).await.expect("a person").into_inner();
    g.create_person(person("reset")).await.expect("a person");

    // Records for the updates to work on, one each, so no case depends on another.
    let d = deadlines.clone();
    let deadline = |n: &str| {
        let request = new_deadline(&format!("setup-{n}"), &format!("Deadline {n}"), "2027-03-29T12:00");
        let mut d = d.clone();
        async move { d.create_deadline(request).await.expect("deadline").into_inner().id }
    };
    let (to_move, to_complete, to_cancel) = (deadline("m").await, deadline("c").await, deadline("x").await);
    let deadline_to_update = deadline("u").await;
    let mut s = submissions.clone();
    let draft = |n: &str| pb::CreateSubmissionRequest {
        request_id: format!("setup-{n}"),
        title: format!("UPR report {n}"),
        mechanism: "UPR".into(),
        kind: pb::SubmissionKind::UprStakeholderReport.into(),
        country: "KP".into(),
        word_count: 1_000,
        ..Default::default()
    };
    let to_submit = s.create_submission(draft("s")).await.expect("draft").into_inner().id;
    let to_edit = s.create_submission(draft("e")).await.expect("draft").into_inner().id;
    let resolution = |n: &str| pb::CreateResolutionRequest {
        request_id: format!("setup-{n}"),
        body: "UN-HRC".into(),
        session: "HRC 61".into(),
        title: format!("Situation of human rights {n}"),
        symbol: String::new(),
    };
    let to_table = s.create_resolution(resolution("t")).await.expect("resolution").into_inner().id;
    let amended = s.create_resolution(resolution("a")).await.expect("resolution").into_inner().id;
    let proposal = |n: &str, text: &str| pb::ProposeAmendmentRequest {
        request_id: format!("setup-{n}"),
        resolution_id: amended.clone(),
        paragraph_kind: pb::ParagraphKind::Operative.into(),
        paragraph_number: 12,
        proposed_text: text.into(),
        ..Default::default()
    };
    let to_decide = s.propose_amendment(proposal("o", "Calls for the release of all detainees")).await;
    let to_decide = to_decide.expect("amendment").into_inner().id;
    let to_revise = s.propose_amendment(proposal("r", "Urges access for the Special Rapporteur")).await;
    let to_revise = to_revise.expect("amendment").into_inner().id;
    let mut b = briefings.clone();
    let mission =
        institution(&mut b, "Permanent Mission of Norway", pb::InstitutionKind::PermanentMission, "NO", "Geneva").await;
    let log = {
        let mission = mission.clone();
        move |n: &str| pb::LogBriefingRequest {
            request_id: format!("setup-{n}"),
            at: Some(local_time("2027-02-01T10:00", "Europe/Zurich")),
            city: "Geneva".into(),
            format: pb::BriefingFormat::InPerson.into(),
            institution_ids: vec![mission.clone()],
            summary: format!("Briefing {n}"),
            follow_ups: vec![pb::FollowUpInput {
                action: "Send the report".into(),
                owner: String::new(),
                due: Some(local_time("2027-02-15T17:00", "")),
            }],
            ..Default::default()
        }
    };
    let to_update = b.log_briefing(log("u")).await.expect("briefing").into_inner();
    let with_follow_up = b.log_briefing(log("f")).await.expect("briefing").into_inner();
    let follow_up = with_follow_up.follow_ups[0].id.clone();
    let contact = |n: &str| pb::CreateContactRequest {
        request_id: format!("setup-contact-{n}"),
        institution_id: mission.clone(),
        name: format!("{n}. Diplomat"),
        role: "Counsellor".into(),
        email: format!("{n}.diplomat@example.org"),
        phone: String::new(),
    };
    let person = b.create_contact(contact("a")).await.expect("contact").into_inner().id;
    let another = b.create_contact(contact("d")).await.expect("contact").into_inner().id;
    let (update_id, update_version) = (to_update.id.clone(), to_update.version);
    let (briefing_id, briefing_version) = (with_follow_up.id.clone(), with_follow_up.version);

    let cases = vec![
        case!("CreateDeadline", "deadlines", deadlines, create_deadline, [], |other| {
            let title = if other { "Another deadline" } else { "CRC report" };
            new_deadline("w-create-deadline", title, "2027-05-10T12:00")
        }),
        case!("MoveDeadline", "deadlines", deadlines, move_deadline, [to_move], |other| pb::MoveDeadlineRequest {
            request_id: "w-move".into(),
            id: to_move,
            expected_version: 1,
            due: Some(local_time(if other { "2027-04-09T12:00" } else { "2027-04-02T12:00" }, "")),
            reason: "cut-off extended".into(),
        }),
        case!("UpdateDeadline", "deadlines", deadlines, update_deadline, [deadline_to_update], |other| {
            pb::UpdateDeadlineRequest {
                request_id: "w-update".into(),
                id: deadline_to_update,
                expected_version: 1,
                update_mask: Some(prost_types::FieldMask { paths: vec!["title".into()] }),
                title: if other { "Another title".into() } else { "UPR report, final".into() },
                ..Default::default()
            }
        }),
        case!("CompleteDeadline", "deadlines", deadlines, complete_deadline, [to_complete], |other| {
            pb::CompleteDeadlineRequest {
                request_id: "w-complete".into(),
                id: to_complete,
                expected_version: 1,
                completed_at: other.then_some(prost_types::Timestamp { seconds: 1_790_000_000, nanos: 0 }),
            }
        }),
        case!("CancelDeadline", "deadlines", deadlines, cancel_deadline, [to_cancel], |other| {
            pb::CancelDeadlineRequest {
                request_id: "w-cancel".into(),
                id: to_cancel,
                expected_version: 1,
                reason: if other { "moved to the next cycle" } else { "session postponed" }.into(),
            }
        }),
        case!("CreateSubmission", "submissions", submissions, create_submission, [], |other| {
            pb::CreateSubmissionRequest {
                request_id: "w-create-submission".into(),
                word_count: if other { 2_000 } else { 1_500 },
                ..draft("w")
            }
        }),
        case!("RecordSubmissionStatus", "submissions", submissions, record_submission_status, [to_submit], |other| {
            pb::RecordSubmissionStatusRequest {
                request_id: "w-status".into(),
                id: to_submit,
                expected_version: 1,
                status: pb::SubmissionStatus::Submitted.into(),
                at: None,
                note: if other { "by post" } else { "by email" }.into(),
            }
        }),
        case!("UpdateSubmission", "submissions", submissions, update_submission, [to_edit], |other| {
            pb::UpdateSubmissionRequest {
                request_id: "w-edit".into(),
                id: to_edit,
                expected_version: 1,
                title: if other { "Another title" } else { "UPR report (final)" }.into(),
                word_count: 1_200,
                ..Default::default()
            }
        }),
        case!("CreateResolution", "submissions", submissions, create_resolution, [], |other| {
            pb::CreateResolutionRequest {
                request_id: "w-resolution".into(),
                title: if other { "Another resolution" } else { "Situation of human rights in the country" }.into(),
                ..resolution("w")
            }
        }),
        case!("RecordResolutionState", "submissions", submissions, record_resolution_state, [to_table], |other| {
            pb::RecordResolutionStateRequest {
                request_id: "w-state".into(),
                id: to_table,
                expected_version: 1,
                state: if other { pb::ResolutionState::Rejected } else { pb::ResolutionState::Tabled }.into(),
                adopted_on: None,
                vote: None,
            }
        }),
        case!("ProposeAmendment", "submissions", submissions, propose_amendment, [amended], |other| {
            pb::ProposeAmendmentRequest {
                request_id: "w-propose".into(),
                resolution_id: amended,
                paragraph_kind: pb::ParagraphKind::Preambular.into(),
                paragraph_number: if other { 4 } else { 3 },
                proposed_text: "Acknowledging the entire penal system".into(),
                ..Default::default()
            }
        }),
        case!("UpdateAmendment", "submissions", submissions, update_amendment, [to_revise], |other| {
            pb::UpdateAmendmentRequest {
                request_id: "w-revise".into(),
                id: to_revise,
                expected_version: 1,
                paragraph_kind: pb::ParagraphKind::Operative.into(),
                paragraph_number: 12,
                proposed_text: "Urges access for the Special Rapporteur".into(),
                lobbied: vec![if other { "FR" } else { "CH" }.into()],
                ..Default::default()
            }
        }),
        case!("RecordAmendmentOutcome", "submissions", submissions, record_amendment_outcome, [to_decide], |other| {
            pb::RecordAmendmentOutcomeRequest {
                request_id: "w-outcome".into(),
                id: to_decide,
                expected_version: 1,
                status: pb::AmendmentStatus::AdoptedInPart.into(),
                adopted_text: if other { "Calls for the release" } else { "Calls for the release of detainees" }.into(),
            }
        }),
        case!("CreatePublication", "submissions", submissions, create_publication, [], |other| {
            pb::CreatePublicationRequest {
                request_id: "w-publication".into(),
                title: if other { "Another report" } else { "The penal system" }.into(),
                kind: pb::PublicationKind::InvestigativeReport.into(),
                published_on: Some(prost_types::Timestamp { seconds: 1_780_000_000, nanos: 0 }),
                ..Default::default()
            }
        }),
        case!("CreateInstitution", "briefings", briefings, create_institution, [], |other| {
            pb::CreateInstitutionRequest {
                request_id: "w-institution".into(),
                name: if other { "Embassy of Norway in Tokyo" } else { "Embassy of Norway in Seoul" }.into(),
                kind: pb::InstitutionKind::Embassy.into(),
                actor: "NO".into(),
                city: "Seoul".into(),
                parent_id: String::new(),
            }
        }),
        case!("CreateContact", "briefings", briefings, create_contact, [mission], |other| pb::CreateContactRequest {
            request_id: "w-contact".into(),
            institution_id: mission,
            name: if other { "B. Diplomat" } else { "C. Diplomat" }.into(),
            role: "First Secretary".into(),
            email: String::new(),
            phone: String::new(),
        }),
        case!("EraseContact", "briefings", briefings, erase_contact, [person, another], |other| {
            pb::EraseContactRequest { request_id: "w-erase".into(), id: if other { another } else { person } }
        }),
        case!("LogBriefing", "briefings", briefings, log_briefing, [log], |other| pb::LogBriefingRequest {
            request_id: "w-log".into(),
            summary: if other { "Another summary" } else { "Briefed on the report" }.into(),
            ..log("w")
        }),
        case!("UpdateBriefing", "briefings", briefings, update_briefing, [update_id, log], |other| {
            pb::UpdateBriefingRequest {
                request_id: "w-update".into(),
                id: update_id,
                expected_version: update_version,
                briefing: Some(pb::LogBriefingRequest {
                    summary: if other { "Corrected again" } else { "Corrected" }.into(),
                    follow_ups: vec![],
                    ..log("u")
                }),
            }
        }),
        case!("CompleteFollowUp", "briefings", briefings, complete_follow_up, [briefing_id, follow_up], |other| {
            pb::CompleteFollowUpRequest {
                request_id: "w-follow-up".into(),
                briefing_id,
                follow_up_id: follow_up,
                expected_version: if other { briefing_version + 5 } else { briefing_version },
            }
        }),
        case!("CreatePerson", "gateway", gateway, create_person, [], |other| pb::CreatePersonRequest {
            request_id: "w-person".into(),
            email: "lee@advocacy.example".into(),
            name: if other { "Lee Min" } else { "Lee Min-jun" }.into(),
            roles: vec!["staff".into()],
            ..Default::default()
        }),
        case!("UpdatePerson", "gateway", gateway, update_person, [], |other| pb::UpdatePersonRequest {
            request_id: "w-update-person".into(),
            email: "changed@advocacy.example".into(),
            expected_version: to_change.version,
            grant_roles: vec![if other { "admin" } else { "manager" }.into()],
            ..Default::default()
        }),
        case!("SetPassword", "gateway", gateway, set_password, [], |other| pb::SetPasswordRequest {
            request_id: "w-password".into(),
            email: if other { "changed@advocacy.example" } else { "reset@advocacy.example" }.into(),
            password: "a long enough passphrase".into(),
        }),
    ];

    for case in &cases {
        let first = (case.send)(false).await.unwrap_or_else(|e| panic!("{}: first call: {e}", case.rpc));
        let kept = requests_kept(&system, case.service).await;
        let again = (case.send)(false).await.unwrap_or_else(|e| panic!("{}: retry: {e}", case.rpc));
        assert_eq!(again, first, "{}: a retry gets the first answer", case.rpc);
        let reused = (case.send)(true).await.expect_err(case.rpc);
        assert_eq!(reused.code(), Code::AlreadyExists, "{}: {}", case.rpc, reused.message());
        assert_eq!(violated_fields(&reused), ["request_id"], "{}", case.rpc);
        assert_eq!(requests_kept(&system, case.service).await, kept, "{}: neither wrote anything", case.rpc);
    }
    assert_eq!(cases.len(), 23, "every write RPC but the imports");
    system.finish().await;
}

#[tokio::test]
async fn a_replay_shows_nothing_the_caller_may_no_longer_see() {
    let system = TestSystem::spawn().await;

    // A move of a restricted deadline, replayed with a token that no longer carries the
    // compartment.
    let sam = Person::sanctions_staff();
    let mut request = new_deadline("r-1", "UK package cut-off", "2027-03-01T12:00");
    request.mechanism = "SANCTIONS-UK".into();
    request.kind = pb::DeadlineKind::Other.into();
    request.classification = Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        ..Default::default()
    });
    let mut with = system.deadlines_as(&sam).await;
    let created = with.create_deadline(request).await.expect("created").into_inner();
    let moved = pb::MoveDeadlineRequest {
        request_id: "r-2".into(),
        id: created.id.clone(),
        expected_version: created.version,
        due: Some(local_time("2027-03-08T12:00", "")),
        reason: "extended".into(),
    };
    with.move_deadline(moved.clone()).await.expect("moved");
    let sam_without = Person { compartments: vec![], ..sam };
    let replay = system.deadlines_as(&sam_without).await.move_deadline(moved).await.expect_err("hidden now");
    assert_eq!(replay.code(), Code::NotFound);
    assert!(!replay.message().contains("UK package"), "{}", replay.message());

    // A briefing logged by staff, then made quiet by someone who may: its replay to the
    // staff member who logged it says no more than a read does.
    let ana = Person::staff();
    let mut staff = system.briefings_as(&ana).await;
    let mission =
        institution(&mut staff, "Permanent Mission of Japan", pb::InstitutionKind::PermanentMission, "JP", "Geneva")
            .await;
    let log = pb::LogBriefingRequest {
        request_id: "r-log".into(),
        at: Some(local_time("2027-02-01T10:00", "Europe/Zurich")),
        city: "Geneva".into(),
        format: pb::BriefingFormat::InPerson.into(),
        institution_ids: vec![mission],
        summary: "The minister asked for the camp report".into(),
        asks: vec!["Raise the camps at the next session".into()],
        ..Default::default()
    };
    let logged = staff.log_briefing(log.clone()).await.expect("logged").into_inner();
    let mut nora = system.briefings_as(&quiet_diplomat()).await;
    nora.update_briefing(pb::UpdateBriefingRequest {
        request_id: "r-quiet".into(),
        id: logged.id.clone(),
        expected_version: logged.version,
        briefing: Some(pb::LogBriefingRequest { quiet: true, ..log.clone() }),
    })
    .await
    .expect("made quiet");
    let read = staff.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect_err("quiet now");
    assert_eq!(read.code(), Code::NotFound);
    let replay = staff.log_briefing(log).await.expect_err("the replay is hidden too");
    assert_eq!(replay.code(), Code::NotFound, "{}", replay.message());
    assert!(!replay.message().contains("camp"), "{}", replay.message());
    system.finish().await;
}

#[tokio::test]
async fn a_replayed_update_hides_notes_the_briefing_no_longer_lets_the_caller_read() {
    let system = TestSystem::spawn().await;
    let sam = Person::sanctions_staff();
    let mut briefings = system.briefings_as(&sam).await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of the United Kingdom",
        pb::InstitutionKind::PermanentMission,
        "GB",
        "Geneva",
    )
    .await;
    let restricted = Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        ..Default::default()
    });
    let log = pb::LogBriefingRequest {
        request_id: "n-log".into(),
        at: Some(local_time("2027-02-01T10:00", "Europe/London")),
        city: "London".into(),
        format: pb::BriefingFormat::InPerson.into(),
        institution_ids: vec![mission],
        summary: "Designations discussed".into(),
        notes: "Names of the officials the package proposes".into(),
        classification: restricted.clone(),
        ..Default::default()
    };
    let logged = briefings.log_briefing(log.clone()).await.expect("logged").into_inner();
    let edit = pb::UpdateBriefingRequest {
        request_id: "n-edit".into(),
        id: logged.id.clone(),
        expected_version: logged.version,
        briefing: Some(pb::LogBriefingRequest { summary: "Designations discussed at length".into(), ..log.clone() }),
    };
    let edited = briefings.update_briefing(edit.clone()).await.expect("edited").into_inner();
    assert_eq!(edited.notes, log.notes, "restricted to sanctions: its notes are Sam's to read");
    // Made internal: the notes now need the briefing-notes compartment, which Sam lacks.
    briefings
        .update_briefing(pb::UpdateBriefingRequest {
            request_id: "n-internal".into(),
            id: logged.id.clone(),
            expected_version: edited.version,
            briefing: Some(pb::LogBriefingRequest {
                summary: "Designations discussed at length".into(),
                classification: None,
                ..log
            }),
        })
        .await
        .expect("made internal");
    let read = briefings.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect("read");
    assert!(read.into_inner().notes.is_empty(), "a read hides them now");
    let replay = briefings.update_briefing(edit).await.expect("the retry is answered").into_inner();
    assert!(replay.notes.is_empty(), "so does the replay of the earlier edit: {:?}", replay.notes);
    system.finish().await;
}

#[tokio::test]
async fn erasing_twice_changes_nothing_more_and_each_retry_keeps_its_answer() {
    let system = TestSystem::spawn().await;
    let keeper = quiet_diplomat().and_admin();
    let mut nora = system.briefings_as(&keeper).await;
    let mission =
        institution(&mut nora, "Permanent Mission of Peru", pb::InstitutionKind::PermanentMission, "PE", "Geneva")
            .await;
    let recorded = pb::CreateContactRequest {
        request_id: "x-contact".into(),
        institution_id: mission,
        name: "E. Diplomat".into(),
        role: "Counsellor".into(),
        email: "e.diplomat@example.org".into(),
        phone: "+41 22 000 00 00".into(),
    };
    let contact = nora.create_contact(recorded.clone()).await.expect("contact").into_inner();
    let erase = |request_id: &str| pb::EraseContactRequest { request_id: request_id.into(), id: contact.id.clone() };
    let first = nora.erase_contact(erase("x-erase-1")).await.expect("erased").into_inner();
    assert!(first.name.is_empty() && first.email.is_empty() && first.phone.is_empty());
    let mut colleague = system.briefings_as(&Person { email: "omar@advocacy.example", ..keeper.clone() }).await;
    colleague.erase_contact(erase("x-erase-2")).await.expect("erased again, by someone else");
    let retried = nora.erase_contact(erase("x-erase-1")).await.expect("the first erasure, retried");
    assert_eq!(retried.into_inner().id, contact.id);
    // The request that recorded the person no longer holds anything derived from them:
    // its retry is refused rather than answered.
    let again = nora.create_contact(recorded).await.expect_err("the recording request is gone");
    assert_eq!(again.code(), Code::AlreadyExists);
    let kept: String = sqlx::query("SELECT answer FROM requests WHERE request_id = $1")
        .bind(format!("{}\nx-contact", keeper.email))
        .fetch_one(&system.database("briefings").pool)
        .await
        .expect("the request row")
        .try_get(0)
        .expect("answer");
    assert!(!kept.contains("Diplomat") && !kept.contains("example.org"), "{kept}");
    system.finish().await;
}
