//! The test harness: a real system on port 0 with a database of its own, and clients that
//! talk to it through the generated gRPC code, the way staff tools do.
//!
//! Every test runs on SQLite by default (a temporary directory). With
//! `ADVOCACY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432` each test gets its own
//! PostgreSQL databases instead, dropped when the test ends.

use std::path::PathBuf;

use advocacy::serve::{RunningSystem, service_names, start};
use advocacy_platform::client::{AuthedChannel, BearerToken, connect, connect_with_token};
use advocacy_platform::config::{Config, ServerLimits};
use advocacy_platform::keys::{KeyDir, PEOPLE_ISSUER};
use advocacy_platform::{Clock, Database, Role, SigningKey};
use advocacy_proto::v1::briefings_service_client::BriefingsServiceClient;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_proto::v1::gateway_service_client::GatewayServiceClient;
use advocacy_proto::v1::notifier_service_client::NotifierServiceClient;
use advocacy_proto::v1::submissions_service_client::SubmissionsServiceClient;
use tonic::transport::Channel;

pub use advocacy_proto::v1 as pb;

/// The environment variable that switches the suite to PostgreSQL.
pub const POSTGRES_ENV: &str = "ADVOCACY_TEST_DATABASE_URL";

/// The keys folder every test system of this test binary shares (unless a test gives its
/// own), so systems that call each other trust each other's keys.
fn shared_keys() -> PathBuf {
    static KEYS: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| tempfile::tempdir().expect("a temporary directory")).path().to_owned()
}

/// Someone calling the API.
#[derive(Debug, Clone)]
pub struct Person {
    pub email: &'static str,
    pub roles: Vec<Role>,
    pub compartments: Vec<String>,
}

impl Person {
    /// Advocacy staff without any compartment.
    pub fn staff() -> Person {
        Person { email: "ana@advocacy.example", roles: vec![Role::Staff], compartments: vec![] }
    }

    /// Staff who work on targeted-sanctions packages.
    pub fn sanctions_staff() -> Person {
        Person { email: "sam@advocacy.example", roles: vec![Role::Staff], compartments: vec!["sanctions".into()] }
    }

    /// Another service of ours (the notifier, briefings keeping follow-ups in step).
    pub fn service() -> Person {
        Person { email: "notifier", roles: vec![Role::System], compartments: vec![] }
    }

    /// This person with the admin role as well (erasure on a person's request).
    pub fn and_admin(&self) -> Person {
        Person { roles: [self.roles.clone(), vec![Role::Admin]].concat(), ..self.clone() }
    }

    pub fn manager() -> Person {
        Person { email: "maria@advocacy.example", roles: vec![Role::Manager], compartments: vec![] }
    }
}

#[derive(Debug)]
enum Storage {
    Sqlite(tempfile::TempDir),
    Postgres { server: String, prefix: String },
}

/// A running system and everything needed to restart it on the same data.
#[derive(Debug)]
pub struct TestSystem {
    pub config: Config,
    system: Option<RunningSystem>,
    storage: Storage,
    /// The gateway's key, which the tests sign people's tokens with.
    key: SigningKey,
    services: Vec<&'static str>,
    /// The time every service reads: the system clock unless the test chose its own.
    pub clock: Clock,
    /// Where to listen; port 0 unless a test needs a known address.
    address: std::net::SocketAddr,
    /// The notifier's mailbox folder when no mail server is configured.
    pub mailbox: tempfile::TempDir,
}

impl TestSystem {
    /// Every service this build has, on a fresh database.
    pub async fn spawn() -> TestSystem {
        Self::spawn_with(&service_names(), "127.0.0.1:0", |_| {}).await
    }

