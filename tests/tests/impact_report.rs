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
        .get_impact_report(pb::ImpactReportRequest { period: year(2027), export: false })
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
            .get_impact_report(pb::ImpactReportRequest { period: year(2027), export: false })
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
        let refused =
            gateway.get_impact_report(pb::ImpactReportRequest { period, export: false }).await.expect_err(field);
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

/// Someone who may read everything of the year: quiet diplomacy and sanctions.
fn insider() -> Person {
    Person {
        email: "ines@advocacy.example",
        roles: vec![advocacy_platform::Role::Staff, advocacy_platform::Role::Manager],
        compartments: vec!["sanctions".into(), "quiet-diplomacy".into()],
    }
}

#[tokio::test]
async fn the_json_api_gives_the_report_its_records_and_lists_as_json_and_csv_and_never_exports_quiet_diplomacy() {
    let clock = Clock::manual(Utc.with_ymd_and_hms(2027, 6, 15, 9, 0, 0).unwrap());
    let system = TestSystem::spawn_with_clock(clock).await;
    record_the_year(&system).await;
    let mut briefings = system.briefings_as(&insider()).await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of Norway",
        pb::InstitutionKind::PermanentMission,
        "NO",
        "Geneva",
    )
    .await;
    let quiet = briefings
        .log_briefing(pb::LogBriefingRequest {
            request_id: "quiet".into(),
            at: Some(local_time("2027-05-02T10:00", "UTC")),
            city: "Geneva".into(),
            format: pb::BriefingFormat::InPerson.into(),
            institution_ids: vec![mission],
            summary: "A quiet word".into(),
            quiet: true,
            ..Default::default()
        })
        .await
        .expect("a quiet briefing")
        .into_inner();
    let manager = Person::manager();

    let report = system.http("/api/report?year=2027", Some(&manager), None).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let json = report.json();
    assert_eq!(json["label"], "2027");
    let figures =
        |section: &str| json["sections"].as_array().expect("sections").iter().find(|s| s["name"] == section).cloned();
    let submissions = figures("submissions").expect("submissions");
    assert_eq!(submissions["restricted_not_shown"], 1, "{submissions}");
    let upr =
        submissions["figures"].as_array().expect("figures").iter().find(|f| f["key"] == "submissions.by_mechanism/UPR");
    assert_eq!(upr.expect("a figure")["value"], 1, "counts are numbers");

    let csv = system.http("/api/report?quarter=2027-Q1&format=csv", Some(&manager), None).await;
    assert!(csv.content_type.starts_with("text/csv"), "{}", csv.content_type);
    assert!(csv.body.starts_with("section,figure,value,note\n"), "{}", csv.body);
    assert!(csv.body.contains("briefings,briefings.governments_briefed,2,"), "{}", csv.body);

    // Drill-down and its export: the insider sees the quiet briefing in gRPC, never in an export.
    let behind = "/api/report/records?year=2027&figure=briefings.governments_briefed";
    let records = system.http(behind, Some(&insider()), None).await.json();
    let ids: Vec<&str> =
        records["records"].as_array().expect("records").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&quiet.id.as_str()), "quiet diplomacy is never exported");
    let through_grpc = system
        .gateway_as(&insider())
        .await
        .list_impact_records(pb::ListImpactRecordsRequest {
            period: year(2027),
            figure: "briefings.governments_briefed".into(),
            ..Default::default()
        })
        .await
        .expect("records")
        .into_inner();
    assert!(through_grpc.records.iter().any(|r| r.id == quiet.id && r.quiet), "shown to whoever may see it");
    let exported = system.http(&format!("{behind}&format=csv"), Some(&insider()), None).await;
    assert_eq!(exported.body.lines().count(), 4, "a header and three briefings: {}", exported.body);
    // Nor is it in the exported figures: Norway, briefed only quietly, is not counted there.
    let governments = |report: &serde_json::Value| {
        report["sections"][0]["figures"]
            .as_array()
            .expect("figures")
            .iter()
            .find(|f| f["key"] == "briefings.governments_briefed")
            .map(|f| f["value"].clone())
    };
    let exported = system.http("/api/report?year=2027", Some(&insider()), None).await.json();
    assert_eq!(governments(&exported), Some(serde_json::json!(2)), "{exported}");
    let seen = system
        .gateway_as(&insider())
        .await
        .get_impact_report(pb::ImpactReportRequest { period: year(2027), export: false })
        .await;
    assert_eq!(
        value(&seen.expect("the report").into_inner(), "briefings.governments_briefed"),
        3,
        "shown, not exported"
    );
    let export = pb::ImpactReportRequest { period: year(2027), export: true };
    let for_file = system.gateway_as(&insider()).await.get_impact_report(export).await.expect("the report");
    assert_eq!(value(&for_file.into_inner(), "briefings.governments_briefed"), 2, "asked for an export over gRPC");
    let frozen = system
        .gateway_as(&insider())
        .await
        .freeze_impact_report(pb::FreezeImpactReportRequest {
            request_id: "insider".into(),
            period: year(2027),
            reason: "for donors".into(),
        })
        .await
        .expect("frozen")
        .into_inner();
    let kept = frozen.report.expect("its report");
    assert_eq!(value(&kept, "briefings.governments_briefed"), 2, "a frozen report is for donors: no quiet diplomacy");
    assert!(frozen.figures.iter().all(|f| !f.record_ids.contains(&quiet.id)));
    let listed =
        system.http("/api/briefings?period.start=2027-01-01&period.end=2028-01-01", Some(&insider()), None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(!listed.body.contains(&quiet.id), "the briefings list leaves quiet diplomacy out");
    assert_eq!(listed.json()["briefings"].as_array().expect("briefings").len(), 4);

    let met = system
        .http("/api/deadlines?outcome=met_on_time&due_from=2027-01-01&due_to=2028-01-01", Some(&manager), None)
        .await;
    assert_eq!(met.json()["deadlines"][0]["title"], "UPR stakeholder report", "{}", met.body);
    let restricted = system.http("/api/submissions?kind=sanctions_package", Some(&manager), None).await;
    assert_eq!(restricted.json()["submissions"], serde_json::json!([]), "an empty list: {}", restricted.body);

    // Freezing over HTTP, then the frozen report beside today's.
    let freeze = serde_json::json!({"request_id": "http-freeze", "period": {"year": 2027}, "reason": "board meeting"});
    let staff = system.http("/api/frozen", Some(&Person::staff()), Some(freeze.clone())).await;
    assert_eq!(staff.status, 403, "freezing is for managers: {}", staff.body);
    let frozen = system.http("/api/frozen", Some(&manager), Some(freeze)).await;
    assert_eq!(frozen.status, 201, "{}", frozen.body);
    let id = frozen.json()["id"].as_str().expect("an id").to_owned();
    let compared = system.http(&format!("/api/frozen/{id}"), Some(&manager), None).await;
    assert_eq!(compared.json()["frozen"]["reason"], "board meeting");
    assert_eq!(
        system.http("/api/frozen", Some(&manager), None).await.json()["reports"].as_array().map(Vec::len),
        Some(1)
    );
    system.finish().await;
}

