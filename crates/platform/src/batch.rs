//! Reads of single records by id that arrive together are answered by one query: under
//! load, each round trip to the database costs the server more (a send, a wake-up of
//! the database process, a context switch on a small machine) than the query itself.
//! A caller waits for no timer: the first read goes out at once, and those that arrive
//! while it runs go out together in the next one. A second batch runs beside the first
//! only once a full one is waiting: splitting the waiting reads over several queries
//! made the batches, and so the savings, smaller (GetDeadline under load: 25,000 req/s
//! with four batches running at once, 35,000 with one).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Notify, Semaphore, mpsc, oneshot};

use crate::Database;
use crate::db::{Columns, ReadRow, Sql};

/// Ids read in one query at most.
const MAX_BATCH: usize = 64;
/// Batches running at once, when full ones are waiting.
const IN_FLIGHT: usize = 4;

/// The row, or what went wrong: whether the connection broke (worth a retry) and the
/// error's text (for the log).
type Answer = Result<Option<Arc<ReadRow>>, (bool, String)>;

/// A batch's read gives up after this, well within the server's request timeout, so a
/// connection the network left half-open does not hold reads for minutes.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Cheap to clone; every clone feeds the same batches.
#[derive(Debug, Clone)]
pub struct RowsById {
    asks: mpsc::UnboundedSender<(String, oneshot::Sender<Answer>)>,
}

/// What the batches read with: the query up to its id list, and where the id is in a row.
#[derive(Debug, Clone, Copy)]
struct Select {
    text: &'static str,
    id_column: usize,
}

impl RowsById {
    /// `select` is a query that ends where the id list goes (`... WHERE d.id IN `); its
    /// column `id_column` is the id. The batches stop when the last clone is dropped.
    pub fn new(db: &Database, select: &'static str, id_column: usize) -> RowsById {
        let select = Select { text: select, id_column };
        let (asks, mut queue) = mpsc::unbounded_channel::<(String, oneshot::Sender<Answer>)>();
        let db = db.clone();
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(IN_FLIGHT));
            let finished = Arc::new(Notify::new());
            let mut batch = Vec::with_capacity(MAX_BATCH);
            let mut open = true;
            loop {
                if batch.is_empty() {
                    match queue.recv().await {
                        Some(ask) => batch.push(ask),
                        None => return,
                    }
                }
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(ask) => batch.push(ask),
                        Err(_) => break,
                    }
                }
                let idle = slots.available_permits() == IN_FLIGHT;
                if !idle && batch.len() < MAX_BATCH {
                    // Wait for the running batch, gathering the reads that arrive meanwhile.
                    tokio::select! {
                        () = finished.notified() => {}
                        ask = queue.recv(), if open => match ask {
                            Some(ask) => batch.push(ask),
                            None => open = false,
                        },
                    }
                    continue;
                }
                let Ok(slot) = slots.clone().acquire_owned().await else { return };
                let (db, finished, run) = (db.clone(), finished.clone(), std::mem::take(&mut batch));
                tokio::spawn(async move {
                    answer(&db, select, run).await;
                    drop(slot);
                    finished.notify_one();
                });
            }
        });
        RowsById { asks }
    }

    /// The row of `id`, if there is one.
    pub async fn get(&self, id: &str) -> Result<Option<Arc<ReadRow>>, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.asks.send((id.to_owned(), reply)).map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?.map_err(|(broken, text)| {
            // The error itself went to every caller of the batch; its kind comes back as
            // one the error mapping reads the same way: unavailable, or a bug of ours.
            if broken { sqlx::Error::Io(std::io::Error::other(text)) } else { sqlx::Error::Decode(text.into()) }
        })
    }
}

async fn answer(db: &Database, select: Select, batch: Vec<(String, oneshot::Sender<Answer>)>) {
    // Callers that gave up (their request timed out) need no answer.
    let batch: Vec<_> = batch.into_iter().filter(|(_, reply)| !reply.is_closed()).collect();
    if batch.is_empty() {
        return;
    }
    let mut sql = Sql::new(select.text);
    let mut ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let placeholders = sql.bind_list(&ids);
    sql.push(&format!("({placeholders})"));
    let read = tokio::time::timeout(READ_TIMEOUT, db.read_all(sql))
        .await
        .unwrap_or_else(|_| Err(sqlx::Error::Io(std::io::ErrorKind::TimedOut.into())));
    let rows = read.and_then(|rows| {
        rows.into_iter()
            .map(|row| Ok((row.value::<String>(select.id_column)?, Arc::new(row))))
            .collect::<Result<HashMap<String, Arc<ReadRow>>, sqlx::Error>>()
    });
    match rows {
        Ok(by_id) => {
            for (id, reply) in batch {
                let _ = reply.send(Ok(by_id.get(&id).cloned()));
            }
        }
        Err(e) => {
            let failure = (crate::db::is_broken_connection(&e), e.to_string());
            for (_, reply) in batch {
                let _ = reply.send(Err(failure.clone()));
            }
        }
    }
}
