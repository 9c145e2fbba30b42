//! The iCalendar export staff subscribe to: valid RFC 5545 that calendar programs accept.

use advocacy_tests::{TestSystem, new_deadline, pb};

/// Checks the rules of RFC 5545 that calendar programs actually enforce.
fn assert_valid_ics(ics: &str) {
    assert!(ics.ends_with("\r\n"), "content lines end with CRLF");
    assert!(!ics.replace("\r\n", "").contains('\n'), "no bare LF");
    for line in ics.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75, "line over 75 octets: {line:?}");
    }
    let unfolded = ics.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.first(), Some(&"BEGIN:VCALENDAR"));
    assert_eq!(lines.last(), Some(&"END:VCALENDAR"));
    assert!(lines.contains(&"VERSION:2.0") && lines.iter().any(|l| l.starts_with("PRODID:")));
    let mut stack: Vec<&str> = Vec::new();
    for line in &lines {
        if let Some(component) = line.strip_prefix("BEGIN:") {
            stack.push(component);
        } else if let Some(component) = line.strip_prefix("END:") {
            assert_eq!(stack.pop(), Some(component), "components nest properly");
        } else {
            assert!(line.contains(':'), "a property has a value: {line:?}");
        }
    }
    assert!(stack.is_empty());
    for event in unfolded.split("BEGIN:VEVENT").skip(1) {
        for required in ["UID:", "DTSTAMP:", "DTSTART:"] {
            assert!(event.contains(required), "an event needs {required}");
        }
    }
}

/// Mondays at 10:00 in Geneva from 30 November 2026 up to `end`.
fn mondays_until(end: chrono::DateTime<chrono::Utc>) -> usize {
    use chrono::TimeZone;
    let first = chrono_tz::Europe::Zurich.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).single().expect("a real time");
    (0..).map(|week| first + chrono::Duration::weeks(week)).take_while(|t| *t <= end).count()
}

#[tokio::test]
async fn the_calendar_export_is_valid_icalendar_with_alarms_and_expanded_recurrences() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    deadlines
        .create_deadline(pb::CreateDeadlineRequest {
            lead_minutes: vec![10_080, 120],
            source_url:
                "https://www.ohchr.org/en/calls-for-input/2027/detention-conditions-report-of-the-special-rapporteur"
                    .into(),
            ..new_deadline("c-1", "Call for input; detention, torture & ill-treatment — «rapport»", "2027-01-31T23:59")
        })
        .await
        .expect("one");
    deadlines
        .create_deadline(pb::CreateDeadlineRequest {
            recurrence: Some(pb::Recurrence { cron: "0 10 * * MON".into(), zone: String::new() }),
            owners: vec!["sam@advocacy.example".into()],
            ..new_deadline("c-2", "Weekly HRC informals", "2026-11-30T10:00")
        })
        .await
        .expect("weekly");

    let all = deadlines
        .export_calendar(pb::ExportCalendarRequest { owner: String::new(), horizon_days: 28 })
        .await
        .expect("ics")
        .into_inner();
    assert_valid_ics(&all.ics);
    let unfolded = all.ics.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:Call for input\\; detention\\, torture & ill-treatment — «rapport» (UPR)"));
    assert!(unfolded.contains("DTSTART:20270131T225900Z"), "23:59 in Geneva is 22:59 UTC in winter");
    assert!(unfolded.contains("TRIGGER:-PT10080M") && unfolded.contains("TRIGGER:-PT120M"));
    let weekly = unfolded.matches("SUMMARY:Weekly HRC informals").count();
    assert_eq!(
        weekly,
        mondays_until(chrono::Utc::now() + chrono::Duration::days(28)),
        "every Monday within the horizon"
    );
    assert_eq!(all.events as usize, 1 + weekly);

    let sams = deadlines
        .export_calendar(pb::ExportCalendarRequest { owner: "sam@advocacy.example".into(), horizon_days: 7 })
        .await
        .expect("ics")
        .into_inner();
    assert_valid_ics(&sams.ics);
    assert!(!sams.ics.contains("Call for input"));
    system.finish().await;
}