    /// Only `services`, listening on `address`, with `edit` applied to the config (for
    /// example to point at another system's address): several processes, as deployed.
    pub async fn spawn_with(services: &[&'static str], address: &str, edit: impl FnOnce(&mut Config)) -> TestSystem {
        Self::spawn_at(services, address, Clock::system(), edit).await
    }

    /// Every service, reading time from `clock` (a manual one moves only when the test says).
    pub async fn spawn_with_clock(clock: Clock) -> TestSystem {
        Self::spawn_at(&service_names(), "127.0.0.1:0", clock, |_| {}).await
    }

    /// Every service, reading time from `clock`, with `edit` applied to the config (a mail
    /// server, the people directory).
    pub async fn spawn_with_clock_and(clock: Clock, edit: impl FnOnce(&mut Config)) -> TestSystem {
        Self::spawn_at(&service_names(), "127.0.0.1:0", clock, edit).await
    }

    /// Every service on SQLite files in the embedded default's layout (a data directory
    /// holding the key and the files), whichever engine the suite runs on: for what only
    /// files on disk can show.
    pub async fn spawn_embedded() -> TestSystem {
        let data = tempfile::tempdir().expect("a temporary directory");
        Self::spawn_on(Storage::Sqlite(data), &service_names(), "127.0.0.1:0", Clock::system(), |config| {
            config.auth.keys_dir = None;
            config.mail.mailbox_dir = None;
        })
        .await
    }

    async fn spawn_at(
        services: &[&'static str],
        address: &str,
        clock: Clock,
        edit: impl FnOnce(&mut Config),
    ) -> TestSystem {
        let storage = match std::env::var(POSTGRES_ENV) {
            Ok(server) if !server.is_empty() => Storage::Postgres {
                server: server.trim_end_matches('/').to_owned(),
                prefix: format!("advocacy_test_{}", uuid::Uuid::now_v7().simple()),
            },
            _ => Storage::Sqlite(tempfile::tempdir().expect("a temporary directory")),
        };
        Self::spawn_on(storage, services, address, clock, edit).await
    }

    async fn spawn_on(
        storage: Storage,
        services: &[&'static str],
        address: &str,
        clock: Clock,
        edit: impl FnOnce(&mut Config),
    ) -> TestSystem {
        let mut config =
            Config { server: ServerLimits { shutdown_grace_secs: 5, ..ServerLimits::default() }, ..Config::default() };
        config.auth.keys_dir = Some(shared_keys());
        match &storage {
            Storage::Sqlite(dir) => config.data_dir = dir.path().to_owned(),
            Storage::Postgres { server, prefix } => {
                config.data_dir = PathBuf::from("/nonexistent");
                config.database_url = Some(format!("{server}/{prefix}_{{service}}"));
            }
        }
        let mailbox = tempfile::tempdir().expect("a temporary directory");
        config.mail.mailbox_dir = Some(mailbox.path().to_owned());
        config.http_listen = "127.0.0.1:0".parse().expect("an address");
        edit(&mut config);
        let key = config.keys().ensure(PEOPLE_ISSUER, clock.unix_seconds()).expect("the gateway's key");
        let address = address.parse().expect("an address");
        let mut test =
            TestSystem { config, system: None, storage, key, services: services.to_vec(), clock, address, mailbox };
        test.start().await;
        test
    }

    async fn start(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.address).await.expect("a free port");
        let system =
            start(&self.config, &self.services, listener, self.clock.clone()).await.expect("the system starts");
        self.system = Some(system);
    }

    fn running(&self) -> &RunningSystem {
        self.system.as_ref().expect("the system is running")
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.running().grpc_addr)
    }

    /// The gateway's HTTP address (the JSON API), when the gateway runs here.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.running().http_addr.expect("the system serves HTTP"))
    }

    /// Stops the server (letting calls finish) and starts it again on the same databases,
    /// on a new port: what a deploy or a crash-and-restart looks like to clients.
    pub async fn restart(&mut self) {
        self.stop_server().await;
        self.start().await;
    }

    pub async fn stop_server(&mut self) {
        if let Some(system) = self.system.take() {
            system.stop().await.expect("a clean stop");
        }
    }

    /// The keys folder the system verifies tokens with.
    pub fn keys_dir(&self) -> PathBuf {
        self.config.keys().path().to_owned()
    }

    /// The keys folder, to sign or rotate keys as the installation would.
    pub fn keys(&self) -> KeyDir {
        self.config.keys()
    }

