//! Our publications: recorded by hand or imported from a spreadsheet, and cited as
//! evidence by submissions and amendments, but only by people who can see them.

use advocacy_platform::client::AuthedChannel;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;
use advocacy_tests::{Person, TestSystem, pb, violated_fields};
use tonic::Code;

type Client = SubmissionsServiceClient<AuthedChannel>;

/// 1 June 2026, 00:00 UTC.
const JUNE_2026: i64 = 1_780_272_000;

fn report(request_id: &str, title: &str) -> pb::CreatePublicationRequest {
    pb::CreatePublicationRequest {
        request_id: request_id.into(),
        title: title.into(),
        kind: pb::PublicationKind::InvestigativeReport.into(),
        published_on: Some(prost_types::Timestamp { seconds: JUNE_2026, nanos: 0 }),
        url: "https://example.org/reports/penal-system".into(),
        ..Default::default()
    }
}

fn restricted(compartment: &str) -> Option<pb::Classification> {
    Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: compartment.into(),
        ..Default::default()
    })
}

async fn publications(system: &TestSystem) -> i64 {
    system.numbers("submissions", &["SELECT COUNT(*) FROM publications"]).await[0]
}

fn sheet(bad: Option<i32>, edit: impl Fn(&mut pb::CreatePublicationRequest)) -> Vec<pb::ImportPublicationRow> {
    (2..1002)
        .map(|line| {
            let mut publication = report(&format!("import:test:{line}"), &format!("Report {line}"));
            if line % 5 == 0 {
                publication.kind = pb::PublicationKind::GovernmentContractedReport.into();
                publication.contracted_by = "KR".into();
            }
            if Some(line) == bad {
                edit(&mut publication);
            }
            pb::ImportPublicationRow { line, publication: Some(publication) }
        })
        .collect()
}

