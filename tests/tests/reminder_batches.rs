//! Messages due together are sent as one batch: their calendar entries come from the
//! deadlines service in one `ExportCalendarEntries` call, not one `ExportCalendar` call per
//! message. Alone in its test binary, as it reads the process's RPC counters.

use chrono::{DateTime, Duration, Utc};
use mail_parser::MimeHeaders;

use advocacy_platform::Clock;
use advocacy_tests::smtp::SmtpServer;
use advocacy_tests::{Person, TestSystem, eventually, reminded_at};

/// Requests the deadlines service has answered for `method`, from the process's metrics.
async fn answered(method: &str) -> u64 {
    let text = advocacy_platform::metrics::metrics().render(&[], Utc::now()).await;
    let label = format!("method=\"/advocacy.v1.DeadlinesService/{method}\"");
    text.lines()
        .filter(|l| l.starts_with("advocacy_rpc_requests_total{") && l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn reminders_due_together_fetch_their_calendar_entries_in_one_call() {
    let start: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().expect("a time");
    let clock = Clock::manual(start);
    let smtp = SmtpServer::start().await;
    let config = smtp.config();
    let system = TestSystem::spawn_with_clock_and(clock.clone(), |c| {
        c.mail.smtp = Some(config);
        c.reminders.escalate_before_hours = 0;
        c.reminders.digest_schedule = String::new();
    })
    .await;
    // Two deadlines due an hour after `moment`, reminded an hour before: five messages.
    let moment = start + Duration::minutes(30);
    let owners = |names: &[&str]| names.iter().map(|n| format!("{n}@advocacy.example")).collect::<Vec<_>>();
    let mut deadlines = system.deadlines_as(&Person::staff()).await;
    let mut titles = Vec::new();
    for (n, people) in [owners(&["ana", "ben", "chloe"]), owners(&["dara", "emeka"])].iter().enumerate() {
        let made = deadlines.create_deadline(reminded_at(n, moment, people)).await.expect("created").into_inner();
        titles.push(made.title);
    }
    let planned = "SELECT COUNT(*) FROM deliveries WHERE state = 'planned'";
    eventually(10, || async { (system.numbers("notifier", &[planned]).await[0] == 5).then_some(()) })
        .await
        .expect("five messages planned");
    let (entries, single) = (answered("ExportCalendarEntries").await, answered("ExportCalendar").await);

    clock.advance(moment - clock.now());
    let received = smtp.wait_for(5, 10).await;
    assert_eq!(received.len(), 5, "every owner reminded");
    for m in &received {
        let parsed = m.parsed();
        let subject = parsed.subject().expect("a subject").to_owned();
        let title = titles.iter().find(|t| subject.ends_with(t.as_str())).expect("a deadline's title");
        let ics = parsed
            .attachments()
            .find(|a| a.content_type().is_some_and(|c| c.subtype() == Some("calendar")))
            .map(|a| String::from_utf8_lossy(a.contents()).replace("\r\n ", ""))
            .expect("a calendar entry");
        assert!(ics.contains(&format!("SUMMARY:{title}")), "the entry of its own deadline: {ics}");
    }
    assert_eq!(answered("ExportCalendarEntries").await - entries, 1, "one call for the batch's two deadlines");
    assert_eq!(answered("ExportCalendar").await - single, 0, "no message asked for its own entry");
    system.finish().await;
}