    pub fn token_for(&self, person: &Person) -> String {
        let now = self.clock.unix_seconds();
        self.key.issue(person.email, person.roles.clone(), person.compartments.clone(), now, 3600)
    }

    /// A token that was valid for an hour and expired an hour ago.
    pub fn expired_token_for(&self, person: &Person) -> String {
        let two_hours_ago = self.clock.unix_seconds() - 7200;
        self.key.issue(person.email, person.roles.clone(), person.compartments.clone(), two_hours_ago, 3600)
    }

    pub async fn channel_as(&self, person: &Person) -> AuthedChannel {
        let token = BearerToken::new(&self.token_for(person)).expect("ascii token");
        connect_with_token(&self.url(), &token).await.expect("connect")
    }

    /// The deadlines service's audit log, read by `admin`.
    pub async fn deadlines_audit_log(&self, admin: &Person) -> Vec<pb::AuditEntry> {
        DeadlinesServiceClient::new(self.channel_as(admin).await)
            .list_audit_entries(pb::ListAuditEntriesRequest::default())
            .await
            .expect("an admin reads the log")
            .into_inner()
            .entries
    }

    /// A channel with no token at all.
    pub async fn anonymous_channel(&self) -> Channel {
        connect(&self.url()).await.expect("connect")
    }

    /// A channel carrying exactly this authorization token (forged, expired, ...).
    pub async fn channel_with_token(&self, token: &str) -> AuthedChannel {
        connect_with_token(&self.url(), &BearerToken::new(token).expect("ascii token")).await.expect("connect")
    }

    /// The briefings service as ordinary staff.
    pub async fn briefings(&self) -> BriefingsServiceClient<AuthedChannel> {
        self.briefings_as(&Person::staff()).await
    }

    pub async fn briefings_as(&self, person: &Person) -> BriefingsServiceClient<AuthedChannel> {
        BriefingsServiceClient::new(self.channel_as(person).await)
    }

    pub async fn submissions_as(&self, person: &Person) -> SubmissionsServiceClient<AuthedChannel> {
        SubmissionsServiceClient::new(self.channel_as(person).await)
    }

    /// The deadlines service as ordinary staff.
    pub async fn deadlines(&self) -> DeadlinesServiceClient<AuthedChannel> {
        self.deadlines_as(&Person::staff()).await
    }

    pub async fn deadlines_as(&self, person: &Person) -> DeadlinesServiceClient<AuthedChannel> {
        DeadlinesServiceClient::new(self.channel_as(person).await)
    }

    /// The gateway without a token: signing in.
    pub async fn gateway(&self) -> GatewayServiceClient<Channel> {
        GatewayServiceClient::new(self.anonymous_channel().await)
    }

    pub async fn gateway_as(&self, person: &Person) -> GatewayServiceClient<AuthedChannel> {
        GatewayServiceClient::new(self.channel_as(person).await)
    }

    pub async fn notifier_as(&self, person: &Person) -> NotifierServiceClient<AuthedChannel> {
        NotifierServiceClient::new(self.channel_as(person).await)
    }

