//! The audit log: every write and every read of a restricted record is an entry in the
//! service's own log, chained by hashes; admins read it through each service and merged
//! through the gateway; a row changed by hand is found; an erased contact leaves nothing.

use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_tests::{Person, TestSystem, institution, new_deadline, pb};
use tonic::Code;

fn admin() -> Person {
    Person { email: "root@advocacy.example", roles: vec![advocacy_platform::Role::Admin], compartments: vec![] }
}

#[tokio::test]
async fn writes_and_reads_of_restricted_records_are_logged_by_whom_and_which_rpc() {
    let system = TestSystem::spawn().await;
    let sam = Person::sanctions_staff();
    let mut deadlines = system.deadlines_as(&sam).await;
    let open = deadlines.create_deadline(new_deadline("a-1", "UPR report", "2027-03-01T12:00")).await.expect("made");
    let open = open.into_inner();
    let mut secret = new_deadline("a-2", "Sanctions package", "2027-03-02T12:00");
    secret.classification = Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        compartments: vec![],
    });
    let secret = deadlines.create_deadline(secret).await.expect("made").into_inner();
    // A retry writes nothing, so it logs nothing.
    deadlines.create_deadline(new_deadline("a-1", "UPR report", "2027-03-01T12:00")).await.expect("a retry");
    deadlines.get_deadline(pb::GetDeadlineRequest { id: open.id.clone() }).await.expect("an ordinary read");
    deadlines.get_deadline(pb::GetDeadlineRequest { id: secret.id.clone() }).await.expect("a restricted read");
    deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("a list with it");

    let log = system.deadlines_audit_log(&admin()).await;
    let seen: Vec<(&str, &str, &str, &str)> =
        log.iter().map(|e| (e.actor.as_str(), e.action.as_str(), e.kind.as_str(), e.record_id.as_str())).collect();
    assert_eq!(
        seen,
        [
            (sam.email, "CreateDeadline", "write", open.id.as_str()),
            (sam.email, "CreateDeadline", "write", secret.id.as_str()),
            (sam.email, "GetDeadline", "read", secret.id.as_str()),
            (sam.email, "ListDeadlines", "read", secret.id.as_str()),
        ]
    );
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(log.iter().all(|e| e.service == "deadlines" && e.hash.len() == 64));

    let refused = DeadlinesServiceClient::new(system.channel_as(&Person::manager()).await)
        .list_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .expect_err("not an admin");
    assert_eq!(refused.code(), Code::PermissionDenied);

    // The gateway merges every service's log by time.
    let mut briefings = system.briefings_as(&Person::staff()).await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of Chile",
        pb::InstitutionKind::PermanentMission,
        "CL",
        "Geneva",
    )
    .await;
    let merged = merged_log(&system).await;
    let services: Vec<&str> = merged.iter().map(|e| e.service.as_str()).collect();
    assert_eq!(services, ["deadlines", "deadlines", "deadlines", "deadlines", "briefings"], "{merged:?}");
    assert_eq!(merged[4].record_id, mission);
    let times: Vec<(i64, i32)> =
        merged.iter().map(|e| e.at.map(|t| (t.seconds, t.nanos)).unwrap_or_default()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    system.finish().await;
}

#[tokio::test]
async fn a_row_changed_by_hand_breaks_the_chain_at_that_row() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines_as(&Person::staff()).await;
    for n in 0..4 {
        deadlines
            .create_deadline(new_deadline(&format!("c-{n}"), &format!("Deadline {n}"), "2027-03-01T12:00"))
            .await
            .expect("made");
    }
    let mut client = DeadlinesServiceClient::new(system.channel_as(&admin()).await);
    let intact = client.verify_audit_log(pb::VerifyAuditLogRequest {}).await.expect("verified").into_inner();
    assert_eq!((intact.intact, intact.checked), (true, 4));

    let pool = &system.database("deadlines").pool;
    sqlx::query("UPDATE audit_log SET actor = 'someone-else@advocacy.example' WHERE seq = 3")
        .execute(pool)
        .await
        .expect("tampered");
    let broken = client.verify_audit_log(pb::VerifyAuditLogRequest {}).await.expect("verified").into_inner();
    assert_eq!((broken.intact, broken.broken_seq, broken.checked), (false, 3, 2), "{broken:?}");
    assert!(broken.reason.contains("changed"), "{}", broken.reason);

    // A row removed: the gap is named.
    sqlx::query("UPDATE audit_log SET actor = 'ana@advocacy.example' WHERE seq = 3")
        .execute(pool)
        .await
        .expect("restored");
    assert!(client.verify_audit_log(pb::VerifyAuditLogRequest {}).await.expect("verified").into_inner().intact);
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(pool).await.expect("removed");
    let gap = client.verify_audit_log(pb::VerifyAuditLogRequest {}).await.expect("verified").into_inner();
    assert_eq!((gap.intact, gap.broken_seq), (false, 3), "{gap:?}");
    system.finish().await;
}

