//! Reminders end to end: deadlines made through the deadlines API, the notifier following
//! the change feed, messages received by a real SMTP server in this process, and a manual
//! clock that the test moves to each moment.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use mail_parser::MimeHeaders;

use advocacy_platform::Clock;
use advocacy_platform::config::PersonConfig;
use advocacy_tests::smtp::{Answer, Received, SmtpServer};
use advocacy_tests::{Person, TestSystem, eventually, local_time, new_deadline, pb, violated_fields};

const DAY: i32 = 24 * 60;
const OWNER: &str = "ana@advocacy.example";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc)
}

/// A system whose notifier sends to `smtp`, reading time from `clock`, with the people
/// directory given.
async fn system(clock: &Clock, smtp: &SmtpServer, people: &[(&str, &str, &str, &str)]) -> TestSystem {
    let smtp = smtp.config();
    TestSystem::spawn_with_clock_and(clock.clone(), |config| {
        config.mail.from = "Advocacy reminders <reminders@advocacy.example>".into();
        config.mail.smtp = Some(smtp);
        config.reminders.escalate_before_hours = 0;
        // Digests have a test of their own; here they would add messages to every count.
        config.reminders.digest_schedule = String::new();
        for (email, name, zone, language) in people {
            let person = PersonConfig {
                name: (*name).into(),
                zone: (*zone).into(),
                language: (*language).into(),
                manager: String::new(),
            };
            config.people.insert((*email).into(), person);
        }
    })
    .await
}

/// A manual clock at `start`, a mail server, and a system sending to it.
async fn scene(start: &str, people: &[(&str, &str, &str, &str)]) -> (Clock, SmtpServer, TestSystem) {
    let clock = Clock::manual(at(start));
    let smtp = SmtpServer::start().await;
    let system = system(&clock, &smtp, people).await;
    (clock, smtp, system)
}

/// A deadline due at `local` UTC with the leads given, for tests to adjust.
fn due_utc(request_id: &str, title: &str, local: &str, leads: &[i32]) -> pb::CreateDeadlineRequest {
    let mut request = new_deadline(request_id, title, local);
    request.due = Some(local_time(local, "UTC"));
    request.lead_minutes = leads.to_vec();
    request
}

/// Creates a deadline as staff (the owner) and waits until the notifier has planned it.
async fn deadline(system: &TestSystem, request: pb::CreateDeadlineRequest, person: &Person) -> pb::Deadline {
    let created = system.deadlines_as(person).await.create_deadline(request).await.expect("created").into_inner();
    planned(system, &created.id, person, created.revision).await;
    created
}

/// Waits until the notifier's plan reflects the deadline at `revision` (or later).
async fn planned(system: &TestSystem, id: &str, person: &Person, revision: i64) -> pb::Plan {
    let mut notifier = system.notifier_as(person).await;
    let query = format!("SELECT COALESCE(MAX(revision), 0) FROM deadlines WHERE id = '{id}'");
    eventually(10, || {
        let (system, query) = (system, query.clone());
        async move { (system.numbers("notifier", &[&query]).await[0] >= revision).then_some(()) }
    })
    .await
    .expect("the notifier saw the change");
    notifier.get_plan(pb::GetPlanRequest { deadline_id: id.into() }).await.expect("a plan").into_inner()
}

/// Moves a deadline to `local` (UTC) as `person`, with a client made now: tokens follow the clock.
async fn move_to(
    system: &TestSystem,
    person: &Person,
    d: &pb::Deadline,
    request_id: &str,
    local: &str,
) -> pb::Deadline {
    let request = pb::MoveDeadlineRequest {
        request_id: request_id.into(),
        id: d.id.clone(),
        expected_version: d.version,
        due: Some(local_time(local, "UTC")),
        reason: "the body changed its date".into(),
    };
    system.deadlines_as(person).await.move_deadline(request).await.expect("moved").into_inner()
}

/// Moves the clock to `to` and gives the notifier a moment to act on it.
async fn move_clock(clock: &Clock, to: DateTime<Utc>) {
    clock.advance(to - clock.now());
    tokio::time::sleep(StdDuration::from_millis(300)).await;
}

fn header(m: &Received, name: &str) -> String {
    let text = m.text();
    let (head, _) = text.split_once("\r\n\r\n").expect("headers and a body");
    head.split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
        .map(|l| l[name.len() + 1..].trim().to_owned())
        .unwrap_or_default()
}

/// The text/calendar attachment, checked to be a calendar with one event.
fn calendar_event(m: &Received) -> String {
    let parsed = m.parsed();
    let ics = parsed
        .attachments()
        .find(|a| a.content_type().is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("calendar")))
        .expect("a calendar attachment");
    let text = String::from_utf8(ics.contents().to_vec()).expect("utf-8");
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.first(), Some(&"BEGIN:VCALENDAR"), "{text}");
    assert_eq!(lines.last(), Some(&"END:VCALENDAR"));
    let mut depth = 0;
    for line in &lines {
        assert!(line.contains(':'), "a content line: {line}");
        if line.starts_with("BEGIN:") {
            depth += 1;
        } else if line.starts_with("END:") {
            depth -= 1;
        }
        assert!(depth >= 0);
    }
    assert_eq!(depth, 0, "every BEGIN has its END");
    assert_eq!(lines.iter().filter(|l| **l == "BEGIN:VEVENT").count(), 1);
    unfolded
}

