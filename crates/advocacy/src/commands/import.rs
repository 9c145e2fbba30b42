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
            let (rows, problems, read_as) = read_sheet(&file, BRIEFING_COLUMNS)?.map(briefing_row);
            let total = rows.len();
            let c = BriefingsServiceClient::new(channel(config, &client).await?);
            let result =
                send(&file, rows, problems, &read_as, |r| async move { c.clone().import_briefings(r).await }).await?;
            println!(
                "imported {} briefings from {total} rows ({} imported before); institutions: {} matched, {} created",
                result.briefings, result.already_imported, result.institutions_matched, result.institutions_created
            );
        }
        ImportCommand::Submissions { client, file } => {
            let (rows, problems, read_as) = read_sheet(&file, SUBMISSION_COLUMNS)?.map(submission_row);
            let total = rows.len();
            let c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let result =
                send(&file, rows, problems, &read_as, |r| async move { c.clone().import_submissions(r).await }).await?;
            println!(
                "imported {} submissions from {total} rows ({} imported before)",
                result.submissions, result.already_imported
            );
        }
        ImportCommand::Amendments { client, file } => {
            let (rows, problems, read_as) = read_sheet(&file, AMENDMENT_COLUMNS)?.map(amendment_row);
            let total = rows.len();
            let c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let result =
                send(&file, rows, problems, &read_as, |r| async move { c.clone().import_amendments(r).await }).await?;
            println!(
                "imported {} amendments from {total} rows ({} imported before); resolutions: {} matched, {} created",
                result.amendments, result.already_imported, result.resolutions_matched, result.resolutions_created
            );
        }
        ImportCommand::Publications { client, file } => {
            let (rows, problems, read_as) = read_sheet(&file, PUBLICATION_COLUMNS)?.map(publication_row);
            let total = rows.len();
            let c = SubmissionsServiceClient::new(channel(config, &client).await?);
            let result =
                send(&file, rows, problems, &read_as, |r| async move { c.clone().import_publications(r).await })
                    .await?;
            println!(
                "imported {} publications from {total} rows ({} imported before)",
                result.publications, result.already_imported
            );
        }
    }
    Ok(())
}

/// Sends the rows to be written, if the file had no problems of its own. If it had, they
/// are sent to be checked only, and the server's problems are listed with the file's, by
/// line: the person fixes the file in one pass, and nothing is written.
async fn send<T, R, F, Fut>(
    file: &Path,
    rows: Vec<T>,
    mut problems: Vec<(i32, String)>,
    read_as: &[String],
    import: F,
) -> anyhow::Result<R>
where
    T: Send + 'static,
    F: FnOnce(tonic::Request<Rows<T>>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let mut request = tonic::Request::new(with_progress(rows));
    if !problems.is_empty() {
        let check_only = advocacy_platform::import::CHECK_ONLY;
        request.metadata_mut().insert(check_only, tonic::metadata::MetadataValue::from_static("true"));
    }
    match import(request).await {
        Ok(answer) if problems.is_empty() => {
            for note in read_as {
                eprintln!("note: {note}");
            }
            return Ok(answer.into_inner());
        }
        Ok(_) => {}
        Err(status) => problems.extend(server_problems(status)?),
    }
    problems.sort_by_key(|(line, _)| *line);
    for (_, problem) in problems.iter().take(100) {
        eprintln!("{problem}");
    }
    bail!("{} problems in {}; nothing was imported", problems.len(), file.display())
}

/// Server violations are named "line 17: at.local": each as "line 17, column date: ...".
fn server_problems(status: tonic::Status) -> anyhow::Result<Vec<(i32, String)>> {
    use tonic_types::StatusExt;
    let Some(bad) = status.get_details_bad_request() else { return Err(super::explain(status)) };
    Ok(bad
        .field_violations
        .iter()
        .map(|v| {
            let (line, field) = v.field.split_once(": ").unwrap_or(("", &v.field));
            let number = line.trim_start_matches("line ").parse().unwrap_or(i32::MAX);
            (number, format!("{line}, column {}: {}", column_of(field), v.description))
        })
        .collect())
}