#[tokio::test]
async fn an_erased_contact_leaves_nothing_of_their_data_in_the_log() {
    let system = TestSystem::spawn().await;
    let holder = Person {
        email: "cora@advocacy.example",
        roles: vec![advocacy_platform::Role::Staff, advocacy_platform::Role::Admin],
        compartments: vec!["contacts".into()],
    };
    let mut briefings = BriefingsServiceClient::new(system.channel_as(&holder).await);
    let mission = institution(
        &mut briefings,
        "Permanent Mission of Chile",
        pb::InstitutionKind::PermanentMission,
        "CL",
        "Geneva",
    )
    .await;
    let contact = briefings
        .create_contact(pb::CreateContactRequest {
            request_id: "k-1".into(),
            institution_id: mission,
            name: "Ximena Quintanilla-Unique".into(),
            role: "First Secretary".into(),
            email: "ximena@mission.example".into(),
            phone: String::new(),
        })
        .await
        .expect("a contact")
        .into_inner();
    briefings.get_contact(pb::GetContactRequest { id: contact.id.clone() }).await.expect("read");
    briefings
        .erase_contact(pb::EraseContactRequest { request_id: "k-erase".into(), id: contact.id.clone() })
        .await
        .expect("erased");
    let log = BriefingsServiceClient::new(system.channel_as(&admin()).await)
        .list_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .expect("the log")
        .into_inner()
        .entries;
    let actions: Vec<(&str, &str)> =
        log.iter().filter(|e| e.record_id == contact.id).map(|e| (e.action.as_str(), e.kind.as_str())).collect();
    // Erasing reads the contact to find it, writes, and answers with what is left.
    let expected = [
        ("CreateContact", "write"),
        ("GetContact", "read"),
        ("EraseContact", "read"),
        ("EraseContact", "write"),
        ("EraseContact", "read"),
    ];
    assert_eq!(actions, expected);
    let leaked = system
        .numbers(
            "briefings",
            &["SELECT COUNT(*) FROM audit_log WHERE actor LIKE '%Ximena%' OR action LIKE '%Ximena%' OR record_id LIKE '%ximena%'"],
        )
        .await;
    assert_eq!(leaked, [0], "the log names the record, never its contents");
    system.finish().await;
}

#[tokio::test]
async fn reads_of_restricted_amendments_are_logged_and_ordinary_ones_are_not() {
    let system = TestSystem::spawn().await;
    let mut sam = system.submissions_as(&Person::sanctions_staff()).await;
    let resolution = sam
        .create_resolution(pb::CreateResolutionRequest {
            request_id: "r".into(),
            body: "UN-HRC".into(),
            session: "HRC 61".into(),
            title: "Situation of human rights".into(),
            symbol: String::new(),
        })
        .await
        .expect("a resolution")
        .into_inner();
    let propose = |n: &str, restricted: bool| pb::ProposeAmendmentRequest {
        request_id: n.into(),
        resolution_id: resolution.id.clone(),
        paragraph_kind: pb::ParagraphKind::Operative.into(),
        paragraph_number: 1,
        proposed_text: format!("Text {n}"),
        classification: restricted.then(|| pb::Classification {
            level: pb::Confidentiality::Restricted.into(),
            compartment: "sanctions".into(),
            compartments: vec![],
        }),
        ..Default::default()
    };
    let open = sam.propose_amendment(propose("open", false)).await.expect("proposed").into_inner();
    let secret = sam.propose_amendment(propose("secret", true)).await.expect("proposed").into_inner();
    sam.get_amendment(pb::GetAmendmentRequest { id: open.id.clone() }).await.expect("read");
    sam.get_amendment(pb::GetAmendmentRequest { id: secret.id.clone() }).await.expect("read");
    sam.list_amendments(pb::ListAmendmentsRequest { resolution_id: resolution.id.clone(), ..Default::default() })
        .await
        .expect("listed");
    let log = advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient::new(
        system.channel_as(&admin()).await,
    )
    .list_audit_entries(pb::ListAuditEntriesRequest::default())
    .await
    .expect("the log")
    .into_inner()
    .entries;
    let reads: Vec<(&str, &str)> =
        log.iter().filter(|e| e.kind == "read").map(|e| (e.action.as_str(), e.record_id.as_str())).collect();
    assert_eq!(reads, [("GetAmendment", secret.id.as_str()), ("ListAmendments", secret.id.as_str())]);
    system.finish().await;
}

