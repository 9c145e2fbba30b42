//! The demo's 2024 campaign year, recorded through the APIs, gives the figures the
//! organisation reported for that year; each is counted from the records, none is stored.

use advocacy::demo::year_2024;
use advocacy_tests::{Person, TestSystem, pb};

fn figure(report: &pb::ImpactReport, key: &str) -> i64 {
    report.sections.iter().flat_map(|s| &s.figures).find(|f| f.key == key).map_or(0, |f| f.value)
}

#[tokio::test]
async fn the_2024_campaign_year_reports_the_figures_it_was_known_for() {
    let system = TestSystem::spawn().await;
    let recorder = Person::sanctions_staff();
    year_2024::briefings(&mut system.briefings_as(&recorder).await).await.expect("the year's briefings");
    year_2024::submissions(&mut system.submissions_as(&recorder).await).await.expect("the year's submissions");
    // Loading again adds nothing.
    year_2024::submissions(&mut system.submissions_as(&recorder).await).await.expect("loaded again");

    let request = pb::ImpactReportRequest {
        period: Some(pb::ReportPeriod { span: Some(pb::report_period::Span::Year(2024)) }),
        export: false,
    };
    let report = system.gateway_as(&Person::manager()).await.get_impact_report(request).await.expect("the report");
    let report = report.into_inner();
    let actors =
        figure(&report, "briefings.governments_briefed") + figure(&report, "briefings.multilateral_actors_briefed");
    assert_eq!(actors, 22, "governments and multilateral actors briefed");
    assert_eq!(figure(&report, "briefings.multilateral_actors_briefed"), 4);
    assert_eq!(figure(&report, "submissions.by_kind/upr_stakeholder_report"), 2);
    assert_eq!(figure(&report, "submissions.by_kind/statement"), 1, "the pre-session statement of 28 August");
    assert_eq!(figure(&report, "submissions.special_rapporteurs"), 4);
    assert_eq!(figure(&report, "submissions.by_kind/wgeid_petition"), 2);
    assert_eq!(figure(&report, "submissions.publications_own"), 18);
    assert_eq!(figure(&report, "submissions.publications_contracted"), 3);
    assert_eq!(
        figure(&report, "submissions.resolutions_influenced"),
        3,
        "the HRC and EP resolutions and the Dutch motion"
    );
    let hrc = report
        .sections
        .iter()
        .flat_map(|s| &s.figures)
        .filter(|f| f.key.starts_with("submissions.amendments_by_resolution/") && f.key.ends_with("/adopted"))
        .map(|f| f.value)
        .max();
    assert_eq!(hrc, Some(3), "three amendments adopted in the April 2024 HRC resolution");
    let submissions = report.sections.iter().find(|s| s.name == "submissions").expect("a section");
    assert_eq!(submissions.restricted_not_shown, 1, "the sanctions package, counted and not shown");
    system.finish().await;
}
