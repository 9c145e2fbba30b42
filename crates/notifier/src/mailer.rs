//! Hands messages to the mail server, or in the embedded default writes them into a
//! mailbox folder (one .eml file per message). Its answer decides what happens next:
//! a temporary refusal (4xx), a connection error or a timeout is tried again later; a
//! permanent refusal (5xx) fails the delivery at once. Both keep the server's reply.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use advocacy_platform::config::{MailConfig, SmtpSecurity};
use advocacy_platform::outbox::Failure;
use tokio::sync::Semaphore;

/// Messages a replica claims per SMTP connection at most (see [`Mailer::in_flight_limit`]):
/// claimed in bigger batches, each message carries less of the database's work.
const MOST_PER_CONNECTION: usize = 16;
/// Claimed per connection before any send has been timed: the first batch finds the pace.
const FIRST_PER_CONNECTION: usize = 1;

#[derive(Clone)]
pub enum Mailer {
    /// A pooled transport keeping `size` connections, and one permit per connection:
    /// lettre's pool opens a new connection whenever all are busy and closes it after one
    /// message.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        connections: Arc<Semaphore>,
        size: usize,
        pace: Arc<Pace>,
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
        Ok(Mailer::Smtp {
            transport: builder.pool_config(pool).build(),
            connections,
            size: smtp.connections,
            pace: Arc::default(),
        })
    }

    /// How many messages a replica may claim now. A claimed message waits for a connection,
    /// and that wait counts against its push's time (half the lease): over SMTP, as many
    /// per connection as the server takes in a quarter of the lease at the pace it has
    /// kept, from one to [`MOST_PER_CONNECTION`]. A slow server gets small batches, whose
    /// last message still goes out in time; a fast one big batches.
    pub fn in_flight_limit(&self, lease: Duration) -> usize {
        match self {
            Mailer::Smtp { size, pace, .. } => size * pace.per_connection(lease),
            Mailer::Mailbox { .. } => usize::MAX,
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
            Mailer::Smtp { transport, connections, pace, .. } => {
                let connection = connections.acquire().await.expect("the semaphore is never closed");
                let mut timing = pace.timing();
                let sent = transport.send(message).await;
                // A server that cannot be reached fails at once: that says nothing of its pace.
                timing.counts = sent.is_ok();
                drop(timing);
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

/// How long the mail server takes for one message, averaged over the last few.
#[derive(Debug, Default)]
pub struct Pace {
    /// Microseconds; 0 until a send has been timed.
    micros: AtomicU64,
}

impl Pace {
    /// Times one send from now, counted when dropped: also a send cut off by its push's
    /// time-out, which is dropped midway and was the slowest of all.
    fn timing(&self) -> Timing<'_> {
        Timing { pace: self, started: Instant::now(), counts: true }
    }

    fn record(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let _ = self.micros.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |average| {
            // A slower send shows at once, so the next claim is already smaller; a faster
            // one moves the average an eighth of the way, so batches grow back over a few.
            Some(if sample >= average { sample } else { average - average / 8 + sample / 8 })
        });
    }

    fn per_connection(&self, lease: Duration) -> usize {
        match self.micros.load(Ordering::Relaxed) {
            0 => FIRST_PER_CONNECTION,
            average => {
                let in_time = (lease / 4).as_micros() / u128::from(average);
                usize::try_from(in_time).unwrap_or(usize::MAX).clamp(1, MOST_PER_CONNECTION)
            }
        }
    }
}

/// One send being timed (see [`Pace::timing`]).
struct Timing<'a> {
    pace: &'a Pace,
    started: Instant,
    counts: bool,
}

impl Drop for Timing<'_> {
    fn drop(&mut self) {
        if self.counts {
            self.pace.record(self.started.elapsed());
        }
    }
}

/// The sender, checked when the config was loaded.
pub fn sender(mail: &MailConfig) -> Result<Mailbox, String> {
    mail.from.parse().map_err(|e| format!("mail.from {:?}: {e}", mail.from))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(60);

    fn kept(each: Duration, sends: usize) -> Pace {
        let pace = Pace::default();
        for _ in 0..sends {
            pace.record(each);
        }
        pace
    }

    #[test]
    fn a_connection_is_given_what_the_server_takes_in_a_quarter_of_the_lease() {
        assert_eq!(Pace::default().per_connection(LEASE), FIRST_PER_CONNECTION, "not timed yet");
        assert_eq!(kept(Duration::from_millis(5), 1).per_connection(LEASE), MOST_PER_CONNECTION);
        // 15 s of a 60 s lease, at 2 s a message.
        assert_eq!(kept(Duration::from_secs(2), 1).per_connection(LEASE), 7);
        assert_eq!(kept(Duration::from_secs(40), 1).per_connection(LEASE), 1, "one at least");
    }

    #[test]
    fn a_slow_send_shows_at_once_and_speed_comes_back_over_a_few() {
        let pace = kept(Duration::from_millis(100), 20);
        assert_eq!(pace.per_connection(LEASE), MOST_PER_CONNECTION);
        pace.record(Duration::from_secs(30));
        assert_eq!(pace.per_connection(LEASE), 1, "15 s hold no 30 s send");
        // 30 s * (7/8)^8 + about 60 ms: 10.3 s, still one.
        for _ in 0..8 {
            pace.record(Duration::from_millis(100));
        }
        assert_eq!(pace.per_connection(LEASE), 1);
        for _ in 0..40 {
            pace.record(Duration::from_millis(100));
        }
        assert_eq!(pace.per_connection(LEASE), MOST_PER_CONNECTION);
    }

    #[test]
    fn a_send_cut_off_midway_counts_and_one_that_could_not_connect_does_not() {
        let pace = kept(Duration::from_millis(100), 1);
        let mut refused = pace.timing();
        refused.counts = false;
        refused.started -= Duration::from_secs(30);
        drop(refused);
        assert_eq!(pace.per_connection(LEASE), MOST_PER_CONNECTION);
        let mut cut_off = pace.timing();
        cut_off.started -= Duration::from_secs(30);
        drop(cut_off);
        assert_eq!(pace.per_connection(LEASE), 1);
    }
}
