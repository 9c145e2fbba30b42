//! iCalendar export (RFC 5545) of deadlines, for Outlook, Google Calendar or Thunderbird.
//!
//! Times are written in UTC (`...Z`), which needs no VTIMEZONE component; the body's own
//! zone and local time are in the description. Each lead time becomes an alarm. Recurring
//! deadlines are expanded into their occurrences up to a horizon, because cron
//! expressions do not translate into RRULEs in general.

use std::borrow::Borrow;
use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};

use advocacy_platform::time::local_rfc3339;

use crate::domain::{Deadline, Status};

const PRODUCT: &str = "-//Advocacy tracker//Deadlines//EN";

/// At most this many events in one export: enough for any organisation's calendar,
/// small enough for every calendar program and well under the message limit.
pub const MAX_EVENTS: usize = 5_000;
/// At most this much text in one export.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Occurrences of one recurring deadline, at most.
const MAX_OCCURRENCES: usize = 500;

/// A rendered calendar and what the bounds left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub ics: String,
    pub events: usize,
    /// Deadlines of which some or all events were left out by [`MAX_EVENTS`] or [`MAX_BYTES`].
    pub deadlines_left_out: usize,
}

/// The calendar of `deadlines`, stopping before it passes [`MAX_EVENTS`] or [`MAX_BYTES`]:
/// occurrences are expanded only as far as the room left, so nothing larger is built first.
pub fn render(deadlines: &[impl Borrow<Deadline>], now: DateTime<Utc>, horizon: Duration) -> Calendar {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, &format!("PRODID:{PRODUCT}"));
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, "X-WR-CALNAME:Advocacy deadlines");
    const END: &str = "END:VCALENDAR\r\n";
    let (mut events, mut left_out) = (0, 0);
    for (n, deadline) in deadlines.iter().enumerate() {
        let deadline: &Deadline = deadline.borrow();
        let room = (MAX_EVENTS - events).min(MAX_OCCURRENCES);
        // One more than there is room for, to know whether any are left out.
        let times: Vec<DateTime<Utc>> = match deadline.status {
            Status::Open if deadline.recurrence.is_some() => deadline
                .occurrences(deadline.due.at.min(now), room + 1)
                .into_iter()
                .filter(|t| *t <= now + horizon)
                .collect(),
            _ => vec![deadline.due.at],
        };
        let mut written = 0;
        let mut full = room == 0;
        for (index, at) in times.iter().take(room).enumerate() {
            let mut one = String::new();
            event(&mut one, deadline, *at, index, now);
            if out.len() + one.len() + END.len() > MAX_BYTES {
                full = true;
                break;
            }
            out.push_str(&one);
            written += 1;
        }
        events += written;
        if written < times.len() {
            left_out += 1;
        }
        if full {
            left_out += deadlines.len() - n - 1;
            break;
        }
    }
    out.push_str(END);
    Calendar { ics: out, events, deadlines_left_out: left_out }
}

fn event(out: &mut String, d: &Deadline, at: DateTime<Utc>, occurrence: usize, now: DateTime<Utc>) {
    let uid = if occurrence == 0 && d.recurrence.is_none() {
        format!("{}@advocacy", d.id)
    } else {
        format!("{}-{}@advocacy", d.id, at.format("%Y%m%dT%H%M%SZ"))
    };
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{uid}"));
    line(out, &format!("DTSTAMP:{}", utc(now)));
    line(out, &format!("DTSTART:{}", utc(at)));
    line(out, &format!("LAST-MODIFIED:{}", utc(d.updated_at)));
    line(out, &format!("SEQUENCE:{}", d.version.max(0)));
    line(out, &format!("SUMMARY:{}", text(&format!("{} ({})", d.title, d.mechanism))));
    let mut description =
        format!("{}\n{} {} ({})", d.kind.label(), "Due", local_rfc3339(at, d.due.zone), d.due.zone.name());
    if !d.source_url.is_empty() {
        let _ = write!(description, "\nSource: {}", d.source_url);
    }
    if let Some(verified) = d.verified_at {
        let _ = write!(description, "\nLast verified: {}", verified.format("%Y-%m-%d"));
    }
    let _ = write!(description, "\nOwners: {}", d.owners.join(", "));
    line(out, &format!("DESCRIPTION:{}", text(&description)));
    line(out, &format!("CATEGORIES:{}", text(d.kind.label())));
    if !d.source_url.is_empty() {
        line(out, &format!("URL:{}", d.source_url));
    }
    line(
        out,
        match d.status {
            Status::Cancelled => "STATUS:CANCELLED",
            _ => "STATUS:CONFIRMED",
        },
    );
    line(out, "TRANSP:TRANSPARENT");
    if d.status == Status::Open {
        for minutes in &d.lead_minutes {
            line(out, "BEGIN:VALARM");
            line(out, "ACTION:DISPLAY");
            line(out, &format!("TRIGGER:-PT{minutes}M"));
            line(out, &format!("DESCRIPTION:{}", text(&d.title)));
            line(out, "END:VALARM");
        }
    }
    line(out, "END:VEVENT");
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded so no line exceeds 75 octets (RFC 5545 §3.1), never
/// splitting a UTF-8 character, ended by CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "Déclaration ".repeat(20)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "Déclaration ".repeat(20)));
    }

    /// A fixed instant: the export's bounds do not depend on today.
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_798_761_600, 0).expect("2027-01-01")
    }

    fn recurring(id: &str, cron: &str) -> Deadline {
        use crate::domain::{Due, Kind, NewDeadline, Recurrence};
        let zone = chrono_tz::UTC;
        let now = now();
        let new = NewDeadline {
            title: format!("Weekly call {id} {}", "with a long title ".repeat(8)),
            mechanism: "OTHER".into(),
            kind: Kind::Other,
            due: Due { at: now + Duration::hours(1), zone },
            source_url: String::new(),
            verified_at: None,
            owners: vec!["ana@example.org".into()],
            lead_minutes: vec![60],
            recurrence: Some(Recurrence::parse("recurrence", cron, zone).expect("cron")),
            classification: advocacy_platform::Classification::Internal,
        };
        Deadline::create(id.into(), new, "ana@example.org", now)
    }

    #[test]
    fn an_export_stops_at_its_bounds_and_says_how_many_deadlines_it_left_out() {
        let now = now();
        let hourly: Vec<Deadline> = (0..20).map(|i| recurring(&format!("d{i}"), "0 * * * *")).collect();
        let calendar = render(&hourly, now, Duration::days(365));
        assert!(calendar.ics.len() <= MAX_BYTES && calendar.ics.ends_with("END:VCALENDAR\r\n"));
        assert!(calendar.events <= MAX_EVENTS && calendar.events > 0);
        assert_eq!(calendar.ics.matches("BEGIN:VEVENT").count(), calendar.events);
        assert_eq!(calendar.deadlines_left_out, 20, "each hourly deadline has more than 500 occurrences in a year");
        let weekly = render(&[recurring("w", "0 12 * * MON")], now, Duration::days(365));
        assert_eq!((weekly.events >= 52, weekly.deadlines_left_out), (true, 0));
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }
}