#[tokio::test]
async fn the_json_api_refuses_with_the_platforms_codes_and_names_the_field() {
    let system = TestSystem::spawn().await;
    let manager = Person::manager();
    let anonymous = system.http("/api/report?year=2027", None, None).await;
    assert_eq!((anonymous.status, anonymous.json()["code"].as_str()), (401, Some("Unauthenticated")));
    let huge = "9".repeat(50_000);
    for (path, field) in [
        ("/api/report?year=1066".to_owned(), "period.year"),
        ("/api/report?year=2027&month=2027-01".to_owned(), "period"),
        ("/api/report?from=2027-02-30&to=2027-03-01".to_owned(), "from"),
        (format!("/api/report?year={huge}"), "year"),
        ("/api/report/records?year=2027&figure=no.such".to_owned(), "figure"),
        ("/api/deadlines?outcome=eventually".to_owned(), "outcome"),
        ("/api/deadlines?colour=red".to_owned(), "colour"),
        ("/api/deadlines?page_size=many".to_owned(), "page_size"),
        ("/api/frozen/not-an-id".to_owned(), "id"),
    ] {
        let refused = system.http(&path, Some(&manager), None).await;
        assert_eq!(refused.status, 400, "{path}: {}", refused.body);
        let fields: Vec<String> = refused.json()["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().expect("a field").to_owned())
            .collect();
        assert_eq!(fields, [field], "{}", limits_excerpt(&path));
    }
    let missing = system.http(&format!("/api/frozen/{}", uuid::Uuid::now_v7()), Some(&manager), None).await;
    assert_eq!(missing.status, 404);
    let bad_body =
        system.http("/api/frozen", Some(&manager), Some(serde_json::json!({"period": {"year": "soon"}}))).await;
    assert_eq!(bad_body.status, 400, "{}", bad_body.body);
    system.finish().await;
}

fn limits_excerpt(text: &str) -> String {
    advocacy_platform::limits::excerpt(text, 80)
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_every_route_answers() {
    let system = TestSystem::spawn().await;
    let document = system.http("/api/openapi.json", None, None).await.json();
    assert_eq!(document["openapi"], "3.1.0");
    for route in advocacy_gateway::http::ROUTES {
        let operation = &document["paths"][route.path][route.method];
        assert!(operation.is_object(), "{} {} is described", route.method, route.path);
        let response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].as_str();
        let name = response.expect("a response schema").trim_start_matches("#/components/schemas/");
        assert!(document["components"]["schemas"][name]["properties"].is_object(), "{name} has a schema");
        // And the server has the route: without a token it asks for one, it does not say 404.
        let path = route.path.replace("{id}", &uuid::Uuid::now_v7().to_string());
        let answered = match route.method {
            "post" => system.http(&path, None, Some(serde_json::json!({}))).await,
            _ => system.http(&path, None, None).await,
        };
        assert_eq!(answered.status, 401, "{} {path}: {}", route.method, answered.body);
    }
    let figure = &document["components"]["schemas"]["Figure"]["properties"];
    assert_eq!(figure["value"]["type"], "integer");
    system.finish().await;
}
