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
        .export_calendar(pb::ExportCalendarRequest { owner: String::new(), horizon_days: 28, ..Default::default() })
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
        .export_calendar(pb::ExportCalendarRequest {
            owner: "sam@advocacy.example".into(),
            horizon_days: 7,
            ..Default::default()
        })
        .await
        .expect("ics")
        .into_inner();
    assert_valid_ics(&sams.ics);
    assert!(!sams.ics.contains("Call for input"));
    system.finish().await;
}

#[tokio::test]
async fn a_calendar_of_endless_recurrences_stops_at_its_bounds_and_says_so() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    for i in 0..20 {
        let hourly = pb::CreateDeadlineRequest {
            recurrence: Some(pb::Recurrence { cron: "0 * * * *".into(), zone: String::new() }),
            ..new_deadline(&format!("hourly-{i}"), &format!("Hourly check {i}"), "2027-01-04T09:00")
        };
        deadlines.create_deadline(hourly).await.expect("created");
    }
    let all = pb::ExportCalendarRequest { horizon_days: 3660, ..Default::default() };
    let calendar = deadlines.export_calendar(all).await.expect("an answer, not OUT_OF_RANGE").into_inner();
    assert!(calendar.ics.len() <= 2 * 1024 * 1024, "{} bytes", calendar.ics.len());
    assert_valid_ics(&calendar.ics);
    assert!(calendar.events > 0 && calendar.events <= 5_000, "{} events", calendar.events);
    assert_eq!(calendar.deadlines_left_out, 20, "and it says what it left out");

    // One deadline alone, as a reminder attaches it; one the caller may not see is not found.
    let plain = deadlines.create_deadline(new_deadline("one", "CRC list of issues", "2027-05-10T12:00")).await;
    let plain = plain.expect("created").into_inner();
    let one = pb::ExportCalendarRequest { deadline_id: plain.id.clone(), ..Default::default() };
    let calendar = deadlines.export_calendar(one).await.expect("one").into_inner();
    assert_eq!((calendar.events, calendar.deadlines_left_out), (1, 0));
    assert!(calendar.ics.contains("CRC list of issues") && !calendar.ics.contains("Hourly check"));
    let mut sam = system.deadlines_as(&advocacy_tests::Person::sanctions_staff()).await;
    let secret = in_sanctions(new_deadline("secret", "Designation package", "2027-05-10T12:00"));
    let secret = sam.create_deadline(secret).await.expect("created").into_inner();
    let hidden = pb::ExportCalendarRequest { deadline_id: secret.id, ..Default::default() };
    assert_eq!(deadlines.export_calendar(hidden).await.expect_err("hidden").code(), tonic::Code::NotFound);
    system.finish().await;
}

/// `request` restricted to the sanctions compartment.
fn in_sanctions(request: pb::CreateDeadlineRequest) -> pb::CreateDeadlineRequest {
    let classification = pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: "sanctions".into(),
        ..Default::default()
    };
    pb::CreateDeadlineRequest { classification: Some(classification), ..request }
}

/// The export minus its DTSTAMP lines (the moment of the export).
fn without_stamp(ics: &str) -> String {
    ics.lines().filter(|l| !l.starts_with("DTSTAMP:")).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn calendar_entries_for_many_deadlines_match_each_ones_export_and_leave_out_what_the_caller_may_not_see() {
    let system = TestSystem::spawn().await;
    let mut deadlines = system.deadlines().await;
    let mut made = Vec::new();
    for (n, title) in ["UPR stakeholder report", "CERD list of issues"].iter().enumerate() {
        let request = new_deadline(&format!("entry-{n}"), title, "2027-05-10T12:00");
        made.push(deadlines.create_deadline(request).await.expect("created").into_inner());
    }
    let mut sam = system.deadlines_as(&advocacy_tests::Person::sanctions_staff()).await;
    let secret = in_sanctions(new_deadline("entry-secret", "Designation package", "2027-05-10T12:00"));
    let secret = sam.create_deadline(secret).await.expect("created").into_inner();
    let unknown = "01936f4e-7b1c-7d2a-9c3e-5f6a7b8c9d0e".to_owned();
    let ids = vec![made[0].id.clone(), secret.id.clone(), unknown.clone(), made[1].id.clone()];

    let request = pb::ExportCalendarEntriesRequest { deadline_ids: ids.clone() };
    let entries = deadlines.export_calendar_entries(request).await.expect("entries").into_inner().entries;
    let got: Vec<&str> = entries.iter().map(|e| e.deadline_id.as_str()).collect();
    assert_eq!(got, [made[0].id.as_str(), made[1].id.as_str()], "the hidden and the unknown have no entry");
    for entry in &entries {
        assert_valid_ics(&entry.ics);
        let one = pb::ExportCalendarRequest { deadline_id: entry.deadline_id.clone(), ..Default::default() };
        let alone = deadlines.export_calendar(one).await.expect("one").into_inner();
        assert_eq!(without_stamp(&entry.ics), without_stamp(&alone.ics), "the same writer, the same entry");
        assert_eq!(entry.revision, alone.revision);
    }
    assert!(!entries.iter().any(|e| e.ics.contains("Designation package")));
    // Named twice, given once; the restricted one is shown to its compartment, and the read
    // is logged, by whom and through which RPC.
    let request = pb::ExportCalendarEntriesRequest { deadline_ids: [ids.clone(), ids].concat() };
    let entries = sam.export_calendar_entries(request).await.expect("entries").into_inner().entries;
    let got: Vec<&str> = entries.iter().map(|e| e.deadline_id.as_str()).collect();
    assert_eq!(got, [made[0].id.as_str(), secret.id.as_str(), made[1].id.as_str()]);
    assert!(entries[1].ics.contains("Designation package"));
    let log = system.deadlines_audit_log(&advocacy_tests::Person::staff().and_admin()).await;
    let reads: Vec<(&str, &str)> =
        log.iter().filter(|e| e.kind == "read").map(|e| (e.action.as_str(), e.record_id.as_str())).collect();
    assert_eq!(reads, [("ExportCalendarEntries", secret.id.as_str())], "only the restricted read, once");

    // Bad ids are named; more than 50 are refused.
    let bad = |ids: Vec<String>| pb::ExportCalendarEntriesRequest { deadline_ids: ids };
    let cases = [
        (bad(vec![made[0].id.clone(), "x".repeat(100_000)]), "deadline_ids[1]"),
        (bad(vec!["'; DROP TABLE deadlines; --".into()]), "deadline_ids[0]"),
        (bad((0..51).map(|_| made[0].id.clone()).collect()), "deadline_ids"),
    ];
    for (request, field) in cases {
        let error = deadlines.export_calendar_entries(request).await.expect_err("refused");
        assert_eq!(error.code(), tonic::Code::InvalidArgument, "{field}: {}", error.message());
        assert_eq!(advocacy_tests::violated_fields(&error), [field]);
    }
    system.finish().await;
}
