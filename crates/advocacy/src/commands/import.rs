//! `advocacy import ...`: a spreadsheet of past records, imported whole or not at all.
//! The file is read and checked here first (every bad cell named by line and column);
//! the server checks every row again and writes the file in one transaction.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use advocacy_platform::Config;
use advocacy_proto::v1 as pb;
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;

use super::{channel, parse_date, restricted_to};
use crate::cli::ImportCommand;
use crate::output::Progress;
use crate::words;

const BRIEFING_COLUMNS: (&[&str], &[&str]) = (
    &["date", "zone", "format", "actor", "institution", "institution_kind"],
    &["city", "institution_city", "themes", "asks", "attendees", "summary", "outcome"],
);
const SUBMISSION_COLUMNS: (&[&str], &[&str]) = (
    &["title", "mechanism", "kind", "country"],
    &[
        "partners",
        "status",
        "status_on",
        "document_url",
        "document_sha256",
        "word_count",
        "themes",
        "evidence",
        "restricted",
    ],
);
const AMENDMENT_COLUMNS: (&[&str], &[&str]) = (
    &["body", "session", "resolution", "paragraph", "number", "proposed_text"],
    &["symbol", "proposed_on", "rationale", "lobbied", "evidence", "status", "adopted_text", "restricted"],
);
const PUBLICATION_COLUMNS: (&[&str], &[&str]) =
    (&["title", "kind", "published"], &["contracted_by", "url", "restricted"]);

pub async fn run(config: &Config, command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Briefings { client, file } => {
            let rows = rows_of(&file, BRIEFING_COLUMNS, briefing_row)?;
            let total = rows.len();
            let mut c = BriefingsServiceClient::new(channel(config, &client).await?);
            let result =
                c.import_briefings(with_progress(rows)).await.map_err(|s| explain_import(s, &file))?.into_inner();
            println!(
                "imported {} briefings from {total} rows ({} imported before); institutions: {} matched, {} created",
                result.briefings, result.already_imported, result.institutions_matched, result.institutions_created
            );
        }
        ImportCommand::Submissions { client, file } => {
            let rows = rows_of(&file, SUBMISSION_COLUMNS, submission_row)?;
            let total = rows.len();
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let result =
                c.import_submissions(with_progress(rows)).await.map_err(|s| explain_import(s, &file))?.into_inner();
            println!(
                "imported {} submissions from {total} rows ({} imported before)",
                result.submissions, result.already_imported
            );
        }
        ImportCommand::Amendments { client, file } => {
            let rows = rows_of(&file, AMENDMENT_COLUMNS, amendment_row)?;
            let total = rows.len();
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let result =
                c.import_amendments(with_progress(rows)).await.map_err(|s| explain_import(s, &file))?.into_inner();
            println!(
                "imported {} amendments from {total} rows ({} imported before); resolutions: {} matched, {} created",
                result.amendments, result.already_imported, result.resolutions_matched, result.resolutions_created
            );
        }
        ImportCommand::Publications { client, file } => {
            let rows = rows_of(&file, PUBLICATION_COLUMNS, publication_row)?;
            let total = rows.len();
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let result =
                c.import_publications(with_progress(rows)).await.map_err(|s| explain_import(s, &file))?.into_inner();
            println!(
                "imported {} publications from {total} rows ({} imported before)",
                result.publications, result.already_imported
            );
        }
    }
    Ok(())
}

/// Each row of the file turned into a request by `row`, or every problem found in the
/// file (nothing is sent then).
fn rows_of<T>(
    file: &Path,
    columns: (&[&str], &[&str]),
    row: impl Fn(&str, i32, &Cells) -> Result<T, Vec<String>>,
) -> anyhow::Result<Vec<T>> {
    let (rows, errors) = read_sheet(file, columns)?.map(row);
    if errors.is_empty() {
        return Ok(rows);
    }
    for e in errors.iter().take(100) {
        eprintln!("{e}");
    }
    bail!("{} problems in {}; nothing was imported", errors.len(), file.display())
}

/// The rows as a stream for the import call, drawing a progress bar as they go.
fn with_progress<T: Send + 'static>(rows: Vec<T>) -> impl tokio_stream::Stream<Item = T> + Send + 'static {
    let mut progress = Progress::new("importing", rows.len());
    tokio_stream::StreamExt::map(tokio_stream::iter(rows), move |row| {
        progress.advance(1);
        if progress.done_all() {
            progress.finish();
        }
        row
    })
}