    /// A request to the gateway's HTTP port as `person` (or with no token): the status, the
    /// content type and the body. `body` makes it a POST of that JSON.
    pub async fn http(&self, path: &str, person: Option<&Person>, body: Option<serde_json::Value>) -> HttpAnswer {
        let url = format!("{}{path}", self.http_url());
        let token = person.map(|p| self.token_for(p));
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            let mut answer = match body {
                Some(body) => {
                    let mut request = agent.post(&url);
                    if let Some(token) = &token {
                        request = request.header("authorization", &format!("Bearer {token}"));
                    }
                    request.send_json(body)
                }
                None => {
                    let mut request = agent.get(&url);
                    if let Some(token) = &token {
                        request = request.header("authorization", &format!("Bearer {token}"));
                    }
                    request.call()
                }
            }
            .expect("the HTTP server answers");
            let content_type =
                answer.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let status = answer.status().as_u16();
            let body = answer.body_mut().read_to_string().expect("a body");
            HttpAnswer { status, content_type, body }
        })
        .await
        .expect("the request finishes")
    }

    /// The database a service owns, for checking what was (not) written.
    pub fn database(&self, service: &str) -> &Database {
        self.running().database(service).expect("the service runs")
    }

    /// The numbers the database of `service` answers to `queries` (each gives one integer:
    /// a count, a sum, a revision), for checking what was, or was not, written.
    pub async fn numbers(&self, service: &str, queries: &[&str]) -> Vec<i64> {
        use sqlx::Row;
        let pool = &self.database(service).pool;
        let mut numbers = Vec::with_capacity(queries.len());
        for query in queries {
            // Queries are the tests' own text, never input.
            let row = sqlx::query(sqlx::AssertSqlSafe(*query)).fetch_one(pool).await.expect(query);
            numbers.push(row.try_get::<i64, _>(0).expect(query));
        }
        numbers
    }

    /// Stops the system and removes its databases.
    pub async fn finish(mut self) {
        self.stop_server().await;
        self.drop_databases().await;
    }

    async fn drop_databases(&mut self) {
        if let Storage::Postgres { server, prefix } = &self.storage {
            for service in &self.services {
                let url = format!("{server}/{prefix}_{service}");
                advocacy_platform::db::drop_postgres_database(&url).await.expect("drop the test database");
            }
            self.storage = Storage::Postgres { server: server.clone(), prefix: String::new() };
        }
    }
}

impl Drop for TestSystem {
    /// A failing test never reaches `finish`; its PostgreSQL databases are dropped here so
    /// failed runs do not pile up databases on the server.
    fn drop(&mut self) {
        if let Storage::Postgres { server, prefix } = &self.storage
            && !prefix.is_empty()
        {
            let urls: Vec<String> = self.services.iter().map(|s| format!("{server}/{prefix}_{s}")).collect();
            let system = self.system.take();
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Runtime::new() else { return };
                runtime.block_on(async move {
                    drop(system);
                    for url in urls {
                        let _ = advocacy_platform::db::drop_postgres_database(&url).await;
                    }
                });
            })
            .join();
        }
    }
}

/// What the gateway's HTTP port answered.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl HttpAnswer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A new institution of the registry, made through the briefings service; its id. The
/// request id is derived from the name, so making the same one twice is a retry.
pub async fn institution(
    client: &mut BriefingsServiceClient<AuthedChannel>,
    name: &str,
    kind: pb::InstitutionKind,
    actor: &str,
    city: &str,
) -> String {
    let request_id = format!("inst-{actor}-{}", advocacy_platform::idempotency::fingerprint(&name));
    client
        .create_institution(pb::CreateInstitutionRequest {
            request_id: request_id[..40].to_owned(),
            name: name.into(),
            kind: kind.into(),
            actor: actor.into(),
            city: city.into(),
            parent_id: String::new(),
        })
        .await
        .expect("institution created")
        .into_inner()
        .id
}

/// The Swiss mission in Geneva, the institution many tests brief: its id.
pub async fn swiss_mission_in(client: &mut BriefingsServiceClient<AuthedChannel>) -> String {
    institution(client, "Permanent Mission of Switzerland", pb::InstitutionKind::PermanentMission, "CH", "Geneva").await
}

/// A create request with sensible values, for tests to adjust.
pub fn new_deadline(request_id: &str, title: &str, local: &str) -> pb::CreateDeadlineRequest {
    pb::CreateDeadlineRequest {
        request_id: request_id.to_owned(),
        title: title.to_owned(),
        mechanism: "UPR".to_owned(),
        kind: pb::DeadlineKind::UprStakeholderSubmission.into(),
        due: Some(local_time(local, "")),
        owners: vec!["ana@advocacy.example".to_owned()],
        ..Default::default()
    }
}