#[tokio::test]
async fn three_leads_send_three_messages_at_their_moments_with_both_zones_and_a_calendar_entry() {
    let (clock, smtp, system) = scene("2027-01-01T00:00:00Z", &[(OWNER, "Ana Lima", "Asia/Seoul", "en")]).await;
    let mut request = new_deadline("three-leads", "UPR stakeholder report on Eritrea", "2027-03-28T12:00");
    request.due = Some(local_time("2027-03-28T12:00", "Europe/Zurich"));
    request.lead_minutes = vec![30 * DAY, 7 * DAY, DAY];
    let d = deadline(&system, request, &Person::staff()).await;
    // 12:00 in Zurich on the day summer time starts there is 10:00 UTC, 19:00 in Seoul.
    let due = at("2027-03-28T10:00:00Z");
    let moments = [due - Duration::days(30), due - Duration::days(7), due - Duration::days(1)];

    for (n, moment) in moments.iter().enumerate() {
        move_clock(&clock, *moment - Duration::minutes(1)).await;
        assert_eq!(smtp.received().len(), n, "nothing before its moment");
        move_clock(&clock, *moment).await;
        assert_eq!(smtp.wait_for(n + 1, 10).await.len(), n + 1, "the reminder at {moment}");
    }
    let received = smtp.received();
    let notifier = system.notifier_as(&Person::staff()).await;
    // The server keeps a message before it answers, and the notifier records it sent
    // once the answer is in: the last one may still be on its way.
    let list = || {
        let mut notifier = notifier.clone();
        let request = pb::ListDeliveriesRequest { deadline_id: d.id.clone(), ..Default::default() };
        async move { notifier.list_deliveries(request).await.expect("deliveries").into_inner().deliveries }
    };
    let all_sent = |listed: &[pb::Delivery]| listed.iter().all(|l| l.state() == pb::DeliveryState::Sent);
    let listed = match eventually(10, || async { Some(list().await).filter(|listed| all_sent(listed)) }).await {
        Some(listed) => listed,
        None => list().await,
    };
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|l| l.state() == pb::DeliveryState::Sent && l.attempts == 1), "{listed:?}");

    for (m, moment) in received.iter().zip(moments) {
        let parsed = m.parsed();
        assert_eq!(m.to, ["<ana@advocacy.example>"]);
        assert_eq!(parsed.date().map(|d| d.to_timestamp()), Some(moment.timestamp()), "dated by the clock");
        let id = header(m, "Message-ID");
        let delivery = listed.iter().find(|l| l.message_id == id).expect("the Message-ID of a delivery");
        assert_eq!(rfc(delivery.sent_at), moment.to_rfc3339());
        let subject = parsed.subject().expect("a subject");
        assert!(subject.ends_with(": UPR stakeholder report on Eritrea"), "{subject}");
        let text = parsed.body_text(0).expect("a text body").into_owned();
        // HTML escapes the slash too; the page reads the same.
        let html = parsed.body_html(0).expect("an html body").replace("&#x2f;", "/");
        for body in [&text, &html] {
            assert!(body.contains("Sunday 28 March 2027, 12:00 (Europe/Zurich)"), "{body}");
            assert!(body.contains("Sunday 28 March 2027, 19:00 (Asia/Seoul)"), "{body}");
            assert!(body.contains(&format!("/deadlines/{}", d.id)), "a link to the record");
        }
        let event = calendar_event(m);
        assert!(event.contains("DTSTART"), "{event}");
        assert!(event.contains("UPR stakeholder report on Eritrea"));
    }
    let subjects: Vec<String> = received.iter().map(|m| m.parsed().subject().unwrap_or_default().to_owned()).collect();
    assert_eq!(
        subjects,
        [
            "Due in 30 days: UPR stakeholder report on Eritrea",
            "Due in 7 days: UPR stakeholder report on Eritrea",
            "Due in 1 day: UPR stakeholder report on Eritrea",
        ]
    );
    // The same Message-ID is never used twice.
    let ids: std::collections::BTreeSet<String> = received.iter().map(|m| header(m, "Message-ID")).collect();
    assert_eq!(ids.len(), 3);
    system.finish().await;
}

fn rfc(ts: Option<prost_types::Timestamp>) -> String {
    let ts = ts.expect("a time");
    DateTime::from_timestamp(ts.seconds, ts.nanos as u32).expect("valid").to_rfc3339()
}

