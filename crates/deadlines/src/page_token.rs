//! Opaque page tokens: where the last page ended (due time and id), so the next page is a
//! keyset query that stays fast at any depth and never skips or repeats a row.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};

use advocacy_platform::FieldViolation;
use advocacy_platform::time::{from_micros, to_micros};

pub fn encode(due: DateTime<Utc>, id: &str) -> String {
    B64.encode(format!("{}|{id}", to_micros(due)))
}

pub fn decode(token: &str) -> Result<(DateTime<Utc>, String), FieldViolation> {
    let bad = || FieldViolation::new("page_token", "is not a page token from a previous answer");
    if token.len() > 200 {
        return Err(bad());
    }
    let text = String::from_utf8(B64.decode(token).map_err(|_| bad())?).map_err(|_| bad())?;
    let (micros, id) = text.split_once('|').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    uuid::Uuid::try_parse(id).map_err(|_| bad())?;
    Ok((from_micros(micros), id.to_owned()))
}
