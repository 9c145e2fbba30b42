//! The mailbox folder of the embedded default: with no mail server configured the notifier
//! writes each message there as one .eml file, and the `advocacy mailbox` command and the
//! web pages read them back, so a newcomer sees reminders arrive with nothing installed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders};

/// One message as read back.
#[derive(Debug, Clone)]
pub struct Message {
    pub file: PathBuf,
    pub date: Option<DateTime<Utc>>,
    pub from: String,
    /// `Name <address>` or the address, one per recipient.
    pub to: Vec<String>,
    /// The recipients' bare addresses, lower case.
    pub to_addresses: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    /// Name and size in bytes of each attachment.
    pub attachments: Vec<(String, usize)>,
}

/// The .eml files of `dir`, newest first; none if the folder is not there yet.
pub fn messages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "eml") {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
            found.push((modified, path));
        }
    }
    found.sort_by(|a, b| b.cmp(a));
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// The message in `path`; `None` if the file is not a message.
pub fn read(path: &Path) -> std::io::Result<Option<Message>> {
    let bytes = std::fs::read(path)?;
    let Some(m) = MessageParser::default().parse(&bytes) else { return Ok(None) };
    let named = |a: Option<&mail_parser::Address>| -> Vec<String> {
        a.map(|a| {
            a.iter()
                .map(|x| match (x.name(), x.address()) {
                    (Some(name), Some(address)) => format!("{name} <{address}>"),
                    (_, address) => address.unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let to_addresses =
        m.to().map(|a| a.iter().filter_map(|x| x.address()).map(str::to_lowercase).collect()).unwrap_or_default();
    Ok(Some(Message {
        file: path.to_owned(),
        date: m.date().and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        from: named(m.from()).join(", "),
        to: named(m.to()),
        to_addresses,
        subject: m.subject().unwrap_or_default().to_owned(),
        message_id: m.message_id().unwrap_or_default().to_owned(),
        text: m.body_text(0).unwrap_or_default().into_owned(),
        attachments: m
            .attachments()
            .map(|a| (a.attachment_name().unwrap_or("unnamed").to_owned(), a.contents().len()))
            .collect(),
    }))
}