/// Deadline number `n`, due an hour after `moment` and reminded an hour before to
/// `owners`: its reminders are all due at `moment` (for tests and benchmarks of many
/// reminders due at once).
pub fn reminded_at(n: usize, moment: chrono::DateTime<chrono::Utc>, owners: &[String]) -> pb::CreateDeadlineRequest {
    let due = advocacy_platform::time::to_timestamp(moment + chrono::Duration::hours(1));
    pb::CreateDeadlineRequest {
        request_id: format!("reminded-at-{n}"),
        title: format!("Submission {n}"),
        mechanism: "UPR".to_owned(),
        kind: pb::DeadlineKind::UprStakeholderSubmission.into(),
        due: Some(pb::WhenInput { at: Some(pb::when_input::At::Utc(due)), zone: "UTC".to_owned() }),
        owners: owners.to_vec(),
        lead_minutes: vec![60],
        ..Default::default()
    }
}

pub fn local_time(local: &str, zone: &str) -> pb::WhenInput {
    pb::WhenInput { at: Some(pb::when_input::At::Local(local.to_owned())), zone: zone.to_owned() }
}

/// The field names of a status's BadRequest details.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

pub fn rfc3339(ts: &Option<prost_types::Timestamp>) -> String {
    let ts = ts.as_ref().expect("a timestamp");
    chrono::DateTime::from_timestamp(ts.seconds, ts.nanos as u32).expect("valid").to_rfc3339()
}

/// Waits (up to `seconds`) until `check` returns something: for work the system does in
/// the background, such as a follow-up's deadline appearing.
pub async fn eventually<T, F, Fut>(seconds: u64, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The state and last error of the one outbox row in `db`, once its first push has
/// failed (waits up to 20 s): for a service whose neighbour is down.
pub async fn first_failed_push(db: &Database) -> (String, String) {
    use sqlx::Row;
    eventually(20, || async {
        let row = sqlx::query("SELECT state, attempts, last_error FROM outbox").fetch_one(&db.pool).await.expect("row");
        let attempts: i64 = row.try_get(1).expect("attempts");
        (attempts >= 1).then(|| (row.try_get(0).expect("state"), row.try_get(2).expect("last error")))
    })
    .await
    .expect("the failed push is recorded within 20 s")
}

/// A database of its own for a test that works below the services: a SQLite file in a
/// temporary directory, or a fresh PostgreSQL database when the suite runs on PostgreSQL.
#[derive(Debug)]
pub struct ScratchDatabase {
    pub url: String,
    postgres: bool,
    _dir: Option<tempfile::TempDir>,
}

impl ScratchDatabase {
    pub fn new(name: &str) -> ScratchDatabase {
        match std::env::var(POSTGRES_ENV) {
            Ok(server) if !server.is_empty() => ScratchDatabase {
                url: format!("{}/advocacy_test_{}_{name}", server.trim_end_matches('/'), uuid::Uuid::now_v7().simple()),
                postgres: true,
                _dir: None,
            },
            _ => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join(format!("{name}.db")).display());
                ScratchDatabase { url, postgres: false, _dir: Some(dir) }
            }
        }
    }

    pub async fn finish(mut self) {
        if self.postgres {
            advocacy_platform::db::drop_postgres_database(&self.url).await.expect("drop the test database");
            self.postgres = false;
        }
    }
}

impl Drop for ScratchDatabase {
    /// A failing test never reaches `finish`; its PostgreSQL database is dropped here.
    fn drop(&mut self) {
        if self.postgres {
            let url = self.url.clone();
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Runtime::new() else { return };
                runtime.block_on(async move {
                    let _ = advocacy_platform::db::drop_postgres_database(&url).await;
                });
            })
            .join();
        }
    }
}

pub mod cli;
pub mod load;
pub mod processes;
pub mod seed;
pub mod smtp;
pub mod web;

/// What the outbox replica processes (`src/bin/outbox_replica.rs`) and their test share.
pub mod replicas {
    use advocacy_platform::Migration;

    pub const TOPIC: &str = "replica-test";

    pub const MIGRATIONS: &[Migration] = &[
        Migration { version: 1, name: "outbox", sql: advocacy_platform::outbox::SCHEMA },
        Migration {
            version: 2,
            name: "what each replica delivered",
            sql: "CREATE TABLE deliveries (item TEXT NOT NULL, replica TEXT NOT NULL)",
        },
    ];
}