/// Server violations are named "line 17: at.local"; say which column that is.
fn explain_import(status: tonic::Status, file: &Path) -> anyhow::Error {
    use tonic_types::StatusExt;
    let Some(bad) = status.get_details_bad_request() else { return super::explain(status) };
    for v in &bad.field_violations {
        let (line, field) = v.field.split_once(": ").unwrap_or(("", &v.field));
        eprintln!("{}, column {}: {}", line, column_of(field), v.description);
    }
    anyhow::anyhow!("{} problems in {}; nothing was imported", bad.field_violations.len(), file.display())
}

fn column_of(field: &str) -> &str {
    let head = field.split(['.', '[']).next().unwrap_or(field);
    match head {
        "at" if field.ends_with(".zone") => "zone",
        "at" => "date",
        "institution" if field.ends_with(".actor") => "actor",
        "institution" if field.ends_with(".kind") => "institution_kind",
        "institution" if field.ends_with(".city") => "institution_city",
        "institution" => "institution",
        "resolution" if field == "resolution.title" => "resolution",
        "resolution" => field.trim_start_matches("resolution."),
        "paragraph_kind" => "paragraph",
        "paragraph_number" => "number",
        "published_on" => "published",
        "classification" => "restricted",
        other => other,
    }
}

/// A spreadsheet read and checked for its columns: each data row by its line.
struct Sheet {
    /// Stable for the file's content: request ids derive from it and the line, so
    /// importing the same file again adds nothing.
    file_id: String,
    records: Vec<(i32, HashMap<String, String>)>,
    errors: Vec<String>,
}

impl Sheet {
    /// Each row turned into a request by `row`, or its problem with line and column.
    fn map<T>(self, row: impl Fn(&str, i32, &Cells) -> Result<T, Vec<String>>) -> (Vec<T>, Vec<String>) {
        let mut errors = self.errors;
        let mut rows = Vec::new();
        for (line, cells) in &self.records {
            match row(&self.file_id, *line, &Cells(cells)) {
                Ok(r) => rows.push(r),
                Err(found) => errors.extend(found.into_iter().map(|e| format!("line {line}, column {e}"))),
            }
        }
        (rows, errors)
    }
}

/// Every problem of one row, each "column: what is wrong", so a file is fixed in one pass.
#[derive(Debug, Default)]
struct RowProblems(Vec<String>);

impl RowProblems {
    fn check<T: Default>(&mut self, cell: Result<T, String>) -> T {
        cell.unwrap_or_else(|e| {
            self.0.push(e);
            T::default()
        })
    }

    /// The row, if no cell was wrong.
    fn or<T>(self, row: T) -> Result<T, Vec<String>> {
        if self.0.is_empty() { Ok(row) } else { Err(self.0) }
    }
}

struct Cells<'a>(&'a HashMap<String, String>);

impl Cells<'_> {
    fn get(&self, name: &str) -> String {
        self.0.get(name).cloned().unwrap_or_default()
    }

    /// A list cell: entries separated by ";".
    fn list(&self, name: &str) -> Vec<String> {
        self.get(name).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    /// The "restricted" cell: a compartment, or empty for the record's default.
    fn classification(&self) -> Option<pb::Classification> {
        Some(self.get("restricted")).filter(|c| !c.is_empty()).map(restricted_to)
    }

    /// A date cell ("2026-06-01", read as midnight UTC), or None when empty.
    fn date(&self, name: &str) -> Result<Option<prost_types::Timestamp>, String> {
        let text = self.get(name);
        if text.is_empty() {
            return Ok(None);
        }
        parse_date(&text).map(Some).ok_or_else(|| format!("{name}: {text:?} is not a date like 2026-06-01"))
    }

    /// A cell that names one of a set of values, read by `parse`.
    fn choice<T>(&self, name: &str, parse: impl Fn(&str) -> anyhow::Result<T>) -> Result<T, String> {
        parse(&self.get(name)).map_err(|e| format!("{name}: {e}"))
    }
}

fn read_sheet(path: &Path, (required, optional): (&[&str], &[&str])) -> anyhow::Result<Sheet> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file_id = hex::encode(&Sha256::digest(&bytes)[..8]);
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(bytes.as_slice());
    let headers: Vec<String> =
        reader.headers().context("reading the header row")?.iter().map(|h| h.to_lowercase()).collect();
    let missing: Vec<&str> = required.iter().copied().filter(|c| !headers.iter().any(|h| h == c)).collect();
    let unknown: Vec<&String> =
        headers.iter().filter(|h| !required.contains(&h.as_str()) && !optional.contains(&h.as_str())).collect();
    if !missing.is_empty() || !unknown.is_empty() {
        bail!(
            "line 1: the header row needs the columns {}{}; it may also have {}",
            missing.join(", "),
            if unknown.is_empty() { String::new() } else { format!(" and has unknown columns {unknown:?}") },
            optional.join(", ")
        );
    }
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line()) as i32;
                let cells = headers.iter().cloned().zip(record.iter().map(str::to_owned)).collect();
                records.push((line, cells));
            }
            Err(e) => errors.push(format!("line {}: {e}", e.position().map_or(0, |p| p.line()))),
        }
    }
    Ok(Sheet { file_id, records, errors })
}