#[tokio::test]
async fn moved_later_moved_earlier_completed_and_cancelled_send_exactly_what_the_plan_says() {
    let (clock, smtp, system) = scene("2027-01-01T00:00:00Z", &[]).await;
    let staff = Person::staff();
    let request = due_utc("moving", "Treaty body list of issues", "2027-02-01T10:00", &[7 * DAY, DAY]);
    let d = deadline(&system, request, &staff).await;

    // Later by three days, before anything was sent: the old moments send nothing.
    let moved = move_to(&system, &staff, &d, "move-later", "2027-02-04T10:00").await;
    let plan = planned(&system, &d.id, &staff, moved.revision).await;
    let states: Vec<(i32, pb::DeliveryState)> = plan.deliveries.iter().map(|p| (p.lead_minutes, p.state())).collect();
    assert_eq!(states.iter().filter(|(_, s)| *s == pb::DeliveryState::Cancelled).count(), 2, "{states:?}");
    assert_eq!(states.iter().filter(|(_, s)| *s == pb::DeliveryState::Planned).count(), 2, "{states:?}");
    move_clock(&clock, at("2027-01-25T10:00:00Z")).await;
    assert_eq!(smtp.received().len(), 0, "the old 7-day moment sends nothing");
    move_clock(&clock, at("2027-01-28T10:00:00Z")).await;
    assert_eq!(smtp.wait_for(1, 10).await.len(), 1, "the new 7-day moment");

    // Earlier by two days, after the 7-day reminder went: that lead is not repeated, the
    // 1-day one comes at the new moment.
    let moved = move_to(&system, &staff, &moved, "move-earlier", "2027-02-02T10:00").await;
    planned(&system, &d.id, &staff, moved.revision).await;
    move_clock(&clock, at("2027-02-01T09:59:00Z")).await;
    assert_eq!(smtp.received().len(), 1, "no repeat of the 7-day lead");
    move_clock(&clock, at("2027-02-01T10:00:00Z")).await;
    let got = smtp.wait_for(2, 10).await;
    assert_eq!(got.len(), 2);
    assert!(got[1].parsed().subject().unwrap_or_default().starts_with("Due in 1 day"));

    // Completed and cancelled deadlines send nothing at all.
    let mut quiet = Vec::new();
    for (name, close) in [("completed", true), ("cancelled", false)] {
        let request = due_utc(name, name, "2027-03-01T10:00", &[7 * DAY, DAY]);
        let d = deadline(&system, request, &staff).await;
        let mut deadlines = system.deadlines_as(&staff).await;
        let closed = if close {
            deadlines
                .complete_deadline(pb::CompleteDeadlineRequest {
                    request_id: format!("close-{name}"),
                    id: d.id.clone(),
                    expected_version: d.version,
                    completed_at: None,
                })
                .await
        } else {
            deadlines
                .cancel_deadline(pb::CancelDeadlineRequest {
                    request_id: format!("close-{name}"),
                    id: d.id.clone(),
                    expected_version: d.version,
                    reason: "dropped".into(),
                })
                .await
        }
        .expect("closed")
        .into_inner();
        let plan = planned(&system, &d.id, &staff, closed.revision).await;
        assert!(plan.deliveries.iter().all(|p| p.state() == pb::DeliveryState::Cancelled), "{name}: {plan:?}");
        quiet.push(d.id);
    }
    move_clock(&clock, at("2027-03-01T09:00:00Z")).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 2, "closed deadlines are not reminded");
    system.finish().await;
}

#[tokio::test]
async fn a_mail_server_that_is_down_delays_reminders_and_a_550_fails_for_good_visibly() {
    let (clock, mut smtp, system) = scene("2027-01-01T00:00:00Z", &[]).await;
    let staff = Person::staff();
    let request = due_utc("down", "Special Procedures communication", "2027-02-01T10:00", &[DAY]);
    let d = deadline(&system, request, &staff).await;
    let first = |state: pb::DeliveryState, deadline_id: String| {
        let (system, staff) = (&system, &staff);
        let request = pb::ListDeliveriesRequest { deadline_id, state: state.into(), ..Default::default() };
        async move {
            let mut notifier = system.notifier_as(staff).await;
            notifier.list_deliveries(request).await.ok()?.into_inner().deliveries.pop()
        }
    };

    smtp.stop();
    move_clock(&clock, at("2027-01-31T10:00:00Z")).await;
    let retrying = eventually(10, || first(pb::DeliveryState::Retrying, d.id.clone()))
        .await
        .expect("the delivery waits to be tried again");
    assert!(!retrying.last_error.is_empty(), "the reason is kept");
    assert!(retrying.next_attempt_at.is_some());

    // An edit while the reminder waits to be retried keeps it; it goes with the new title.
    let mut deadlines = system.deadlines_as(&staff).await;
    let current = deadlines.get_deadline(pb::GetDeadlineRequest { id: d.id.clone() }).await;
    let current = current.expect("the deadline").into_inner();
    let renamed = system
        .deadlines_as(&staff)
        .await
        .update_deadline(pb::UpdateDeadlineRequest {
            request_id: "rename".into(),
            id: d.id.clone(),
            expected_version: current.version,
            update_mask: Some(prost_types::FieldMask { paths: vec!["title".into()] }),
            title: "Special Procedures communication, revised".into(),
            ..Default::default()
        })
        .await
        .expect("renamed")
        .into_inner();
    let plan = planned(&system, &d.id, &staff, renamed.revision).await;
    assert!(plan.deliveries.iter().all(|p| p.state() != pb::DeliveryState::Cancelled), "{plan:?}");

    smtp.resume().await;
    // Time passes; the retries find the server back.
    for _ in 0..20 {
        if !smtp.received().is_empty() {
            break;
        }
        clock.advance(Duration::minutes(11));
        tokio::time::sleep(StdDuration::from_millis(300)).await;
    }
    let got = smtp.wait_for(1, 5).await;
    assert_eq!(got.len(), 1, "delivered once the server is back");
    assert!(got[0].parsed().subject().unwrap_or_default().ends_with("communication, revised"));

    // A permanent refusal: failed at once, with the server's reply, not retried.
    smtp.answer(Answer::Refuse);
    let mut request = due_utc("refused", "Sanctions recommendation", "2027-02-10T10:00", &[DAY]);
    request.owners = vec!["nobody@advocacy.example".into()];
    let refused = deadline(&system, request, &staff).await;
    move_clock(&clock, at("2027-02-09T10:00:00Z")).await;
    let failed =
        eventually(10, || first(pb::DeliveryState::Failed, refused.id.clone())).await.expect("the delivery failed");
    assert!(failed.last_error.contains("550"), "{}", failed.last_error);
    assert_eq!(failed.attempts, 1);
    move_clock(&clock, at("2027-02-09T20:00:00Z")).await;
    assert_eq!(smtp.refused(), 1, "a 550 is not tried again");

    // Once the address is fixed at the server, a person retries it.
    smtp.answer(Answer::Accept);
    let mut notifier = system.notifier_as(&staff).await;
    let retried =
        notifier.retry_delivery(pb::RetryDeliveryRequest { delivery_id: failed.id.clone() }).await.expect("retried");
    let state = retried.into_inner().state();
    assert!(matches!(state, pb::DeliveryState::Planned | pb::DeliveryState::Sent), "{state:?}");
    assert_eq!(smtp.wait_for(2, 10).await.len(), 2);
    let again = notifier.retry_delivery(pb::RetryDeliveryRequest { delivery_id: failed.id }).await;
    assert_eq!(again.expect_err("sent now").code(), tonic::Code::FailedPrecondition);
    system.finish().await;
}

