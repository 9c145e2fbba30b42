//! Spreadsheet imports over a client stream: every row is checked before anything is
//! written, every bad row is named by its line, and the file is written whole or not at all.
//! This is the service's half; [`sheet`] is the client's, which reads the file.

pub mod sheet;

use tonic::{Status, Streaming};

use crate::error::{FieldViolation, FieldViolations, to_status};

/// The largest file one import takes.
pub const MAX_ROWS: usize = 200_000;

/// The most one import carries, all rows together: the checked rows are held until the
/// last arrives, so this bounds the server's memory for one import.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Imports held in one server process at once; another waits its turn (its rows wait in
/// the connection's flow control, not in memory). With [`MAX_BYTES`], this bounds what
/// imports can take of the server's memory whatever number of people import at once.
pub const CONCURRENT: usize = 2;

static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT);

/// An import's turn: keep it until its rows are written.
#[derive(Debug)]
pub struct Turn {
    _permit: tokio::sync::SemaphorePermit<'static>,
}

/// Whether an import writes, or only checks every row (the request carries the metadata
/// [`CHECK_ONLY`] set to `true`): a client that found problems of its own in a file asks
/// for the server's too, so the person fixes the file in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    CheckOnly,
}

pub const CHECK_ONLY: &str = "advocacy-check-only";

impl Mode {
    pub fn of<T>(request: &tonic::Request<T>) -> Mode {
        match request.metadata().get(CHECK_ONLY).and_then(|v| v.to_str().ok()) {
            Some("true") => Mode::CheckOnly,
            _ => Mode::Write,
        }
    }
}

/// Enough problems to fix a file in one pass, without an unbounded answer.
const MAX_REPORTED: usize = 100;

/// Waits for the import's turn, then reads every row and checks each with `parse`: all of
/// them with their lines and the turn (to keep until they are written), or
/// `INVALID_ARGUMENT` naming each problem "line 17: field".
pub async fn checked_rows<R: prost::Message, T>(
    mut stream: Streaming<R>,
    line_of: impl Fn(&R) -> i32,
    mut parse: impl FnMut(&R) -> Result<T, FieldViolations>,
) -> Result<(Vec<(i32, T)>, Turn), Status> {
    let turn = Turn { _permit: TURNS.acquire().await.map_err(|_| Status::unavailable("the server is stopping"))? };
    let (mut rows, mut problems, mut seen, mut unlisted) = (Vec::new(), FieldViolations::new(), 0usize, 0usize);
    let mut bytes = 0usize;
    while let Some(row) = stream.message().await? {
        seen += 1;
        bytes += row.encoded_len();
        if seen > MAX_ROWS || bytes > MAX_BYTES {
            return Err(to_status(&FieldViolations::from(FieldViolation::new(
                "rows",
                format!("at most {MAX_ROWS} rows and {} MiB in one import: split the file", MAX_BYTES >> 20),
            ))));
        }
        let line = line_of(&row);
        match parse(&row) {
            Ok(parsed) => rows.push((line, parsed)),
            Err(found) if problems.len() < MAX_REPORTED => problems.push_at_line(line, &found),
            Err(_) => unlisted += 1,
        }
    }
    if unlisted > 0 {
        problems.push(FieldViolation::new("rows", format!("and {unlisted} more bad rows not listed")));
    }
    problems.into_result().map_err(|p| to_status(&p))?;
    Ok((rows, turn))
}