/// The rows of a file as the import call streams them.
type Rows<T> = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = T> + Send>>;

/// The rows as a stream for the import call, drawing a progress bar as they go.
fn with_progress<T: Send + 'static>(rows: Vec<T>) -> Rows<T> {
    let mut progress = Progress::new("importing", rows.len());
    Box::pin(tokio_stream::StreamExt::map(tokio_stream::iter(rows), move |row| {
        progress.advance(1);
        if progress.done_all() {
            progress.finish();
        }
        row
    }))
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

/// A file's rows as requests, its problems by line, and the words it used for others.
type Mapped<T> = (Vec<T>, Vec<(i32, String)>, Vec<String>);

/// A spreadsheet read and checked for its columns: each data row by its line.
struct Sheet {
    /// Stable for the file's content: request ids derive from it and the line, so
    /// importing the same file again adds nothing.
    file_id: String,
    records: Vec<(i32, HashMap<String, String>)>,
    errors: Vec<String>,
    /// Words read as another, once each ("mission" as permanent-mission).
    read_as: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

impl Sheet {
    /// Each row turned into a request by `row`, or its problem with line and column.
    /// The rows `row` makes of the file's lines, and every problem found, by line.
    fn map<T>(self, row: impl Fn(&str, i32, &Cells) -> Result<T, Vec<String>>) -> Mapped<T> {
        let mut errors: Vec<(i32, String)> = self.errors.into_iter().map(|e| (0, e)).collect();
        let mut rows = Vec::new();
        for (line, cells) in &self.records {
            match row(&self.file_id, *line, &Cells(cells, &self.read_as)) {
                Ok(r) => rows.push(r),
                Err(found) => errors.extend(found.into_iter().map(|e| (*line, format!("line {line}, column {e}")))),
            }
        }
        (rows, errors, self.read_as.into_inner().into_iter().collect())
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

struct Cells<'a>(&'a HashMap<String, String>, &'a std::cell::RefCell<std::collections::BTreeSet<String>>);

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

    /// A cell that names a value of `E`, in any of the words it is known by. A word read
    /// as another ("mission" as permanent-mission) is noted, to be said once for the file.
    fn choice<E: words::Word>(&self, name: &str) -> Result<E, String> {
        let typed = self.get(name);
        let value = words::parse::<E>(&typed).map_err(|e| format!("{name}: {e}"))?;
        let word = words::word(value);
        if typed.trim().to_lowercase().replace('_', "-") != word {
            self.1.borrow_mut().insert(format!("column {name}: {:?} was read as {word}", typed.trim()));
        }
        Ok(value)
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
    Ok(Sheet { file_id, records, errors, read_as: Default::default() })
}

fn briefing_row(file_id: &str, line: i32, cells: &Cells) -> Result<pb::ImportBriefingRow, Vec<String>> {
    let mut bad = RowProblems::default();
    let format = bad.check(cells.choice::<pb::BriefingFormat>("format"));
    let kind = bad.check(cells.choice::<pb::InstitutionKind>("institution_kind"));
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
    let kind = bad.check(cells.choice::<pb::SubmissionKind>("kind"));
    let status = match cells.get("status").as_str() {
        "" => 0,
        _ => bad.check(cells.choice::<pb::SubmissionStatus>("status").map(i32::from)),
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
    let paragraph_kind = bad.check(cells.choice::<pb::ParagraphKind>("paragraph"));
    let number = cells.get("number");
    let paragraph_number =
        bad.check(number.parse().map_err(|_| format!("number: {number:?} is not a paragraph number")));
    let status = match cells.get("status").as_str() {
        "" => 0,
        _ => bad.check(cells.choice::<pb::AmendmentStatus>("status").map(i32::from)),
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
    let kind = bad.check(cells.choice::<pb::PublicationKind>("kind"));
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