/// A system sending over two connections to a mail server that answers each message
/// after `delay`, with an outbox lease of `lease_secs`, and `deadlines` deadlines of four
/// owners each whose reminders all fall due at the moment returned.
async fn two_connections_to_a_slow_server(
    delay: StdDuration,
    lease_secs: u64,
    deadlines: usize,
) -> (Clock, SmtpServer, TestSystem, DateTime<Utc>) {
    let clock = Clock::manual(at("2027-01-01T00:00:00Z"));
    let smtp = SmtpServer::start().await;
    smtp.delay(delay);
    let mut mail = smtp.config();
    mail.connections = 2;
    let system = TestSystem::spawn_with_clock_and(clock.clone(), |config| {
        config.mail.smtp = Some(mail);
        config.outbox.lease_secs = lease_secs;
        config.reminders.escalate_before_hours = 0;
        config.reminders.digest_schedule = String::new();
    })
    .await;
    let moment = at("2027-01-10T00:00:00Z");
    let owners: Vec<String> = (0..4).map(|i| format!("person{i}@advocacy.example")).collect();
    for n in 0..deadlines {
        deadline(&system, advocacy_tests::reminded_at(n, moment, &owners), &Person::staff()).await;
    }
    (clock, smtp, system, moment)
}

// On two worker threads, as the server runs: the pool's returned connection and the next
// send race there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_go_over_no_more_connections_at_once_than_configured() {
    // Slow enough that messages due at once wait for a connection.
    let (clock, smtp, system, moment) = two_connections_to_a_slow_server(StdDuration::from_millis(50), 60, 3).await;

    move_clock(&clock, moment).await;
    assert_eq!(smtp.wait_for(12, 30).await.len(), 12, "every reminder arrived");
    assert_eq!(smtp.most_connections(), 2, "two at once, never more");
    assert_eq!(smtp.connections(), 2, "the same two kept open for every message");
    system.finish().await;
}

// The feed changes a deadline and its plan in one transaction, but a send reads the
// delivery and its deadline a moment apart: between the two a deadline may close. The
// notifier's copy of the deadline is closed here behind the plan's back, as that moment
// would leave it.
#[tokio::test]
async fn a_reminder_found_void_at_its_moment_is_recorded_cancelled_not_sent() {
    let (clock, smtp, system) = scene("2027-01-01T00:00:00Z", &[]).await;
    let staff = Person::staff();
    let d = deadline(&system, due_utc("void", "Treaty body review", "2027-01-10T10:00", &[60]), &staff).await;
    let closed = pb::DeadlineStatus::Completed as i64;
    sqlx::query("UPDATE deadlines SET status = $1 WHERE id = $2")
        .bind(closed)
        .bind(&d.id)
        .execute(&system.database("notifier").pool)
        .await
        .expect("closed in the notifier's copy");

    move_clock(&clock, at("2027-01-10T09:00:00Z")).await;
    let ended = eventually(10, || {
        let (system, staff, id) = (&system, &staff, d.id.clone());
        async move {
            let mut notifier = system.notifier_as(staff).await;
            let request = pb::ListDeliveriesRequest { deadline_id: id, ..Default::default() };
            let listed = notifier.list_deliveries(request).await.expect("listed").into_inner().deliveries;
            listed.into_iter().find(|x| x.state() != pb::DeliveryState::Planned)
        }
    })
    .await
    .expect("the delivery ended");
    assert_eq!(ended.state(), pb::DeliveryState::Cancelled, "{ended:?}");
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(smtp.count(), 0, "nothing went out");
    system.finish().await;
}

