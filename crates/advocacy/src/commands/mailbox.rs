//! `advocacy mailbox`: the messages the notifier wrote to its mailbox folder (one .eml
//! file each) when no mail server is configured ([`advocacy_platform::mailbox`]). Read
//! from the folder directly: it is on this machine.

use std::path::PathBuf;

use anyhow::Context;

use advocacy_platform::Config;
use advocacy_platform::mailbox::{messages, read};

use crate::cli::MailboxCommand;
use crate::output::Table;

pub fn run(config: &Config, show: Option<MailboxCommand>, dir: Option<PathBuf>, limit: usize) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| config.mail.mailbox(&config.data_dir));
    let files = messages(&dir).with_context(|| format!("reading {}", dir.display()))?;
    let when = |m: &advocacy_platform::mailbox::Message| m.date.map(|d| d.to_rfc3339()).unwrap_or_default();
    match show {
        None => {
            let mut table = Table::new(&["#", "DATE", "TO", "SUBJECT"]);
            for (n, path) in files.iter().take(limit).enumerate() {
                let Some(m) = read(path).with_context(|| format!("reading {}", path.display()))? else { continue };
                let to = m.to_addresses.first().cloned().unwrap_or_default();
                table.row(vec![(n + 1).to_string(), when(&m), to, m.subject.clone()]);
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
            let m = read(path)
                .with_context(|| format!("reading {}", path.display()))?
                .with_context(|| format!("{} is not a message", path.display()))?;
            println!("From: {}", m.from);
            println!("To: {}", m.to.join(", "));
            println!("Date: {}", when(&m));
            println!("Subject: {}", m.subject);
            println!("Message-ID: <{}>", m.message_id);
            for (name, size) in &m.attachments {
                println!("Attachment: {name} ({size} bytes)");
            }
            println!("File: {}\n", path.display());
            println!("{}", m.text);
        }
    }
    Ok(())
}
