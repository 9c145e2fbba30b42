//! Following the deadlines change feed without missing a change: the revision read so far
//! is stored in the follower's own database, so after a restart it resumes there. It lists
//! what happened since (in pages), then watches for new changes, and when the stream
//! breaks it reconnects with backoff from the stored revision. A change may be seen again
//! after a crash between applying it and storing the revision: handlers apply changes so
//! that a repeat changes nothing.

use std::future::Future;
use std::time::Duration;

use sqlx::Row;
use tokio_stream::StreamExt;

use advocacy_proto::v1 as pb;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;

use crate::hosting::SystemChannel;
use crate::{Clock, Database, Shutdown, outbox};

/// Changes asked for per page while catching up.
const PAGE: i32 = 500;

/// What a follower does with each change.
pub trait ChangeHandler: Send + Sync + 'static {
    /// Applies one change; an error stops the follower, which retries from the change.
    fn apply(&self, change: &pb::DeadlineChange) -> impl Future<Output = Result<(), String>> + Send;
}

/// The revision a named feed has been read to, in the follower's database (the
/// `feed_cursors` table of [`outbox::SCHEMA`]).
#[derive(Debug, Clone)]
pub struct Cursor {
    db: Database,
    feed: &'static str,
}

impl Cursor {
    pub fn new(db: &Database, feed: &'static str) -> Cursor {
        Cursor { db: db.clone(), feed }
    }

    pub async fn get(&self) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT revision FROM feed_cursors WHERE feed = $1")
            .bind(self.feed)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map_or(Ok(0), |r| r.try_get(0))
    }

    /// Moves the cursor forward (never back: a late writer cannot rewind it).
    pub async fn advance(&self, revision: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO feed_cursors (feed, revision) VALUES ($1, $2)
             ON CONFLICT (feed) DO UPDATE SET revision = excluded.revision
             WHERE feed_cursors.revision < excluded.revision",
        )
        .bind(self.feed)
        .bind(revision)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }
}

/// Follows the deadlines change feed into a handler.
#[derive(Debug)]
pub struct FeedFollower<H> {
    cursor: Cursor,
    deadlines: DeadlinesServiceClient<SystemChannel>,
    handler: H,
    /// For the lag between a change and its applying, in the metrics.
    clock: Clock,
}

impl<H: ChangeHandler> FeedFollower<H> {
    pub fn new(cursor: Cursor, deadlines: DeadlinesServiceClient<SystemChannel>, handler: H, clock: Clock) -> Self {
        Self { cursor, deadlines, handler, clock }
    }

    /// Until shutdown: catch up, watch, and after any interruption start again from the
    /// stored revision, waiting longer after each failure in a row (at most 30 s).
    pub async fn run(self, mut shutdown: Shutdown) {
        let mut failures = 0;
        loop {
            let before = self.cursor.get().await.unwrap_or(0);
            let result = tokio::select! {
                r = self.follow() => r,
                () = shutdown.recv() => return,
            };
            if self.cursor.get().await.unwrap_or(0) > before {
                failures = 0;
            }
            crate::metrics::metrics().feed_watching(self.cursor.feed, false);
            if let Err(error) = result {
                failures += 1;
                tracing::warn!(feed = self.cursor.feed, %error, "change feed interrupted; resuming from the stored revision");
            }
            let delay = Duration::from_secs(outbox::backoff_secs(failures).min(30) as u64);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.recv() => return,
            }
        }
    }

    /// The lag and revision of the last change applied, for the metrics.
    fn applied(&self, change: &pb::DeadlineChange) {
        let at = change.at.as_ref().and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0));
        let lag = at.map_or(Duration::ZERO, |at| (self.clock.now() - at).to_std().unwrap_or_default());
        crate::metrics::metrics().feed_applied(self.cursor.feed, change.revision, lag);
    }

    /// Lists every change after the cursor, then watches; returns when the stream ends.
    async fn follow(&self) -> Result<(), String> {
        let store = |e: sqlx::Error| format!("cannot store the feed revision: {e}");
        let mut after = self.cursor.get().await.map_err(store)?;
        let mut client = self.deadlines.clone();
        loop {
            let page = client
                .list_changes(pb::ListChangesRequest { after_revision: after, limit: PAGE })
                .await
                .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?
                .into_inner();
            for change in &page.changes {
                self.handler.apply(change).await?;
            }
            after = after.max(page.resume_after_revision);
            self.cursor.advance(after).await.map_err(store)?;
            if let Some(last) = page.changes.last() {
                self.applied(last);
            }
            if !page.more {
                break;
            }
        }
        let mut stream = client
            .watch_changes(pb::WatchChangesRequest { after_revision: after })
            .await
            .map_err(|s| format!("{:?}: {}", s.code(), s.message()))?
            .into_inner();
        crate::metrics::metrics().feed_watching(self.cursor.feed, true);
        while let Some(change) = stream.next().await {
            let change = match change {
                Ok(change) => change,
                // A watch ends when its token does; the next one carries a fresh token.
                Err(s) if s.code() == tonic::Code::Unauthenticated => return Ok(()),
                Err(s) => return Err(format!("{:?}: {}", s.code(), s.message())),
            };
            self.handler.apply(&change).await?;
            self.cursor.advance(change.revision).await.map_err(store)?;
            self.applied(&change);
        }
        Ok(())
    }
}
