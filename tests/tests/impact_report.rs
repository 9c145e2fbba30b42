//! The impact report at the gateway: every service's figures for a period, each figure's
//! records through the services' lists, restricted records counted but never listed to
//! those without the compartment, a section marked unavailable (and the rest answered in
//! time) when its service is down or silent, and frozen reports kept as they were.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use tonic::Code;

use advocacy_platform::Clock;
use advocacy_platform::config::ServiceConfig;
use advocacy_platform::time::to_timestamp;
use advocacy_tests::{Person, TestSystem, eventually, institution, local_time, new_deadline, pb, violated_fields};

fn year(y: i32) -> Option<pb::ReportPeriod> {
    Some(pb::ReportPeriod { span: Some(pb::report_period::Span::Year(y)) })
}

fn value(report: &pb::ImpactReport, key: &str) -> i64 {
    report.sections.iter().flat_map(|s| &s.figures).find(|f| f.key == key).map_or(0, |f| f.value)
}

fn section<'a>(report: &'a pb::ImpactReport, name: &str) -> &'a pb::ImpactSection {
    report.sections.iter().find(|s| s.name == name).expect("the section")
}

fn restricted() -> Option<pb::Classification> {
    Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        compartments: vec![],
    })
}

/// A year of work in 2027, recorded as staff would, in every service.
async fn record_the_year(system: &TestSystem) {
    let sam = Person::sanctions_staff();
    let mut briefings = system.briefings_as(&sam).await;
    let ministry = institution(
        &mut briefings,
        "Ministry of Foreign Affairs of Chile",
        pb::InstitutionKind::Ministry,
        "CL",
        "Santiago",
    )
    .await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of Chile",
        pb::InstitutionKind::PermanentMission,
        "CL",
        "Geneva",
    )
    .await;
    let embassy = institution(&mut briefings, "Embassy of Japan", pb::InstitutionKind::Embassy, "JP", "Seoul").await;
    let eu = institution(
        &mut briefings,
        "European External Action Service",
        pb::InstitutionKind::MultilateralUnit,
        "EU-EEAS",
        "Brussels",
    )
    .await;
    for (n, institution, at, city, format) in [
        (1, &ministry, "2027-02-01T10:00", "Santiago", pb::BriefingFormat::InPerson),
        (2, &mission, "2027-02-03T10:00", "Geneva", pb::BriefingFormat::InPerson),
        (3, &embassy, "2027-03-10T15:00", "", pb::BriefingFormat::Virtual),
        (4, &eu, "2027-04-20T09:00", "Brussels", pb::BriefingFormat::InPerson),
    ] {
        let logged = briefings
            .log_briefing(pb::LogBriefingRequest {
                request_id: format!("b-{n}"),
                at: Some(local_time(at, "UTC")),
                city: city.into(),
                format: format.into(),
                institution_ids: vec![institution.clone()],
                summary: format!("Briefing {n} on the penal system"),
                follow_ups: if n == 1 {
                    vec![pb::FollowUpInput {
                        action: "Send the annex".into(),
                        owner: String::new(),
                        due: Some(local_time("2027-02-10T17:00", "UTC")),
                    }]
                } else {
                    vec![]
                },
                ..Default::default()
            })
            .await
            .expect("a briefing")
            .into_inner();
        if !logged.follow_ups.is_empty() {
            // The follow-up's deadline is made in the background; the figures count it.
            let made = eventually(20, || {
                let (mut client, id) = (briefings.clone(), logged.id.clone());
                async move {
                    let b = client.get_briefing(pb::GetBriefingRequest { id }).await.ok()?.into_inner();
                    (!b.follow_ups[0].deadline_id.is_empty()).then_some(())
                }
            })
            .await;
            assert!(made.is_some(), "the follow-up has its deadline");
        }
    }
    let mut submissions = system.submissions_as(&sam).await;
    for (n, mechanism, kind, classification) in [
        (1, "UPR", pb::SubmissionKind::UprStakeholderReport, None),
        (2, "SR-TORTURE", pb::SubmissionKind::SpecialProceduresCommunication, None),
        (3, "SR-DPRK", pb::SubmissionKind::SpecialProceduresCommunication, None),
        (4, "SANCTIONS-US", pb::SubmissionKind::SanctionsPackage, restricted()),
    ] {
        submissions
            .create_submission(pb::CreateSubmissionRequest {
                request_id: format!("s-{n}"),
                title: format!("Submission {n}"),
                mechanism: mechanism.into(),
                kind: kind.into(),
                country: "KP".into(),
                classification,
                status: pb::SubmissionStatus::Submitted.into(),
                status_at: Some(to_timestamp(Utc.with_ymd_and_hms(2027, 3, n, 9, 0, 0).unwrap())),
                ..Default::default()
            })
            .await
            .expect("a submission");
    }
    let resolution = submissions
        .create_resolution(pb::CreateResolutionRequest {
            request_id: "r-1".into(),
            body: "UN-HRC".into(),
            session: "HRC 64".into(),
            title: "Situation of human rights in the DPRK".into(),
            symbol: String::new(),
        })
        .await
        .expect("a resolution")
        .into_inner();
    let proposed = submissions
        .propose_amendment(pb::ProposeAmendmentRequest {
            request_id: "a-1".into(),
            resolution_id: resolution.id.clone(),
            paragraph_kind: pb::ParagraphKind::Operative.into(),
            paragraph_number: 3,
            proposed_text: "Condemns the violations across the entire penal system".into(),
            ..Default::default()
        })
        .await
        .expect("an amendment")
        .into_inner();
    submissions
        .record_amendment_outcome(pb::RecordAmendmentOutcomeRequest {
            request_id: "a-1-outcome".into(),
            id: proposed.id,
            expected_version: proposed.version,
            status: pb::AmendmentStatus::AdoptedInPart.into(),
            adopted_text: "Condemns the violations in the penal system".into(),
        })
        .await
        .expect("adopted in part");
    let mut deadlines = system.deadlines_as(&sam).await;
    let mut due = new_deadline("d-1", "UPR stakeholder report", "2027-03-01T12:00");
    due.due = Some(local_time("2027-03-01T12:00", "UTC"));
    let met = deadlines.create_deadline(due).await.expect("a deadline").into_inner();
    deadlines
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "d-1-done".into(),
            id: met.id,
            expected_version: met.version,
            completed_at: Some(to_timestamp(Utc.with_ymd_and_hms(2027, 2, 27, 9, 0, 0).unwrap())),
        })
        .await
        .expect("met");
    let mut missed = new_deadline("d-2", "Call for input", "2027-05-01T12:00");
    missed.due = Some(local_time("2027-05-01T12:00", "UTC"));
    deadlines.create_deadline(missed).await.expect("a deadline");
}

