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
use advocacy_platform::outbox::Failure;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub enum Mailer {
    /// A pooled transport, and one permit per connection it may hold: lettre's pool opens
    /// a new connection whenever all are busy and closes it after one message.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        connections: Arc<Semaphore>,
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
        Ok(Mailer::Smtp { transport: builder.pool_config(pool).build(), connections })
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
            Mailer::Smtp { transport, connections } => {
                let _connection = connections.acquire().await.expect("the semaphore is never closed");
                match transport.send(message).await {
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
