//! iCalendar export (RFC 5545) of deadlines, for Outlook, Google Calendar or Thunderbird.
//!
//! Times are written in UTC (`...Z`), which needs no VTIMEZONE component; the body's own
//! zone and local time are in the description. Each lead time becomes an alarm. Recurring
//! deadlines are expanded into their occurrences up to a horizon, because cron
//! expressions do not translate into RRULEs in general.

use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};

use advocacy_platform::time::local_rfc3339;

use crate::domain::{Deadline, Status};

const PRODUCT: &str = "-//Advocacy tracker//Deadlines//EN";

/// The calendar text and how many events it holds.
pub fn render(deadlines: &[Deadline], now: DateTime<Utc>, horizon: Duration) -> (String, usize) {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, &format!("PRODID:{PRODUCT}"));
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, "X-WR-CALNAME:Advocacy deadlines");
    let mut events = 0;
    for deadline in deadlines {
        let times = match deadline.status {
            Status::Open if deadline.recurrence.is_some() => deadline
                .occurrences(deadline.due.at.min(now), 500)
                .into_iter()
                .filter(|t| *t <= now + horizon)
                .collect(),
            _ => vec![deadline.due.at],
        };
        for (index, at) in times.into_iter().enumerate() {
            event(&mut out, deadline, at, index, now);
            events += 1;
        }
    }
    line(&mut out, "END:VCALENDAR");
    (out, events)
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

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }
}
