//! Deadlines are fixed in the issuing body's local time; daylight saving must not shift,
//! skip or double them.

use advocacy_tests::{TestSystem, new_deadline, pb, rfc3339, violated_fields};
use tonic::Code;

#[tokio::test]
async fn noon_in_geneva_on_both_daylight_saving_days() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    // 2027: summer time starts 28 March, ends 31 October in Europe/Zurich.
    let spring = deadlines
        .create_deadline(new_deadline("t-1", "Spring", "2027-03-28T12:00"))
        .await
        .expect("spring")
        .into_inner();
    assert_eq!(rfc3339(&spring.due), "2027-03-28T10:00:00+00:00");
    assert_eq!(spring.due_local, "2027-03-28T12:00:00+02:00");
    let autumn = deadlines
        .create_deadline(new_deadline("t-2", "Autumn", "2027-10-31T12:00"))
        .await
        .expect("autumn")
        .into_inner();
    assert_eq!(rfc3339(&autumn.due), "2027-10-31T11:00:00+00:00");
    assert_eq!(autumn.due_local, "2027-10-31T12:00:00+01:00");

    // An instant given in UTC keeps the body's zone for display; New York is still on
    // summer time that day (it changes a week later than Geneva).
    let utc = deadlines
        .create_deadline(pb::CreateDeadlineRequest {
            due: Some(pb::WhenInput {
                at: Some(pb::when_input::At::Utc(prost_types::Timestamp { seconds: 1_824_980_400, nanos: 0 })),
                zone: "America/New_York".into(),
            }),
            mechanism: "GA3".into(),
            ..new_deadline("t-3", "Third Committee", "")
        })
        .await
        .expect("utc")
        .into_inner();
    assert_eq!(rfc3339(&utc.due), "2027-10-31T11:00:00+00:00");
    assert_eq!(utc.zone, "America/New_York");
    assert_eq!(utc.due_local, "2027-10-31T07:00:00-04:00");
    system.finish().await;
}

#[tokio::test]
async fn a_time_the_clocks_skip_or_repeat_is_refused_with_a_clear_message() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let gap =
        deadlines.create_deadline(new_deadline("g-1", "Gap", "2027-03-28T02:30")).await.expect_err("no such time");
    assert_eq!(gap.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&gap), ["due.local"]);
    assert!(gap.message().contains("does not exist in Europe/Zurich"), "{}", gap.message());

    let twice =
        deadlines.create_deadline(new_deadline("g-2", "Twice", "2027-10-31T02:30")).await.expect_err("ambiguous");
    assert_eq!(violated_fields(&twice), ["due.local"]);
    assert!(twice.message().contains("happens twice"), "{}", twice.message());
    system.finish().await;
}

#[tokio::test]
async fn a_weekly_recurrence_keeps_its_local_time_across_both_changes() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let weekly = deadlines
        .create_deadline(pb::CreateDeadlineRequest {
            recurrence: Some(pb::Recurrence { cron: "0 12 * * SUN".into(), zone: String::new() }),
            kind: pb::DeadlineKind::HrcSession.into(),
            mechanism: "HRC".into(),
            ..new_deadline("rc-1", "Weekly informals", "2027-03-21T12:00")
        })
        .await
        .expect("created")
        .into_inner();
    let occurrences = deadlines
        .list_occurrences(pb::ListOccurrencesRequest {
            id: weekly.id.clone(),
            from: Some(prost_types::Timestamp { seconds: 1_805_155_200, nanos: 0 }), // 2027-03-14
            limit: 34,
        })
        .await
        .expect("occurrences")
        .into_inner()
        .occurrences;
    assert_eq!(occurrences.len(), 34);
    assert!(occurrences.iter().all(|o| o.due_local.contains("T12:00:00")), "always noon in Geneva");
    let local: Vec<&str> = occurrences.iter().map(|o| o.due_local.as_str()).collect();
    assert_eq!(&local[..2], ["2027-03-21T12:00:00+01:00", "2027-03-28T12:00:00+02:00"]);
    assert!(local.contains(&"2027-10-24T12:00:00+02:00") && local.contains(&"2027-10-31T12:00:00+01:00"));
    let gaps: Vec<i64> = occurrences
        .windows(2)
        .map(|w| w[1].due.as_ref().map(|d| d.seconds).unwrap_or(0) - w[0].due.as_ref().map(|d| d.seconds).unwrap_or(0))
        .collect();
    assert!(
        gaps.iter().all(|g| [7 * 86_400 - 3_600, 7 * 86_400, 7 * 86_400 + 3_600].contains(g)),
        "one week apart, give or take the hour"
    );

    // Completing a recurring deadline moves it to the next occurrence instead of closing it.
    let done = deadlines
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "rc-2".into(),
            id: weekly.id,
            expected_version: 1,
            completed_at: None,
        })
        .await
        .expect("completed")
        .into_inner();
    assert_eq!(done.status, pb::DeadlineStatus::Open as i32);
    assert_eq!(done.due_local, "2027-03-28T12:00:00+02:00");
    system.finish().await;
}