async fn records(system: &TestSystem, person: &Person, figure: &str) -> Vec<pb::ImpactRecord> {
    let request = pb::ListImpactRecordsRequest { period: year(2027), figure: figure.into(), ..Default::default() };
    system.gateway_as(person).await.list_impact_records(request).await.expect(figure).into_inner().records
}

#[tokio::test]
async fn the_years_report_counts_every_service_and_each_figure_lists_its_records() {
    let clock = Clock::manual(Utc.with_ymd_and_hms(2027, 6, 15, 9, 0, 0).unwrap());
    let system = TestSystem::spawn_with_clock(clock).await;
    record_the_year(&system).await;
    let manager = Person::manager();
    let report = system
        .gateway_as(&manager)
        .await
        .get_impact_report(pb::ImpactReportRequest { period: year(2027) })
        .await
        .expect("the report")
        .into_inner();
    assert_eq!(report.label, "2027");
    assert!(report.sections.iter().all(|s| s.available), "{report:?}");
    for (key, expected) in [
        ("briefings.briefings", 4),
        // Chile's ministry and mission are one government; Japan another; the EU a body.
        ("briefings.governments_briefed", 2),
        ("briefings.multilateral_actors_briefed", 1),
        ("briefings.by_format/in_person", 3),
        ("briefings.by_city/online", 1),
        ("briefings.by_month/2027-02", 2),
        ("briefings.follow_ups_overdue", 1),
        ("submissions.submissions", 3),
        ("submissions.special_rapporteurs", 2),
        ("submissions.by_mechanism/UPR", 1),
        ("submissions.amendments_proposed", 1),
        ("submissions.amendments_by_status/adopted_in_part", 1),
        ("submissions.resolutions_influenced", 1),
        ("deadlines.met_on_time", 1),
        // The call for input, and the follow-up's own deadline, both past and open.
        ("deadlines.missed", 2),
    ] {
        assert_eq!(value(&report, key), expected, "{key}");
    }
    assert!(value(&report, "submissions.amendments_words_kept") > 0, "words kept are counted");
    assert_eq!(section(&report, "submissions").restricted_not_shown, 1, "the sanctions package, counted only here");

    let governments = records(&system, &manager, "briefings.governments_briefed").await;
    assert_eq!(governments.len(), 3, "three briefings behind two governments");
    assert!(governments.iter().all(|r| r.kind == "briefing"));
    let rapporteurs = records(&system, &manager, "submissions.special_rapporteurs").await;
    assert_eq!(rapporteurs.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), ["Submission 2", "Submission 3"]);
    assert_eq!(records(&system, &manager, "submissions.resolutions_influenced").await[0].kind, "resolution");
    assert_eq!(records(&system, &manager, "deadlines.met_on_time").await[0].title, "UPR stakeholder report");
    assert_eq!(records(&system, &manager, "briefings.follow_ups_overdue").await[0].title, "Send the annex");
    // Restricted: in no list of someone without the compartment, in the lists of whoever holds it.
    let kinds = records(&system, &manager, "submissions.by_kind/sanctions_package").await;
    assert!(kinds.is_empty(), "{kinds:?}");
    let held = records(&system, &Person::sanctions_staff(), "submissions.by_kind/sanctions_package").await;
    assert_eq!(held.len(), 1);

    let unknown = system
        .gateway_as(&manager)
        .await
        .list_impact_records(pb::ListImpactRecordsRequest {
            period: year(2027),
            figure: "briefings.nonsense".into(),
            ..Default::default()
        })
        .await
        .expect_err("no such figure");
    assert_eq!(violated_fields(&unknown), ["figure"]);
    system.finish().await;
}

