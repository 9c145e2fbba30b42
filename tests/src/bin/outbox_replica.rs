//! One replica of a service's outbox worker, as its own process, for the test that runs
//! two of them on one database (`tests/tests/outbox_replicas.rs`). Each delivery is
//! written to a `deliveries` table with the replica's name, so the test can count who
//! pushed what. With `hang`, deliveries never finish: the replica holds its claims until
//! it is killed.
//!
//! Usage: outbox_replica DATABASE_URL NAME (work|hang) LEASE_SECS

use std::time::Duration;

use advocacy_platform::outbox::{Delivery, Failure, Outbox, OutboxSettings};
use advocacy_platform::{Clock, Database, Shutdown};

struct Recorder {
    db: Database,
    name: String,
    hang: bool,
}

impl Delivery for Recorder {
    async fn deliver(&self, item: &str) -> Result<(), Failure> {
        if self.hang {
            std::future::pending::<()>().await;
        }
        // Long enough that the two replicas' batches overlap in time.
        tokio::time::sleep(Duration::from_millis(20)).await;
        sqlx::query("INSERT INTO deliveries (item, replica) VALUES ($1, $2)")
            .bind(item)
            .bind(&self.name)
            .execute(&self.db.pool)
            .await
            .map_err(|e| Failure::Retry(e.to_string()))?;
        Ok(())
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, name, mode, lease] = args.as_slice() else {
        eprintln!("usage: outbox_replica DATABASE_URL NAME (work|hang) LEASE_SECS");
        std::process::exit(2);
    };
    let db = Database::open(url, advocacy_tests::replicas::MIGRATIONS).await.expect("the database opens");
    let settings = OutboxSettings {
        lease_secs: lease.parse().expect("lease seconds"),
        concurrency: 16,
        ..OutboxSettings::default()
    };
    let outbox = Outbox::new(&db, advocacy_tests::replicas::TOPIC, Clock::system(), settings);
    let recorder = Recorder { db: db.clone(), name: name.clone(), hang: mode == "hang" };
    let (_trigger, shutdown) = Shutdown::new();
    println!("ready");
    outbox.run(recorder, shutdown).await;
}
