//! Resolutions we influence and the amendments we propose: from proposal to adoption, and
//! how much of our language the adopted text kept.

use advocacy_platform::client::AuthedChannel;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;
use advocacy_tests::{Person, TestSystem, pb, violated_fields};
use tonic::Code;

type Client = SubmissionsServiceClient<AuthedChannel>;

const OURS: &str = "Expresses grave concern at the entire penal system of the Democratic People's Republic of Korea, \
                    including political prison camps, where torture, forced labour and sexual violence are systematic";
const ADOPTED: &str = "Expresses serious concern at the entire penal system of the Democratic People's Republic of Korea, \
                       including political prison camps, where torture, forced labour and sexual violence are reported";

async fn hrc_resolution(client: &mut Client) -> pb::Resolution {
    client
        .create_resolution(pb::CreateResolutionRequest {
            request_id: "r-1".into(),
            body: "UN-HRC".into(),
            session: "HRC 58".into(),
            title: "Situation of human rights in the Democratic People's Republic of Korea".into(),
            symbol: "A/HRC/58/L.21".into(),
        })
        .await
        .expect("resolution")
        .into_inner()
}

fn amendment(request_id: &str, resolution_id: &str) -> pb::ProposeAmendmentRequest {
    pb::ProposeAmendmentRequest {
        request_id: request_id.into(),
        resolution_id: resolution_id.into(),
        paragraph_kind: pb::ParagraphKind::Operative.into(),
        paragraph_number: 12,
        proposed_text: OURS.into(),
        rationale: "Our report documents 4,000 incidents across the penal system.".into(),
        lobbied: vec!["CH".into(), "KR".into(), "EU-EEAS".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn an_amendment_adopted_in_part_shows_how_much_of_our_language_was_kept() {
    let mut system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let resolution = hrc_resolution(&mut client).await;
    let proposed = client.propose_amendment(amendment("a-1", &resolution.id)).await.expect("proposed").into_inner();
    assert_eq!(proposed.status, pb::AmendmentStatus::Proposed as i32);
    assert!(proposed.comparison.is_none());
    let retry = client.propose_amendment(amendment("a-1", &resolution.id)).await.expect("retry").into_inner();
    assert_eq!(retry, proposed);

    let outcome =
        |version: i64, status: pb::AmendmentStatus, text: &str, request_id: &str| pb::RecordAmendmentOutcomeRequest {
            request_id: request_id.into(),
            id: proposed.id.clone(),
            expected_version: version,
            status: status.into(),
            adopted_text: text.into(),
        };
    let tabled = client
        .record_amendment_outcome(outcome(1, pb::AmendmentStatus::Tabled, "", "o-1"))
        .await
        .expect("tabled")
        .into_inner();
    let missing = client
        .record_amendment_outcome(outcome(2, pb::AmendmentStatus::AdoptedInPart, "", "o-2"))
        .await
        .expect_err("needs the text");
    assert_eq!(violated_fields(&missing), ["adopted_text"]);
    let adopted = client
        .record_amendment_outcome(outcome(tabled.version, pb::AmendmentStatus::AdoptedInPart, ADOPTED, "o-3"))
        .await
        .expect("adopted")
        .into_inner();
    let comparison = adopted.comparison.expect("compared");
    assert_eq!((comparison.proposed_words, comparison.kept_words, comparison.kept_percent), (28, 26, 92));
    let dropped: Vec<&str> =
        comparison.segments.iter().filter(|s| s.op == pb::SegmentOp::Dropped as i32).map(|s| s.text.as_str()).collect();
    assert_eq!(dropped, ["grave", "systematic"]);
    let again = client
        .record_amendment_outcome(outcome(3, pb::AmendmentStatus::Rejected, "", "o-4"))
        .await
        .expect_err("already decided");
    assert_eq!(again.code(), Code::FailedPrecondition);

    let adopted_resolution = client
        .record_resolution_state(pb::RecordResolutionStateRequest {
            request_id: "rs-1".into(),
            id: resolution.id.clone(),
            expected_version: 1,
            state: pb::ResolutionState::Adopted.into(),
            adopted_on: Some(prost_types::Timestamp { seconds: 1_806_840_000, nanos: 0 }),
            vote: Some(pb::Vote { yes: 0, no: 0, abstain: 0, without_vote: true }),
        })
        .await
        .expect("adopted")
        .into_inner();
    assert_eq!(adopted_resolution.state, pb::ResolutionState::Adopted as i32);
    assert!(adopted_resolution.vote.is_some_and(|v| v.without_vote));
    let listed = client
        .list_amendments(pb::ListAmendmentsRequest { resolution_id: resolution.id.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.amendments.len(), 1);
    let hrc = client
        .list_resolutions(pb::ListResolutionsRequest { body: "UN-HRC".into(), session: "HRC 58".into() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(hrc.resolutions.len(), 1);

    // The words kept count in the period's figures, and a database from before they had a
    // column of their own has it filled from the amendments on start.
    let today = chrono::Utc::now().timestamp() / 86_400 * 86_400;
    let around_now = || pb::AggregatesRequest {
        period: Some(pb::Period { start: ts(today - 86_400), end: ts(today + 2 * 86_400) }),
    };
    let figures = client.get_submission_aggregates(around_now()).await.expect("figures").into_inner();
    assert_eq!(figures.amendments_words_kept, 26);
    let pool = system.database("submissions").pool.clone();
    for statement in [
        "DROP INDEX amendments_by_created",
        "DROP TABLE amendment_kept_words_filled",
        "ALTER TABLE amendments DROP COLUMN kept_words",
        "DELETE FROM _sqlx_migrations WHERE version = 11",
    ] {
        sqlx::query(statement).execute(&pool).await.expect(statement);
    }
    system.restart().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let figures = client.get_submission_aggregates(around_now()).await.expect("figures").into_inner();
    assert_eq!(figures.amendments_words_kept, 26, "filled from the stored comparison");
    system.finish().await;
}

#[tokio::test]
async fn a_quiet_diplomacy_amendment_is_hidden_from_staff_without_the_compartment() {
    let system = TestSystem::spawn().await;
    let insider = Person {
        email: "q@advocacy.example",
        roles: vec![advocacy_platform::Role::Staff],
        compartments: vec!["quiet-diplomacy".into()],
    };
    let mut quiet = system.submissions_as(&insider).await;
    let resolution = hrc_resolution(&mut quiet).await;
    let hidden = quiet
        .propose_amendment(pb::ProposeAmendmentRequest {
            classification: Some(pb::Classification {
                level: pb::Confidentiality::Restricted.into(),
                compartment: "quiet-diplomacy".into(),
                ..Default::default()
            }),
            ..amendment("q-1", &resolution.id)
        })
        .await
        .expect("proposed")
        .into_inner();
    let mut ana = system.submissions_as(&Person::staff()).await;
    assert_eq!(
        ana.get_amendment(pb::GetAmendmentRequest { id: hidden.id.clone() }).await.expect_err("hidden").code(),
        Code::NotFound
    );
    let listed = ana
        .list_amendments(pb::ListAmendmentsRequest { resolution_id: resolution.id.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert!(listed.amendments.is_empty());
    let edit = pb::UpdateAmendmentRequest { lobbied: vec!["FR".into()], ..edit_of(&hidden) };
    assert_eq!(ana.update_amendment(edit).await.expect_err("hidden").code(), Code::NotFound);
    system.finish().await;
}

fn edit_of(a: &pb::Amendment) -> pb::UpdateAmendmentRequest {
    pb::UpdateAmendmentRequest {
        request_id: format!("edit-{}-{}", a.id, a.version),
        id: a.id.clone(),
        expected_version: a.version,
        paragraph_kind: a.paragraph_kind,
        paragraph_number: a.paragraph_number,
        proposed_text: a.proposed_text.clone(),
        rationale: a.rationale.clone(),
        evidence: a.evidence.clone(),
        lobbied: a.lobbied.clone(),
    }
}

#[tokio::test]
async fn an_amendment_is_edited_while_negotiated_and_kept_as_it_was_once_decided() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let resolution = hrc_resolution(&mut client).await;
    let proposed = client.propose_amendment(amendment("n-1", &resolution.id)).await.expect("proposed").into_inner();
    let lobbied_more = pb::UpdateAmendmentRequest {
        lobbied: [proposed.lobbied.clone(), vec!["FR".into(), "CH".into()]].concat(),
        proposed_text: ADOPTED.into(),
        ..edit_of(&proposed)
    };
    let edited = client.update_amendment(lobbied_more.clone()).await.expect("edited").into_inner();
    assert_eq!(edited.lobbied, ["CH", "KR", "EU-EEAS", "FR"], "each delegation once");
    assert_eq!((edited.version, edited.proposed_text.as_str()), (2, ADOPTED));
    assert_eq!(client.update_amendment(lobbied_more.clone()).await.expect("retry").into_inner(), edited);
    let stale =
        pb::UpdateAmendmentRequest { request_id: "another-edit".into(), rationale: "other".into(), ..lobbied_more };
    assert_eq!(client.update_amendment(stale).await.expect_err("stale").code(), Code::Aborted);

    let before = rows(&system).await;
    let cases: Vec<(&str, pb::UpdateAmendmentRequest)> = vec![
        (
            "lobbied[4]",
            pb::UpdateAmendmentRequest {
                lobbied: [edited.lobbied.clone(), vec!["ATLANTIS".into()]].concat(),
                ..edit_of(&edited)
            },
        ),
        ("paragraph_number", pb::UpdateAmendmentRequest { paragraph_number: 0, ..edit_of(&edited) }),
        ("proposed_text", pb::UpdateAmendmentRequest { proposed_text: String::new(), ..edit_of(&edited) }),
        ("paragraph_kind", pb::UpdateAmendmentRequest { paragraph_kind: 7, ..edit_of(&edited) }),
        ("evidence[0]", pb::UpdateAmendmentRequest { evidence: vec![resolution.id.clone()], ..edit_of(&edited) }),
    ];
    for (field, request) in cases {
        let error = client.update_amendment(request).await.expect_err(field);
        assert_eq!((error.code(), violated_fields(&error)), (Code::InvalidArgument, vec![field.to_owned()]));
    }
    let unchanged = client.get_amendment(pb::GetAmendmentRequest { id: edited.id.clone() }).await.expect("get");
    assert_eq!((rows(&system).await, unchanged.into_inner()), (before, edited.clone()), "nothing was written");

    let decided = client
        .record_amendment_outcome(pb::RecordAmendmentOutcomeRequest {
            request_id: "o".into(),
            id: edited.id.clone(),
            expected_version: edited.version,
            status: pb::AmendmentStatus::Rejected.into(),
            adopted_text: String::new(),
        })
        .await
        .expect("rejected")
        .into_inner();
    let late = pb::UpdateAmendmentRequest { proposed_text: OURS.into(), ..edit_of(&decided) };
    let error = client.update_amendment(late).await.expect_err("decided");
    assert_eq!(error.code(), Code::FailedPrecondition, "{}", error.message());
    system.finish().await;
}

async fn rows(system: &TestSystem) -> (i64, i64) {
    let queries = ["SELECT COUNT(*) FROM resolutions", "SELECT COUNT(*) FROM amendments"];
    let numbers = system.numbers("submissions", &queries).await;
    (numbers[0], numbers[1])
}

#[tokio::test]
async fn bad_resolutions_and_amendments_are_refused_by_field_and_nothing_is_written() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let resolution = hrc_resolution(&mut client).await;
    let before = rows(&system).await;
    let resolutions: Vec<(&str, &str, pb::CreateResolutionRequest)> = vec![
        (
            "unknown body",
            "body",
            pb::CreateResolutionRequest {
                request_id: "x".into(),
                body: "UN-MOON".into(),
                session: "HRC 58".into(),
                title: "t".into(),
                symbol: String::new(),
            },
        ),
        (
            "no session",
            "session",
            pb::CreateResolutionRequest {
                request_id: "x".into(),
                body: "UN-HRC".into(),
                session: " ".into(),
                title: "t".into(),
                symbol: String::new(),
            },
        ),
        (
            "no title",
            "title",
            pb::CreateResolutionRequest {
                request_id: "x".into(),
                body: "UN-HRC".into(),
                session: "HRC 58".into(),
                title: String::new(),
                symbol: String::new(),
            },
        ),
    ];
    for (name, field, request) in resolutions {
        let error = client.create_resolution(request).await.expect_err(name);
        assert_eq!(violated_fields(&error), [field], "{name}");
    }
    type Edit = Box<dyn Fn(&mut pb::ProposeAmendmentRequest)>;
    let unknown = "01a20000-0000-7000-8000-000000000000";
    let cases: Vec<(&str, &str, Edit)> = vec![
        ("unknown resolution", "resolution_id", Box::new(move |r| r.resolution_id = unknown.into())),
        ("no paragraph kind", "paragraph_kind", Box::new(|r| r.paragraph_kind = 0)),
        ("paragraph 0", "paragraph_number", Box::new(|r| r.paragraph_number = 0)),
        ("empty text", "proposed_text", Box::new(|r| r.proposed_text = "  ".into())),
        ("30 KB text", "proposed_text", Box::new(|r| r.proposed_text = "word ".repeat(6_000))),
        ("unknown delegation", "lobbied[1]", Box::new(|r| r.lobbied = vec!["CH".into(), "ATLANTIS".into()])),
        ("control characters", "rationale", Box::new(|r| r.rationale = "a\u{1b}[2J".into())),
        ("evidence that is no id", "evidence[0]", Box::new(|r| r.evidence = vec!["see our report".into()])),
        ("evidence that is no publication", "evidence[0]", Box::new(move |r| r.evidence = vec![unknown.into()])),
    ];
    for (name, field, edit) in &cases {
        let mut request = amendment("hostile", &resolution.id);
        edit(&mut request);
        let error = client.propose_amendment(request).await.expect_err(name);
        assert_eq!(error.code(), Code::InvalidArgument, "{name}: {}", error.message());
        assert_eq!(violated_fields(&error), [*field], "{name}: {}", error.message());
        assert_eq!(rows(&system).await, before, "{name} wrote something");
    }
    let stale = client
        .record_resolution_state(pb::RecordResolutionStateRequest {
            request_id: "s".into(),
            id: resolution.id,
            expected_version: 5,
            state: pb::ResolutionState::Tabled.into(),
            ..Default::default()
        })
        .await
        .expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(rows(&system).await, before);
    system.finish().await;
}

fn ts(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

#[tokio::test]
async fn impact_figures_count_submissions_amendments_and_publications_of_the_period() {
    let system = TestSystem::spawn().await;
    let mut sam = system.submissions_as(&Person::sanctions_staff()).await;
    for (i, (mechanism, kind)) in [
        ("UPR", pb::SubmissionKind::UprStakeholderReport),
        ("UPR", pb::SubmissionKind::UprStakeholderReport),
        ("SR-TORTURE", pb::SubmissionKind::SpecialProceduresCommunication),
        ("SANCTIONS-US", pb::SubmissionKind::SanctionsPackage),
    ]
    .into_iter()
    .enumerate()
    {
        sam.create_submission(pb::CreateSubmissionRequest {
            request_id: format!("f-{i}"),
            title: format!("Submission {i}"),
            mechanism: mechanism.into(),
            kind: kind.into(),
            country: "KP".into(),
            ..Default::default()
        })
        .await
        .expect("submission");
    }
    let resolution = hrc_resolution(&mut sam).await;
    let first = sam.propose_amendment(amendment("am-1", &resolution.id)).await.expect("one").into_inner();
    let second = sam.propose_amendment(amendment("am-2", &resolution.id)).await.expect("two").into_inner();
    sam.record_amendment_outcome(pb::RecordAmendmentOutcomeRequest {
        request_id: "x1".into(),
        id: first.id,
        expected_version: 1,
        status: pb::AmendmentStatus::AdoptedInPart.into(),
        adopted_text: ADOPTED.into(),
    })
    .await
    .expect("adopted in part");
    sam.record_amendment_outcome(pb::RecordAmendmentOutcomeRequest {
        request_id: "x2".into(),
        id: second.id,
        expected_version: 1,
        status: pb::AmendmentStatus::Rejected.into(),
        adopted_text: String::new(),
    })
    .await
    .expect("rejected");
    let june_2026 = 1_780_272_000;
    for (i, (kind, by)) in [
        (pb::PublicationKind::InvestigativeReport, ""),
        (pb::PublicationKind::GovernmentContractedReport, "JP"),
        (pb::PublicationKind::Brief, ""),
    ]
    .into_iter()
    .enumerate()
    {
        sam.create_publication(pb::CreatePublicationRequest {
            request_id: format!("p-{i}"),
            title: format!("Publication {i}"),
            kind: kind.into(),
            contracted_by: by.into(),
            published_on: ts(june_2026),
            url: "https://example.org/report".into(),
            classification: None,
        })
        .await
        .expect("publication");
    }
    let refused = sam
        .create_publication(pb::CreatePublicationRequest {
            request_id: "p-x".into(),
            title: "Report".into(),
            kind: pb::PublicationKind::GovernmentContractedReport.into(),
            published_on: ts(june_2026),
            ..Default::default()
        })
        .await
        .expect_err("which government?");
    assert_eq!(violated_fields(&refused), ["contracted_by"]);

    let mut ana = system.submissions_as(&Person::staff()).await;
    let figures = ana
        .get_submission_aggregates(pb::AggregatesRequest {
            period: Some(pb::Period { start: ts(1_767_225_600), end: ts(1_830_297_600) }),
        })
        .await
        .expect("aggregates")
        .into_inner();
    let pairs = |counts: &[pb::CountByKey]| counts.iter().map(|c| (c.key.clone(), c.count)).collect::<Vec<_>>();
    assert_eq!(
        pairs(&figures.by_mechanism),
        [("SR-TORTURE".into(), 1), ("UPR".into(), 2)],
        "the restricted package is in no breakdown for staff without its compartment"
    );
    assert_eq!(figures.submissions_restricted, 1, "it is one restricted, not shown");
    let mut sam = system.submissions_as(&Person::sanctions_staff()).await;
    let holding = sam
        .get_submission_aggregates(pb::AggregatesRequest {
            period: Some(pb::Period { start: ts(1_767_225_600), end: ts(1_830_297_600) }),
        })
        .await
        .expect("aggregates")
        .into_inner();
    assert_eq!(
        (pairs(&holding.by_mechanism), holding.submissions_restricted),
        ([("SANCTIONS-US".into(), 1), ("SR-TORTURE".into(), 1), ("UPR".into(), 2)].to_vec(), 0),
        "whoever holds the compartment sees it counted where it belongs"
    );
    assert_eq!(figures.resolutions_influenced, 1);
    assert_eq!(pairs(&figures.amendments_by_status), [("adopted_in_part".into(), 1), ("rejected".into(), 1)]);
    assert_eq!(
        pairs(&figures.publications_by_kind),
        [("brief".into(), 1), ("government_contracted_report".into(), 1), ("investigative_report".into(), 1)]
    );
    // Not listed for staff without the compartment either.
    let listed = ana.list_submissions(pb::ListSubmissionsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.submissions.len(), 3);
    // Behind "adopted in part": the amendments of every resolution in the period and status.
    let behind = |status: pb::AmendmentStatus, start: i64| pb::ListAmendmentsRequest {
        period: Some(pb::Period { start: ts(start), end: ts(1_830_297_600) }),
        status: status.into(),
        ..Default::default()
    };
    let adopted = ana.list_amendments(behind(pb::AmendmentStatus::AdoptedInPart, 1_767_225_600)).await;
    let adopted = adopted.expect("listed").into_inner().amendments;
    assert_eq!(adopted.iter().map(|a| a.status()).collect::<Vec<_>>(), [pb::AmendmentStatus::AdoptedInPart]);
    let later = ana.list_amendments(behind(pb::AmendmentStatus::AdoptedInPart, 1_829_000_000)).await;
    assert!(later.expect("listed").into_inner().amendments.is_empty(), "none proposed in that period");
    let refused = ana
        .list_amendments(pb::ListAmendmentsRequest { status: 77, ..Default::default() })
        .await
        .expect_err("no such status");
    assert_eq!(violated_fields(&refused), ["status"]);
    system.finish().await;
}

/// A spreadsheet of amendments to HRC 58 and HRC 59 resolutions, `bad` rows broken by `edit`.
fn amendment_sheet(
    tag: &str,
    bad: Option<i32>,
    edit: impl Fn(&mut pb::ImportAmendmentRow),
) -> Vec<pb::ImportAmendmentRow> {
    (2..1002)
        .map(|line| {
            // Three resolutions: the DPRK one (already in the registry, spelled otherwise
            // here) and two new ones.
            let (session, title) = match line % 3 {
                0 => ("HRC 58", "SITUATION OF HUMAN RIGHTS IN THE DEMOCRATIC PEOPLE’S REPUBLIC OF KOREA."),
                1 => ("HRC 59", "Human rights of migrants"),
                _ => ("HRC 59", "Trafficking in persons, especially women and children"),
            };
            let (status, adopted_text) = match line % 4 {
                0 => (pb::AmendmentStatus::AdoptedInPart, ADOPTED),
                1 => (pb::AmendmentStatus::Rejected, ""),
                _ => (pb::AmendmentStatus::Unspecified, ""),
            };
            let mut row = pb::ImportAmendmentRow {
                line,
                resolution: Some(pb::ImportedResolution {
                    body: "UN-HRC".into(),
                    session: session.into(),
                    title: title.into(),
                    symbol: String::new(),
                }),
                amendment: Some(pb::ProposeAmendmentRequest {
                    request_id: format!("import:{tag}:{line}"),
                    paragraph_number: line % 40 + 1,
                    ..amendment("", "")
                }),
                status: status.into(),
                adopted_text: adopted_text.into(),
                proposed_on: None,
            };
            if Some(line) == bad {
                edit(&mut row);
            }
            row
        })
        .collect()
}

#[tokio::test]
async fn an_import_of_amendments_with_one_bad_row_writes_nothing_and_matches_resolutions_once_clean() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let dprk = hrc_resolution(&mut client).await;
    let before = rows(&system).await;

    let in_part_without_text = |r: &mut pb::ImportAmendmentRow| r.adopted_text.clear();
    let refused = client
        .import_amendments(tokio_stream::iter(amendment_sheet("t", Some(500), in_part_without_text)))
        .await
        .expect_err("line 500 is adopted in part without the adopted text");
    assert_eq!(violated_fields(&refused), ["line 500: adopted_text"]);
    assert_eq!(rows(&system).await, before, "nothing written, not even the new resolutions");

    type RowEdit<'a> = Box<dyn Fn(&mut pb::ImportAmendmentRow) + 'a>;
    let cases: Vec<(&str, RowEdit)> = vec![
        ("line 501: resolution.body", Box::new(|r| r.resolution.as_mut().expect("r").body = "UN-MOON".into())),
        ("line 501: resolution.title", Box::new(|r| r.resolution.as_mut().expect("r").title = " ".into())),
        ("line 501: status", Box::new(|r| r.status = 42)),
        ("line 501: adopted_text", Box::new(|r| r.adopted_text = "text of a rejected amendment".into())),
        ("line 501: resolution_id", Box::new(|r| r.amendment.as_mut().expect("a").resolution_id = dprk.id.clone())),
        ("line 501: evidence[0]", Box::new(|r| r.amendment.as_mut().expect("a").evidence = vec![dprk.id.clone()])),
    ];
    for (field, edit) in cases {
        let error = client.import_amendments(tokio_stream::iter(amendment_sheet("t", Some(501), edit))).await;
        let error = error.expect_err(field);
        assert_eq!(violated_fields(&error), [field]);
        assert_eq!(rows(&system).await, before, "{field}: nothing written");
    }

    let done = client.import_amendments(tokio_stream::iter(amendment_sheet("t", None, |_| {}))).await;
    let done = done.expect("clean file").into_inner();
    assert_eq!(
        (done.amendments, done.already_imported, done.resolutions_matched, done.resolutions_created),
        (1000, 0, 1, 2)
    );
    assert_eq!(rows(&system).await, (before.0 + 2, before.1 + 1000));
    let again = client.import_amendments(tokio_stream::iter(amendment_sheet("t", None, |_| {}))).await;
    let again = again.expect("same file again").into_inner();
    assert_eq!(
        (again.amendments, again.already_imported, again.resolutions_matched, again.resolutions_created),
        (0, 1000, 3, 0)
    );

    let on_dprk = client
        .list_amendments(pb::ListAmendmentsRequest {
            resolution_id: dprk.id.clone(),
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .amendments;
    assert_eq!(on_dprk.len(), 333, "every third row went to the resolution already in the registry");
    // Paged, the same amendments in the same order, none twice.
    let (mut paged, mut page_token) = (Vec::new(), String::new());
    loop {
        let request = pb::ListAmendmentsRequest {
            resolution_id: dprk.id.clone(),
            page_size: 100,
            page_token,
            ..Default::default()
        };
        let page = client.list_amendments(request).await.expect("a page").into_inner();
        assert!(page.amendments.len() <= 100);
        paged.extend(page.amendments.into_iter().map(|a| a.id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(paged, on_dprk.iter().map(|a| a.id.clone()).collect::<Vec<_>>());
    let adopted = on_dprk.iter().find(|a| a.status == pb::AmendmentStatus::AdoptedInPart as i32).expect("adopted");
    let kept = adopted.comparison.as_ref().expect("compared");
    assert_eq!((kept.kept_words, kept.proposed_words), (26, 28));
    system.finish().await;
}

#[tokio::test]
async fn two_imports_at_once_naming_the_same_new_resolution_create_it_once() {
    let system = TestSystem::spawn().await;
    let (mut a, mut b) =
        (system.submissions_as(&Person::staff()).await, system.submissions_as(&Person::sanctions_staff()).await);
    let first = a.import_amendments(tokio_stream::iter(amendment_sheet("first", None, |_| {})));
    let second = b.import_amendments(tokio_stream::iter(amendment_sheet("second", None, |_| {})));
    let (first, second) = tokio::join!(first, second);
    let (first, second) = (first.expect("first").into_inner(), second.expect("second").into_inner());
    assert_eq!((first.amendments, second.amendments), (1000, 1000));
    assert_eq!(first.resolutions_created + second.resolutions_created, 3, "each resolution made once");
    assert_eq!(rows(&system).await, (3, 2000));
    system.finish().await;
}

fn day(text: &str) -> Option<prost_types::Timestamp> {
    let at = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date").and_hms_opt(0, 0, 0).expect("midnight");
    Some(prost_types::Timestamp { seconds: at.and_utc().timestamp(), nanos: 0 })
}

fn period(from: &str, to: &str) -> pb::AggregatesRequest {
    pb::AggregatesRequest { period: Some(pb::Period { start: day(from), end: day(to) }) }
}

#[tokio::test]
async fn records_entered_after_the_fact_count_in_the_period_they_happened() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let submission = |line: i32, status: pb::SubmissionStatus, on: &str| pb::ImportSubmissionRow {
        line,
        submission: Some(pb::CreateSubmissionRequest {
            request_id: format!("import:past:{line}"),
            title: format!("Communication {line}"),
            mechanism: "SR-TORTURE".into(),
            kind: pb::SubmissionKind::SpecialProceduresCommunication.into(),
            country: "KP".into(),
            status: status.into(),
            status_at: if on.is_empty() { None } else { day(on) },
            ..Default::default()
        }),
    };
    let rows = vec![
        submission(2, pb::SubmissionStatus::Submitted, "2024-03-10"),
        submission(3, pb::SubmissionStatus::Acknowledged, "2024-05-01"),
        submission(4, pb::SubmissionStatus::Draft, ""),
    ];
    client.import_submissions(tokio_stream::iter(rows)).await.expect("past submissions");
    let mut rows = amendment_sheet("past", None, |_| {});
    rows.truncate(1); // line 2: still proposed
    rows[0].proposed_on = day("2024-06-01");
    let future = pb::ImportAmendmentRow { proposed_on: day("2099-01-01"), ..rows[0].clone() };
    let refused = client.import_amendments(tokio_stream::iter(vec![future])).await.expect_err("in the future");
    assert_eq!(violated_fields(&refused), ["line 2: proposed_on"]);
    client.import_amendments(tokio_stream::iter(rows)).await.expect("a past amendment");
    let tomorrow = pb::CreateSubmissionRequest {
        status_at: Some(prost_types::Timestamp { seconds: chrono::Utc::now().timestamp() + 86_400, nanos: 0 }),
        ..submission(5, pb::SubmissionStatus::Submitted, "").submission.expect("s")
    };
    let refused = client.create_submission(tomorrow).await.expect_err("sent tomorrow");
    assert_eq!(violated_fields(&refused), ["status_at"]);

    let in_2024 = client.get_submission_aggregates(period("2024-01-01", "2025-01-01")).await.expect("2024");
    let in_2024 = in_2024.into_inner();
    let counts = |c: &[pb::CountByKey]| c.iter().map(|c| (c.key.clone(), c.count)).collect::<Vec<_>>();
    assert_eq!(counts(&in_2024.by_status), [("acknowledged".to_owned(), 1), ("submitted".to_owned(), 1)]);
    assert_eq!(counts(&in_2024.amendments_by_status), [("proposed".to_owned(), 1)]);
    let behind = pb::ListSubmissionsRequest { period: period("2024-01-01", "2025-01-01").period, ..Default::default() };
    let behind = client.list_submissions(behind).await.expect("the records behind the figure").into_inner();
    let mut titles: Vec<String> = behind.submissions.into_iter().map(|s| s.title).collect();
    titles.sort();
    assert_eq!(titles, ["Communication 2", "Communication 3"]);
    let today = chrono::Utc::now().date_naive();
    let this_year = period(
        &format!("{}-01-01", today.format("%Y")),
        &format!("{}-01-01", today.format("%Y").to_string().parse::<i32>().expect("year") + 1),
    );
    let now = client.get_submission_aggregates(this_year).await.expect("this year").into_inner();
    assert_eq!(counts(&now.by_status), [("draft".to_owned(), 1)], "only the draft counts when it was typed in");
    assert!(now.amendments_by_status.is_empty());
    system.finish().await;
}

#[tokio::test]
async fn a_resolution_is_recorded_once_however_its_title_is_spelled() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let resolution = |request_id: &str, title: &str| pb::CreateResolutionRequest {
        request_id: request_id.into(),
        body: "UN-HRC".into(),
        session: "HRC 61".into(),
        title: title.into(),
        symbol: String::new(),
    };
    let first = client
        .create_resolution(resolution("r-1", "Situation of human rights in the DPRK"))
        .await
        .expect("recorded")
        .into_inner();
    let again = client.create_resolution(resolution("r-1", "Situation of human rights in the DPRK")).await;
    assert_eq!(again.expect("a retry gets the first answer").into_inner().id, first.id);
    let duplicate = client
        .create_resolution(resolution("r-2", "  situation of HUMAN rights in the  DPRK "))
        .await
        .expect_err("twice");
    assert_eq!(duplicate.code(), Code::AlreadyExists);
    assert_eq!(violated_fields(&duplicate), ["title"]);
    assert!(duplicate.message().contains(&first.id), "names the record there is: {}", duplicate.message());
    let other_session = pb::CreateResolutionRequest { session: "HRC 62".into(), ..resolution("r-3", &first.title) };
    client.create_resolution(other_session).await.expect("the next session's is another resolution");
    let listed = client.list_resolutions(pb::ListResolutionsRequest::default()).await.expect("list").into_inner();
    assert_eq!(listed.resolutions.len(), 2);
    system.finish().await;
}
