//! Services as deployed: `advocacy serve` processes, each with its config file, on their
//! own databases (PostgreSQL when the suite runs on it, else SQLite files), sharing one
//! keys folder. For the tests of the `advocacy` crate, which has the binary.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use advocacy_platform::client::{AuthedChannel, BearerToken, connect_with_token};

use crate::POSTGRES_ENV;

/// Where the processes keep their data: a directory (with the keys folder every process
/// shares), and a PostgreSQL prefix when the suite runs there (its databases are dropped
/// by [`Storage::finish`]).
#[derive(Debug)]
pub struct Storage {
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Default for Storage {
    fn default() -> Self {
        Storage::new()
    }
}

impl Storage {
    pub fn new() -> Storage {
        let postgres = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty()).map(|server| {
            (server.trim_end_matches('/').to_owned(), format!("advocacy_test_{}", uuid::Uuid::now_v7().simple()))
        });
        Storage { dir: tempfile::tempdir().expect("a temporary directory"), postgres }
    }

    /// SQLite files only, whatever engine the suite runs on (for what only SQLite has, such
    /// as `advocacy backup`).
    pub fn sqlite() -> Storage {
        Storage { dir: tempfile::tempdir().expect("a temporary directory"), postgres: None }
    }

    pub fn on_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Writes the config file `name.toml`: the data directory and each service's database
    /// (`{service}` in the URL), then `rest`.
    pub fn config(&self, name: &str, rest: &str) -> PathBuf {
        let database = match &self.postgres {
            Some((server, prefix)) => format!("database_url = \"{server}/{prefix}_{{service}}\"\n"),
            None => String::new(),
        };
        let text = format!("data_dir = {:?}\n{database}{rest}", self.dir.path().display());
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).expect("the config file");
        path
    }

    /// A token for `email` with `roles`, signed by the gateway's key in the shared keys
    /// folder, as a signed-in person's would be.
    pub fn token(&self, email: &str, roles: Vec<advocacy_platform::Role>) -> String {
        let keys = advocacy_platform::KeyDir::new(self.dir.path().join("keys"));
        let now = chrono::Utc::now().timestamp();
        let key = keys.ensure(advocacy_platform::keys::PEOPLE_ISSUER, now).expect("a key");
        key.issue(email, roles, vec![], now, 3600)
    }

    /// A channel to `url` carrying [`Storage::token`].
    pub async fn channel(&self, url: &str, email: &str, roles: Vec<advocacy_platform::Role>) -> AuthedChannel {
        let token = BearerToken::new(&self.token(email, roles)).expect("an ASCII token");
        connect_with_token(url, &token).await.expect("connect")
    }

    pub async fn finish(self) {
        if let Some((server, prefix)) = &self.postgres {
            for service in advocacy::serve::service_names() {
                let _ = advocacy_platform::db::drop_postgres_database(&format!("{server}/{prefix}_{service}")).await;
            }
        }
    }
}

/// Ports handed out below the kernel's ephemeral range (Linux: 32768 and up), where
/// nothing takes a port on its own. A port asked of the kernel (port 0) and let go could
/// be given again at once to any connection the tests open, before the process meant to
/// listen there starts, which then fails to bind.
const FREE_PORTS: std::ops::Range<u16> = 20_000..32_768;

/// Addresses on this machine free at the moment of asking, for processes that must know
/// each other's before any starts (and keep theirs when restarted): never twice in one
/// test process.
pub fn free_addresses(count: usize) -> Vec<SocketAddr> {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let span = u64::from(FREE_PORTS.end - FREE_PORTS.start);
    let mut addresses = Vec::with_capacity(count);
    let mut tries = 0;
    while addresses.len() < count {
        tries += 1;
        assert!(tries <= 10_000, "no {count} free ports in {FREE_PORTS:?} on 127.0.0.1 after 10,000 tries");
        // Random (std's hasher keys are), so two test runs at once rarely meet.
        let random = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), given.len());
        let port = FREE_PORTS.start + (random % span) as u16;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        if !given.contains(&port) && std::net::TcpListener::bind(address).is_ok() {
            given.push(port);
            addresses.push(address);
        }
    }
    addresses
}

/// An `advocacy serve` process, killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Its gRPC address, `http://127.0.0.1:port`.
    pub url: String,
    /// Its HTTP address when it serves the gateway.
    pub http: Option<String>,
    /// Every line it has written to stderr since it said where it listens.
    logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `binary --config config serve services...` and waits until it says where
    /// it listens.
    pub fn start(binary: &Path, config: &Path, services: &[&str]) -> Server {
        Server::start_with(binary, config, services, &[])
    }

    /// [`Server::start`] with more environment variables.
    pub fn start_with(binary: &Path, config: &Path, services: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(config)
            .arg("serve")
            .args(services)
            .envs(env.iter().copied())
            .env_remove("ADVOCACY_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
        let serves_web = services.is_empty() || services.contains(&"gateway");
        let (mut url, mut http) = (String::new(), None);
        let mut said = Vec::new();
        for line in lines.by_ref() {
            let line = line.expect("a line");
            if let Some((_, at)) = line.split_once(" on grpc://") {
                url = format!("http://{}", at.trim());
            } else if let Some((_, at)) = line.split_once(" web on http://") {
                http = at.split_whitespace().next().map(|a| format!("http://{a}"));
            } else {
                said.push(line);
            }
            if !url.is_empty() && (http.is_some() || !serves_web) {
                break;
            }
        }
        assert!(!url.is_empty(), "the server said where it listens; it said: {}", said.join("\n"));
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = logs.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().expect("the log").push(line);
            }
        });
        Server { child, url, http, logs }
    }

    /// Its peak resident memory so far, in KiB (Linux), for sizing containers.
    pub fn peak_memory_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// The lines it has logged that contain `text`.
    pub fn logged(&self, text: &str) -> Vec<String> {
        self.logs.lock().expect("the log").iter().filter(|l| l.contains(text)).cloned().collect()
    }

    /// As a crash or an OOM kill would: no shutdown, nothing flushed.
    pub fn kill(mut self) {
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

/// A GET of `url` with `headers`: the status and the body.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let url = url.to_owned();
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut request = agent.get(&url);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let mut answer = request.call().expect("the server answers");
        (answer.status().as_u16(), answer.body_mut().read_to_string().unwrap_or_default())
    })
    .await
    .expect("the request finishes")
}

/// A GET of the JSON API at `url` with `token` and more `headers`: the status and the
/// body as JSON (null when it is none).
pub async fn get_json(url: &str, token: &str, headers: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let bearer = format!("Bearer {token}");
    let all: Vec<(&str, &str)> =
        [("authorization", bearer.as_str())].into_iter().chain(headers.iter().copied()).collect();
    let (status, body) = get(url, &all).await;
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}
