//! Opaque page tokens for keyset paging: where the last page ended (a sort position and
//! an id), so the next page is a keyset query that stays fast at any depth and never skips
//! or repeats a row.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use chrono::{DateTime, Utc};

use crate::FieldViolation;
use crate::time::{from_micros, to_micros};

/// A token for a listing sorted by a time, then id.
pub fn encode_at(at: DateTime<Utc>, id: &str) -> String {
    encode(&to_micros(at).to_string(), id)
}

/// The time and id a page of a time-sorted listing ended at; an empty token means the
/// first page.
pub fn decode_at(token: &str) -> Result<Option<(DateTime<Utc>, String)>, FieldViolation> {
    if token.is_empty() {
        return Ok(None);
    }
    let (micros, id) = decode(token)?;
    let micros: i64 =
        micros.parse().map_err(|_| FieldViolation::new("page_token", "is not a page token from a previous answer"))?;
    Ok(Some((from_micros(micros), id)))
}

/// The token of the next page, once `items` (fetched one more than `size`, whose
/// presence says there is a next page) is cut to the page: empty on the last page.
pub fn next<T>(items: &mut Vec<T>, size: usize, token: impl Fn(&T) -> String) -> String {
    if items.len() > size {
        items.truncate(size);
        items.last().map(token).unwrap_or_default()
    } else {
        String::new()
    }
}

pub fn encode(position: &str, id: &str) -> String {
    B64.encode(format!("{position}|{id}"))
}

/// The position (a number or a normalised name) and id the previous page ended at.
pub fn decode(token: &str) -> Result<(String, String), FieldViolation> {
    let bad = || FieldViolation::new("page_token", "is not a page token from a previous answer");
    if token.len() > 1_000 {
        return Err(bad());
    }
    let text = String::from_utf8(B64.decode(token).map_err(|_| bad())?).map_err(|_| bad())?;
    let (position, id) = text.rsplit_once('|').ok_or_else(bad)?;
    uuid::Uuid::try_parse(id).map_err(|_| bad())?;
    Ok((position.to_owned(), id.to_owned()))
}
