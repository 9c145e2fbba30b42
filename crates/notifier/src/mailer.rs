//! Hands messages to the mail server, or in the embedded default writes them into a
//! mailbox folder (one .eml file per message). Its answer decides what happens next:
//! a temporary refusal (4xx), a connection error or a timeout is tried again later; a
//! permanent refusal (5xx) fails the delivery at once. Both keep the server's reply.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use advocacy_platform::config::{MailConfig, SmtpSecurity};
use advocacy_platform::outbox::{Failure, OutboxSettings};
use tokio::sync::Semaphore;

/// Messages a replica claims per SMTP connection (see [`Mailer::outbox_settings`]).
const CLAIMED_PER_CONNECTION: usize = 8;

#[derive(Clone)]
pub enum Mailer {
    /// A pooled transport keeping `size` connections, and one permit per connection:
    /// lettre's pool opens a new connection whenever all are busy and closes it after one
    /// message.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        connections: Arc<Semaphore>,
        size: usize,
    },
    Mailbox {
        dir: PathBuf,
        transport: AsyncFileTransport<Tokio1Executor>,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::Mailbox { dir, .. } => f.debug_struct("Mailer::Mailbox").field("dir", dir).finish(),
        }
    }
}

impl Mailer {
    /// SMTP as configured, or the mailbox folder when no server is.
    pub fn from_config(mail: &MailConfig, data_dir: &std::path::Path) -> Result<Mailer, String> {
        let Some(smtp) = &mail.smtp else {
            let dir = mail.mailbox(data_dir);
            advocacy_platform::config::private_dir(&dir).map_err(|e| format!("mailbox {}: {e}", dir.display()))?;
            return Ok(Mailer::Mailbox { transport: AsyncFileTransport::new(&dir), dir });
        };
        let builder = match smtp.security {
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)),
        }
        .map_err(|e| format!("mail.smtp.host {}: {e}", smtp.host))?;
        let mut builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(smtp.timeout_secs)));
        if let Some(user) = &smtp.user {
            builder = builder.credentials(Credentials::new(user.clone(), smtp.password.clone().unwrap_or_default()));
        }
        let pool = PoolConfig::new().max_size(smtp.connections as u32);
        let connections = Arc::new(Semaphore::new(smtp.connections));
        Ok(Mailer::Smtp { transport: builder.pool_config(pool).build(), connections, size: smtp.connections })
    }

    /// The outbox's settings for sending through this mailer. Over SMTP a replica claims
    /// at most [`CLAIMED_PER_CONNECTION`] messages per connection: a claimed message waits
    /// for a connection within its push's time (half the lease), so the last of a batch
    /// starts after that many messages' time at most.
    pub fn outbox_settings(&self, outbox: &OutboxSettings) -> OutboxSettings {
        match self {
            Mailer::Smtp { size, .. } => {
                let most = size * CLAIMED_PER_CONNECTION;
                OutboxSettings { concurrency: outbox.concurrency.min(most), ..outbox.clone() }
            }
            Mailer::Mailbox { .. } => outbox.clone(),
        }
    }

    /// Where the mailbox is, in the embedded default.
    pub fn mailbox_dir(&self) -> Option<&std::path::Path> {
        match self {
            Mailer::Mailbox { dir, .. } => Some(dir),
            Mailer::Smtp { .. } => None,
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), Failure> {
        match self {
            Mailer::Smtp { transport, connections, .. } => {
                let connection = connections.acquire().await.expect("the semaphore is never closed");
                let sent = transport.send(message).await;
                // lettre returns the connection to its pool in a task of its own: let it
                // run before the next send may start, or that send opens another one.
                tokio::task::yield_now().await;
                drop(connection);
                match sent {
                    Ok(_) => Ok(()),
                    Err(e) if e.is_permanent() => Err(Failure::Permanent(format!("the mail server refused it: {e}"))),
                    Err(e) => Err(Failure::Retry(format!("the mail server did not take it: {e}"))),
                }
            }
            Mailer::Mailbox { transport, dir } => {
                let failed = |e: &dyn std::fmt::Display| {
                    Failure::Retry(format!("cannot write to the mailbox {}: {e}", dir.display()))
                };
                let id = transport.send(message).await.map_err(|e| failed(&e))?;
                // A reminder may name a record: owner-only, like every file in the data directory.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let file = dir.join(format!("{id}.eml"));
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(|e| failed(&e))?;
                }
                Ok(())
            }
        }
    }
}

/// The sender, checked when the config was loaded.
pub fn sender(mail: &MailConfig) -> Result<Mailbox, String> {
    mail.from.parse().map_err(|e| format!("mail.from {:?}: {e}", mail.from))
}
