//! A deadline from creation to completion or cancellation, as staff live it.

use advocacy_tests::{Person, TestSystem, local_time, new_deadline, pb, rfc3339};
use tonic::Code;

#[tokio::test]
async fn a_deadline_is_recorded_moved_and_completed_on_time() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;

    let created = deadlines
        .create_deadline(pb::CreateDeadlineRequest {
            source_url: "https://www.ohchr.org/en/hr-bodies/upr/upr-main".into(),
            lead_minutes: vec![10_080, 1_440],
            ..new_deadline("r-1", "UPR stakeholder report (4th cycle)", "2027-03-29T12:00")
        })
        .await
        .expect("created")
        .into_inner();
    assert_eq!(created.version, 1);
    assert_eq!(created.status, pb::DeadlineStatus::Open as i32);
    assert_eq!(created.zone, "Europe/Zurich", "the UPR's seat is Geneva");
    assert_eq!(created.due_local, "2027-03-29T12:00:00+02:00");
    assert_eq!(created.lead_minutes, vec![10_080, 1_440]);
    assert_eq!(created.stamp.as_ref().map(|s| s.created_by.as_str()), Some("ana@advocacy.example"));

    let fetched =
        deadlines.get_deadline(pb::GetDeadlineRequest { id: created.id.clone() }).await.expect("get").into_inner();
    assert_eq!(fetched, created);

    let moved = deadlines
        .move_deadline(pb::MoveDeadlineRequest {
            request_id: "r-2".into(),
            id: created.id.clone(),
            expected_version: 1,
            due: Some(local_time("2027-04-02T12:00", "")),
            reason: "cut-off extended by OHCHR".into(),
        })
        .await
        .expect("moved")
        .into_inner();
    assert_eq!(moved.version, 2);
    assert_eq!(moved.due_local, "2027-04-02T12:00:00+02:00");
    assert!(moved.revision > created.revision);

    let done = deadlines
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "r-3".into(),
            id: created.id.clone(),
            expected_version: 2,
            completed_at: None,
        })
        .await
        .expect("completed")
        .into_inner();
    assert_eq!(done.status, pb::DeadlineStatus::Completed as i32);
    assert!(done.completed_on_time, "done today, due next year");
    assert_eq!(done.version, 3);

    let again = deadlines
        .cancel_deadline(pb::CancelDeadlineRequest {
            request_id: "r-4".into(),
            id: created.id.clone(),
            expected_version: 3,
            reason: "x".into(),
        })
        .await
        .expect_err("a completed deadline cannot be cancelled");
    assert_eq!(again.code(), Code::FailedPrecondition);
    system.finish().await;
}

#[tokio::test]
async fn a_late_completion_is_recorded_as_late_and_a_cancelled_deadline_stays_cancelled() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    // Due on 1 March 2026 at noon in Geneva; the work was done the day after.
    let late = deadlines
        .create_deadline(new_deadline("l-1", "CRC alternative report", "2026-03-01T12:00"))
        .await
        .expect("created")
        .into_inner();
    let done = deadlines
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "l-2".into(),
            id: late.id.clone(),
            expected_version: 1,
            completed_at: Some(prost_types::Timestamp { seconds: 1_772_449_200, nanos: 0 }), // 2026-03-02T11:00Z
        })
        .await
        .expect("completed")
        .into_inner();
    assert!(!done.completed_on_time);
    assert_eq!(rfc3339(&done.completed_at), "2026-03-02T11:00:00+00:00");

    let other = deadlines
        .create_deadline(new_deadline("l-3", "Side event", "2027-06-01T09:00"))
        .await
        .expect("created")
        .into_inner();
    let cancelled = deadlines
        .cancel_deadline(pb::CancelDeadlineRequest {
            request_id: "l-4".into(),
            id: other.id.clone(),
            expected_version: 1,
            reason: "session postponed".into(),
        })
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(cancelled.status, pb::DeadlineStatus::Cancelled as i32);
    assert_eq!(cancelled.cancel_reason, "session postponed");
    let moved = deadlines
        .move_deadline(pb::MoveDeadlineRequest {
            request_id: "l-5".into(),
            id: other.id,
            expected_version: 2,
            due: Some(local_time("2027-07-01T09:00", "")),
            reason: String::new(),
        })
        .await
        .expect_err("a cancelled deadline does not move");
    assert_eq!(moved.code(), Code::FailedPrecondition);
    system.finish().await;
}

