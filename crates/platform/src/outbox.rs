//! Work that must reach another service eventually, whatever happens to it meanwhile:
//! the record is committed first with a "pending" mark, then a loop like this one pushes
//! it, retrying with growing, jittered delays, until it is through. A crash or a restart
//! loses nothing, because the mark is in the database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::Shutdown;

/// Retry delays double from 1 s and stop growing at 10 minutes.
const MAX_BACKOFF_SECS: i64 = 600;

/// Seconds to wait before attempt `attempts + 1`: doubling, capped, with jitter so that
/// many items failing together do not retry together.
pub fn backoff_secs(attempts: i64) -> i64 {
    let capped = (1_i64 << attempts.clamp(0, 10)).min(MAX_BACKOFF_SECS);
    capped + rand::random_range(0..=capped / 4)
}

/// Runs `pass` (one sweep over the pending items) until shutdown: again when woken (new
/// work was committed) or after `poll` (retries falling due).
pub async fn run<F, Fut>(wake: Arc<Notify>, poll: Duration, mut shutdown: Shutdown, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        pass().await;
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
            () = shutdown.recv() => return,
        }
    }
}
