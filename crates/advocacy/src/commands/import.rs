//! `advocacy import ...`: a spreadsheet of past records, imported whole or not at all,
//! through the one reader the web pages use too ([`advocacy_platform::import::sheet`]).

use std::path::PathBuf;

use anyhow::{Context, bail};

use advocacy_platform::Config;
use advocacy_platform::import::sheet::{self, Kind, Refused};

use super::channel;
use crate::cli::{ClientArgs, ImportCommand};
use crate::output::Progress;

pub async fn run(config: &Config, command: ImportCommand) -> anyhow::Result<()> {
    let (kind, client, file): (Kind, ClientArgs, PathBuf) = match command {
        ImportCommand::Briefings { client, file } => (Kind::Briefings, client, file),
        ImportCommand::Submissions { client, file } => (Kind::Submissions, client, file),
        ImportCommand::Amendments { client, file } => (Kind::Amendments, client, file),
        ImportCommand::Publications { client, file } => (Kind::Publications, client, file),
    };
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let sent = match sheet::read(kind, &bytes) {
        Ok(checked) => {
            let mut progress = Progress::new("importing", checked.rows());
            let total = checked.rows();
            checked
                .send(channel(config, &client).await?, move |sent| {
                    progress.advance(1);
                    if sent == total {
                        progress.finish();
                    }
                })
                .await
        }
        Err(refused) => Err(refused),
    };
    let imported = match sent {
        Ok(imported) => imported,
        Err(Refused::Failed(status)) => return Err(super::explain(status)),
        Err(Refused::Problems(problems)) => {
            for (_, problem) in problems.iter().take(100) {
                eprintln!("{problem}");
            }
            bail!("{} problems in {}; nothing was imported", problems.len(), file.display())
        }
    };
    for note in &imported.read_as {
        eprintln!("note: {note}");
    }
    let name = kind.name();
    let (total, written, before) = (imported.rows, imported.written, imported.before);
    let also = kind
        .also_records()
        .map(|made| format!("; {made}: {} matched, {} created", imported.matched, imported.created))
        .unwrap_or_default();
    println!("imported {written} {name} from {total} rows ({before} imported before){also}");
    Ok(())
}