// A claimed message waits for a connection within its push's time, half the lease: a
// server this slow takes four messages per connection in a quarter of an 8 s lease, and
// a batch of all of them (twelve per connection here) would time out its last ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_mail_server_is_given_no_more_at_once_than_it_takes_within_the_lease() {
    let (clock, smtp, system, moment) = two_connections_to_a_slow_server(StdDuration::from_millis(500), 8, 6).await;

    move_clock(&clock, moment).await;
    let got = smtp.wait_for(24, 30).await;
    let ids: std::collections::BTreeSet<String> =
        got.iter().map(|m| m.parsed().message_id().unwrap_or_default().to_owned()).collect();
    assert_eq!((got.len(), ids.len()), (24, 24), "each reminder arrived once");
    // Each is marked sent moments after the server took it.
    let listed = eventually(10, || async {
        let mut notifier = system.notifier_as(&Person::staff()).await;
        let request = pb::ListDeliveriesRequest { page_size: 100, ..Default::default() };
        let listed = notifier.list_deliveries(request).await.expect("listed").into_inner().deliveries;
        (listed.len() == 24 && listed.iter().all(|d| d.state() == pb::DeliveryState::Sent)).then_some(listed)
    })
    .await
    .expect("all marked sent");
    for d in &listed {
        assert_eq!((d.state(), d.attempts, d.last_error.as_str()), (pb::DeliveryState::Sent, 1, ""), "{}", d.id);
    }
    system.finish().await;
}