#[tokio::test]
async fn a_service_that_is_down_or_silent_makes_its_section_unavailable_and_the_rest_answers_in_time() {
    // Nothing listens on the first address; the second accepts and never answers.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let closed_url = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let silent_url = format!("http://{}", silent.local_addr().expect("an address"));
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    for (what, url) in [("down", closed_url), ("silent", silent_url)] {
        let system = TestSystem::spawn_with(&["gateway", "briefings", "submissions"], "127.0.0.1:0", |config| {
            config.services.insert("deadlines".into(), ServiceConfig { url: Some(url.clone()), ..Default::default() });
            config.reports.section_timeout_ms = 500;
        })
        .await;
        let started = Instant::now();
        let report = system
            .gateway_as(&Person::manager())
            .await
            .get_impact_report(pb::ImpactReportRequest { period: year(2027) })
            .await
            .expect("the report still comes")
            .into_inner();
        let took = started.elapsed();
        let deadlines = section(&report, "deadlines");
        assert!(!deadlines.available && deadlines.figures.is_empty(), "{what}: {deadlines:?}");
        assert!(!deadlines.unavailable_reason.is_empty());
        assert!(section(&report, "briefings").available && section(&report, "submissions").available, "{what}");
        assert!(took < Duration::from_secs(5), "{what}: answered after {took:?}, with a 500 ms deadline per section");
        let freeze = system
            .gateway_as(&Person::manager())
            .await
            .freeze_impact_report(pb::FreezeImpactReportRequest {
                request_id: "f".into(),
                period: year(2027),
                reason: "board".into(),
            })
            .await
            .expect_err("a report with a section missing is not frozen");
        assert_eq!(freeze.code(), Code::Unavailable, "{what}");
        system.finish().await;
    }
}

