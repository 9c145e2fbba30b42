//! Schedules people write: a cron expression read as wall-clock time in a named zone, for
//! recurring deadlines and for each person's weekly digest.
//!
//! The schedule is walked in local time, then each local time is placed in the zone. A
//! time the clocks skip moves forward by the size of the gap (02:30 on the spring change
//! becomes 03:30); a time the clocks show twice is taken once, at its first occurrence. So
//! daylight-saving changes neither skip nor double an occurrence.

use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use cron::Schedule;
use serde::{Deserialize, Serialize};

use crate::FieldViolation;

/// Occurrences closer than this are not deadlines but noise (and would flood reminders).
const MIN_SPACING: Duration = Duration::hours(1);

/// Longer than any schedule a person writes; it is parsed again for every occurrence.
pub const MAX_CRON_BYTES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    /// As the person wrote it (five fields, or six/seven with seconds and years).
    pub cron: String,
    pub zone: Tz,
}

impl Recurrence {
    pub fn parse(field: &str, cron: &str, zone: Tz) -> Result<Recurrence, FieldViolation> {
        let cron = cron.trim();
        if cron.len() > MAX_CRON_BYTES {
            return Err(FieldViolation::new(
                format!("{field}.cron"),
                format!("at most {MAX_CRON_BYTES} characters, such as \"0 12 * * MON\""),
            ));
        }
        let schedule = schedule_of(cron).map_err(|e| {
            FieldViolation::new(format!("{field}.cron"), format!("{cron:.100} is not a cron expression: {e}"))
        })?;
        let recurrence = Recurrence { cron: cron.to_owned(), zone };
        let start = DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or_default(); // 2000-01-01
        let mut first = local_occurrences(&schedule, zone, start);
        let (Some(a), Some(b)) = (first.next(), first.next()) else {
            return Err(FieldViolation::new(format!("{field}.cron"), "never occurs, or occurs only once"));
        };
        if b - a < MIN_SPACING {
            return Err(FieldViolation::new(format!("{field}.cron"), "occurs more often than once an hour"));
        }
        Ok(recurrence)
    }

    /// Up to `limit` occurrences strictly after `after`, in order.
    pub fn occurrences_after(&self, after: DateTime<Utc>, limit: usize) -> Vec<DateTime<Utc>> {
        // Stored expressions were checked by `parse`, so they parse again.
        match schedule_of(&self.cron) {
            Ok(schedule) => local_occurrences(&schedule, self.zone, after).take(limit).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The first occurrence after `after`, if the schedule has one.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.occurrences_after(after, 1).pop()
    }
}

/// Five-field expressions are the common form; the cron crate wants seconds first.
fn schedule_of(cron: &str) -> Result<Schedule, cron::error::Error> {
    let fields = cron.split_whitespace().count();
    if fields == 5 { Schedule::from_str(&format!("0 {cron}")) } else { Schedule::from_str(cron) }
}

/// At most this many occurrences come from one walk: enough for years of weekly deadlines,
/// small enough that a hostile expression cannot keep a call busy.
const MAX_WALK: usize = 5_000;

fn local_occurrences(schedule: &Schedule, zone: Tz, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> {
    // Walk the schedule on a clock without daylight saving (UTC read as local wall time),
    // starting a day early so an occurrence right after `after` is not missed.
    let local_after = after.with_timezone(&zone).naive_local() - Duration::days(1);
    let walk = schedule.after_owned(Utc.from_utc_datetime(&local_after)).take(MAX_WALK).map(|t| t.naive_utc());
    let mut last: Option<DateTime<Utc>> = None;
    walk.filter_map(move |naive| {
        let at = place_in_zone(naive, zone)?;
        if at <= after || last.is_some_and(|l| at <= l) {
            return None;
        }
        last = Some(at);
        Some(at)
    })
}

/// A wall-clock time in `zone`: the only instant, the first of two, or (in a gap) the
/// same wall time shifted forward by the gap.
fn place_in_zone(naive: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => {
            // Gaps are at most a few hours (usually one); find where the clocks resume
            // and keep the distance into the gap.
            let before = (1..=24 * 4)
                .map(|q| naive - Duration::minutes(15 * q))
                .find_map(|t| zone.from_local_datetime(&t).earliest())?;
            let offset_before = before.naive_local() - before.naive_utc();
            Some(Utc.from_utc_datetime(&(naive - offset_before)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Zurich;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("rfc3339").with_timezone(&Utc)
    }

    #[test]
    fn a_weekly_noon_keeps_noon_across_both_changes() {
        let r = Recurrence::parse("r", "0 12 * * SUN", Zurich).expect("valid");
        let got: Vec<String> = r
            .occurrences_after(utc("2027-03-20T00:00:00Z"), 2)
            .into_iter()
            .chain(r.occurrences_after(utc("2027-10-24T00:00:00Z"), 2))
            .map(|t| t.with_timezone(&Zurich).to_rfc3339())
            .collect();
        assert_eq!(
            got,
            [
                "2027-03-21T12:00:00+01:00",
                "2027-03-28T12:00:00+02:00",
                "2027-10-24T12:00:00+02:00",
                "2027-10-31T12:00:00+01:00",
            ]
        );
    }

    #[test]
    fn a_daily_0230_is_neither_skipped_nor_doubled() {
        let r = Recurrence::parse("r", "30 2 * * *", Zurich).expect("valid");
        let spring: Vec<String> = r
            .occurrences_after(utc("2027-03-27T00:00:00Z"), 3)
            .into_iter()
            .map(|t| t.with_timezone(&Zurich).to_rfc3339())
            .collect();
        assert_eq!(spring, ["2027-03-27T02:30:00+01:00", "2027-03-28T03:30:00+02:00", "2027-03-29T02:30:00+02:00"]);
        let autumn: Vec<String> = r
            .occurrences_after(utc("2027-10-30T00:00:00Z"), 3)
            .into_iter()
            .map(|t| t.with_timezone(&Zurich).to_rfc3339())
            .collect();
        assert_eq!(autumn, ["2027-10-30T02:30:00+02:00", "2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00"]);
    }

    #[test]
    fn bad_expressions_are_refused() {
        for bad in ["", "every monday", "* * * * *", "0 0 30 2 *", "61 * * * *"] {
            assert!(Recurrence::parse("r", bad, Zurich).is_err(), "{bad}");
        }
    }
}
