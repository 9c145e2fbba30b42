//! Connections for the read path. sqlx's pool pings every connection it takes back (a
//! round trip to the database and a spawned task per query), which on the hot reads
//! (`GetDeadline`, a page of a listing) doubled the database round trips. A read leaves
//! nothing to flush: a connection dropped in the middle of one is drained by the next
//! query sqlx runs on it. So reads take connections from this small pool, which hands
//! them back as they are; writes, which may leave a transaction to roll back, keep
//! sqlx's pool and its check. A connection the database has closed (a restart, a
//! failover) is found by the read that uses it, closed, and that read tried again on a
//! new connection ([`crate::Database::read_all`]).
//!
//! Reader connections are each engine's own (`PgConnection`, `SqliteConnection`), not
//! sqlx's `Any`: the `Any` driver copies every value of every row into its own form
//! before the service reads it, a sixth of the server's time on a page of fifty.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Dialect;

/// Rows a SQLite reader's thread may hand over before the read takes them: sqlx's 50 would
/// wake it for every row past the 50th (see [`crate::Dialect::rows_per_statement`]); this
/// covers the longest page a read asks for (1,000 rows).
const SQLITE_ROWS_AHEAD: usize = 1_024;

/// Cheap to clone; every clone hands out the same connections.
#[derive(Clone)]
pub struct Readers {
    inner: Arc<Inner>,
}

struct Inner {
    options: Options,
    idle: Mutex<Vec<ReadConnection>>,
    permits: Arc<Semaphore>,
}

impl fmt::Debug for Readers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readers").field("available", &self.inner.permits.available_permits()).finish()
    }
}

/// How to open a reader connection on each engine.
enum Options {
    Postgres(PgConnectOptions),
    Sqlite(SqliteConnectOptions),
}

/// A reader connection, in its engine's own driver.
#[derive(Debug)]
pub enum ReadConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl ReadConnection {
    async fn close(self) -> Result<(), sqlx::Error> {
        match self {
            ReadConnection::Postgres(conn) => conn.close().await,
            ReadConnection::Sqlite(conn) => conn.close().await,
        }
    }
}

/// A connection for reads; it goes back to the pool when dropped.
pub struct Reader {
    conn: Option<ReadConnection>,
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

/// How long a read waits for a connection before it reports the database unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl Readers {
    /// Readers for the database at `url`, which [`crate::Database::open`] has checked.
    pub fn new(url: &str, dialect: Dialect, size: usize) -> Result<Readers, sqlx::Error> {
        let options = match dialect {
            Dialect::Postgres => {
                Options::Postgres(url.parse::<PgConnectOptions>()?.log_statements(tracing::log::LevelFilter::Trace))
            }
            Dialect::Sqlite => {
                let options = url.parse::<SqliteConnectOptions>()?.row_buffer_size(SQLITE_ROWS_AHEAD);
                Options::Sqlite(options.log_statements(tracing::log::LevelFilter::Trace))
            }
        };
        Ok(Readers {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::new(Vec::with_capacity(size)),
                permits: Arc::new(Semaphore::new(size)),
            }),
        })
    }

    /// A connection: an idle one, or a new one while fewer than the size are open.
    pub async fn acquire(&self) -> Result<Reader, sqlx::Error> {
        let permit = self.permit().await?;
        let idle = self.inner.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        Ok(Reader { conn: Some(conn), inner: self.inner.clone(), _permit: permit })
    }

    /// A new connection, for a read retried after its connection was found broken.
    pub async fn acquire_new(&self) -> Result<Reader, sqlx::Error> {
        let permit = self.permit().await?;
        let conn = self.connect().await?;
        Ok(Reader { conn: Some(conn), inner: self.inner.clone(), _permit: permit })
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, sqlx::Error> {
        tokio::time::timeout(ACQUIRE_TIMEOUT, self.inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)
    }

    /// A new connection with the settings every connection gets.
    async fn connect(&self) -> Result<ReadConnection, sqlx::Error> {
        Ok(match &self.inner.options {
            Options::Postgres(options) => ReadConnection::Postgres(options.connect().await?),
            Options::Sqlite(options) => {
                let mut conn = options.connect().await?;
                for setting in crate::db::SQLITE_SETTINGS {
                    sqlx::Executor::execute(&mut conn, *setting).await?;
                }
                ReadConnection::Sqlite(conn)
            }
        })
    }

    /// Closes the idle connections (the server is stopping).
    pub async fn close(&self) {
        let idle: Vec<ReadConnection> =
            std::mem::take(&mut *self.inner.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        for conn in idle {
            let _ = conn.close().await;
        }
        self.inner.permits.close();
    }
}

impl Reader {
    /// Drops the connection instead of handing it back: the database closed it.
    pub fn discard(mut self) {
        self.conn.take();
    }
}

impl Deref for Reader {
    type Target = ReadConnection;

    fn deref(&self) -> &ReadConnection {
        self.conn.as_ref().expect("a reader holds its connection until dropped")
    }
}

impl DerefMut for Reader {
    fn deref_mut(&mut self) -> &mut ReadConnection {
        self.conn.as_mut().expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !self.inner.permits.is_closed()
        {
            self.inner.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(conn);
        }
    }
}
