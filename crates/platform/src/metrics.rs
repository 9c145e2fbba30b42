//! The Prometheus metrics of one process, in the text format at `/metrics` on
//! `metrics_listen` (off unless set; never on the public HTTP port).
//!
//! Counted as things happen: gRPC requests by method and status with their latency,
//! outbox pushes by result, reminder deliveries by result, the change feed's lag. Read at
//! each scrape from the databases: outbox depth and the age of its oldest due row, and
//! each database pool's connections.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sqlx::Row;

use crate::Database;

type Labels = Vec<(&'static str, String)>;

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    rpc_requests: Family<Labels, Counter>,
    rpc_seconds: Family<Labels, Histogram, fn() -> Histogram>,
    outbox_pushes: Family<Labels, Counter>,
    outbox_rows: Family<Labels, Gauge>,
    outbox_oldest_due: Family<Labels, Gauge>,
    deliveries: Family<Labels, Counter>,
    feed_lag: Family<Labels, Gauge>,
    feed_revision: Family<Labels, Gauge>,
    feed_watching: Family<Labels, Gauge>,
    pool_connections: Family<Labels, Gauge>,
    /// The outbox topics of this process and the database of each: read at each scrape,
    /// shown (at 0) when nothing waits.
    outboxes: std::sync::Mutex<Vec<(&'static str, sqlx::AnyPool)>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_buckets() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("advocacy");
        let m = Metrics {
            rpc_requests: Family::default(),
            rpc_seconds: Family::new_with_constructor(latency_buckets),
            outbox_pushes: Family::default(),
            outbox_rows: Family::default(),
            outbox_oldest_due: Family::default(),
            deliveries: Family::default(),
            feed_lag: Family::default(),
            feed_revision: Family::default(),
            feed_watching: Family::default(),
            pool_connections: Family::default(),
            outboxes: Default::default(),
            registry: Registry::default(),
        };
        registry.register("rpc_requests", "gRPC requests answered, by method and status code", m.rpc_requests.clone());
        registry.register(
            "rpc_duration_seconds",
            "Time to answer a gRPC request (to its first response for a stream), by method",
            m.rpc_seconds.clone(),
        );
        registry.register(
            "outbox_pushes",
            "Outbox pushes by topic and result (done; retry: tried again later; failed: given up)",
            m.outbox_pushes.clone(),
        );
        registry.register(
            "outbox_rows",
            "Outbox rows by topic and state (pending: all waiting, due: waiting past their time, failed)",
            m.outbox_rows.clone(),
        );
        registry.register(
            "outbox_oldest_due_seconds",
            "How long the oldest due outbox row of a topic has waited past its time",
            m.outbox_oldest_due.clone(),
        );
        registry.register("deliveries", "Reminder deliveries by result", m.deliveries.clone());
        registry.register(
            "feed_lag_seconds",
            "Between a change to a deadline and its follower applying it, for the last change applied",
            m.feed_lag.clone(),
        );
        registry.register("feed_revision", "The change feed revision a follower has applied", m.feed_revision.clone());
        registry.register(
            "feed_watching",
            "1 while a follower watches the change feed, 0 while it is cut off and retrying",
            m.feed_watching.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by service and state (in_use, idle, max)",
            m.pool_connections.clone(),
        );
        Metrics { registry, ..m }
    })
}

impl Metrics {
    /// A request answered (or dropped, as `Cancelled`, when the client left or its time
    /// ran out). Only methods of the API are named; anything else anyone may ask is
    /// `unknown`, so no outsider can add series.
    pub fn rpc(&self, method: &str, code: tonic::Code, latency: Duration) {
        let method = if known_method(method) { method } else { "unknown" };
        let code = format!("{code:?}");
        self.rpc_requests.get_or_create(&vec![("method", method.to_owned()), ("code", code)]).inc();
        self.rpc_seconds.get_or_create(&vec![("method", method.to_owned())]).observe(latency.as_secs_f64());
    }

    pub fn outbox_push(&self, topic: &str, result: &'static str) {
        self.outbox_pushes.get_or_create(&vec![("topic", topic.to_owned()), ("result", result.to_owned())]).inc();
    }

    /// An outbox topic this process works on, in `db`.
    pub fn outbox_topic(&self, topic: &'static str, db: &Database) {
        let mut outboxes = self.outboxes.lock().unwrap_or_else(|p| p.into_inner());
        outboxes.retain(|(t, _)| *t != topic);
        outboxes.push((topic, db.pool.clone()));
    }

    pub fn deliveries(&self, result: &str, count: u64) {
        self.deliveries.get_or_create(&vec![("result", result.to_owned())]).inc_by(count);
    }

