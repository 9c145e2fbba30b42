//! The notifier as deployed: `advocacy serve` processes on one database (PostgreSQL when
//! the suite runs on it, else SQLite files), a real SMTP server in this test. A process
//! killed in the middle of a batch loses no reminder, and two notifier replicas send each
//! of 1,000 reminders due at once exactly once.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use advocacy_platform::client::{BearerToken, connect_with_token};
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_tests::POSTGRES_ENV;
use advocacy_tests::smtp::{Received, SmtpServer};

/// Where the processes keep their data: a directory, and a PostgreSQL prefix when the
/// suite runs there (its databases are dropped when the test ends).
struct Storage {
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Storage {
    fn new() -> Storage {
        let postgres = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty()).map(|server| {
            (server.trim_end_matches('/').to_owned(), format!("advocacy_test_{}", uuid::Uuid::now_v7().simple()))
        });
        Storage { dir: tempfile::tempdir().expect("a temporary directory"), postgres }
    }

    /// A config file for one process; `extra` is appended (service URLs).
    fn config(&self, name: &str, smtp: &SmtpServer, extra: &str) -> std::path::PathBuf {
        let database = match &self.postgres {
            Some((server, prefix)) => format!("database_url = \"{server}/{prefix}_{{service}}\"\n"),
            None => String::new(),
        };
        let text = format!(
            "data_dir = {:?}\ngrpc_listen = \"127.0.0.1:0\"\nhttp_listen = \"127.0.0.1:0\"\n{database}\
             [outbox]\nlease_secs = 3\nconcurrency = 4\n\
             [reminders]\ndigest_schedule = \"\"\nescalate_before_hours = 0\n\
             [mail]\nfrom = \"Reminders <reminders@advocacy.example>\"\n\
             [mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\ntimeout_secs = 5\n{extra}",
            self.dir.path().display(),
            smtp.addr.port()
        );
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).expect("the config file");
        path
    }

    async fn finish(self) {
        if let Some((server, prefix)) = &self.postgres {
            for service in advocacy::serve::service_names() {
                let _ = advocacy_platform::db::drop_postgres_database(&format!("{server}/{prefix}_{service}")).await;
            }
        }
    }
}

/// An `advocacy serve` process, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(config: &Path, services: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_advocacy"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .args(services)
            .env_remove("ADVOCACY_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut url = String::new();
        for line in lines.by_ref() {
            let line = line.expect("a line");
            if let Some((_, at)) = line.split_once(" on grpc://") {
                url = format!("http://{}", at.trim());
                break;
            }
        }
        assert!(!url.is_empty(), "the server said where it listens");
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, url }
    }

    /// As a crash or an OOM kill would: no shutdown, nothing flushed.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The deadlines service as staff, with a token signed by the gateway's key in the processes'
/// shared keys folder (`data_dir/keys`).
async fn deadlines(url: &str, data_dir: &Path) -> DeadlinesServiceClient<advocacy_platform::client::AuthedChannel> {
    let keys = advocacy_platform::KeyDir::new(data_dir.join("keys"));
    let key = keys.ensure(advocacy_platform::keys::PEOPLE_ISSUER, chrono::Utc::now().timestamp()).expect("a key");
    let token = key.issue(
        "ana@advocacy.example",
        vec![advocacy_platform::Role::Staff],
        vec![],
        chrono::Utc::now().timestamp(),
        3600,
    );
    DeadlinesServiceClient::new(
        connect_with_token(url, &BearerToken::new(&token).expect("ascii")).await.expect("connect"),
    )
}

/// `count` deadlines due an hour after `moment`, each reminded an hour before to `owners`:
/// every reminder is due at `moment`.
async fn reminders_due_at(
    url: &str,
    data_dir: &Path,
    moment: chrono::DateTime<chrono::Utc>,
    count: usize,
    owners: &[String],
) {
    let mut client = deadlines(url, data_dir).await;
    for n in 0..count {
        client.create_deadline(advocacy_tests::reminded_at(n, moment, owners)).await.expect("created");
    }
}

/// How often each Message-ID was received.
fn by_message_id(received: &[Received]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in received {
        let id = m.parsed().message_id().expect("a Message-ID").to_owned();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

async fn wait_for_distinct(smtp: &SmtpServer, count: usize, seconds: u64) -> BTreeMap<String, usize> {
    let until = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        let counts = by_message_id(&smtp.received());
        if counts.len() >= count || tokio::time::Instant::now() > until {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_notifier_killed_mid_batch_loses_nothing_and_repeats_only_what_the_server_already_had() {
    let smtp = SmtpServer::start().await;
    // Slow enough that the kill lands while messages are being handed over.
    smtp.delay(Duration::from_millis(40));
    let storage = Storage::new();
    let config = storage.config("all", &smtp, "");
    let server = Server::start(&config, &[]);
    let moment = chrono::Utc::now() + chrono::Duration::seconds(6);
    reminders_due_at(&server.url, storage.dir.path(), moment, 150, &["ana@advocacy.example".to_owned()]).await;
    assert!(chrono::Utc::now() < moment, "all were planned before their moment");
    let before = smtp.wait_for(30, 30).await.len();
    assert!((30..150).contains(&before), "killed mid-batch, after {before}");
    server.kill();

    let _again = Server::start(&config, &[]);
    let counts = wait_for_distinct(&smtp, 150, 60).await;
    assert_eq!(counts.len(), 150, "every reminder arrived");
    let repeated: usize = counts.values().map(|n| n - 1).sum();
    // Only a message the server had taken when the process died, before it was marked
    // sent, is sent again: at most one per concurrent send (outbox.concurrency = 4).
    assert!(repeated <= 4, "{repeated} messages came twice");
    eprintln!("killed after {before} of 150 messages; {repeated} came twice (at most 4 may)");
    drop(_again);
    storage.finish().await;
}

#[tokio::test]
async fn two_notifier_replicas_send_each_of_a_thousand_reminders_due_at_once_exactly_once() {
    let smtp = SmtpServer::start().await;
    let storage = Storage::new();
    let deadlines_config = storage.config("deadlines", &smtp, "");
    let deadlines_server = Server::start(&deadlines_config, &["deadlines"]);
    let follow = format!("[services.deadlines]\nurl = \"{}\"\n", deadlines_server.url);
    let first = Server::start(&storage.config("notifier-1", &smtp, &follow), &["notifier"]);
    let second = Server::start(&storage.config("notifier-2", &smtp, &follow), &["notifier"]);
    let owners: Vec<String> = (0..10).map(|i| format!("person{i}@advocacy.example")).collect();
    let moment = chrono::Utc::now() + chrono::Duration::seconds(8);
    reminders_due_at(&deadlines_server.url, storage.dir.path(), moment, 100, &owners).await;
    assert!(chrono::Utc::now() < moment, "all were planned before their moment");

    let counts = wait_for_distinct(&smtp, 1000, 60).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let counts_after = by_message_id(&smtp.received());
    assert_eq!(counts.len(), 1000, "every reminder arrived");
    assert!(counts_after.values().all(|n| *n == 1), "none twice");
    assert_eq!(smtp.received().len(), 1000);
    drop((first, second, deadlines_server));
    storage.finish().await;
}
