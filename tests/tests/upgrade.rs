//! Upgrading in place: databases as the release before this one left them (its own
//! `schema_migrations` bookkeeping, follow-ups and linked deadlines waiting in columns of
//! their own, request ids kept beside the records) are taken over on start, on both
//! engines, without losing a record or the answer to a retry sent across the upgrade.

use sqlx::{Connection, Executor};

use advocacy_tests::{Person, TestSystem, eventually, institution, local_time, new_deadline, pb};

/// What each database looked like under the release before: the schema changes of this
/// release undone, and the release's bookkeeping table in place of sqlx's.
const AS_RELEASED: &[(&str, &[&str], i64)] = &[
    (
        "deadlines",
        &[
            "UPDATE deadline_changes SET
               request_id = (SELECT r.request_id FROM requests r WHERE r.record_id = deadline_changes.deadline_id
                             ORDER BY r.created_at LIMIT 1),
               request_fingerprint = (SELECT r.fingerprint FROM requests r WHERE r.record_id = deadline_changes.deadline_id
                                      ORDER BY r.created_at LIMIT 1)
             WHERE kind = 'created'",
            "DROP TABLE requests",
            "DROP TABLE deadline_outcomes_filled",
            "DROP TABLE deadline_outcomes",
            "DROP TABLE audit_log",
        ],
        1,
    ),
    (
        "submissions",
        &[
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
        ],
        5,
    ),
    (
        "briefings",
        &[
            "DROP INDEX briefing_actors_by_briefing_kind",
            "DROP TABLE audit_log",
            "DROP TABLE requests",
            "DROP TABLE outbox",
            "DROP TABLE feed_cursors",
            "CREATE TABLE feed_cursor (id BIGINT PRIMARY KEY, revision BIGINT NOT NULL)",
            "INSERT INTO feed_cursor (id, revision) VALUES (1, 0)",
            "ALTER TABLE follow_ups ADD COLUMN synced BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE follow_ups ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE follow_ups ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE follow_ups ADD COLUMN last_error TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX follow_ups_pending ON follow_ups (synced, next_attempt_at)",
        ],
        2,
    ),
];

async fn as_released(system: &TestSystem) {
    for (service, statements, release_version) in AS_RELEASED {
        let url = system.config.database_url_for(service);
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        for statement in *statements {
            conn.execute(*statement).await.unwrap_or_else(|e| panic!("{service}: {statement}: {e}"));
        }
        for statement in [
            "DROP TABLE _sqlx_migrations",
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        ] {
            conn.execute(statement).await.unwrap_or_else(|e| panic!("{service}: {statement}: {e}"));
        }
        for version in 1..=*release_version {
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'released', 0)")
                .bind(version)
                .execute(&mut conn)
                .await
                .expect("bookkeeping");
        }
        conn.close().await.expect("close");
    }
}

#[tokio::test]
async fn databases_of_the_release_before_upgrade_in_place_and_keep_every_record_and_answer() {
    let mut system = TestSystem::spawn().await;
    let staff = Person::staff();
    let mut deadlines = system.deadlines_as(&staff).await;
    let create = new_deadline("u-deadline", "UPR stakeholder report", "2027-03-29T12:00");
    let deadline = deadlines.create_deadline(create.clone()).await.expect("deadline").into_inner();
    let done = new_deadline("u-done", "Call for input", "2027-01-29T12:00");
    let done = deadlines.create_deadline(done).await.expect("deadline").into_inner();
    let complete = pb::CompleteDeadlineRequest {
        request_id: "u-complete".into(),
        id: done.id.clone(),
        expected_version: 1,
        completed_at: None,
    };
    deadlines.complete_deadline(complete).await.expect("completed before the upgrade");
    let mut submissions = system.submissions_as(&staff).await;
    let draft = pb::CreateSubmissionRequest {
        request_id: "u-submission".into(),
        title: "UPR report".into(),
        mechanism: "UPR".into(),
        kind: pb::SubmissionKind::UprStakeholderReport.into(),
        country: "KP".into(),
        word_count: 2_000,
        ..Default::default()
    };
    let submission = submissions.create_submission(draft.clone()).await.expect("submission").into_inner();
    let mut briefings = system.briefings_as(&staff).await;
    let mission = institution(
        &mut briefings,
        "Permanent Mission of Chile",
        pb::InstitutionKind::PermanentMission,
        "CL",
        "Geneva",
    )
    .await;
    let log = pb::LogBriefingRequest {
        request_id: "u-briefing".into(),
        at: Some(local_time("2027-02-01T10:00", "Europe/Zurich")),
        city: "Geneva".into(),
        format: pb::BriefingFormat::InPerson.into(),
        institution_ids: vec![mission],
        summary: "Briefed on the report".into(),
        follow_ups: vec![pb::FollowUpInput {
            action: "Send the report".into(),
            owner: String::new(),
            due: Some(local_time("2027-02-15T17:00", "")),
        }],
        ..Default::default()
    };
    let logged = briefings.log_briefing(log.clone()).await.expect("briefing").into_inner();
    let id = logged.id.clone();
    let synced = eventually(20, || {
        let (mut briefings, id) = (briefings.clone(), id.clone());
        async move {
            let b = briefings.get_briefing(pb::GetBriefingRequest { id }).await.ok()?.into_inner();
            (!b.follow_ups[0].deadline_id.is_empty()).then_some(b)
        }
    })
    .await
    .expect("the follow-up has its deadline");

    system.stop_server().await;
    as_released(&system).await;
    system.restart().await;

    let mut deadlines = system.deadlines_as(&staff).await;
    let read = deadlines.get_deadline(pb::GetDeadlineRequest { id: deadline.id.clone() }).await.expect("deadline");
    assert_eq!(read.into_inner(), deadline);
    let retried = deadlines.create_deadline(create).await.expect("a retry across the upgrade").into_inner();
    assert_eq!(retried, deadline, "answered as the first time, from the release's change log");
    let mut submissions = system.submissions_as(&staff).await;
    let read = submissions.get_submission(pb::GetSubmissionRequest { id: submission.id.clone() }).await;
    assert_eq!(read.expect("submission").into_inner(), submission);
    let retried = submissions.create_submission(draft).await.expect("a retry across the upgrade").into_inner();
    assert_eq!(retried, submission);
    let mut briefings = system.briefings_as(&staff).await;
    let read = briefings.get_briefing(pb::GetBriefingRequest { id: logged.id.clone() }).await.expect("briefing");
    assert_eq!(read.into_inner(), synced, "the briefing and its synced follow-up");
    let retried = briefings.log_briefing(log).await.expect("a retry across the upgrade").into_inner();
    assert_eq!((retried.id, retried.summary), (logged.id.clone(), logged.summary.clone()));
    // The follow-up's deadline is not made a second time by the outbox taking over.
    let all = deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("list").into_inner();
    assert_eq!(all.deadlines.len(), 3, "the deadlines and the follow-up's, once each");
    // A completion of the release before counts as met on time: read from the change log.
    let met = pb::ListDeadlinesRequest { outcome: pb::DeadlineOutcome::MetOnTime.into(), ..Default::default() };
    let met = deadlines.list_deadlines(met).await.expect("list").into_inner().deadlines;
    assert_eq!(met.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), [done.id.as_str()]);
    system.finish().await;
}
