//! The change feed the notifier follows: revisions only grow, and a client that stores the
//! last revision it handled resumes after any restart with nothing missed and nothing twice.

use std::time::Duration;

use advocacy_tests::{Person, TestSystem, eventually, local_time, new_deadline, pb};
use tokio_stream::StreamExt;

async fn all_changes_after(system: &TestSystem, after: i64) -> (Vec<pb::DeadlineChange>, i64) {
    let mut deadlines = system.deadlines_as(&Person::service()).await;
    let mut changes = Vec::new();
    let mut cursor = after;
    loop {
        let page = deadlines
            .list_changes(pb::ListChangesRequest { after_revision: cursor, limit: 2 })
            .await
            .expect("changes")
            .into_inner();
        changes.extend(page.changes);
        cursor = page.resume_after_revision;
        if !page.more {
            return (changes, cursor);
        }
    }
}

#[tokio::test]
async fn the_feed_resumes_after_a_restart_with_nothing_missed_and_nothing_twice() {
    let mut system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines_as(&Person::service()).await;
    let a = deadlines.create_deadline(new_deadline("f-1", "A", "2027-03-01T12:00")).await.expect("a").into_inner();
    deadlines.create_deadline(new_deadline("f-2", "B", "2027-03-02T12:00")).await.expect("b");
    deadlines
        .move_deadline(pb::MoveDeadlineRequest {
            request_id: "f-3".into(),
            id: a.id.clone(),
            expected_version: 1,
            due: Some(local_time("2027-03-05T12:00", "")),
            reason: String::new(),
        })
        .await
        .expect("moved");

    let (first, cursor) = all_changes_after(&system, 0).await;
    let kinds: Vec<i32> = first.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [pb::ChangeKind::Created as i32, pb::ChangeKind::Created as i32, pb::ChangeKind::Moved as i32]);
    assert_eq!(first.iter().map(|c| c.revision).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(first[2].previous_due, a.due, "a move says where the deadline was");

    system.restart().await;
    let mut deadlines = system.deadlines_as(&Person::service()).await;
    deadlines
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "f-4".into(),
            id: a.id.clone(),
            expected_version: 2,
            completed_at: None,
        })
        .await
        .expect("completed");
    deadlines.create_deadline(new_deadline("f-5", "C", "2027-03-03T12:00")).await.expect("c");

    let (after_restart, _) = all_changes_after(&system, cursor).await;
    assert_eq!(after_restart.iter().map(|c| c.revision).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(after_restart[0].deadline.as_ref().map(|d| d.status), Some(pb::DeadlineStatus::Completed as i32));
    system.finish().await;
}

#[tokio::test]
async fn a_watcher_sees_stored_then_live_changes_and_catches_up_after_the_server_restarts() {
    let mut system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines_as(&Person::service()).await;
    deadlines.create_deadline(new_deadline("w-1", "Stored", "2027-04-01T12:00")).await.expect("stored");

    let mut watch =
        deadlines.watch_changes(pb::WatchChangesRequest { after_revision: 0 }).await.expect("watch").into_inner();
    let first = watch.next().await.expect("an item").expect("a change");
    assert_eq!((first.revision, first.deadline.map(|d| d.title)), (1, Some("Stored".to_owned())));

    deadlines.create_deadline(new_deadline("w-2", "Live", "2027-04-02T12:00")).await.expect("live");
    let live = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("in time")
        .expect("an item")
        .expect("a change");
    assert_eq!(live.revision, 2);
    let mut last_seen = live.revision;

    // The server restarts: the stream ends cleanly instead of hanging the shutdown.
    system.stop_server().await;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(item) = watch.next().await {
            if let Ok(change) = item {
                last_seen = change.revision;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the watch stream ends when the server stops");
    system.restart().await;

    let mut deadlines = system.deadlines_as(&Person::service()).await;
    deadlines.create_deadline(new_deadline("w-3", "While away", "2027-04-03T12:00")).await.expect("c");
    deadlines.create_deadline(new_deadline("w-4", "After", "2027-04-04T12:00")).await.expect("d");
    let mut resumed = deadlines
        .watch_changes(pb::WatchChangesRequest { after_revision: last_seen })
        .await
        .expect("watch")
        .into_inner();
    let mut got = Vec::new();
    while got.len() < 2 {
        let change = tokio::time::timeout(Duration::from_secs(5), resumed.next())
            .await
            .expect("in time")
            .expect("an item")
            .expect("a change");
        got.push(change.revision);
    }
    assert_eq!(got, [3, 4], "resumed exactly after the last revision seen");
    drop(resumed);
    system.finish().await;
}

#[tokio::test]
async fn concurrent_writers_never_commit_revisions_out_of_order() {
    let system = TestSystem::spawn().await;
    let mut writers = Vec::new();
    for w in 0..8 {
        let mut client = system.deadlines_as(&Person::service()).await;
        writers.push(tokio::spawn(async move {
            for i in 0..10 {
                client
                    .create_deadline(new_deadline(&format!("cw-{w}-{i}"), &format!("W{w} #{i}"), "2027-06-01T12:00"))
                    .await
                    .expect("created");
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let (changes, cursor) = all_changes_after(&system, 0).await;
    let revisions: Vec<i64> = changes.iter().map(|c| c.revision).collect();
    assert_eq!(revisions, (1..=80).collect::<Vec<i64>>(), "one revision each, no gaps, in order");
    assert_eq!(cursor, 80);
    system.finish().await;
}

#[tokio::test]
async fn watches_are_limited_per_caller_and_end_when_their_token_expires() {
    let clock = advocacy_platform::Clock::manual(chrono::Utc::now());
    let system = TestSystem::spawn_with_clock(clock.clone()).await;
    // Another system caller than the notifier, whose own watch counts for it.
    let notifier = Person { email: "watcher", ..Person::service() };
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut client = system.deadlines_as(&notifier).await;
        held.push(client.watch_changes(pb::WatchChangesRequest { after_revision: 0 }).await.expect("a watch"));
    }
    let mut client = system.deadlines_as(&notifier).await;
    let ninth = client.watch_changes(pb::WatchChangesRequest { after_revision: 0 }).await.expect_err("too many");
    assert_eq!(ninth.code(), tonic::Code::ResourceExhausted, "{ninth:?}");
    let other = Person { email: "gateway", ..Person::service() };
    let mut theirs = system.deadlines_as(&other).await;
    let mut watch =
        theirs.watch_changes(pb::WatchChangesRequest { after_revision: 0 }).await.expect("another caller's own");

    // Closing one frees its place.
    drop(held.pop());
    let again = eventually(10, || {
        let mut client = client.clone();
        async move { client.watch_changes(pb::WatchChangesRequest { after_revision: 0 }).await.ok() }
    })
    .await;
    assert!(again.is_some(), "a place came free");

    // Past the token's lifetime (an hour) the stream ends, asking for a fresh token.
    clock.advance(chrono::Duration::seconds(3_601));
    let ended = tokio::time::timeout(Duration::from_secs(10), watch.get_mut().next()).await.expect("ends in time");
    let status = ended.expect("a last message").expect_err("an error");
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
    system.finish().await;
}
