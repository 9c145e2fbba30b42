//! Opaque page tokens for keyset paging: where the last page ended (a sort position and
//! an id), so the next page is a keyset query that stays fast at any depth and never skips
//! or repeats a row.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::FieldViolation;

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