fn briefing_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportBriefingRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let format = bad.check(cells.choice("format", words::parse::<pb::BriefingFormat>));
    let kind = bad.check(cells.choice("institution_kind", words::parse::<pb::InstitutionKind>));
    bad.or(pb::ImportBriefingRow {
        line,
        request_id: format!("import:{file_id}:{line}"),
        institution: Some(pb::ImportedInstitution {
            actor: cells.get("actor"),
            name: cells.get("institution"),
            kind: kind.into(),
            city: cells.get("institution_city"),
        }),
        briefing: Some(pb::LogBriefingRequest {
            at: Some(pb::WhenInput {
                at: Some(pb::when_input::At::Local(cells.get("date").replace(' ', "T"))),
                zone: cells.get("zone"),
            }),
            city: cells.get("city"),
            format: format.into(),
            themes: cells.list("themes"),
            asks: cells.list("asks"),
            attendees: cells.list("attendees"),
            summary: cells.get("summary"),
            outcome: cells.get("outcome"),
            ..Default::default()
        }),
    })
}

fn submission_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportSubmissionRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let kind = bad.check(cells.choice("kind", words::parse::<pb::SubmissionKind>));
    let status = match cells.get("status").as_str() {
        "" => 0,
        _ => bad.check(cells.choice("status", words::parse::<pb::SubmissionStatus>).map(i32::from)),
    };
    let word_count = match cells.get("word_count").as_str() {
        "" => 0,
        n => bad.check(n.parse().map_err(|_| format!("word_count: {n:?} is not a number"))),
    };
    let status_at = bad.check(cells.date("status_on"));
    bad.or(pb::ImportSubmissionRow {
        line,
        submission: Some(pb::CreateSubmissionRequest {
            request_id: format!("import:{file_id}:{line}"),
            title: cells.get("title"),
            mechanism: cells.get("mechanism"),
            kind: kind.into(),
            country: cells.get("country"),
            partners: cells.list("partners"),
            document_url: cells.get("document_url"),
            document_sha256: cells.get("document_sha256"),
            word_count,
            themes: cells.list("themes"),
            evidence: cells.list("evidence"),
            classification: cells.classification(),
            status,
            status_at,
            ..Default::default()
        }),
    })
}

fn amendment_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportAmendmentRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let paragraph_kind = bad.check(cells.choice("paragraph", words::parse::<pb::ParagraphKind>));
    let number = cells.get("number");
    let paragraph_number =
        bad.check(number.parse().map_err(|_| format!("number: {number:?} is not a paragraph number")));
    let status = match cells.get("status").as_str() {
        "" => 0,
        _ => bad.check(cells.choice("status", words::parse::<pb::AmendmentStatus>).map(i32::from)),
    };
    let proposed_on = bad.check(cells.date("proposed_on"));
    bad.or(pb::ImportAmendmentRow {
        line,
        resolution: Some(pb::ImportedResolution {
            body: cells.get("body"),
            session: cells.get("session"),
            title: cells.get("resolution"),
            symbol: cells.get("symbol"),
        }),
        amendment: Some(pb::ProposeAmendmentRequest {
            request_id: format!("import:{file_id}:{line}"),
            resolution_id: String::new(),
            paragraph_kind: paragraph_kind.into(),
            paragraph_number,
            proposed_text: cells.get("proposed_text"),
            rationale: cells.get("rationale"),
            evidence: cells.list("evidence"),
            lobbied: cells.list("lobbied"),
            classification: cells.classification(),
        }),
        status,
        adopted_text: cells.get("adopted_text"),
        proposed_on,
    })
}

fn publication_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportPublicationRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let kind = bad.check(cells.choice("kind", words::parse::<pb::PublicationKind>));
    let published_on =
        bad.check(cells.date("published").and_then(|d| d.ok_or_else(|| "published: is required".to_owned())).map(Some));
    bad.or(pb::ImportPublicationRow {
        line,
        publication: Some(pb::CreatePublicationRequest {
            request_id: format!("import:{file_id}:{line}"),
            title: cells.get("title"),
            kind: kind.into(),
            contracted_by: cells.get("contracted_by"),
            published_on,
            url: cells.get("url"),
            classification: cells.classification(),
        }),
    })
}