#[tokio::test]
async fn a_retried_create_makes_one_deadline_and_a_reused_request_id_is_refused() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let request = new_deadline("same-id", "Call for input", "2027-01-31T23:59");
    let first = deadlines.create_deadline(request.clone()).await.expect("first").into_inner();
    let retry = deadlines.create_deadline(request.clone()).await.expect("retry").into_inner();
    assert_eq!(first, retry, "a retry answers what the first call answered");

    let conflict = deadlines
        .create_deadline(pb::CreateDeadlineRequest { title: "Something else".into(), ..request })
        .await
        .expect_err("same request id, other content");
    assert_eq!(conflict.code(), Code::AlreadyExists);

    let all = deadlines.list_deadlines(pb::ListDeadlinesRequest::default()).await.expect("list").into_inner();
    assert_eq!(all.deadlines.len(), 1);

    // A retried move after success replays the move instead of failing on the new version.
    let moving = pb::MoveDeadlineRequest {
        request_id: "move-once".into(),
        id: first.id.clone(),
        expected_version: 1,
        due: Some(local_time("2027-02-07T23:59", "")),
        reason: String::new(),
    };
    let moved = deadlines.move_deadline(moving.clone()).await.expect("moved").into_inner();
    let replayed = deadlines.move_deadline(moving).await.expect("replayed").into_inner();
    assert_eq!(moved, replayed);
    assert_eq!(replayed.version, 2);
    system.finish().await;
}

#[tokio::test]
async fn two_people_editing_at_once_cannot_silently_overwrite_each_other() {
    let system = TestSystem::spawn().await;
    let mut ana = system.deadlines().await;
    let mut sam = system.deadlines_as(&Person::sanctions_staff()).await;
    let d = ana
        .create_deadline(new_deadline("c-1", "HRC informals", "2027-03-01T10:00"))
        .await
        .expect("created")
        .into_inner();
    let move_to = |request_id: &str, local: &str| pb::MoveDeadlineRequest {
        request_id: request_id.into(),
        id: d.id.clone(),
        expected_version: d.version,
        due: Some(local_time(local, "")),
        reason: String::new(),
    };
    let (a, s) = tokio::join!(
        ana.move_deadline(move_to("c-ana", "2027-03-02T10:00")),
        sam.move_deadline(move_to("c-sam", "2027-03-03T10:00"))
    );
    let outcomes = [a.map(|r| r.into_inner()), s.map(|r| r.into_inner())];
    let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let losers: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(winners.len(), 1, "exactly one of two edits of version 1 wins");
    assert_eq!(losers[0].code(), Code::Aborted);
    let stored = ana.get_deadline(pb::GetDeadlineRequest { id: d.id.clone() }).await.expect("get").into_inner();
    assert_eq!(&&stored, winners.first().expect("a winner"));
    system.finish().await;
}

#[tokio::test]
async fn listing_filters_by_status_mechanism_owner_and_period_and_pages_without_gaps() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let mut ids = Vec::new();
    for day in 1..=25 {
        let mut request =
            new_deadline(&format!("p-{day}"), &format!("Deadline {day}"), &format!("2027-05-{day:02}T12:00"));
        if day % 5 == 0 {
            request.mechanism = "SR-TORTURE".into();
            request.kind = pb::DeadlineKind::SpecialProceduresCallForInput.into();
            request.owners = vec!["sam@advocacy.example".into()];
        }
        ids.push(deadlines.create_deadline(request).await.expect("created").into_inner().id);
    }
    deadlines
        .cancel_deadline(pb::CancelDeadlineRequest {
            request_id: "p-c".into(),
            id: ids[0].clone(),
            expected_version: 1,
            reason: String::new(),
        })
        .await
        .expect("cancelled");

    // Paging through everything, 7 at a time: every deadline once, in due order.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = deadlines
            .list_deadlines(pb::ListDeadlinesRequest { page_size: 7, page_token: token.clone(), ..Default::default() })
            .await
            .expect("page")
            .into_inner();
        assert!(page.deadlines.len() <= 7);
        seen.extend(page.deadlines.into_iter().map(|d| d.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ids, "25 deadlines, each once, soonest first");

    let open_torture = deadlines
        .list_deadlines(pb::ListDeadlinesRequest {
            statuses: vec![pb::DeadlineStatus::Open.into()],
            mechanism: "SR-TORTURE".into(),
            ..Default::default()
        })
        .await
        .expect("filtered")
        .into_inner();
    assert_eq!(open_torture.deadlines.len(), 5);

    let sams = deadlines
        .list_deadlines(pb::ListDeadlinesRequest { owner: "SAM@advocacy.example".into(), ..Default::default() })
        .await
        .expect("by owner")
        .into_inner();
    assert_eq!(sams.deadlines.len(), 5, "owner matching ignores case");

    let cancelled = deadlines
        .list_deadlines(pb::ListDeadlinesRequest {
            statuses: vec![pb::DeadlineStatus::Cancelled.into()],
            ..Default::default()
        })
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(cancelled.deadlines.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), vec![ids[0].clone()]);

    // 10 to 14 May, Geneva noon = 10:00 UTC: due_from inclusive, due_to exclusive.
    let window = deadlines
        .list_deadlines(pb::ListDeadlinesRequest {
            due_from: Some(prost_types::Timestamp { seconds: 1_809_943_200, nanos: 0 }), // 2027-05-10T10:00Z
            due_to: Some(prost_types::Timestamp { seconds: 1_810_375_200, nanos: 0 }),   // 2027-05-15T10:00Z
            ..Default::default()
        })
        .await
        .expect("window")
        .into_inner();
    let titles: Vec<_> = window.deadlines.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(titles, ["Deadline 10", "Deadline 11", "Deadline 12", "Deadline 13", "Deadline 14"]);
    system.finish().await;
}