#[tokio::test]
async fn a_frozen_report_stays_as_it_was_and_lists_what_changed_since() {
    let clock = Clock::manual(Utc.with_ymd_and_hms(2027, 6, 15, 9, 0, 0).unwrap());
    let system = TestSystem::spawn_with_clock(clock).await;
    record_the_year(&system).await;
    let manager = Person::manager();
    let mut gateway = system.gateway_as(&manager).await;
    let freeze = pb::FreezeImpactReportRequest {
        request_id: "freeze-2027".into(),
        period: year(2027),
        reason: "2027 mid-year report to donors".into(),
    };
    let frozen = gateway.freeze_impact_report(freeze.clone()).await.expect("frozen").into_inner();
    assert_eq!((frozen.frozen_by.as_str(), frozen.reason.as_str()), (manager.email, "2027 mid-year report to donors"));
    let again = gateway.freeze_impact_report(freeze.clone()).await.expect("a retry").into_inner();
    assert_eq!(again.id, frozen.id, "a retry freezes nothing more");
    let reused = gateway
        .freeze_impact_report(pb::FreezeImpactReportRequest { reason: "another".into(), ..freeze })
        .await
        .expect_err("the id names another request");
    assert_eq!(violated_fields(&reused), ["request_id"]);

    // A briefing logged afterwards changes today's figures, not the frozen ones.
    let mut briefings = system.briefings_as(&Person::staff()).await;
    let ministry = institution(
        &mut briefings,
        "Ministry of Foreign Affairs of Korea",
        pb::InstitutionKind::Ministry,
        "KR",
        "Seoul",
    )
    .await;
    let added = briefings
        .log_briefing(pb::LogBriefingRequest {
            request_id: "late".into(),
            at: Some(local_time("2027-05-05T10:00", "UTC")),
            city: "Seoul".into(),
            format: pb::BriefingFormat::InPerson.into(),
            institution_ids: vec![ministry],
            summary: "Briefed after the report".into(),
            ..Default::default()
        })
        .await
        .expect("a briefing")
        .into_inner();
    let compared = gateway.get_frozen_report(pb::GetFrozenReportRequest { id: frozen.id.clone() }).await;
    let compared = compared.expect("the comparison").into_inner();
    let kept = compared.frozen.expect("as frozen").report.expect("its report");
    assert_eq!(
        (value(&kept, "briefings.briefings"), value(&compared.today.expect("today"), "briefings.briefings")),
        (4, 5)
    );
    let change = compared.changes.iter().find(|c| c.key == "briefings.governments_briefed").expect("moved");
    assert_eq!((change.frozen, change.now, change.added.clone()), (2, 3, vec![added.id.clone()]));
    assert!(change.withdrawn.is_empty());
    let listed = gateway.list_frozen_reports(pb::ListFrozenReportsRequest {}).await.expect("listed").into_inner();
    assert_eq!(listed.reports.len(), 1);
    assert!(listed.reports[0].figures.iter().all(|f| f.record_ids.is_empty()), "a listing carries no record ids");

    // Frozen by someone holding a compartment: only those holding it may open it.
    let holder = Person { roles: vec![advocacy_platform::Role::Manager], ..Person::sanctions_staff() };
    let secret = system
        .gateway_as(&holder)
        .await
        .freeze_impact_report(pb::FreezeImpactReportRequest {
            request_id: "freeze-sanctions".into(),
            period: year(2027),
            reason: "sanctions work".into(),
        })
        .await
        .expect("frozen")
        .into_inner();
    let hidden = gateway.get_frozen_report(pb::GetFrozenReportRequest { id: secret.id }).await.expect_err("hidden");
    assert_eq!(hidden.code(), Code::NotFound);
    system.finish().await;
}

#[tokio::test]
async fn hostile_periods_and_figures_are_refused_by_field() {
    let system = TestSystem::spawn().await;
    let mut gateway = system.gateway_as(&Person::manager()).await;
    for (period, field) in [
        (None, "period"),
        (Some(pb::ReportPeriod { span: Some(pb::report_period::Span::Year(99_999)) }), "period.year"),
        (Some(pb::ReportPeriod { span: Some(pb::report_period::Span::Quarter("2027-Q9".into())) }), "period.quarter"),
        (Some(pb::ReportPeriod { span: Some(pb::report_period::Span::Month("x".repeat(100_000))) }), "period.month"),
        (
            Some(pb::ReportPeriod {
                span: Some(pb::report_period::Span::Custom(pb::Period {
                    start: Some(prost_types::Timestamp { seconds: 1_800_000_123, nanos: 0 }),
                    end: Some(prost_types::Timestamp { seconds: 1_900_000_000, nanos: 0 }),
                })),
            }),
            "period.custom.start",
        ),
    ] {
        let refused = gateway.get_impact_report(pb::ImpactReportRequest { period }).await.expect_err(field);
        assert_eq!(
            (refused.code(), violated_fields(&refused)),
            (Code::InvalidArgument, vec![field.to_owned()]),
            "{}",
            refused.message()
        );
    }
    let refused = gateway
        .list_impact_records(pb::ListImpactRecordsRequest {
            period: year(2027),
            figure: "x".repeat(10_000),
            page_token: "!!".into(),
            ..Default::default()
        })
        .await
        .expect_err("hostile");
    assert_eq!(violated_fields(&refused), ["figure", "page_token"]);
    system.finish().await;
}
