//! When a deadline falls: an instant in UTC plus the IANA zone of the body that set it.
//! People state deadlines as wall-clock times in that zone, so the conversion must refuse
//! a time the clocks skip (spring forward) or show twice (fall back) instead of guessing.

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use advocacy_platform::FieldViolation;

/// Deadlines outside these years are typing mistakes, not plans.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub zone: Tz,
}

/// What a client said about a due time, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DueInput {
    /// "2027-03-28T12:00" in the zone.
    Local(String),
    Utc(DateTime<Utc>),
}

impl Due {
    /// The due time as the body states it: "2027-03-28T12:00:00+02:00".
    pub fn local(&self) -> String {
        local_rfc3339(self.at, self.zone)
    }

    /// Checks a due time given in `field`, in `zone` (already checked by the caller).
    pub fn parse(field: &str, input: &DueInput, zone: Tz) -> Result<Due, FieldViolation> {
        let at = match input {
            DueInput::Utc(at) => *at,
            DueInput::Local(text) => resolve_local(&format!("{field}.local"), text, zone)?,
        };
        let year = at.with_timezone(&zone).year();
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(FieldViolation::new(field, format!("year {year} is outside {FIRST_YEAR} to {LAST_YEAR}")));
        }
        Ok(Due { at, zone })
    }
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
