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

/// The most a page's records take once encoded: a page of large records stops early, with
/// a next-page token, instead of overflowing the message limit (4 MiB by default).
pub const PAGE_BYTES: usize = 1024 * 1024;

/// A page as sent and the token of the next one (empty on the last page): at most `size`
/// records of `found` (fetched one more than `size`, whose presence says there is more),
/// and no more than [`PAGE_BYTES`] of them, though always one. Each record is converted
/// once.
pub fn page<D, P: prost::Message>(
    found: &[D],
    size: usize,
    to_proto: impl Fn(&D) -> P,
    token: impl Fn(&D) -> String,
) -> (Vec<P>, String) {
    page_of(found, size, to_proto, P::encoded_len, token)
}

/// [`page`] of records converted to anything whose encoded length `len` tells (records
/// encoded before, for one).
pub fn page_of<D, P>(
    found: &[D],
    size: usize,
    to_proto: impl Fn(&D) -> P,
    len: impl Fn(&P) -> usize,
    token: impl Fn(&D) -> String,
) -> (Vec<P>, String) {
    let mut out = Vec::with_capacity(found.len().min(size));
    let mut bytes = 0;
    for record in found.iter().take(size) {
        let proto = to_proto(record);
        bytes += len(&proto);
        if bytes > PAGE_BYTES && !out.is_empty() {
            break;
        }
        out.push(proto);
    }
    let next = if out.len() < found.len() { token(&found[out.len() - 1]) } else { String::new() };
    (out, next)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_stops_at_its_size_or_its_bytes_whichever_comes_first() {
        let small: Vec<String> = (0..11).map(|i| format!("{i}")).collect();
        let (page, next) = page(&small, 10, |s| s.clone(), |s| format!("after {s}"));
        assert_eq!((page.len(), next.as_str()), (10, "after 9"));
        let (last, next) = super::page(&small[..5], 10, |s| s.clone(), |s| s.clone());
        assert_eq!((last.len(), next.as_str()), (5, ""), "the last page has no token");
        let large: Vec<String> = (0..5).map(|i| format!("{i}{}", "x".repeat(400_000))).collect();
        let (cut, next) = super::page(&large, 10, |s| s.clone(), |s| s[..1].to_owned());
        assert_eq!((cut.len(), next.as_str()), (2, "1"), "two of 400 KB fit in a page of 1 MiB");
        let huge = vec!["y".repeat(2 * PAGE_BYTES)];
        assert_eq!(super::page(&huge, 10, |s| s.clone(), |s| s.clone()).0.len(), 1, "always one");
    }
}
