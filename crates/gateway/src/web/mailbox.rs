//! The mailbox of the embedded default on the pages: the reminders the notifier wrote to
//! its folder, those addressed to the visitor and to no one else (an admin's included: a
//! reminder is its recipient's, whatever the reader's roles).

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use advocacy_platform::mailbox::{messages, read};

use super::Web;
use super::session::Visitor;

/// The newest messages shown, and the newest files looked through to find them.
const SHOWN: usize = 100;
const LOOKED_THROUGH: usize = 2_000;

#[derive(Serialize)]
struct Shown {
    date: String,
    to: String,
    subject: String,
    text: String,
    attachments: Vec<String>,
}

pub async fn page(State(web): State<Web>, visitor: Visitor) -> Response {
    let Some(dir) = web.mailbox.clone() else {
        let ctx = minijinja::context! { configured => false, messages => Vec::<Shown>::new() };
        return web.render("mailbox.html", visitor.language, Some(&visitor), ctx);
    };
    let me = visitor.person.email.to_lowercase();
    let found = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<advocacy_platform::mailbox::Message>> {
        let mut mine = Vec::new();
        for path in messages(&dir)?.into_iter().take(LOOKED_THROUGH) {
            if mine.len() == SHOWN {
                break;
            }
            // A file being written, or not a message, is passed over.
            if let Ok(Some(m)) = read(&path)
                && m.to_addresses.contains(&me)
            {
                mine.push(m);
            }
        }
        Ok(mine)
    })
    .await;
    let found = match found {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return web.problem(&visitor, &tonic::Status::unavailable(format!("the mailbox: {e}"))),
        Err(_) => return web.problem(&visitor, &tonic::Status::internal("reading the mailbox stopped")),
    };
    let zone = visitor.zone(&web);
    let shown: Vec<Shown> = found
        .into_iter()
        .map(|m| Shown {
            date: m.date.map(|d| advocacy_platform::language::when(d, zone, visitor.language)).unwrap_or_default(),
            to: m.to.join(", "),
            subject: m.subject,
            text: m.text,
            attachments: m.attachments.into_iter().map(|(name, _)| name).collect(),
        })
        .collect();
    let ctx = minijinja::context! { configured => true, messages => shown };
    web.render("mailbox.html", visitor.language, Some(&visitor), ctx)
}