/// Every service's log, merged by time at the gateway.
async fn merged_log(system: &TestSystem) -> Vec<pb::AuditEntry> {
    system
        .gateway_as(&admin())
        .await
        .list_all_audit_entries(pb::ListAuditEntriesRequest::default())
        .await
        .expect("merged")
        .into_inner()
        .entries
}

/// The entries of `service`'s log, as (actor, RPC, kind, record), through the merged log.
async fn entries_of(system: &TestSystem, service: &str) -> Vec<(String, String, String, String)> {
    let merged = merged_log(system).await;
    merged.into_iter().filter(|e| e.service == service).map(|e| (e.actor, e.action, e.kind, e.record_id)).collect()
}

#[tokio::test]
async fn imports_test_messages_retries_and_signing_out_are_writes_in_the_log_too() {
    let system = TestSystem::spawn().await;
    let staff = Person::staff();

    let row = |line: i32| pb::ImportBriefingRow {
        line,
        request_id: format!("import:audit:{line}"),
        institution: Some(pb::ImportedInstitution {
            actor: "JP".into(),
            name: "Ministry of Foreign Affairs".into(),
            kind: pb::InstitutionKind::Ministry.into(),
            city: String::new(),
        }),
        briefing: Some(pb::LogBriefingRequest {
            at: Some(advocacy_tests::local_time("2026-05-02T10:00", "Asia/Tokyo")),
            city: "Tokyo".into(),
            format: pb::BriefingFormat::InPerson.into(),
            ..Default::default()
        }),
    };
    let mut briefings = system.briefings_as(&staff).await;
    briefings.import_briefings(tokio_stream::iter((2..5).map(row).collect::<Vec<_>>())).await.expect("imported");
    briefings.import_briefings(tokio_stream::iter((2..5).map(row).collect::<Vec<_>>())).await.expect("again");
    let logged = entries_of(&system, "briefings").await;
    assert_eq!(logged.len(), 4, "one institution and three briefings, and nothing for the repeat: {logged:?}");
    assert!(logged.iter().all(|(actor, rpc, kind, _)| (actor.as_str(), rpc.as_str(), kind.as_str())
        == (staff.email, "ImportBriefings", "write")));
    let ids: std::collections::BTreeSet<&str> = logged.iter().map(|e| e.3.as_str()).collect();
    assert_eq!(ids.len(), 4, "each record once");

    let submission = |line: i32| pb::ImportSubmissionRow {
        line,
        submission: Some(pb::CreateSubmissionRequest {
            request_id: format!("import:audit:{line}"),
            title: "UPR stakeholder report: the penal system".into(),
            mechanism: "UPR".into(),
            kind: pb::SubmissionKind::UprStakeholderReport.into(),
            country: "KP".into(),
            word_count: 2_000,
            themes: vec!["Penal system".into()],
            ..Default::default()
        }),
    };
    let mut submissions = system.submissions_as(&staff).await;
    let imported = submissions
        .import_submissions(tokio_stream::iter((2..4).map(submission).collect::<Vec<_>>()))
        .await
        .expect("imported")
        .into_inner();
    let logged = entries_of(&system, "submissions").await;
    assert_eq!(logged.len(), 2, "{imported:?} {logged:?}");
    assert!(logged.iter().all(|(_, rpc, kind, _)| rpc == "ImportSubmissions" && kind == "write"));

    let root = admin();
    let test = system
        .notifier_as(&root)
        .await
        .send_test(pb::SendTestRequest { recipient: "ana@advocacy.example".into() })
        .await
        .expect("a test message")
        .into_inner();
    assert_eq!(
        entries_of(&system, "notifier").await,
        [(root.email.to_owned(), "SendTest".to_owned(), "write".to_owned(), test.id.clone())]
    );

    advocacy_tests::web::add_person(&system, "ana@advocacy.example", &["staff"], &[], pb::Language::En).await;
    let signed = system
        .gateway()
        .await
        .sign_in(pb::SignInRequest {
            email: "ana@advocacy.example".into(),
            password: advocacy_tests::web::PASSWORD.into(),
        })
        .await
        .expect("signed in")
        .into_inner();
    let before = entries_of(&system, "gateway").await.len();
    system
        .gateway()
        .await
        .sign_out(pb::SignOutRequest { refresh_token: signed.refresh_token.clone() })
        .await
        .expect("signed out");
    let after = entries_of(&system, "gateway").await;
    assert_eq!(after.len(), before + 1, "{after:?}");
    let last = after.last().expect("an entry");
    assert_eq!((last.0.as_str(), last.1.as_str(), last.2.as_str()), ("ana@advocacy.example", "SignOut", "write"));
    system.finish().await;
}
