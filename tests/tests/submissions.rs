//! Submissions to UN mechanisms and sanctions regimes, as advocacy staff record them.

use advocacy_tests::{Person, TestSystem, first_failed_push, pb, violated_fields};
use tonic::Code;

fn upr_report(request_id: &str, words: i32) -> pb::CreateSubmissionRequest {
    pb::CreateSubmissionRequest {
        request_id: request_id.into(),
        title: "UPR stakeholder report: the penal system".into(),
        mechanism: "UPR".into(),
        kind: pb::SubmissionKind::UprStakeholderReport.into(),
        country: "KP".into(),
        word_count: words,
        document_url: "https://example.org/reports/upr-penal-system.pdf".into(),
        document_sha256: "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08".into(),
        themes: vec!["Penal system".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_submission_goes_from_draft_to_published_keeping_who_and_when() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let draft = client.create_submission(upr_report("s-1", 2_800)).await.expect("created").into_inner();
    assert_eq!(draft.status, pb::SubmissionStatus::Draft as i32);
    assert_eq!(draft.document_sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    assert_eq!(draft.word_rule, Some(pb::WordRule { limit: 2_815, hard: true, exceeded: false }));
    assert_eq!(draft.themes, ["penal system"]);
    let retry = client.create_submission(upr_report("s-1", 2_800)).await.expect("retry").into_inner();
    assert_eq!(retry, draft, "a retry makes nothing twice");

    let step =
        |id: &str, version: i64, status: pb::SubmissionStatus, request_id: &str| pb::RecordSubmissionStatusRequest {
            request_id: request_id.into(),
            id: id.into(),
            expected_version: version,
            status: status.into(),
            at: None,
            note: String::new(),
        };
    let submitted = client
        .record_submission_status(step(&draft.id, 1, pb::SubmissionStatus::Submitted, "st-1"))
        .await
        .expect("submitted")
        .into_inner();
    let again = client
        .record_submission_status(step(&draft.id, 1, pb::SubmissionStatus::Submitted, "st-1"))
        .await
        .expect("retried")
        .into_inner();
    assert_eq!(again, submitted, "a retried status change changes nothing more");
    let stale = client
        .record_submission_status(step(&draft.id, 1, pb::SubmissionStatus::Acknowledged, "st-2"))
        .await
        .expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);
    let published = client
        .record_submission_status(step(&draft.id, 2, pb::SubmissionStatus::Published, "st-3"))
        .await
        .expect("published")
        .into_inner();
    assert_eq!(published.history.iter().map(|h| h.status).collect::<Vec<_>>(), [1, 2, 4]);
    assert!(published.history.iter().all(|h| h.by == "ana@advocacy.example"));
    let backwards = client
        .record_submission_status(step(&draft.id, 3, pb::SubmissionStatus::Draft, "st-4"))
        .await
        .expect_err("no way back");
    assert_eq!(backwards.code(), Code::FailedPrecondition);
    assert!(backwards.message().contains("can become cited"), "{}", backwards.message());

    let listed = client
        .list_submissions(pb::ListSubmissionsRequest {
            mechanism: "UPR".into(),
            status: pb::SubmissionStatus::Published.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.submissions.len(), 1);
    system.finish().await;
}

#[tokio::test]
async fn upr_word_limits_are_hard_alone_and_doubled_for_joint_reports() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let too_long = client.create_submission(upr_report("w-1", 2_816)).await.expect_err("over the limit");
    assert_eq!(violated_fields(&too_long), ["word_count"]);
    assert!(too_long.message().contains("at most 2,815 words (alone)"), "{}", too_long.message());
    let joint = client
        .create_submission(pb::CreateSubmissionRequest {
            partners: vec!["Partner Coalition".into()],
            ..upr_report("w-2", 5_000)
        })
        .await
        .expect("joint report within 5,630")
        .into_inner();
    assert_eq!(joint.word_rule.map(|w| w.limit), Some(5_630));
    // A soft rule is reported, not enforced.
    let long_answer = client
        .create_submission(pb::CreateSubmissionRequest {
            mechanism: "SR-TORTURE".into(),
            kind: pb::SubmissionKind::CallForInputAnswer.into(),
            ..upr_report("w-3", 6_000)
        })
        .await
        .expect("accepted")
        .into_inner();
    assert_eq!(long_answer.word_rule, Some(pb::WordRule { limit: 5_000, hard: false, exceeded: true }));
    system.finish().await;
}

#[tokio::test]
async fn a_sanctions_package_is_restricted_by_default_and_cannot_be_read_listed_or_guessed() {
    let system = TestSystem::spawn().await;
    let mut sam = system.submissions_as(&Person::sanctions_staff()).await;
    let package = sam
        .create_submission(pb::CreateSubmissionRequest {
            request_id: "p-1".into(),
            title: "Magnitsky package: prison camp commanders".into(),
            mechanism: "SANCTIONS-US".into(),
            kind: pb::SubmissionKind::SanctionsPackage.into(),
            country: "KP".into(),
            ..Default::default()
        })
        .await
        .expect("created")
        .into_inner();
    assert_eq!(package.classification.as_ref().map(|c| c.compartment.as_str()), Some("sanctions"));

    let mut ana = system.submissions_as(&Person::staff()).await;
    let read = ana.get_submission(pb::GetSubmissionRequest { id: package.id.clone() }).await.expect_err("hidden");
    assert_eq!(read.code(), Code::NotFound);
    let listed = ana
        .list_submissions(pb::ListSubmissionsRequest {
            kind: pb::SubmissionKind::SanctionsPackage.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(listed.submissions.is_empty());
    let change = ana
        .record_submission_status(pb::RecordSubmissionStatusRequest {
            request_id: "x".into(),
            id: package.id.clone(),
            expected_version: 1,
            status: pb::SubmissionStatus::Withdrawn.into(),
            ..Default::default()
        })
        .await
        .expect_err("hidden");
    assert_eq!(change.code(), Code::NotFound);
    let filed = ana
        .create_submission(pb::CreateSubmissionRequest {
            request_id: "p-2".into(),
            title: "Another package".into(),
            mechanism: "SANCTIONS-EU".into(),
            kind: pb::SubmissionKind::SanctionsPackage.into(),
            country: "KP".into(),
            ..Default::default()
        })
        .await
        .expect_err("staff without the compartment cannot file one");
    assert_eq!(filed.code(), Code::PermissionDenied);
    assert_eq!(
        sam.get_submission(pb::GetSubmissionRequest { id: package.id }).await.expect("holder").into_inner().title,
        package.title
    );
    system.finish().await;
}

async fn rows(system: &TestSystem) -> (i64, i64) {
    let queries =
        ["SELECT COUNT(*) FROM submissions", "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM submissions"];
    let numbers = system.numbers("submissions", &queries).await;
    (numbers[0], numbers[1])
}

#[tokio::test]
async fn each_bad_field_of_a_submission_is_named_and_nothing_is_written() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let existing = client.create_submission(upr_report("seed", 100)).await.expect("seed").into_inner();
    let before = rows(&system).await;
    type Edit = Box<dyn Fn(&mut pb::CreateSubmissionRequest)>;
    let cases: Vec<(&str, &str, Edit)> = vec![
        ("no request id", "request_id", Box::new(|r| r.request_id.clear())),
        ("empty title", "title", Box::new(|r| r.title = " ".into())),
        ("100 KB title", "title", Box::new(|r| r.title = "t".repeat(100 * 1024))),
        ("unknown mechanism", "mechanism", Box::new(|r| r.mechanism = "UN-NARNIA".into())),
        ("SQL in mechanism", "mechanism", Box::new(|r| r.mechanism = "UPR' OR '1'='1".into())),
        ("no kind", "kind", Box::new(|r| r.kind = 0)),
        ("unknown kind", "kind", Box::new(|r| r.kind = 40)),
        ("unknown country", "country", Box::new(|r| r.country = "ZZ".into())),
        ("lowercase country", "country", Box::new(|r| r.country = "kp".into())),
        ("bad deadline id", "deadline_id", Box::new(|r| r.deadline_id = "tomorrow".into())),
        ("javascript URL", "document_url", Box::new(|r| r.document_url = "javascript:alert(1)".into())),
        ("short digest", "document_sha256", Box::new(|r| r.document_sha256 = "abc123".into())),
        ("digest with non-hex", "document_sha256", Box::new(|r| r.document_sha256 = "z".repeat(64))),
        ("negative word count", "word_count", Box::new(|r| r.word_count = -1)),
        ("word count over the hard rule", "word_count", Box::new(|r| r.word_count = 9_999)),
        ("absurd word count", "word_count", Box::new(|r| r.word_count = i32::MAX)),
        ("control characters in a partner", "partners[0]", Box::new(|r| r.partners = vec!["NGO\u{0}".into()])),
        ("too many themes", "themes", Box::new(|r| r.themes = (0..51).map(|i| format!("t{i}")).collect())),
        ("unknown status", "status", Box::new(|r| r.status = 77)),
        (
            "unknown confidentiality",
            "classification.level",
            Box::new(|r| {
                r.classification =
                    Some(pb::Classification { level: 12, compartment: String::new(), ..Default::default() })
            }),
        ),
        (
            "restricted without compartment",
            "classification.compartment",
            Box::new(|r| {
                r.classification = Some(pb::Classification {
                    level: pb::Confidentiality::Restricted.into(),
                    compartment: String::new(),
                    ..Default::default()
                })
            }),
        ),
    ];
    assert!(cases.len() >= 20);
    for (name, field, edit) in &cases {
        let mut request = upr_report("hostile", 100);
        edit(&mut request);
        let error = client.create_submission(request).await.expect_err(name);
        assert_eq!(error.code(), Code::InvalidArgument, "{name}: {}", error.message());
        assert_eq!(violated_fields(&error), [*field], "{name}: {}", error.message());
        assert_eq!(rows(&system).await, before, "{name} wrote something");
    }
    let bad_status = client
        .record_submission_status(pb::RecordSubmissionStatusRequest {
            request_id: "b".into(),
            id: existing.id.clone(),
            expected_version: 1,
            status: pb::SubmissionStatus::Submitted.into(),
            at: Some(prost_types::Timestamp { seconds: 4_000_000_000, nanos: 0 }),
            note: String::new(),
        })
        .await
        .expect_err("future");
    assert_eq!(violated_fields(&bad_status), ["at"]);
    let unknown = client
        .get_submission(pb::GetSubmissionRequest { id: "01a20000-0000-7000-8000-000000000000".into() })
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(rows(&system).await, before);
    system.finish().await;
}

async fn deadline(system: &TestSystem, person: &Person, request: pb::CreateDeadlineRequest) -> pb::Deadline {
    system.deadlines_as(person).await.create_deadline(request).await.expect("deadline").into_inner()
}

fn submit(id: &str, version: i64) -> pb::RecordSubmissionStatusRequest {
    pb::RecordSubmissionStatusRequest {
        request_id: format!("submit-{id}"),
        id: id.into(),
        expected_version: version,
        status: pb::SubmissionStatus::Submitted.into(),
        at: None,
        note: "sent by email to the secretariat".into(),
    }
}

/// The deadline once the deadlines service shows it completed (the link works in the
/// background), or `None` after 40 seconds.
async fn completed(system: &TestSystem, id: &str) -> Option<pb::Deadline> {
    let deadlines = system.deadlines().await;
    advocacy_tests::eventually(40, || {
        let mut deadlines = deadlines.clone();
        let id = id.to_owned();
        async move {
            let d = deadlines.get_deadline(pb::GetDeadlineRequest { id }).await.ok()?.into_inner();
            (d.status == pb::DeadlineStatus::Completed as i32).then_some(d)
        }
    })
    .await
}

#[tokio::test]
async fn submitting_completes_the_linked_deadline_on_time_or_late() {
    let system = TestSystem::spawn().await;
    let staff = Person::staff();
    let future =
        deadline(&system, &staff, advocacy_tests::new_deadline("d-1", "UPR cut-off", "2027-03-29T12:00")).await;
    let past =
        deadline(&system, &staff, advocacy_tests::new_deadline("d-2", "Earlier cut-off", "2026-03-02T12:00")).await;
    let mut client = system.submissions_as(&staff).await;
    let on_time = client
        .create_submission(pb::CreateSubmissionRequest { deadline_id: future.id.clone(), ..upr_report("l-1", 2_000) })
        .await
        .expect("linked")
        .into_inner();
    let late = client
        .create_submission(pb::CreateSubmissionRequest { deadline_id: past.id.clone(), ..upr_report("l-2", 2_000) })
        .await
        .expect("linked")
        .into_inner();
    client.record_submission_status(submit(&on_time.id, 1)).await.expect("submitted");
    client.record_submission_status(submit(&late.id, 1)).await.expect("submitted");

    // Recorded today, sent on 20 February 2026, before that cut-off.
    let earlier =
        deadline(&system, &staff, advocacy_tests::new_deadline("d-3", "Same cut-off", "2026-03-02T12:00")).await;
    client
        .create_submission(pb::CreateSubmissionRequest {
            deadline_id: earlier.id.clone(),
            status: pb::SubmissionStatus::Submitted.into(),
            status_at: Some(prost_types::Timestamp { seconds: 1_771_545_600, nanos: 0 }),
            ..upr_report("l-3", 2_000)
        })
        .await
        .expect("recorded after the fact");

    let done = completed(&system, &future.id).await.expect("the linked deadline is completed");
    assert!(done.completed_on_time);
    let missed = completed(&system, &past.id).await.expect("the late one too");
    assert!(!missed.completed_on_time, "submitted after the cut-off: recorded as late");
    let kept = completed(&system, &earlier.id).await.expect("completed");
    assert!(kept.completed_on_time, "sent before the cut-off, though recorded after it");
    system.finish().await;
}

#[tokio::test]
async fn only_a_deadline_the_caller_can_see_can_be_linked() {
    let system = TestSystem::spawn().await;
    let sam = Person::sanctions_staff();
    let hidden = deadline(
        &system,
        &sam,
        pb::CreateDeadlineRequest {
            classification: Some(pb::Classification {
                level: pb::Confidentiality::Restricted.into(),
                compartment: "sanctions".into(),
                ..Default::default()
            }),
            ..advocacy_tests::new_deadline("h-1", "Sanctions package due", "2027-02-26T17:00")
        },
    )
    .await;
    let mut ana = system.submissions_as(&Person::staff()).await;
    let before = rows(&system).await;
    for id in [hidden.id.clone(), "01a20000-0000-7000-8000-000000000000".to_owned()] {
        let refused = ana
            .create_submission(pb::CreateSubmissionRequest { deadline_id: id, ..upr_report("x-1", 100) })
            .await
            .expect_err("not linkable");
        assert_eq!(violated_fields(&refused), ["deadline_id"]);
    }
    assert_eq!(rows(&system).await, before);
    system.finish().await;
}

#[tokio::test]
async fn a_submission_submitted_while_deadlines_is_down_completes_its_deadline_when_it_returns() {
    let address = advocacy_tests::processes::free_addresses(1)[0];
    let mut deadlines_only = TestSystem::spawn_with(&["deadlines"], &address.to_string(), |_| {}).await;
    let url = format!("http://{address}");
    let submissions_only = TestSystem::spawn_with(&["submissions"], "127.0.0.1:0", |c| {
        c.services.entry("deadlines".into()).or_default().url = Some(url.clone());
    })
    .await;
    let staff = Person::staff();
    let due =
        deadline(&deadlines_only, &staff, advocacy_tests::new_deadline("o-1", "CRC report", "2027-05-10T12:00")).await;
    let mut client = submissions_only.submissions_as(&staff).await;
    let linked = client
        .create_submission(pb::CreateSubmissionRequest { deadline_id: due.id.clone(), ..upr_report("o-2", 1_000) })
        .await
        .expect("linked")
        .into_inner();

    deadlines_only.stop_server().await;
    client.record_submission_status(submit(&linked.id, 1)).await.expect("submitting works while deadlines is down");
    let (state, last_error) = first_failed_push(submissions_only.database("submissions")).await;
    assert_eq!(state, "pending", "still pending, to be retried");
    assert!(!last_error.is_empty(), "the failure's error is kept");

    deadlines_only.restart().await;
    let done = completed(&deadlines_only, &due.id).await;
    assert!(done.is_some_and(|d| d.completed_on_time), "completed once the service is back");
    submissions_only.finish().await;
    deadlines_only.finish().await;
}

#[tokio::test]
async fn an_import_of_submissions_with_one_row_over_the_word_limit_writes_nothing() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let before = rows(&system).await;
    let sheet = |bad: Option<i32>| {
        (2..1002)
            .map(|line| pb::ImportSubmissionRow {
                line,
                submission: Some(pb::CreateSubmissionRequest {
                    word_count: if Some(line) == bad { 4_000 } else { 2_500 },
                    ..upr_report(&format!("import:test:{line}"), 0)
                }),
            })
            .collect::<Vec<_>>()
    };
    let refused = client.import_submissions(tokio_stream::iter(sheet(Some(700)))).await.expect_err("one row too long");
    assert_eq!(violated_fields(&refused), ["line 700: word_count"]);
    assert_eq!(rows(&system).await, before, "nothing was written");
    let linked = client
        .import_submissions(tokio_stream::iter(vec![pb::ImportSubmissionRow {
            line: 2,
            submission: Some(pb::CreateSubmissionRequest {
                deadline_id: "01a20000-0000-7000-8000-000000000000".into(),
                ..upr_report("import:x:2", 100)
            }),
        }]))
        .await
        .expect_err("deadline links come after an import");
    assert_eq!(violated_fields(&linked), ["line 2: deadline_id"]);

    let done = client.import_submissions(tokio_stream::iter(sheet(None))).await.expect("clean").into_inner();
    assert_eq!((done.submissions, done.already_imported), (1000, 0));
    let again = client.import_submissions(tokio_stream::iter(sheet(None))).await.expect("again").into_inner();
    assert_eq!((again.submissions, again.already_imported), (0, 1000));
    system.finish().await;
}

#[tokio::test]
async fn a_database_from_before_dated_submissions_is_upgraded_without_losing_a_record() {
    let mut system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let recorded = client.create_submission(upr_report("old-1", 2_000)).await.expect("created").into_inner();
    // Put the database back as the release before migration 5 left it: first undo the
    // words kept (11), the audit log (10), the requests table (9, 8), the move to the
    // platform's outbox (7) and its tables (6), then the dating (5).
    let pool = system.database("submissions").pool.clone();
    for statement in [
        "DROP INDEX amendments_by_created",
        "DROP TABLE amendment_kept_words_filled",
        "ALTER TABLE amendments DROP COLUMN kept_words",
        "DROP TABLE audit_log",
        "DROP TABLE requests",
        "DROP TABLE outbox",
        "DROP TABLE feed_cursors",
        "ALTER TABLE submissions ADD COLUMN deadline_pending BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE submissions ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE submissions ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE submissions ADD COLUMN last_error TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX submissions_deadline_pending ON submissions (deadline_pending, next_attempt_at)",
        "DROP INDEX submissions_by_date",
        "ALTER TABLE submissions DROP COLUMN dated_at",
        "DELETE FROM _sqlx_migrations WHERE version >= 5",
    ] {
        sqlx::query(statement).execute(&pool).await.expect(statement);
    }
    system.restart().await;

    let mut client = system.submissions_as(&Person::staff()).await;
    let read = client.get_submission(pb::GetSubmissionRequest { id: recorded.id.clone() }).await.expect("still there");
    assert_eq!(read.into_inner(), recorded);
    let today = chrono::Utc::now().timestamp() / 86_400 * 86_400;
    let around_now = pb::Period {
        start: Some(prost_types::Timestamp { seconds: today - 86_400, nanos: 0 }),
        end: Some(prost_types::Timestamp { seconds: today + 2 * 86_400, nanos: 0 }),
    };
    let figures = client.get_submission_aggregates(pb::AggregatesRequest { period: Some(around_now) }).await;
    let by_status = figures.expect("figures").into_inner().by_status;
    assert_eq!(by_status, [pb::CountByKey { key: "draft".into(), count: 1 }], "counted at its recording time");
    system.finish().await;
}

fn edit_of(s: &pb::Submission) -> pb::UpdateSubmissionRequest {
    pb::UpdateSubmissionRequest {
        request_id: format!("edit-{}-{}", s.id, s.version),
        id: s.id.clone(),
        expected_version: s.version,
        title: s.title.clone(),
        partners: s.partners.clone(),
        document_url: s.document_url.clone(),
        document_sha256: s.document_sha256.clone(),
        word_count: s.word_count,
        themes: s.themes.clone(),
        evidence: s.evidence.clone(),
    }
}

#[tokio::test]
async fn a_draft_is_edited_at_the_version_read_and_a_sent_document_stays_as_sent() {
    let system = TestSystem::spawn().await;
    let mut client = system.submissions_as(&Person::staff()).await;
    let draft = client.create_submission(upr_report("e-1", 2_000)).await.expect("draft").into_inner();
    let final_text = pb::UpdateSubmissionRequest {
        title: "UPR stakeholder report: the penal system (final)".into(),
        word_count: 2_810,
        document_sha256: "a".repeat(64),
        ..edit_of(&draft)
    };
    let edited = client.update_submission(final_text.clone()).await.expect("edited").into_inner();
    assert_eq!((edited.version, edited.word_count, edited.title.as_str()), (2, 2_810, final_text.title.as_str()));
    let retried = client.update_submission(final_text.clone()).await.expect("a retry of the same edit");
    assert_eq!(retried.into_inner(), edited, "answered with the submission as it is");
    let stale = pb::UpdateSubmissionRequest {
        request_id: "another-edit".into(),
        title: "Another title".into(),
        ..final_text.clone()
    };
    assert_eq!(client.update_submission(stale).await.expect_err("read before").code(), Code::Aborted);

    let before = rows(&system).await;
    let cases: Vec<(&str, pb::UpdateSubmissionRequest)> = vec![
        ("word_count", pb::UpdateSubmissionRequest { word_count: 3_000, ..edit_of(&edited) }),
        ("word_count", pb::UpdateSubmissionRequest { word_count: -1, ..edit_of(&edited) }),
        ("title", pb::UpdateSubmissionRequest { title: " ".into(), ..edit_of(&edited) }),
        ("document_sha256", pb::UpdateSubmissionRequest { document_sha256: "zz".into(), ..edit_of(&edited) }),
        ("evidence[0]", pb::UpdateSubmissionRequest { evidence: vec!["our report".into()], ..edit_of(&edited) }),
        ("expected_version", pb::UpdateSubmissionRequest { expected_version: 0, ..edit_of(&edited) }),
    ];
    for (field, request) in cases {
        let error = client.update_submission(request).await.expect_err(field);
        assert_eq!((error.code(), violated_fields(&error)), (Code::InvalidArgument, vec![field.to_owned()]));
    }
    assert_eq!(rows(&system).await, before, "nothing was written");
    let joint =
        pb::UpdateSubmissionRequest { word_count: 3_000, partners: vec!["Partner Network".into()], ..edit_of(&edited) };
    let joint = client.update_submission(joint).await.expect("within the joint limit").into_inner();

    let sent = client.record_submission_status(submit(&joint.id, joint.version)).await.expect("sent").into_inner();
    let other_text = pb::UpdateSubmissionRequest { document_sha256: "b".repeat(64), ..edit_of(&sent) };
    let error = client.update_submission(other_text).await.expect_err("the document went out");
    assert_eq!(error.code(), Code::FailedPrecondition, "{}", error.message());
    let renamed = pb::UpdateSubmissionRequest { title: "UPR report (as sent)".into(), ..edit_of(&sent) };
    let renamed = client.update_submission(renamed).await.expect("a title can still be fixed").into_inner();
    assert_eq!((renamed.document_sha256, renamed.status), ("a".repeat(64), pb::SubmissionStatus::Submitted as i32));

    let sanctions = system.submissions_as(&Person::sanctions_staff()).await;
    let package = pb::CreateSubmissionRequest {
        request_id: "e-2".into(),
        title: "Sanctions package".into(),
        mechanism: "SANCTIONS-UK".into(),
        kind: pb::SubmissionKind::SanctionsPackage.into(),
        country: "KP".into(),
        ..Default::default()
    };
    let package = sanctions.clone().create_submission(package).await.expect("package").into_inner();
    let hidden = client.update_submission(edit_of(&package)).await.expect_err("staff cannot see it");
    assert_eq!(hidden.code(), Code::NotFound);
    system.finish().await;
}