#[tokio::test]
async fn reads_sent_together_each_get_their_own_deadline() {
    // Reads by id that arrive together share one query; each must still get its own
    // answer, a missing id its NOT_FOUND, and a restricted deadline stay hidden.
    let system = TestSystem::spawn().await;
    let mut client = system.deadlines().await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let request = new_deadline(&format!("together-{i}"), &format!("Deadline {i}"), "2027-03-01T12:00");
        ids.push(client.create_deadline(request).await.expect("created").into_inner().id);
    }
    let mut hidden = new_deadline("together-hidden", "UK package", "2027-03-01T12:00");
    hidden.mechanism = "SANCTIONS-UK".into();
    hidden.kind = pb::DeadlineKind::Other.into();
    hidden.classification = Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        ..Default::default()
    });
    let sam = Person::sanctions_staff();
    let hidden = system.deadlines_as(&sam).await.create_deadline(hidden).await.expect("hidden").into_inner().id;
    let missing = "01a23336-0000-7000-8000-000000000000".to_owned();
    let mut reads = tokio::task::JoinSet::new();
    for round in 0..5 {
        for (i, id) in ids.iter().chain([&hidden, &missing]).enumerate() {
            let (mut client, id) = (client.clone(), id.clone());
            reads.spawn(async move {
                let answer = client.get_deadline(pb::GetDeadlineRequest { id: id.clone() }).await;
                (round, i, id, answer.map(|r| r.into_inner()))
            });
        }
    }
    let mut answered = 0;
    while let Some(read) = reads.join_next().await {
        let (_, i, id, answer) = read.expect("a read");
        match i {
            0..10 => {
                let deadline = answer.expect("a visible deadline");
                assert_eq!((deadline.id.as_str(), deadline.title), (id.as_str(), format!("Deadline {i}")));
            }
            _ => assert_eq!(answer.expect_err("hidden or missing").code(), Code::NotFound, "{id}"),
        }
        answered += 1;
    }
    assert_eq!(answered, 60);
    system.finish().await;
}

fn update(id: &str, version: i64, paths: &[&str], edit: pb::UpdateDeadlineRequest) -> pb::UpdateDeadlineRequest {
    pb::UpdateDeadlineRequest {
        request_id: format!("u-{id}-{version}-{}", paths.join("-")),
        id: id.into(),
        expected_version: version,
        update_mask: Some(prost_types::FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }),
        ..edit
    }
}

