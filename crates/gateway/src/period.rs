//! A report's period as managers name it (a year, a quarter, a month, or whole days), read
//! as days of the organisation's zone.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use advocacy_platform::time::{FIRST_YEAR, LAST_YEAR, parse_day_period, to_timestamp};
use advocacy_platform::{FieldViolation, limits};
use advocacy_proto::v1 as pb;
use pb::report_period::Span as Given;

/// A period checked: its label and [from, to) in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub label: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Span {
    pub fn to_proto(&self) -> pb::Period {
        pb::Period { start: Some(to_timestamp(self.from)), end: Some(to_timestamp(self.to)) }
    }

    /// The same span as the request that names it.
    pub fn request(&self) -> pb::ReportPeriod {
        pb::ReportPeriod { span: Some(Given::Custom(self.to_proto())) }
    }
}

fn midnight(zone: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    let start = day.and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&start).earliest().map(|t| t.with_timezone(&Utc))
}

fn year_of(field: &str, text: &str) -> Result<i32, FieldViolation> {
    let bad = || FieldViolation::new(field, format!("the year must be {FIRST_YEAR} to {LAST_YEAR}"));
    let year: i32 = text.parse().map_err(|_| bad())?;
    (FIRST_YEAR..=LAST_YEAR).contains(&year).then_some(year).ok_or_else(bad)
}

/// Reads a report period in `zone`.
pub fn parse(field: &str, period: Option<&pb::ReportPeriod>, zone: Tz) -> Result<Span, FieldViolation> {
    let given = period.and_then(|p| p.span.as_ref()).ok_or_else(|| {
        FieldViolation::new(field, "is required: a year (2024), a quarter (2024-Q2), a month (2024-04) or whole days")
    })?;
    let span =
        |label: String, first: NaiveDate, next: NaiveDate, f: &str| match (midnight(zone, first), midnight(zone, next))
        {
            (Some(from), Some(to)) => Ok(Span { label, from, to }),
            _ => Err(FieldViolation::new(f, "has no midnight in the organisation's zone")),
        };
    let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).expect("the first of a month exists");
    let next_month = |y: i32, m: u32| if m == 12 { first_of(y + 1, 1) } else { first_of(y, m + 1) };
    match given {
        Given::Year(year) => {
            let f = format!("{field}.year");
            let year = year_of(&f, &year.to_string())?;
            span(year.to_string(), first_of(year, 1), first_of(year + 1, 1), &f)
        }
        Given::Quarter(text) => {
            let f = format!("{field}.quarter");
            let bad =
                || FieldViolation::new(&f, format!("{} is not a quarter such as 2024-Q2", limits::excerpt(text, 20)));
            let (year, quarter) = text.trim().split_once("-Q").ok_or_else(bad)?;
            let year = year_of(&f, year)?;
            let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
            let month = (quarter - 1) * 3 + 1;
            span(format!("{year}-Q{quarter}"), first_of(year, month), next_month(year, month + 2), &f)
        }
        Given::Month(text) => {
            let f = format!("{field}.month");
            let bad =
                || FieldViolation::new(&f, format!("{} is not a month such as 2024-04", limits::excerpt(text, 20)));
            let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
            let year = year_of(&f, year)?;
            let month: u32 = month.parse().ok().filter(|m| (1..=12).contains(m)).ok_or_else(bad)?;
            span(format!("{year}-{month:02}"), first_of(year, month), next_month(year, month), &f)
        }
        Given::Custom(period) => {
            let (from, to) = parse_day_period(period, zone).map_err(|mut v| {
                v.field = format!("{field}.custom.{}", v.field.trim_start_matches("period."));
                v
            })?;
            let first = from.with_timezone(&zone).date_naive();
            let last = to.with_timezone(&zone).date_naive().checked_sub_days(Days::new(1)).unwrap_or(first);
            let label = if first.day() == 1
                && first.month() == 1
                && last.month() == 12
                && last.day() == 31
                && first.year() == last.year()
            {
                first.year().to_string()
            } else {
                format!("{first} to {last}")
            };
            Ok(Span { label, from, to })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(span: Given) -> Option<pb::ReportPeriod> {
        Some(pb::ReportPeriod { span: Some(span) })
    }

    #[test]
    fn years_quarters_and_months_are_whole_days_of_the_organisations_zone() {
        let seoul: Tz = "Asia/Seoul".parse().expect("a zone");
        let year = parse("period", given(Given::Year(2024)).as_ref(), seoul).expect("a year");
        assert_eq!(year.from.to_rfc3339(), "2023-12-31T15:00:00+00:00");
        assert_eq!(year.to.to_rfc3339(), "2024-12-31T15:00:00+00:00");
        let q4 = parse("period", given(Given::Quarter("2024-Q4".into())).as_ref(), seoul).expect("a quarter");
        assert_eq!((q4.label.as_str(), q4.to), ("2024-Q4", year.to));
        let april = parse("period", given(Given::Month("2024-04".into())).as_ref(), chrono_tz::UTC).expect("a month");
        assert_eq!(
            (april.from.to_rfc3339().as_str(), april.to.to_rfc3339().as_str()),
            ("2024-04-01T00:00:00+00:00", "2024-05-01T00:00:00+00:00")
        );
    }

    #[test]
    fn a_bad_period_names_its_part() {
        let utc = chrono_tz::UTC;
        for (span, field) in [
            (Given::Year(1066), "period.year"),
            (Given::Quarter("2024-Q5".into()), "period.quarter"),
            (Given::Month("2024-13".into()), "period.month"),
            (Given::Month("x".repeat(10_000)), "period.month"),
        ] {
            assert_eq!(parse("period", given(span).as_ref(), utc).expect_err(field).field, field);
        }
        assert_eq!(parse("period", None, utc).expect_err("missing").field, "period");
    }
}
