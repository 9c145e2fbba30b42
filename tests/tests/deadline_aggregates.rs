//! What became of the deadlines due in a period, counted by the deadlines service: met on
//! time, completed late, missed, open, cancelled, by mechanism and kind; a restricted one
//! counted only as "restricted, not shown" for those without its compartment; and each
//! figure's records listed by the same outcome filter.

use chrono::{TimeZone, Utc};
use tonic::Code;

use advocacy_platform::Clock;
use advocacy_platform::time::to_timestamp;
use advocacy_tests::{Person, TestSystem, local_time, new_deadline, pb, violated_fields};

fn quarter() -> pb::Period {
    pb::Period {
        start: Some(to_timestamp(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap())),
        end: Some(to_timestamp(Utc.with_ymd_and_hms(2027, 4, 1, 0, 0, 0).unwrap())),
    }
}

#[tokio::test]
async fn the_quarters_deadlines_are_counted_by_outcome_and_listed_behind_each_figure() {
    let clock = Clock::manual(Utc.with_ymd_and_hms(2027, 2, 15, 9, 0, 0).unwrap());
    let system = TestSystem::spawn_with_clock(clock.clone()).await;
    let sanctions = Person::sanctions_staff();
    let mut deadlines = system.deadlines_as(&sanctions).await;
    let make = |n: &str, due: &str, restricted: bool| {
        let mut request = new_deadline(n, &format!("Deadline {n}"), due);
        request.due = Some(local_time(due, "UTC"));
        if restricted {
            request.classification = Some(pb::Classification {
                level: pb::Confidentiality::Restricted.into(),
                compartment: "sanctions".into(),
                compartments: vec![],
            });
        }
        let mut client = deadlines.clone();
        async move { client.create_deadline(request).await.expect("created").into_inner() }
    };
    let on_time = make("on-time", "2027-01-10T12:00", false).await;
    let late = make("late", "2027-01-20T12:00", false).await;
    let missed = make("missed", "2027-02-01T12:00", false).await;
    let open = make("open", "2027-03-10T12:00", false).await;
    let cancelled = make("cancelled", "2027-03-05T12:00", false).await;
    let restricted = make("restricted", "2027-01-15T12:00", true).await;
    let _next_quarter = make("later", "2027-04-02T12:00", false).await;
    let complete = |d: &pb::Deadline, at: chrono::DateTime<Utc>| pb::CompleteDeadlineRequest {
        request_id: format!("complete-{}", d.id),
        id: d.id.clone(),
        expected_version: d.version,
        completed_at: Some(to_timestamp(at)),
    };
    deadlines
        .complete_deadline(complete(&on_time, Utc.with_ymd_and_hms(2027, 1, 9, 0, 0, 0).unwrap()))
        .await
        .expect("done");
    deadlines
        .complete_deadline(complete(&late, Utc.with_ymd_and_hms(2027, 1, 25, 0, 0, 0).unwrap()))
        .await
        .expect("done");
    deadlines
        .complete_deadline(complete(&restricted, Utc.with_ymd_and_hms(2027, 1, 14, 0, 0, 0).unwrap()))
        .await
        .expect("done");
    deadlines
        .cancel_deadline(pb::CancelDeadlineRequest {
            request_id: "cancel".into(),
            id: cancelled.id.clone(),
            expected_version: cancelled.version,
            reason: "the call was withdrawn".into(),
        })
        .await
        .expect("cancelled");

    let request = pb::DeadlineAggregatesRequest { period: Some(quarter()) };
    let staff = system.deadlines_as(&Person::manager()).await.get_deadline_aggregates(request).await;
    let staff = staff.expect("a manager reads the figures").into_inner();
    assert_eq!(
        (staff.met_on_time, staff.completed_late, staff.missed, staff.open, staff.cancelled, staff.restricted),
        (1, 1, 1, 1, 1, 1),
        "{staff:?}"
    );
    let upr =
        |outcome: &str| staff.by_mechanism.iter().find(|c| c.key == format!("UPR/{outcome}")).map_or(0, |c| c.count);
    assert_eq!((upr("met_on_time"), upr("missed")), (1, 1), "the restricted one is in no breakdown");
    let all = deadlines.get_deadline_aggregates(request).await.expect("figures").into_inner();
    assert_eq!((all.met_on_time, all.restricted), (2, 0), "with the compartment it is counted as met");

    // Each figure's records: the same filter on the list, the restricted one only for those
    // who may see it.
    let listed = |outcome: pb::DeadlineOutcome, person: Person| {
        let system = &system;
        async move {
            let request = pb::ListDeadlinesRequest {
                due_from: quarter().start,
                due_to: quarter().end,
                outcome: outcome.into(),
                ..Default::default()
            };
            let mut client = system.deadlines_as(&person).await;
            let mut ids: Vec<String> = client
                .list_deadlines(request)
                .await
                .expect("listed")
                .into_inner()
                .deadlines
                .into_iter()
                .map(|d| d.id)
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(listed(pb::DeadlineOutcome::MetOnTime, Person::manager()).await, [on_time.id.as_str()]);
    let mut both = vec![on_time.id.clone(), restricted.id.clone()];
    both.sort();
    assert_eq!(listed(pb::DeadlineOutcome::MetOnTime, sanctions.clone()).await, both);
    assert_eq!(listed(pb::DeadlineOutcome::CompletedLate, Person::manager()).await, [late.id]);
    assert_eq!(listed(pb::DeadlineOutcome::Missed, Person::manager()).await, [missed.id.as_str()]);
    assert_eq!(listed(pb::DeadlineOutcome::Open, Person::manager()).await, [open.id]);
    assert_eq!(listed(pb::DeadlineOutcome::Cancelled, Person::manager()).await, [cancelled.id]);

    // Time moves on: the open one, now past due, is missed.
    clock.advance(chrono::Duration::days(30));
    let later = system.deadlines_as(&Person::manager()).await.get_deadline_aggregates(request).await;
    let later = later.expect("figures").into_inner();
    assert_eq!((later.missed, later.open), (2, 0));
    system.finish().await;
}

#[tokio::test]
async fn a_period_that_is_not_whole_days_or_an_unknown_outcome_is_refused_by_field() {
    let system = TestSystem::spawn().await;
    let mut client = system.deadlines_as(&Person::manager()).await;
    let mut period = quarter();
    period.end = Some(to_timestamp(Utc.with_ymd_and_hms(2027, 3, 31, 17, 30, 0).unwrap()));
    let refused = client
        .get_deadline_aggregates(pb::DeadlineAggregatesRequest { period: Some(period) })
        .await
        .expect_err("not whole days");
    assert_eq!((refused.code(), violated_fields(&refused)), (Code::InvalidArgument, vec!["period.end".to_owned()]));
    let refused =
        client.get_deadline_aggregates(pb::DeadlineAggregatesRequest { period: None }).await.expect_err("no period");
    assert_eq!(violated_fields(&refused), ["period"]);
    let refused = client
        .list_deadlines(pb::ListDeadlinesRequest { outcome: 99, ..Default::default() })
        .await
        .expect_err("no such outcome");
    assert_eq!(violated_fields(&refused), ["outcome"]);
    system.finish().await;
}
