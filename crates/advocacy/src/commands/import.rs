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

use super::briefings::{briefing_format, institution_kind};
use super::channel;
use super::submissions::{submission_kind, submission_status};
use crate::cli::ImportCommand;
use crate::output::Progress;

const BRIEFING_COLUMNS: (&[&str], &[&str]) = (
    &["date", "zone", "format", "actor", "institution", "institution_kind"],
    &["city", "institution_city", "themes", "asks", "attendees", "summary", "outcome"],
);
const SUBMISSION_COLUMNS: (&[&str], &[&str]) = (
    &["title", "mechanism", "kind", "country"],
    &["partners", "status", "document_url", "document_sha256", "word_count", "themes"],
);

pub async fn run(config: &Config, command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Briefings { client, file } => {
            let rows = checked(&file, read_sheet(&file, BRIEFING_COLUMNS)?.map(briefing_row))?;
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
            let rows = checked(&file, read_sheet(&file, SUBMISSION_COLUMNS)?.map(submission_row))?;
            let total = rows.len();
            let mut c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let result =
                c.import_submissions(with_progress(rows)).await.map_err(|s| explain_import(s, &file))?.into_inner();
            println!(
                "imported {} submissions from {total} rows ({} imported before)",
                result.submissions, result.already_imported
            );
        }
    }
    Ok(())
}

/// The rows, or every problem found in the file (nothing is sent then).
fn checked<T>(file: &Path, (rows, errors): (Vec<T>, Vec<String>)) -> anyhow::Result<Vec<T>> {
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
    fn map<T>(self, row: impl Fn(&str, i32, &Cells) -> Result<T, String>) -> (Vec<T>, Vec<String>) {
        let mut errors = self.errors;
        let mut rows = Vec::new();
        for (line, cells) in &self.records {
            match row(&self.file_id, *line, &Cells(cells)) {
                Ok(r) => rows.push(r),
                Err(e) => errors.push(format!("line {line}, column {e}")),
            }
        }
        (rows, errors)
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
}

fn read_sheet(path: &Path, (required, optional): (&[&str], &[&str])) -> anyhow::Result<Sheet> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file_id: String = Sha256::digest(&bytes).iter().take(8).map(|b| format!("{b:02x}")).collect();
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

fn briefing_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportBriefingRow, String> {
    let format = briefing_format(&cells.get("format")).map_err(|e| format!("format: {e}"))?;
    let kind = institution_kind(&cells.get("institution_kind")).map_err(|e| format!("institution_kind: {e}"))?;
    Ok(pb::ImportBriefingRow {
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

fn submission_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportSubmissionRow, String> {
    let kind = submission_kind(&cells.get("kind")).map_err(|e| format!("kind: {e}"))?;
    let status = match cells.get("status").as_str() {
        "" => 0,
        s => submission_status(s).map_err(|e| format!("status: {e}"))?.into(),
    };
    let word_count = match cells.get("word_count").as_str() {
        "" => 0,
        n => n.parse().map_err(|_| format!("word_count: {n:?} is not a number"))?,
    };
    Ok(pb::ImportSubmissionRow {
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
            status,
            ..Default::default()
        }),
    })
}
