//! Connections for the read path. sqlx's pool pings every connection it takes back (a
//! round trip to the database and a spawned task per query), which on the hot reads
//! (`GetDeadline`, a page of a listing) doubled the database round trips. A read leaves
//! nothing to flush: a connection dropped in the middle of one is drained by the next
//! query sqlx runs on it. So reads take connections from this small pool, which hands
//! them back as they are; writes, which may leave a transaction to roll back, keep
//! sqlx's pool and its check. A connection the database has closed (a restart, a
//! failover) is found by the read that uses it, closed, and that read tried again on a
//! new connection ([`crate::Database::read_all`]).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Dialect;

/// Cheap to clone; every clone hands out the same connections.
#[derive(Clone)]
pub struct Readers {
    inner: Arc<Inner>,
}

struct Inner {
    options: AnyConnectOptions,
    dialect: Dialect,
    idle: Mutex<Vec<AnyConnection>>,
    permits: Arc<Semaphore>,
}

impl fmt::Debug for Readers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readers").field("available", &self.inner.permits.available_permits()).finish()
    }
}

/// A connection for reads; it goes back to the pool when dropped.
pub struct Reader {
    conn: Option<AnyConnection>,
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
    pub fn new(options: AnyConnectOptions, dialect: Dialect, size: usize) -> Readers {
        Readers {
            inner: Arc::new(Inner {
                options,
                dialect,
                idle: Mutex::new(Vec::with_capacity(size)),
                permits: Arc::new(Semaphore::new(size)),
            }),
        }
    }

    /// A connection: an idle one, or a new one while fewer than the size are open.
    pub async fn acquire(&self) -> Result<Reader, sqlx::Error> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.inner.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let mut conn = self.inner.options.connect().await?;
                crate::db::prepare_connection(&mut conn, self.inner.dialect).await?;
                conn
            }
        };
        Ok(Reader { conn: Some(conn), inner: self.inner.clone(), _permit: permit })
    }

    /// A new connection, for a read retried after its connection was found broken.
    pub async fn acquire_new(&self) -> Result<Reader, sqlx::Error> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let mut conn = self.inner.options.connect().await?;
        crate::db::prepare_connection(&mut conn, self.inner.dialect).await?;
        Ok(Reader { conn: Some(conn), inner: self.inner.clone(), _permit: permit })
    }

    /// Closes the idle connections (the server is stopping).
    pub async fn close(&self) {
        let idle: Vec<AnyConnection> =
            std::mem::take(&mut *self.inner.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        for conn in idle {
            let _ = sqlx::Connection::close(conn).await;
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
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn.as_ref().expect("a reader holds its connection until dropped")
    }
}

impl DerefMut for Reader {
    fn deref_mut(&mut self) -> &mut AnyConnection {
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