#[tokio::test]
async fn an_update_changes_only_the_fields_it_names_at_the_version_read_and_shows_in_the_feed() {
    let system = TestSystem::spawn().await;
    let mut ana = system.deadlines().await;
    let created = ana.create_deadline(new_deadline("up-1", "CRC list of issues", "2027-05-10T12:00")).await;
    let created = created.expect("created").into_inner();

    let edit = pb::UpdateDeadlineRequest {
        title: "CRC list of issues: written replies".into(),
        owners: vec!["omar@advocacy.example".into(), "ana@advocacy.example".into()],
        lead_minutes: vec![60, 14 * 24 * 60],
        ..Default::default()
    };
    let unnamed = pb::UpdateDeadlineRequest { source_url: "https://example.org/dates".into(), ..edit.clone() };
    let refused = ana.update_deadline(update(&created.id, 1, &["title", "owners", "lead_minutes"], unnamed)).await;
    let refused = refused.expect_err("a value the mask does not name would be dropped silently");
    assert_eq!(advocacy_tests::violated_fields(&refused), ["source_url"]);
    let updated = ana
        .update_deadline(update(&created.id, 1, &["title", "owners", "lead_minutes"], edit.clone()))
        .await
        .expect("updated")
        .into_inner();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.title, "CRC list of issues: written replies");
    assert_eq!(updated.owners, ["omar@advocacy.example", "ana@advocacy.example"]);
    assert_eq!(updated.lead_minutes, [14 * 24 * 60, 60], "largest first");
    assert_eq!((updated.source_url.as_str(), updated.due), ("", created.due), "the rest is kept");

    let retitled = pb::UpdateDeadlineRequest { title: "Another title".into(), ..Default::default() };
    let stale = ana.update_deadline(update(&created.id, 1, &["title"], retitled)).await.expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);

    // Each field is checked as on creation; a bad one changes nothing.
    for (paths, bad, field) in [
        (vec![], pb::UpdateDeadlineRequest::default(), "update_mask"),
        (vec!["due"], pb::UpdateDeadlineRequest::default(), "update_mask.paths[0]"),
        (vec!["title"], pb::UpdateDeadlineRequest { title: "x".repeat(100_000), ..Default::default() }, "title"),
        (vec!["owners"], pb::UpdateDeadlineRequest::default(), "owners"),
        (
            vec!["owners"],
            pb::UpdateDeadlineRequest { owners: vec!["not an email".into()], ..Default::default() },
            "owners[0]",
        ),
        (vec!["lead_minutes"], pb::UpdateDeadlineRequest::default(), "lead_minutes"),
        (
            vec!["lead_minutes"],
            pb::UpdateDeadlineRequest { lead_minutes: vec![-5], ..Default::default() },
            "lead_minutes[0]",
        ),
        (
            vec!["source_url"],
            pb::UpdateDeadlineRequest { source_url: "javascript:alert(1)".into(), ..Default::default() },
            "source_url",
        ),
        (
            vec!["verified_at"],
            pb::UpdateDeadlineRequest {
                verified_at: Some(prost_types::Timestamp { seconds: 4_000_000_000, nanos: 0 }),
                ..Default::default()
            },
            "verified_at",
        ),
        (
            vec!["classification"],
            pb::UpdateDeadlineRequest {
                classification: Some(pb::Classification {
                    level: 3,
                    compartment: "Bad Name".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            "classification.compartment",
        ),
    ] {
        let paths: Vec<&str> = paths;
        let refused = ana.update_deadline(update(&created.id, 2, &paths, bad)).await.expect_err(field);
        assert_eq!(advocacy_tests::violated_fields(&refused), [field], "{paths:?}");
    }
    // Nobody hides a deadline from themselves: a compartment the caller lacks is refused.
    let hidden = pb::UpdateDeadlineRequest {
        classification: Some(pb::Classification { level: 3, compartment: "sanctions".into(), ..Default::default() }),
        ..Default::default()
    };
    let refused = ana.update_deadline(update(&created.id, 2, &["classification"], hidden.clone())).await;
    assert_eq!(refused.expect_err("not hers").code(), Code::PermissionDenied);
    let now = ana.get_deadline(pb::GetDeadlineRequest { id: created.id.clone() }).await.expect("get").into_inner();
    assert_eq!(now, updated, "nothing changed");

    // Sam holds the compartment: he may restrict it, and from then on Ana does not see it.
    let mut sam = system.deadlines_as(&Person::sanctions_staff()).await;
    let restricted = sam.update_deadline(update(&created.id, 2, &["classification"], hidden)).await;
    assert_eq!(
        restricted.expect("restricted").into_inner().classification.map(|c| c.compartments),
        Some(vec!["sanctions".into()])
    );
    let gone = ana.get_deadline(pb::GetDeadlineRequest { id: created.id.clone() }).await.expect_err("hidden");
    assert_eq!(gone.code(), Code::NotFound);

    let feed = system.deadlines_as(&Person::service()).await.list_changes(pb::ListChangesRequest::default()).await;
    let kinds: Vec<i32> = feed.expect("feed").into_inner().changes.iter().map(|c| c.kind).collect();
    let (created_kind, updated_kind) = (pb::ChangeKind::Created as i32, pb::ChangeKind::Updated as i32);
    assert_eq!(kinds, [created_kind, updated_kind, updated_kind], "each update is a change the notifier follows");
    system.finish().await;
}