#[tokio::test]
async fn a_restricted_deadline_s_message_carries_none_of_its_text_and_its_deliveries_stay_hidden() {
    let (clock, smtp, system) = scene("2027-01-01T00:00:00Z", &[]).await;
    let sam = Person::sanctions_staff();
    let mut request = new_deadline("restricted", "Asset freeze file on General Kurbanov", "2027-02-01T10:00");
    request.due = Some(local_time("2027-02-01T10:00", "America/New_York"));
    request.mechanism = "SR-TORTURE".into();
    request.kind = pb::DeadlineKind::SpecialProceduresCallForInput.into();
    request.lead_minutes = vec![7 * DAY];
    request.owners = vec![sam.email.into()];
    request.classification = Some(pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        ..Default::default()
    });
    let d = deadline(&system, request, &sam).await;
    move_clock(&clock, at("2027-01-25T15:00:00Z")).await;
    let got = smtp.wait_for(1, 10).await;
    assert_eq!(got.len(), 1);
    let raw = got[0].text();
    let parsed = got[0].parsed();
    let decoded = format!(
        "{}\n{}\n{}",
        parsed.subject().unwrap_or_default(),
        parsed.body_text(0).unwrap_or_default(),
        parsed.body_html(0).unwrap_or_default()
    );
    for secret in ["Asset", "freeze", "Kurbanov", "General", "SR-TORTURE", "TORTURE", "New_York", "America"] {
        assert!(!raw.contains(secret), "{secret} in the raw message");
        assert!(!decoded.contains(secret), "{secret} in the decoded message");
    }
    assert_eq!(parsed.subject(), Some("Due in 7 days: a restricted deadline"));
    assert!(decoded.contains(&format!("/deadlines/{}", d.id)), "the link is there");
    assert_eq!(parsed.attachments().count(), 0, "no calendar entry: it would carry the title");

    // Staff without the compartment see no delivery, no plan, no preview.
    let mut ana = system.notifier_as(&Person::staff()).await;
    let all = ana.list_deliveries(pb::ListDeliveriesRequest::default()).await.expect("list").into_inner();
    assert!(all.deliveries.iter().all(|x| x.deadline_id != d.id), "hidden from ana");
    let plan = ana.get_plan(pb::GetPlanRequest { deadline_id: d.id.clone() }).await;
    assert_eq!(plan.expect_err("hidden").code(), tonic::Code::NotFound);
    let preview = ana.preview_reminder(pb::PreviewReminderRequest { deadline_id: d.id.clone(), ..Default::default() });
    assert_eq!(preview.await.expect_err("hidden").code(), tonic::Code::NotFound);
    let mut sam_notifier = system.notifier_as(&sam).await;
    let seen = sam_notifier
        .list_deliveries(pb::ListDeliveriesRequest { deadline_id: d.id.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(seen.deliveries.len(), 1, "sam holds the compartment");
    system.finish().await;
}

#[tokio::test]
async fn a_korean_recipient_gets_the_korean_template_with_headers_that_decode() {
    let (clock, smtp, system) = scene("2027-01-01T00:00:00Z", &[(OWNER, "김지수", "Asia/Seoul", "ko")]).await;
    let mut request = new_deadline("korean", "북한 인권 상황에 관한 UPR 보고서", "2027-02-01T10:00");
    request.due = Some(local_time("2027-02-01T10:00", "Europe/Zurich"));
    request.lead_minutes = vec![7 * DAY];
    deadline(&system, request, &Person::staff()).await;
    move_clock(&clock, at("2027-01-25T09:00:00Z")).await;
    let got = smtp.wait_for(1, 10).await;
    assert_eq!(got.len(), 1);
    let raw_head = got[0].text().split("\r\n\r\n").next().unwrap_or_default().to_owned();
    assert!(raw_head.is_ascii(), "headers are encoded, not raw UTF-8:\n{raw_head}");
    let parsed = got[0].parsed();
    assert_eq!(parsed.subject(), Some("7일 후 마감: 북한 인권 상황에 관한 UPR 보고서"));
    let to = parsed.to().and_then(|a| a.first()).expect("a recipient");
    assert_eq!(to.name(), Some("김지수"));
    let text = parsed.body_text(0).expect("text");
    assert!(text.contains("김지수님께"), "{text}");
    assert!(text.contains("2027년 2월 1일 (월) 10:00 (Europe/Zurich)"), "{text}");
    assert!(text.contains("2027년 2월 1일 (월) 18:00 (Asia/Seoul)"), "{text}");
    assert!(parsed.body_html(0).expect("html").contains("lang=\"ko\""));
    system.finish().await;
}

#[tokio::test]
async fn a_person_added_at_the_gateway_is_reminded_in_their_language_and_zone() {
    let (clock, smtp, system) = scene("2027-01-01T00:00:00Z", &[]).await;
    let owner = "minji@advocacy.example";
    system
        .gateway_as(&Person::staff().and_admin())
        .await
        .create_person(pb::CreatePersonRequest {
            request_id: "minji".into(),
            email: owner.into(),
            name: "박민지".into(),
            roles: vec!["staff".into()],
            zone: "Asia/Seoul".into(),
            language: pb::Language::Ko.into(),
            ..Default::default()
        })
        .await
        .expect("added to the directory");
    let mut request = new_deadline("directory", "조약기구 보고서", "2027-02-01T10:00");
    request.due = Some(local_time("2027-02-01T10:00", "Europe/Zurich"));
    request.lead_minutes = vec![7 * DAY];
    request.owners = vec![owner.into()];
    deadline(&system, request, &Person::staff()).await;
    move_clock(&clock, at("2027-01-25T09:00:00Z")).await;
    let got = smtp.wait_for(1, 10).await;
    let parsed = got.first().expect("a reminder").parsed();
    assert_eq!(parsed.subject(), Some("7일 후 마감: 조약기구 보고서"));
    assert_eq!(parsed.to().and_then(|a| a.first()).and_then(|a| a.name()), Some("박민지"));
    let text = parsed.body_text(0).expect("text");
    assert!(text.contains("2027년 2월 1일 (월) 18:00 (Asia/Seoul)"), "their own zone: {text}");
    system.finish().await;
}

#[tokio::test]
async fn leads_already_past_fold_into_one_catch_up_and_after_downtime_only_what_is_useful_goes() {
    let (clock, smtp, mut system) = scene("2027-01-30T00:00:00Z", &[]).await;
    let staff = Person::staff();
    // Due in three days: the 30- and 7-day moments have passed, the 1-day one has not.
    let request = due_utc("late", "HRC side event", "2027-02-02T10:00", &[30 * DAY, 7 * DAY, DAY]);
    let d = deadline(&system, request, &staff).await;
    let got = smtp.wait_for(1, 10).await;
    assert_eq!(got.len(), 1, "one catch-up, not a burst");
    assert!(got[0].parsed().body_text(0).unwrap_or_default().contains("comes in its place"));
    let plan = planned(&system, &d.id, &staff, d.revision).await;
    let kinds: Vec<(i32, pb::DeliveryState, bool)> =
        plan.deliveries.iter().map(|p| (p.lead_minutes, p.state(), p.catch_up)).collect();
    assert!(kinds.contains(&(30 * DAY, pb::DeliveryState::Skipped, true)), "{kinds:?}");
    assert!(kinds.contains(&(DAY, pb::DeliveryState::Planned, false)), "{kinds:?}");
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1);

    // Down over two moments of another deadline, then back while it is still ahead: only
    // the closest reminder goes, once.
    let request = due_utc("downtime", "Treaty body review", "2027-02-20T10:00", &[7 * DAY, 2 * DAY]);
    let ahead = deadline(&system, request, &staff).await;
    // And a third whose due time passes entirely while the notifier is down.
    let request = due_utc("missed", "Call for input", "2027-02-05T10:00", &[DAY]);
    let missed = deadline(&system, request, &staff).await;
    system.stop_server().await;
    clock.advance(at("2027-02-19T00:00:00Z") - clock.now());
    system.restart().await;
    let got = smtp.wait_for(2, 10).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let subjects: Vec<String> =
        smtp.received().iter().map(|m| m.parsed().subject().unwrap_or_default().to_owned()).collect();
    // The first deadline's 1-day reminder (its moment passed in the downtime, its due
    // time too: skipped), the second's 2-day one (late, once), nothing for the third.
    assert_eq!((got.len(), subjects.len()), (2, 2), "{subjects:?}");
    assert!(subjects[1].ends_with("Treaty body review"), "{subjects:?}");
    let plan = planned(&system, &ahead.id, &staff, ahead.revision).await;
    let seven = plan.deliveries.iter().find(|p| p.lead_minutes == 7 * DAY).expect("the 7-day delivery");
    assert_eq!(seven.state(), pb::DeliveryState::Skipped);
    assert!(seven.reason.contains("closer reminder"), "{}", seven.reason);
    let plan = planned(&system, &missed.id, &staff, missed.revision).await;
    assert_eq!(plan.deliveries[0].state(), pb::DeliveryState::Skipped);
    assert!(plan.deliveries[0].reason.contains("had passed"), "{}", plan.deliveries[0].reason);
    system.finish().await;
}

