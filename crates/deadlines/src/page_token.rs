//! Page tokens of deadline listings: the due time and id the last page ended at.

use chrono::{DateTime, Utc};

use advocacy_platform::FieldViolation;
use advocacy_platform::page_token;
use advocacy_platform::time::{from_micros, to_micros};

pub fn encode(due: DateTime<Utc>, id: &str) -> String {
    page_token::encode(&to_micros(due).to_string(), id)
}

pub fn decode(token: &str) -> Result<(DateTime<Utc>, String), FieldViolation> {
    let (micros, id) = page_token::decode(token)?;
    let micros: i64 =
        micros.parse().map_err(|_| FieldViolation::new("page_token", "is not a page token from a previous answer"))?;
    Ok((from_micros(micros), id))
}
