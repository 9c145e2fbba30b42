//! The outbox with more than one replica, as deployed: replicas are separate processes on
//! one database (PostgreSQL when the suite runs on it, else one SQLite file). Each item is
//! pushed exactly once while both are healthy, and the claims of a replica killed in the
//! middle of its work are taken over by the other once their lease runs out.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sqlx::Row;

use advocacy_platform::outbox::Outbox;
use advocacy_platform::{Clock, Database};
use advocacy_tests::{ScratchDatabase, eventually, replicas};

/// A replica process, killed when the test lets go of it.
struct Replica(Child);

impl Replica {
    fn start(url: &str, name: &str, mode: &str, lease_secs: u64) -> Replica {
        let child = Command::new(env!("CARGO_BIN_EXE_outbox_replica"))
            .args([url, name, mode, &lease_secs.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("the replica starts");
        Replica(child)
    }

    /// Kills the process at once, as a crash or an OOM kill would: no shutdown, no cleanup.
    fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn open(scratch: &ScratchDatabase) -> (Database, Outbox) {
    let db = Database::open(&scratch.url, replicas::MIGRATIONS).await.expect("the database opens");
    let outbox = Outbox::new(&db, replicas::TOPIC, Clock::system(), Default::default());
    (db, outbox)
}

async fn enqueue(db: &Database, outbox: &Outbox, items: usize) {
    let mut tx = db.begin_write().await.expect("begin");
    for i in 0..items {
        outbox.enqueue(&mut tx, &format!("item-{i:04}")).await.expect("enqueue");
    }
    tx.commit().await.expect("commit");
}

/// Deliveries recorded: in all, of distinct items, and per replica.
async fn delivered(db: &Database) -> (i64, i64, Vec<(String, i64)>) {
    let row = sqlx::query("SELECT COUNT(*), COUNT(DISTINCT item) FROM deliveries")
        .fetch_one(&db.pool)
        .await
        .expect("count deliveries");
    let by_replica = sqlx::query("SELECT replica, COUNT(*) FROM deliveries GROUP BY replica ORDER BY replica")
        .fetch_all(&db.pool)
        .await
        .expect("deliveries by replica")
        .iter()
        .map(|r| (r.try_get(0).expect("replica"), r.try_get(1).expect("count")))
        .collect();
    (row.try_get(0).expect("total"), row.try_get(1).expect("distinct"), by_replica)
}

/// Waits until `expected` deliveries are recorded and nothing is left in the outbox.
async fn all_delivered(db: &Database, outbox: &Outbox, expected: i64, seconds: u64) -> bool {
    eventually(seconds, || async {
        let (total, _, _) = delivered(db).await;
        let left = outbox.counts().await.expect("counts");
        (total >= expected && left.pending == 0).then_some(())
    })
    .await
    .is_some()
}

#[tokio::test]
async fn two_replicas_push_each_of_1000_items_exactly_once() {
    let scratch = ScratchDatabase::new("replicas");
    let (db, outbox) = open(&scratch).await;
    enqueue(&db, &outbox, 1000).await;

    let a = Replica::start(&scratch.url, "a", "work", 30);
    let b = Replica::start(&scratch.url, "b", "work", 30);
    assert!(all_delivered(&db, &outbox, 1000, 90).await, "every item delivered: {:?}", delivered(&db).await);
    // Give a replica that pushed an item twice the time to record the second push.
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.kill();
    b.kill();

    let (total, distinct, by_replica) = delivered(&db).await;
    assert_eq!((total, distinct), (1000, 1000), "each item exactly once");
    assert_eq!(by_replica.len(), 2, "both replicas took part: {by_replica:?}");
    assert!(by_replica.iter().all(|(_, n)| *n > 0), "{by_replica:?}");
    let left = outbox.counts().await.expect("counts");
    assert_eq!((left.pending, left.failed), (0, 0));
    db.close().await;
    scratch.finish().await;
}

#[tokio::test]
async fn a_replica_killed_while_holding_claims_has_them_taken_over_after_the_lease() {
    let scratch = ScratchDatabase::new("takeover");
    let (db, outbox) = open(&scratch).await;
    enqueue(&db, &outbox, 100).await;
    let lease_secs = 8;

    // Replica a claims a batch and never finishes it (its pushes hang); then it dies.
    let a = Replica::start(&scratch.url, "a", "hang", lease_secs);
    let held = eventually(20, || async {
        let row = sqlx::query("SELECT COUNT(*), MAX(claimed_until) FROM outbox WHERE claimed_by <> ''")
            .fetch_one(&db.pool)
            .await
            .expect("claims");
        let count: i64 = row.try_get(0).expect("count");
        (count > 0).then(|| (count, row.try_get::<Option<i64>, _>(1).expect("until").unwrap_or(0)))
    })
    .await
    .expect("replica a holds claims");
    a.kill();
    let (held_count, held_until) = held;
    assert_eq!(held_count, 16, "one batch of the configured concurrency");

    let b = Replica::start(&scratch.url, "b", "work", lease_secs);
    // The unclaimed items go at once; the held ones must wait for the lease.
    let unclaimed = 100 - held_count;
    eventually(20, || async { (delivered(&db).await.0 >= unclaimed).then_some(()) })
        .await
        .expect("replica b delivers what nobody held");
    let now = chrono::Utc::now().timestamp_micros();
    if now < held_until - 1_000_000 {
        assert_eq!(delivered(&db).await.0, unclaimed, "the held items wait for their lease to run out");
    }
    assert!(all_delivered(&db, &outbox, 100, 40).await, "taken over after the lease: {:?}", delivered(&db).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.kill();

    let (total, distinct, by_replica) = delivered(&db).await;
    assert_eq!((total, distinct), (100, 100), "nothing lost, nothing twice");
    assert_eq!(by_replica, [("b".to_owned(), 100)], "the killed replica delivered nothing");
    db.close().await;
    scratch.finish().await;
}

/// Counts its pushes; each ends only when the test lets it.
struct Gated {
    pushes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    gate: std::sync::Arc<tokio::sync::Semaphore>,
}

impl advocacy_platform::outbox::Delivery for Gated {
    async fn deliver(&self, _item: &str) -> Result<(), advocacy_platform::outbox::Failure> {
        self.pushes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.gate.acquire().await.expect("the gate stays open").forget();
        Ok(())
    }
}

#[tokio::test]
async fn an_item_enqueued_again_while_it_is_pushed_is_pushed_once_more_and_then_done() {
    use std::sync::atomic::Ordering::SeqCst;
    let scratch = ScratchDatabase::new("again");
    let (db, outbox) = open(&scratch).await;
    enqueue(&db, &outbox, 1).await;
    let pushes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let (stop, shutdown) = advocacy_platform::Shutdown::new();
    let delivery = Gated { pushes: pushes.clone(), gate: gate.clone() };
    let worker = tokio::spawn(outbox.clone().run(delivery, shutdown));
    let pushed = |n: usize| {
        let pushes = pushes.clone();
        eventually(10, move || {
            let pushes = pushes.clone();
            async move { (pushes.load(SeqCst) == n).then_some(()) }
        })
    };
    pushed(1).await.expect("the first push starts");

    // The item is asked for again while its first push is under way: that push, once
    // done, leaves the row to be pushed once more (not held until the lease runs out).
    enqueue(&db, &outbox, 1).await;
    gate.add_permits(1);
    pushed(2).await.expect("pushed once more, well before the 60 s lease");
    gate.add_permits(1);
    let done = eventually(10, || async { (outbox.counts().await.expect("counts").pending == 0).then_some(()) }).await;
    assert!(done.is_some(), "and then it is done");
    assert_eq!(pushes.load(SeqCst), 2, "twice in all");
    drop(stop);
    worker.await.expect("the worker stops");
}