#[tokio::test]
async fn a_one_day_reminder_just_after_a_daylight_saving_change_comes_24_hours_before() {
    let (clock, smtp, system) = scene("2027-03-20T00:00:00Z", &[]).await;
    // Zurich moves to summer time at 02:00 on 28 March 2027; the deadline is 09:00 on the 29th.
    let mut request = new_deadline("dst", "Pre-session briefing", "2027-03-29T09:00");
    request.due = Some(local_time("2027-03-29T09:00", "Europe/Zurich"));
    request.lead_minutes = vec![DAY];
    deadline(&system, request, &Person::staff()).await;
    let moment = at("2027-03-29T07:00:00Z") - Duration::hours(24);
    move_clock(&clock, moment - Duration::seconds(1)).await;
    assert!(smtp.received().is_empty());
    move_clock(&clock, moment).await;
    let got = smtp.wait_for(1, 10).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].parsed().date().map(|d| d.to_timestamp()), Some(moment.timestamp()));
    assert!(got[0].parsed().body_text(0).unwrap_or_default().contains("Monday 29 March 2027, 09:00 (Europe/Zurich)"));
    system.finish().await;
}

#[tokio::test]
async fn every_notifier_rpc_names_the_bad_field_and_writes_nothing() {
    let system = TestSystem::spawn().await;
    let staff = Person::staff();
    let mut notifier = system.notifier_as(&staff).await;
    let mut admin = system.notifier_as(&staff.and_admin()).await;
    let huge = "x".repeat(100_000);
    let far = prost_types::Timestamp { seconds: 253_402_300_800 * 10, nanos: 0 };
    let listings = [
        ("deadline_id", pb::ListDeliveriesRequest { deadline_id: huge.clone(), ..Default::default() }),
        ("recipient", pb::ListDeliveriesRequest { recipient: "not an address".into(), ..Default::default() }),
        ("state", pb::ListDeliveriesRequest { state: 99, ..Default::default() }),
        ("page_size", pb::ListDeliveriesRequest { page_size: -1, ..Default::default() }),
        ("page_token", pb::ListDeliveriesRequest { page_token: "garbage".into(), ..Default::default() }),
        (
            "period",
            pb::ListDeliveriesRequest {
                period: Some(pb::Period { start: Some(far), end: None }),
                ..Default::default()
            },
        ),
    ];
    let mut cases: Vec<(&str, tonic::Status)> = Vec::new();
    for (field, request) in listings {
        cases.push((field, notifier.list_deliveries(request).await.expect_err(field)));
    }
    cases.extend([
        (
            "deadline_id",
            notifier.get_plan(pb::GetPlanRequest { deadline_id: "../../etc".into() }).await.expect_err("not an id"),
        ),
        (
            "language",
            notifier
                .preview_reminder(pb::PreviewReminderRequest {
                    deadline_id: uuid::Uuid::now_v7().to_string(),
                    language: "klingon".into(),
                    ..Default::default()
                })
                .await
                .expect_err("no such language"),
        ),
        (
            "lead_minutes",
            notifier
                .preview_reminder(pb::PreviewReminderRequest {
                    deadline_id: uuid::Uuid::now_v7().to_string(),
                    lead_minutes: -5,
                    ..Default::default()
                })
                .await
                .expect_err("negative lead"),
        ),
        (
            "recipient",
            admin.send_test(pb::SendTestRequest { recipient: huge.clone() }).await.expect_err("huge address"),
        ),
        (
            "recipient",
            admin.send_test(pb::SendTestRequest { recipient: "a@b".into() }).await.expect_err("no dotted domain"),
        ),
        (
            "delivery_id",
            notifier.retry_delivery(pb::RetryDeliveryRequest { delivery_id: String::new() }).await.expect_err("empty"),
        ),
    ]);
    for (field, status) in &cases {
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{field}: {status:?}");
        assert!(violated_fields(status).iter().any(|f| f.starts_with(field)), "{field}: {:?}", violated_fields(status));
        assert!(status.message().len() < 2_000, "the answer does not echo a huge value");
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    let missing = notifier.retry_delivery(pb::RetryDeliveryRequest { delivery_id: unknown }).await;
    assert_eq!(missing.expect_err("unknown").code(), tonic::Code::NotFound);
    let denied = notifier.send_test(pb::SendTestRequest { recipient: "ana@advocacy.example".into() }).await;
    assert_eq!(denied.expect_err("admins only").code(), tonic::Code::PermissionDenied);
    let written = system.numbers("notifier", &["SELECT COUNT(*) FROM deliveries WHERE purpose = 'test'"]).await;
    assert_eq!(written, [0], "nothing was written");
    system.finish().await;
}

#[tokio::test]
async fn a_weekly_digest_goes_once_per_person_in_their_zone_and_managers_hear_of_open_deadlines_the_day_before() {
    // Friday 1 January 2027. Ana works in Seoul; Maria is her manager.
    let clock = Clock::manual(at("2027-01-01T00:00:00Z"));
    let smtp = SmtpServer::start().await;
    let mail = smtp.config();
    let mut system = TestSystem::spawn_with_clock_and(clock.clone(), |config| {
        config.mail.smtp = Some(mail);
        let ana = PersonConfig {
            name: "Ana".into(),
            zone: "Asia/Seoul".into(),
            language: "en".into(),
            manager: "maria@advocacy.example".into(),
        };
        config.people.insert(OWNER.into(), ana);
    })
    .await;
    let staff = Person::staff();
    let soon = |name: &str, due: &str| due_utc(&name.replace(' ', "-"), name, due, &[60]);
    let overdue = deadline(&system, soon("Overdue follow-up letter", "2027-01-02T10:00"), &staff).await;
    let next_week = deadline(&system, soon("Working group submission", "2027-01-10T10:00"), &staff).await;
    let far = deadline(&system, soon("Far treaty body review", "2027-06-01T10:00"), &staff).await;
    let done = deadline(&system, soon("Done before its escalation", "2027-01-12T10:00"), &staff).await;
    let completed = system
        .deadlines_as(&staff)
        .await
        .complete_deadline(pb::CompleteDeadlineRequest {
            request_id: "done".into(),
            id: done.id.clone(),
            expected_version: done.version,
            completed_at: None,
        })
        .await
        .expect("completed")
        .into_inner();
    planned(&system, &done.id, &staff, completed.revision).await;
    let count = |subject_start: &str, to: &str| {
        smtp.received()
            .iter()
            .filter(|m| m.to == [format!("<{to}>")])
            .filter(|m| m.parsed().subject().unwrap_or_default().starts_with(subject_start))
            .count()
    };

    // Monday 08:00 in Seoul is Sunday 23:00 UTC.
    move_clock(&clock, at("2027-01-03T22:59:00Z")).await;
    assert_eq!(count("Your deadlines", OWNER), 0);
    move_clock(&clock, at("2027-01-03T23:00:00Z")).await;
    let digests = eventually(10, || async {
        let found: Vec<Received> = smtp
            .received()
            .into_iter()
            .filter(|m| m.parsed().subject().unwrap_or_default().starts_with("Your deadlines"))
            .collect();
        (!found.is_empty()).then_some(found)
    })
    .await
    .expect("the digest");
    assert_eq!(digests.len(), 1);
    let digest = &digests[0];
    assert_eq!(digest.parsed().subject(), Some("Your deadlines, week of 4 January 2027: 1 overdue"));
    let text = digest.parsed().body_text(0).unwrap_or_default().into_owned();
    assert!(text.contains("Overdue follow-up letter") && text.contains("Working group submission"), "{text}");
    assert!(!text.contains("Far treaty body review") && !text.contains("Done before"), "{text}");
    assert!(text.contains("Sunday 10 January 2027, 19:00 (Asia/Seoul)"), "in Ana's zone: {text}");

    // The day before the open one is due, Maria hears of it, once; not of the completed one.
    move_clock(&clock, at("2027-01-09T10:00:00Z")).await;
    assert!(
        eventually(10, || async { (count("Still open", "maria@advocacy.example") == 1).then_some(()) }).await.is_some()
    );
    let escalation = smtp.received().into_iter().find(|m| m.to == ["<maria@advocacy.example>"]).expect("sent");
    assert!(escalation.parsed().body_text(0).unwrap_or_default().contains("owned by ana@advocacy.example"));
    // The next Monday: the second digest, once.
    move_clock(&clock, at("2027-01-10T23:00:00Z")).await;
    assert!(eventually(10, || async { (count("Your deadlines", OWNER) == 2).then_some(()) }).await.is_some());
    move_clock(&clock, at("2027-01-12T09:00:00Z")).await;
    assert_eq!(count("Still open", "maria@advocacy.example"), 1, "nothing for the completed deadline");
    assert_eq!(count("Your deadlines", OWNER), 2, "one a week");

    // A person's digests are theirs to see: they would tell of restricted deadlines.
    let digests_of = |person: Person| {
        let system = &system;
        async move {
            let request = pb::ListDeliveriesRequest { recipient: OWNER.into(), ..Default::default() };
            let listed = system.notifier_as(&person).await.list_deliveries(request).await.expect("listed");
            listed.into_inner().deliveries.iter().filter(|d| d.kind() == pb::DeliveryKind::Digest).count()
        }
    };
    assert!(digests_of(Person::staff()).await >= 2, "Ana sees hers");
    assert_eq!(digests_of(Person::sanctions_staff()).await, 0, "Sam does not see Ana's");

    // Down for three Mondays: one digest when it is back, not three.
    system.stop_server().await;
    clock.advance(at("2027-02-02T00:00:00Z") - clock.now());
    system.restart().await;
    assert!(eventually(10, || async { (count("Your deadlines", OWNER) == 3).then_some(()) }).await.is_some());
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(count("Your deadlines", OWNER), 3, "the weeks missed are not sent one after another");
    let _ = (overdue, next_week, far);
    system.finish().await;
}

/// Marking a delivery sent changes no indexed column, so no index is written; on
/// PostgreSQL its pages (and the outbox's) keep half free for the new row versions.
#[tokio::test]
async fn deliveries_are_marked_sent_without_index_writes_and_with_room_on_postgresql() {
    let system = TestSystem::spawn().await;
    let postgres = system.database("notifier").dialect == advocacy_platform::db::Dialect::Postgres;
    let queries: &[&str] = if postgres {
        &[
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'deliveries' AND indexdef LIKE '%state%'",
            "SELECT COUNT(*) FROM pg_class WHERE relname IN ('deliveries', 'outbox')
             AND 'fillfactor=50' = ANY(reloptions)",
        ]
    } else {
        &["SELECT COUNT(*) FROM sqlite_master s, pragma_index_info(s.name) i
           WHERE s.type = 'index' AND s.tbl_name = 'deliveries' AND i.name = 'state'"]
    };
    let found = system.numbers("notifier", queries).await;
    assert_eq!(found[0], 0, "no index of deliveries holds its state");
    if postgres {
        assert_eq!(found[1], 2, "deliveries and outbox leave room on their pages");
    }
    system.finish().await;
}
