//! `advocacy mailbox`: the messages the notifier wrote to its mailbox folder (one .eml
//! file each) when no mail server is configured, so a newcomer sees reminders arrive with
//! nothing installed. Read from the folder directly: it is on this machine.

use std::path::{Path, PathBuf};

use anyhow::Context;
use mail_parser::{MessageParser, MimeHeaders};

use advocacy_platform::Config;

use crate::cli::MailboxCommand;
use crate::output::Table;

pub fn run(config: &Config, show: Option<MailboxCommand>, dir: Option<PathBuf>, limit: usize) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| config.mail.mailbox(&config.data_dir));
    let files = messages(&dir)?;
    match show {
        None => {
            let mut table = Table::new(&["#", "DATE", "TO", "SUBJECT"]);
            for (n, path) in files.iter().take(limit).enumerate() {
                let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let Some(m) = MessageParser::default().parse(&bytes) else { continue };
                let to = m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned();
                let date = m.date().map(|d| d.to_rfc3339()).unwrap_or_default();
                table.row(vec![(n + 1).to_string(), date, to, m.subject().unwrap_or_default().to_owned()]);
            }
            table.print();
            match files.len() {
                0 => println!("(no messages in {})", dir.display()),
                n if n > limit => println!("({limit} newest of {n}; `advocacy mailbox show 1` shows the newest)"),
                _ => println!("(`advocacy mailbox show 1` shows the newest)"),
            }
        }
        Some(MailboxCommand::Show { number }) => {
            let path = number
                .checked_sub(1)
                .and_then(|i| files.get(i))
                .with_context(|| format!("there is no message {number}: the mailbox holds {}", files.len()))?;
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let m = MessageParser::default()
                .parse(&bytes)
                .with_context(|| format!("{} is not a message", path.display()))?;
            let addresses = |a: Option<&mail_parser::Address>| {
                a.map(|a| {
                    a.iter()
                        .map(|x| match (x.name(), x.address()) {
                            (Some(name), Some(address)) => format!("{name} <{address}>"),
                            (_, address) => address.unwrap_or_default().to_owned(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
            };
            println!("From: {}", addresses(m.from()));
            println!("To: {}", addresses(m.to()));
            println!("Date: {}", m.date().map(|d| d.to_rfc3339()).unwrap_or_default());
            println!("Subject: {}", m.subject().unwrap_or_default());
            println!("Message-ID: <{}>", m.message_id().unwrap_or_default());
            for a in m.attachments() {
                println!("Attachment: {} ({} bytes)", a.attachment_name().unwrap_or("unnamed"), a.contents().len());
            }
            println!("File: {}\n", path.display());
            println!("{}", m.body_text(0).unwrap_or_default());
        }
    }
    Ok(())
}

/// The .eml files of the folder, newest first.
fn messages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "eml") {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
            found.push((modified, path));
        }
    }
    found.sort_by(|a, b| b.cmp(a));
    Ok(found.into_iter().map(|(_, p)| p).collect())
}