    pub fn feed_applied(&self, feed: &str, revision: i64, lag: Duration) {
        let labels = vec![("feed", feed.to_owned())];
        self.feed_revision.get_or_create(&labels).set(revision);
        self.feed_lag.get_or_create(&labels).set(lag.as_secs() as i64);
    }

    pub fn feed_watching(&self, feed: &str, watching: bool) {
        self.feed_watching.get_or_create(&vec![("feed", feed.to_owned())]).set(i64::from(watching));
    }

    /// The text to answer a scrape with, after reading the databases' pools and outboxes.
    pub async fn render(&self, databases: &[(&'static str, Database)], now: chrono::DateTime<chrono::Utc>) -> String {
        for (service, db) in databases {
            let pool = |state: &str| vec![("service", (*service).to_owned()), ("state", state.to_owned())];
            let (size, idle) = (i64::from(db.pool.size()), db.pool.num_idle() as i64);
            self.pool_connections.get_or_create(&pool("in_use")).set(size - idle);
            self.pool_connections.get_or_create(&pool("idle")).set(idle);
            self.pool_connections.get_or_create(&pool("max")).set(i64::from(db.pool.options().get_max_connections()));
        }
        let outboxes = self.outboxes.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (topic, pool) in outboxes {
            let labels = |state: &str| vec![("topic", topic.to_owned()), ("state", state.to_owned())];
            let oldest = vec![("topic", topic.to_owned())];
            match read_outbox(&pool, topic, now).await {
                Ok((pending, due, failed, waited)) => {
                    self.outbox_rows.get_or_create(&labels("pending")).set(pending);
                    self.outbox_rows.get_or_create(&labels("due")).set(due);
                    self.outbox_rows.get_or_create(&labels("failed")).set(failed);
                    self.outbox_oldest_due.get_or_create(&oldest).set(waited);
                }
                // Unknown is not zero: the series go, and an alert on their absence fires.
                Err(e) => {
                    tracing::warn!(topic, error = %e, "metrics: the outbox could not be read");
                    for state in ["pending", "due", "failed"] {
                        self.outbox_rows.remove(&labels(state));
                    }
                    self.outbox_oldest_due.remove(&oldest);
                }
            }
        }
        let mut text = String::new();
        if let Err(e) = encode(&mut text, &self.registry) {
            tracing::warn!(error = %e, "metrics could not be encoded");
        }
        text
    }
}

/// One topic's rows: pending, due, failed, and how long (seconds) the oldest due one has
/// waited past its time.
async fn read_outbox(
    pool: &sqlx::AnyPool,
    topic: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(i64, i64, i64, i64), sqlx::Error> {
    let now = now.timestamp_micros();
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN state = 'pending' AND next_attempt_at <= $1 THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0),
                COALESCE(MIN(CASE WHEN state = 'pending' AND next_attempt_at <= $1 THEN next_attempt_at END), $1)
         FROM outbox WHERE topic = $2",
    )
    .bind(now)
    .bind(topic)
    .fetch_one(pool)
    .await?;
    let oldest: i64 = row.try_get(3)?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, (now - oldest).max(0) / 1_000_000))
}

/// Whether `path` (`/advocacy.v1.DeadlinesService/GetDeadline`) is a method of the API,
/// of the health protocol or of reflection.
fn known_method(path: &str) -> bool {
    static KNOWN: OnceLock<std::collections::HashSet<String>> = OnceLock::new();
    let known = KNOWN.get_or_init(|| {
        use prost::Message;
        let mut known: std::collections::HashSet<String> = [
            "/grpc.health.v1.Health/Check",
            "/grpc.health.v1.Health/Watch",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let files = prost_types::FileDescriptorSet::decode(advocacy_proto::FILE_DESCRIPTOR_SET).unwrap_or_default();
        for file in files.file {
            for service in &file.service {
                for method in &service.method {
                    known.insert(format!("/{}.{}/{}", file.package(), service.name(), method.name()));
                }
            }
        }
        known
    });
    known.contains(path)
}

/// The router answering `/metrics` for a process serving `databases`.
pub fn router(databases: Vec<(&'static str, Database)>, clock: crate::Clock) -> axum::Router {
    let databases = std::sync::Arc::new(databases);
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let (databases, clock) = (databases.clone(), clock.clone());
            async move {
                let text = metrics().render(&databases, clock.now()).await;
                ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text)
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::known_method;

    #[test]
    fn only_methods_of_the_api_are_named_in_the_metrics() {
        assert!(known_method("/advocacy.v1.DeadlinesService/GetDeadline"));
        assert!(known_method("/advocacy.v1.GatewayService/GetImpactReport"));
        assert!(known_method("/grpc.health.v1.Health/Check"));
        assert!(!known_method("/advocacy.v1.DeadlinesService/Invented"), "a caller cannot add series");
        assert!(!known_method("/nothing"));
    }
}
