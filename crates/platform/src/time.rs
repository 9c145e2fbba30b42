//! Instants are stored as integer microseconds since the UNIX epoch in UTC (the one form
//! both SQLite and PostgreSQL carry through sqlx's Any driver) and travel as protobuf
//! Timestamps. These conversions are the only place either form is made.

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use advocacy_proto::v1 as pb;
use prost_types::Timestamp;

use crate::error::FieldViolation;

pub fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// Stored values were written by `to_micros`, so they are always in range; an out-of-range
/// value (a hand-edited row) is clamped to the epoch rather than taking the service down.
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

pub fn to_timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp { seconds: at.timestamp(), nanos: at.timestamp_subsec_nanos() as i32 }
}

/// A day typed as "2026-06-01", as the instant of its midnight in UTC.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(to_timestamp(day.and_time(chrono::NaiveTime::MIN).and_utc()))
}

/// Reads a Timestamp a client sent, rejecting values outside years 1970..=2200 and
/// malformed nanos: nothing we track happens outside that range.
pub fn from_timestamp(field: &str, ts: &Timestamp) -> Result<DateTime<Utc>, FieldViolation> {
    let min = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).single();
    let max = Utc.with_ymd_and_hms(2201, 1, 1, 0, 0, 0).single();
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(FieldViolation::new(field, "nanos must be between 0 and 999,999,999"));
    }
    let at = DateTime::from_timestamp(ts.seconds, ts.nanos as u32)
        .filter(|at| Some(*at) >= min && Some(*at) < max)
        .ok_or_else(|| FieldViolation::new(field, "must be between the years 1970 and 2200"))?;
    // Keep microsecond precision: that is what is stored, so reads equal writes.
    Ok(from_micros(to_micros(at)))
}

pub fn optional_timestamp(field: &str, ts: Option<&Timestamp>) -> Result<Option<DateTime<Utc>>, FieldViolation> {
    ts.map(|ts| from_timestamp(field, ts)).transpose()
}

/// Times outside these years are typing mistakes, not plans or records.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// A moment as a client gave it, before it is placed in a zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum WhenGiven {
    /// "2027-03-28T12:00", wall-clock time in some zone.
    Local(String),
    Utc(DateTime<Utc>),
}

impl WhenGiven {
    /// The instant, with a local time read in `zone`; years outside
    /// [`FIRST_YEAR`]..=[`LAST_YEAR`] are refused.
    pub fn resolve(&self, field: &str, zone: Tz) -> Result<DateTime<Utc>, FieldViolation> {
        let at = match self {
            WhenGiven::Utc(at) => *at,
            WhenGiven::Local(text) => resolve_local(&format!("{field}.local"), text, zone)?,
        };
        let year = at.with_timezone(&zone).year();
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(FieldViolation::new(field, format!("year {year} is outside {FIRST_YEAR} to {LAST_YEAR}")));
        }
        Ok(at)
    }
}

/// Reads a period a client asked about: both ends present and in range, start before end.
pub fn parse_period(p: &pb::Period) -> Result<(DateTime<Utc>, DateTime<Utc>), FieldViolation> {
    let start = p.start.as_ref().ok_or_else(|| FieldViolation::new("period.start", "is required"))?;
    let end = p.end.as_ref().ok_or_else(|| FieldViolation::new("period.end", "is required"))?;
    let (start, end) = (from_timestamp("period.start", start)?, from_timestamp("period.end", end)?);
    if start >= end {
        return Err(FieldViolation::new("period.end", "must be after period.start"));
    }
    Ok((start, end))
}

/// A report's period: whole days in the organisation's `zone`, from the start of the day of
/// `start` to the start of the day of `end`. Finer periods are refused: narrowing one
/// around a hidden record would tell when it was made.
pub fn parse_day_period(p: &pb::Period, zone: Tz) -> Result<(DateTime<Utc>, DateTime<Utc>), FieldViolation> {
    let (start, end) = parse_period(p)?;
    for (field, at) in [("period.start", start), ("period.end", end)] {
        let local = at.with_timezone(&zone);
        let midnight = local.date_naive().and_hms_opt(0, 0, 0).and_then(|m| m.and_local_timezone(zone).earliest());
        if midnight.map(|m| m.with_timezone(&Utc)) != Some(at) {
            let example = midnight.map(|m| m.to_rfc3339()).unwrap_or_default();
            return Err(FieldViolation::new(
                field,
                format!(
                    "must be the start of a day in {} (00:00, such as {example}): reports cover whole days",
                    zone.name()
                ),
            ));
        }
    }
    Ok((start, end))
}

