//! Instants are stored as integer microseconds since the UNIX epoch in UTC (the one form
//! both SQLite and PostgreSQL carry through sqlx's Any driver) and travel as protobuf
//! Timestamps. These conversions are the only place either form is made.

use chrono::{DateTime, TimeZone, Utc};
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