#[tokio::test]
async fn an_import_of_publications_with_one_bad_row_writes_nothing() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let no_government = |p: &mut pb::CreatePublicationRequest| p.contracted_by.clear();
    let refused = client.import_publications(tokio_stream::iter(sheet(Some(700), no_government))).await;
    let refused = refused.expect_err("line 700 is contracted by no government");
    assert_eq!(violated_fields(&refused), ["line 700: contracted_by"]);
    assert_eq!(publications(&system).await, 0);

    type Edit = Box<dyn Fn(&mut pb::CreatePublicationRequest)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("line 701: published_on", Box::new(|p| p.published_on = None)),
        ("line 701: kind", Box::new(|p| p.kind = 99)),
        ("line 701: url", Box::new(|p| p.url = "javascript:alert(1)".into())),
        ("line 701: title", Box::new(|p| p.title = "x".repeat(100_000))),
    ];
    for (field, edit) in cases {
        let error = client.import_publications(tokio_stream::iter(sheet(Some(701), edit))).await.expect_err(field);
        assert_eq!(violated_fields(&error), [field]);
    }
    let all_bad: Vec<_> = sheet(None, |_| {})
        .into_iter()
        .map(|mut row| {
            row.publication.as_mut().expect("p").title = " ".into();
            row
        })
        .collect();
    let error = client.import_publications(tokio_stream::iter(all_bad)).await.expect_err("every row is bad");
    let fields = violated_fields(&error);
    assert_eq!((fields.len(), fields[0].as_str(), fields[100].as_str()), (101, "line 2: title", "rows"));
    let listed = tonic_types::StatusExt::get_details_bad_request(&error).expect("details").field_violations;
    assert_eq!(listed[100].description, "and 900 more bad rows not listed");
    let embargoed = |p: &mut pb::CreatePublicationRequest| p.classification = restricted("sanctions");
    let denied = client.import_publications(tokio_stream::iter(sheet(Some(900), embargoed))).await;
    assert_eq!(denied.expect_err("not in the sanctions compartment").code(), Code::PermissionDenied);
    assert_eq!(publications(&system).await, 0, "nothing was written by any refused import");

    let done = client.import_publications(tokio_stream::iter(sheet(None, |_| {}))).await.expect("clean");
    assert_eq!((done.get_ref().publications, done.get_ref().already_imported), (1000, 0));
    let again = client.import_publications(tokio_stream::iter(sheet(None, |_| {}))).await.expect("again");
    assert_eq!((again.get_ref().publications, again.get_ref().already_imported), (0, 1000));
    let contracted = client
        .list_publications(pb::ListPublicationsRequest {
            kind: pb::PublicationKind::GovernmentContractedReport.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .publications;
    assert_eq!(contracted.len(), 200);
    assert!(contracted.iter().all(|p| p.contracted_by == "KR"));

    // The same request id twice in one file: written once, like a retry.
    let twice = (2..4).map(|line| pb::ImportPublicationRow { line, publication: Some(report("dup", "Brief")) });
    let twice = client.import_publications(tokio_stream::iter(twice.collect::<Vec<_>>())).await.expect("twice");
    assert_eq!((twice.get_ref().publications, twice.get_ref().already_imported), (1, 1));
    assert_eq!(publications(&system).await, 1001);
    system.finish().await;
}

/// What a refused evidence id is told, with the id itself taken out.
fn evidence_refusal(error: &tonic::Status) -> (Code, Vec<String>, String) {
    use tonic_types::StatusExt;
    let bad = error.get_details_bad_request().expect("field violations");
    let description = bad.field_violations.first().map(|v| v.description.clone()).unwrap_or_default();
    let without_id = description.split_once(' ').map(|(_, rest)| rest.to_owned()).unwrap_or_default();
    (error.code(), violated_fields(error), without_id)
}

async fn dprk_resolution(client: &mut Client) -> String {
    let resolution = client.create_resolution(pb::CreateResolutionRequest {
        request_id: "r".into(),
        body: "UN-HRC".into(),
        session: "HRC 58".into(),
        title: "Situation of human rights in the DPRK".into(),
        symbol: String::new(),
    });
    resolution.await.expect("resolution").into_inner().id
}

#[tokio::test]
async fn evidence_cites_publications_the_caller_can_see_and_a_hidden_one_looks_absent() {
    let system = TestSystem::spawn().await;
    let mut ana = system.submissions_as(&Person::staff()).await;
    let mut sam = system.submissions_as(&Person::sanctions_staff()).await;
    let public = ana.create_publication(report("p-1", "The penal system")).await.expect("public").into_inner();
    let dossier = pb::CreatePublicationRequest { classification: restricted("sanctions"), ..report("p-2", "Dossier") };
    let dossier = sam.create_publication(dossier).await.expect("restricted").into_inner();
    let never = "01a20000-0000-7000-8000-000000000000";
    let resolution = dprk_resolution(&mut ana).await;

    let submission = |request_id: &str, evidence: Vec<String>| pb::CreateSubmissionRequest {
        request_id: request_id.into(),
        title: "Communication on prison camps".into(),
        mechanism: "SR-TORTURE".into(),
        kind: pb::SubmissionKind::SpecialProceduresCommunication.into(),
        country: "KP".into(),
        evidence,
        ..Default::default()
    };
    let hidden = ana.create_submission(submission("s-1", vec![public.id.clone(), dossier.id.clone()])).await;
    let hidden = evidence_refusal(&hidden.expect_err("ana cannot see the dossier"));
    let absent = ana.create_submission(submission("s-2", vec![public.id.clone(), never.into()])).await;
    let absent = evidence_refusal(&absent.expect_err("no such publication"));
    assert_eq!(hidden.1, ["evidence[1]"]);
    assert_eq!(hidden, absent, "a hidden publication looks exactly like a missing one");

    let cited = ana.create_submission(submission("s-3", vec![public.id.clone()])).await.expect("public evidence");
    assert_eq!(cited.get_ref().evidence, std::slice::from_ref(&public.id));
    let by_sam = sam.create_submission(submission("s-4", vec![dossier.id.clone()])).await.expect("sam sees it");
    assert_eq!(by_sam.get_ref().evidence, std::slice::from_ref(&dossier.id));

    let amendment = |request_id: &str, evidence: Vec<String>| pb::ProposeAmendmentRequest {
        request_id: request_id.into(),
        resolution_id: resolution.clone(),
        paragraph_kind: pb::ParagraphKind::Operative.into(),
        paragraph_number: 3,
        proposed_text: "Condemns the use of political prison camps".into(),
        evidence,
        ..Default::default()
    };
    let refused = ana.propose_amendment(amendment("a-1", vec![dossier.id.clone()])).await;
    assert_eq!(evidence_refusal(&refused.expect_err("hidden")).1, ["evidence[0]"]);
    sam.propose_amendment(amendment("a-2", vec![dossier.id.clone()])).await.expect("sam cites the dossier");

    let row = |line: i32, evidence: Vec<String>| pb::ImportSubmissionRow {
        line,
        submission: Some(submission(&format!("import:e:{line}"), evidence)),
    };
    let rows = vec![row(2, vec![public.id.clone()]), row(3, vec![never.into(), dossier.id.clone()])];
    let imported = ana.import_submissions(tokio_stream::iter(rows)).await.expect_err("line 3 cites hidden evidence");
    assert_eq!(violated_fields(&imported), ["line 3: evidence[0]", "line 3: evidence[1]"]);
    let listed = ana.list_submissions(pb::ListSubmissionsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.submissions.len(), 2, "s-3 and s-4 only: the import wrote nothing");
    system.finish().await;
}