/// Reads a `WhenInput`: what was given, and the zone if one was named.
pub fn parse_when(field: &str, input: Option<&pb::WhenInput>) -> Result<(WhenGiven, Option<Tz>), FieldViolation> {
    let input = input.ok_or_else(|| FieldViolation::new(field, "is required"))?;
    let zone =
        if input.zone.trim().is_empty() { None } else { Some(parse_zone(&format!("{field}.zone"), &input.zone)?) };
    let at = match &input.at {
        Some(pb::when_input::At::Local(text)) => WhenGiven::Local(text.clone()),
        Some(pb::when_input::At::Utc(ts)) => WhenGiven::Utc(from_timestamp(&format!("{field}.utc"), ts)?),
        None => return Err(FieldViolation::new(field, "give either local (with zone) or utc")),
    };
    Ok((at, zone))
}

pub fn local_rfc3339(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Parses an IANA zone name, with the message people need when it is wrong.
pub fn parse_zone(field: &str, name: &str) -> Result<Tz, FieldViolation> {
    advocacy_catalog::zone(name.trim()).ok_or_else(|| {
        FieldViolation::new(
            field,
            format!("{:.64} is not an IANA time zone such as Europe/Zurich or America/New_York", name.trim()),
        )
    })
}

/// A wall-clock time in `zone`, exactly one instant or an error that says why not.
pub fn resolve_local(field: &str, text: &str, zone: Tz) -> Result<DateTime<Utc>, FieldViolation> {
    let naive = parse_naive(text.trim()).ok_or_else(|| {
        FieldViolation::new(field, format!("{:.64} is not a date and time like 2027-03-28T12:00", text.trim()))
    })?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&naive.year()) {
        return Err(FieldViolation::new(
            field,
            format!("year {} is outside {FIRST_YEAR} to {LAST_YEAR}", naive.year()),
        ));
    }
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::None => Err(FieldViolation::new(
            field,
            format!(
                "{naive} does not exist in {zone}: the clocks skip that hour when daylight saving starts; \
                 give the time the body means, for example one hour later"
            ),
        )),
        LocalResult::Ambiguous(first, second) => Err(FieldViolation::new(
            field,
            format!(
                "{naive} happens twice in {zone} when daylight saving ends ({} and {}); give the instant in UTC instead",
                first.to_rfc3339(),
                second.to_rfc3339()
            ),
        )),
    }
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: &[&str] = &["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"];
    // chrono's %Y takes any number of digits; a year must have exactly four here.
    if text.len() > 19 || text.get(4..5) != Some("-") {
        return None;
    }
    FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Zurich;

    #[test]
    fn noon_in_geneva_is_ten_or_eleven_utc_by_season() {
        let summer = resolve_local("d", "2027-03-28T12:00", Zurich).expect("valid");
        assert_eq!(summer.to_rfc3339(), "2027-03-28T10:00:00+00:00");
        let winter = resolve_local("d", "2027-10-31T12:00:00", Zurich).expect("valid");
        assert_eq!(winter.to_rfc3339(), "2027-10-31T11:00:00+00:00");
    }

    #[test]
    fn skipped_and_doubled_hours_are_refused() {
        let gap = resolve_local("d", "2027-03-28T02:30", Zurich).expect_err("gap");
        assert!(gap.description.contains("does not exist"), "{gap}");
        let twice = resolve_local("d", "2027-10-31T02:30", Zurich).expect_err("overlap");
        assert!(twice.description.contains("happens twice"), "{twice}");
    }

    #[test]
    fn impossible_dates_and_far_years_are_refused() {
        for bad in ["2027-02-30T12:00", "10000-01-01T00:00", "2027-13-01T00:00", "tomorrow", "", "2027-03-28T25:00"] {
            assert!(resolve_local("d", bad, Zurich).is_err(), "{bad}");
        }
        assert!(resolve_local("d", "2101-01-01T00:00", Zurich).is_err());
    }
}
