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

use super::briefings::{briefing_format, institution_kind};
use super::channel;
use crate::cli::ImportCommand;
use crate::output::Progress;

const REQUIRED: &[&str] = &["date", "zone", "format", "actor", "institution", "institution_kind"];
const OPTIONAL: &[&str] = &["city", "institution_city", "themes", "asks", "attendees", "summary", "outcome"];

pub async fn run(config: &Config, command: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Briefings { client, file } = command;
    let (rows, errors) = read_briefings(&file)?;
    if !errors.is_empty() {
        for e in errors.iter().take(100) {
            eprintln!("{e}");
        }
        bail!("{} problems in {}; nothing was imported", errors.len(), file.display());
    }
    let mut c = BriefingsServiceClient::new(channel(config, &client).await?);
    let mut progress = Progress::new("importing", rows.len());
    let total = rows.len();
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let sender = tokio::spawn(async move {
        for row in rows {
            if tx.send(row).await.is_err() {
                return;
            }
        }
    });
    let counting = tokio_stream::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(rx), move |row| {
        progress.advance(1);
        if progress.done_all() {
            progress.finish();
        }
        row
    });
    let result = c.import_briefings(counting).await;
    sender.await.context("reading the file")?;
    let result = result.map_err(|status| explain_import(status, &file))?.into_inner();
    println!(
        "imported {} briefings from {} rows ({} imported before); institutions: {} matched, {} created",
        result.briefings, total, result.already_imported, result.institutions_matched, result.institutions_created
    );
    Ok(())
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

/// Reads the file into rows, and every problem with its line and column.
fn read_briefings(path: &Path) -> anyhow::Result<(Vec<pb::ImportBriefingRow>, Vec<String>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file_id: String = Sha256::digest(&bytes).iter().take(8).map(|b| format!("{b:02x}")).collect();
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(bytes.as_slice());
    let headers: Vec<String> =
        reader.headers().context("reading the header row")?.iter().map(|h| h.to_lowercase()).collect();
    let index: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| !index.contains_key(c)).collect();
    let unknown: Vec<&String> =
        headers.iter().filter(|h| !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str())).collect();
    if !missing.is_empty() || !unknown.is_empty() {
        bail!(
            "line 1: the header row needs the columns {}{}; it may also have {}",
            missing.join(", "),
            if unknown.is_empty() { String::new() } else { format!(" and has unknown columns {unknown:?}") },
            OPTIONAL.join(", ")
        );
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line()) as i32;
        let cell = |name: &str| index.get(name).and_then(|&i| record.get(i)).unwrap_or("").to_owned();
        let list = |name: &str| {
            cell(name).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>()
        };
        let format = match briefing_format(&cell("format")) {
            Ok(f) => f,
            Err(e) => {
                errors.push(format!("line {line}, column format: {e}"));
                continue;
            }
        };
        let kind = match institution_kind(&cell("institution_kind")) {
            Ok(k) => k,
            Err(e) => {
                errors.push(format!("line {line}, column institution_kind: {e}"));
                continue;
            }
        };
        rows.push(pb::ImportBriefingRow {
            line,
            request_id: format!("import:{file_id}:{line}"),
            institution: Some(pb::ImportedInstitution {
                actor: cell("actor"),
                name: cell("institution"),
                kind: kind.into(),
                city: cell("institution_city"),
            }),
            briefing: Some(pb::LogBriefingRequest {
                at: Some(pb::WhenInput {
                    at: Some(pb::when_input::At::Local(cell("date").replace(' ', "T"))),
                    zone: cell("zone"),
                }),
                city: cell("city"),
                format: format.into(),
                themes: list("themes"),
                asks: list("asks"),
                attendees: list("attendees"),
                summary: cell("summary"),
                outcome: cell("outcome"),
                ..Default::default()
            }),
        });
    }
    Ok((rows, errors))
}
