//! One configuration for every service and mode: a TOML file (optional), then environment
//! variables over it, then validation with one clear message per bad value. With neither
//! file nor environment the embedded default runs: every service in one process, SQLite
//! files under `./data`, gRPC on 127.0.0.1:50051.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::keys::KeyDir;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where SQLite files and the generated signing keys live in the embedded default.
    pub data_dir: PathBuf,
    /// The one gRPC port every hosted service shares.
    pub grpc_listen: SocketAddr,
    /// The gateway's web UI and JSON API.
    pub http_listen: SocketAddr,
    /// Prometheus metrics at `/metrics`; unset: not served. Keep it off the public network.
    pub metrics_listen: Option<SocketAddr>,
    /// A database URL for every service; `{service}` in it is replaced by the service name,
    /// for example `postgres://advocacy@db/advocacy_{service}`. Unset: SQLite files.
    pub database_url: Option<String>,
    pub log: LogConfig,
    pub server: ServerLimits,
    pub auth: AuthConfig,
    /// How background pushes to other services retry.
    pub outbox: crate::outbox::OutboxSettings,
    pub organisation: OrganisationConfig,
    /// How reminders are sent: SMTP, or a mailbox folder in the embedded default.
    pub mail: MailConfig,
    pub reminders: RemindersConfig,
    /// How the gateway puts impact reports together.
    pub reports: ReportsConfig,
    /// People by email address: their zone, language and manager, for reminders where the
    /// gateway's directory does not say (it wins). Anyone in neither gets the deadline's
    /// zone and English.
    pub people: BTreeMap<String, PersonConfig>,
    /// Per-service settings, by service name.
    pub services: BTreeMap<String, ServiceConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrganisationConfig {
    /// The IANA zone the organisation's days are counted in: impact reports cover whole
    /// days of it.
    pub zone: String,
}

impl Default for OrganisationConfig {
    fn default() -> Self {
        Self { zone: "UTC".to_owned() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// The sender of every message, such as `Advocacy reminders <reminders@example.org>`.
    pub from: String,
    /// An SMTP server. Unset: each message is written as an .eml file to `mailbox_dir`.
    pub smtp: Option<SmtpConfig>,
    /// Where messages go without SMTP; unset: `<data_dir>/mailbox`.
    pub mailbox_dir: Option<PathBuf>,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self { from: "Advocacy reminders <reminders@advocacy.invalid>".to_owned(), smtp: None, mailbox_dir: None }
    }
}

impl MailConfig {
    /// The mailbox folder of the embedded default.
    pub fn mailbox(&self, data_dir: &Path) -> PathBuf {
        self.mailbox_dir.clone().unwrap_or_else(|| data_dir.join("mailbox"))
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    /// Best given as `ADVOCACY_SMTP_PASSWORD`, not written in a file.
    pub password: Option<String>,
    /// How long one conversation with the server may take.
    pub timeout_secs: u64,
    /// Connections kept open to the server and messages handed to it at once; mail
    /// servers limit the connections one client may hold.
    pub connections: usize,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: 587,
            security: SmtpSecurity::Starttls,
            user: None,
            password: None,
            timeout_secs: 30,
            connections: 16,
        }
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("timeout_secs", &self.timeout_secs)
            .field("connections", &self.connections)
            .finish()
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on the same machine or network (port 25, 1025).
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemindersConfig {
    /// A deadline still open this long before it is due is emailed to its owners' managers.
    pub escalate_before_hours: u32,
    /// When each person's weekly digest goes out, in that person's zone (five-field cron);
    /// empty: no digests.
    pub digest_schedule: String,
    /// Where people open records: the gateway's address as they reach it.
    pub public_url: String,
}

impl Default for RemindersConfig {
    fn default() -> Self {
        Self {
            escalate_before_hours: 24,
            digest_schedule: "0 8 * * MON".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsConfig {
    /// How long the gateway waits for each service's figures; a service slower than this
    /// makes its section "unavailable" and the rest of the report is still given.
    pub section_timeout_ms: u64,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        Self { section_timeout_ms: 3_000 }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersonConfig {
    pub name: String,
    /// IANA zone; empty: the deadline's zone.
    pub zone: String,
    /// `en` or `ko`; empty: English.
    pub language: String,
    /// The manager's email address, for escalations.
    pub manager: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A tracing filter such as `info` or `info,advocacy_deadlines=debug`.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Limits that protect a server from oversized messages, slow or greedy clients.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    pub request_timeout_secs: u64,
    /// A spreadsheet import's time: it streams and writes up to 200,000 rows in one call.
    pub import_timeout_secs: u64,
    pub max_message_bytes: usize,
    /// Calls handled at once across all connections; more wait their turn.
    pub concurrency_limit: usize,
    /// How long calls in flight may take to finish after a shutdown signal.
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// The signing keys' folder ([`crate::keys`]): the public key set and the private keys
    /// of the services this process hosts. Unset: `<data_dir>/keys`, made on first start.
    pub keys_dir: Option<PathBuf>,
    /// Reverse proxies in front of the gateway. A sign-in arriving from one of these is
    /// counted against the client its `X-Forwarded-For` names, not against the proxy.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// This service's own database; overrides `database_url`.
    pub database_url: Option<String>,
    /// Where to reach this service when it runs in another process (`http://host:50051`).
    pub url: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("grpc_listen", &self.grpc_listen)
            .field("http_listen", &self.http_listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("log", &self.log)
            .field("server", &self.server)
            .field("auth", &self.auth)
            .field("outbox", &self.outbox)
            .field("mail", &self.mail)
            .field("reminders", &self.reminders)
            .field("people", &self.people.len())
            .field("services", &self.services)
            .finish()
    }
}

impl fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("url", &self.url)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            http_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: None,
            database_url: None,
            log: LogConfig::default(),
            server: ServerLimits::default(),
            auth: AuthConfig::default(),
            outbox: crate::outbox::OutboxSettings::default(),
            organisation: OrganisationConfig::default(),
            mail: MailConfig::default(),
            reminders: RemindersConfig::default(),
            reports: ReportsConfig::default(),
            people: BTreeMap::new(),
            services: BTreeMap::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, filter: "info".to_owned() }
    }
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            request_timeout_secs: 30,
            // 200,000 briefing rows took 6 min 22 s on PostgreSQL on 2 cores: room for five times that.
            import_timeout_secs: 1800,
            max_message_bytes: 4 * 1024 * 1024,
            concurrency_limit: 512,
            shutdown_grace_secs: 20,
        }
    }
}

impl ServerLimits {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn import_timeout(&self) -> Duration {
        Duration::from_secs(self.import_timeout_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// A bad configuration value: which key, where it came from, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {key}{}: {message}", source_note(.origin))]
pub struct ConfigError {
    pub key: String,
    pub origin: Option<String>,
    pub message: String,
}

fn source_note(origin: &Option<String>) -> String {
    origin.as_ref().map(|s| format!(" (from {s})")).unwrap_or_default()
}

impl ConfigError {
    fn new(key: &str, origin: Option<&str>, message: impl Into<String>) -> Self {
        Self { key: key.to_owned(), origin: origin.map(str::to_owned), message: message.into() }
    }
}

/// Environment variables read over the file. Listed once so `--help` and the README can
/// show the same list.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("ADVOCACY_DATA_DIR", "data_dir"),
    ("ADVOCACY_GRPC_LISTEN", "grpc_listen"),
    ("ADVOCACY_HTTP_LISTEN", "http_listen"),
    ("ADVOCACY_METRICS_LISTEN", "metrics_listen"),
    ("ADVOCACY_DATABASE_URL", "database_url"),
    ("ADVOCACY_LOG_FORMAT", "log.format"),
    ("ADVOCACY_LOG", "log.filter"),
    ("ADVOCACY_KEYS_DIR", "auth.keys_dir"),
    ("ADVOCACY_REQUEST_TIMEOUT_SECS", "server.request_timeout_secs"),
    ("ADVOCACY_MAX_MESSAGE_BYTES", "server.max_message_bytes"),
    ("ADVOCACY_CONCURRENCY_LIMIT", "server.concurrency_limit"),
    ("ADVOCACY_ORGANISATION_ZONE", "organisation.zone"),
    ("ADVOCACY_MAIL_FROM", "mail.from"),
    ("ADVOCACY_SMTP_HOST", "mail.smtp.host"),
    ("ADVOCACY_SMTP_PORT", "mail.smtp.port"),
    ("ADVOCACY_SMTP_SECURITY", "mail.smtp.security"),
    ("ADVOCACY_SMTP_USER", "mail.smtp.user"),
    ("ADVOCACY_SMTP_PASSWORD", "mail.smtp.password"),
    ("ADVOCACY_PUBLIC_URL", "reminders.public_url"),
];

impl Config {
    /// Reads the file (if any), applies the process environment, validates. `services` are
    /// the names of the services this build has (the registry's).
    pub fn load(file: Option<&Path>, services: &[&str]) -> Result<Config, ConfigError> {
        Self::load_from(file, services, |name| std::env::var(name).ok())
    }

    /// [`Config::load`] with the environment given as a function, for tests.
    pub fn load_from(
        file: Option<&Path>,
        services: &[&str],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::new("file", None, format!("cannot read {}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::new("file", None, format!("{}: {}", path.display(), e.message())))?
            }
            None => Config::default(),
        };
        config.apply_env(services, &env)?;
        config.validate(services)?;
        Ok(config)
    }

    fn apply_env(&mut self, services: &[&str], env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for &(var, key) in ENVIRONMENT {
            let Some(value) = env(var) else { continue };
            let bad = |what: &str| ConfigError::new(key, Some(var), format!("{value:?} is not {what}"));
            match key {
                "data_dir" => self.data_dir = PathBuf::from(&value),
                "grpc_listen" => {
                    self.grpc_listen = value.parse().map_err(|_| bad("an address like 127.0.0.1:50051"))?
                }
                "http_listen" => self.http_listen = value.parse().map_err(|_| bad("an address like 127.0.0.1:8080"))?,
                "metrics_listen" => {
                    self.metrics_listen = Some(value.parse().map_err(|_| bad("an address like 0.0.0.0:9464"))?)
                }
                "database_url" => self.database_url = Some(value),
                "log.format" => {
                    self.log.format = match value.as_str() {
                        "text" => LogFormat::Text,
                        "json" => LogFormat::Json,
                        _ => return Err(bad("`text` or `json`")),
                    }
                }
                "log.filter" => self.log.filter = value,
                "auth.keys_dir" => self.auth.keys_dir = Some(PathBuf::from(value)),
                "server.request_timeout_secs" => {
                    self.server.request_timeout_secs = value.parse().map_err(|_| bad("a number of seconds"))?
                }
                "server.max_message_bytes" => {
                    self.server.max_message_bytes = value.parse().map_err(|_| bad("a number of bytes"))?
                }
                "server.concurrency_limit" => {
                    self.server.concurrency_limit = value.parse().map_err(|_| bad("a number"))?
                }
                "organisation.zone" => self.organisation.zone = value,
                "mail.from" => self.mail.from = value,
                "mail.smtp.host" => self.mail.smtp.get_or_insert_default().host = value,
                "mail.smtp.port" => {
                    self.mail.smtp.get_or_insert_default().port = value.parse().map_err(|_| bad("a port number"))?
                }
                "mail.smtp.security" => {
                    self.mail.smtp.get_or_insert_default().security = match value.as_str() {
                        "starttls" => SmtpSecurity::Starttls,
                        "tls" => SmtpSecurity::Tls,
                        "none" => SmtpSecurity::None,
                        _ => return Err(bad("`starttls`, `tls` or `none`")),
                    }
                }
                "mail.smtp.user" => self.mail.smtp.get_or_insert_default().user = Some(value),
                "mail.smtp.password" => self.mail.smtp.get_or_insert_default().password = Some(value),
                "reminders.public_url" => self.reminders.public_url = value,
                _ => unreachable!("every ENVIRONMENT key is handled above"),
            }
        }
        for service in services {
            let upper = service.to_uppercase();
            let entry = self.services.entry((*service).to_owned()).or_default();
            if let Some(url) = env(&format!("ADVOCACY_{upper}_DATABASE_URL")) {
                entry.database_url = Some(url);
            }
            if let Some(url) = env(&format!("ADVOCACY_{upper}_URL")) {
                entry.url = Some(url);
            }
        }
        Ok(())
    }

    /// Checks every value; `services` are the names of the services this build has.
    pub fn validate(&self, services: &[&str]) -> Result<(), ConfigError> {
        for name in self.services.keys() {
            if !services.contains(&name.as_str()) {
                return Err(ConfigError::new(
                    &format!("services.{name}"),
                    None,
                    format!("unknown service; the services are {}", services.join(", ")),
                ));
            }
        }
        if self.organisation.zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ConfigError::new(
                "organisation.zone",
                None,
                format!("{:?} is not an IANA time zone such as Asia/Seoul or Europe/Zurich", self.organisation.zone),
            ));
        }
        self.validate_mail()?;
        let o = &self.outbox;
        if !(1..=10_000).contains(&o.max_attempts) {
            return Err(ConfigError::new("outbox.max_attempts", None, "must be 1 to 10000"));
        }
        if !(2..=3600).contains(&o.lease_secs) {
            return Err(ConfigError::new("outbox.lease_secs", None, "must be 2 to 3600"));
        }
        if !(1..=1000).contains(&o.concurrency) {
            return Err(ConfigError::new("outbox.concurrency", None, "must be 1 to 1000"));
        }
        let s = &self.server;
        if !(1..=3600).contains(&s.request_timeout_secs) {
            return Err(ConfigError::new("server.request_timeout_secs", None, "must be 1 to 3600"));
        }
        if !(1..=86_400).contains(&s.import_timeout_secs) {
            return Err(ConfigError::new("server.import_timeout_secs", None, "must be 1 to 86400"));
        }
        if !(64 * 1024..=256 * 1024 * 1024).contains(&s.max_message_bytes) {
            return Err(ConfigError::new("server.max_message_bytes", None, "must be 64 KiB to 256 MiB"));
        }
        if !(1..=100_000).contains(&s.concurrency_limit) {
            return Err(ConfigError::new("server.concurrency_limit", None, "must be 1 to 100000"));
        }
        if !(100..=60_000).contains(&self.reports.section_timeout_ms) {
            return Err(ConfigError::new("reports.section_timeout_ms", None, "must be 100 to 60000"));
        }
        if s.shutdown_grace_secs > 600 {
            return Err(ConfigError::new("server.shutdown_grace_secs", None, "must be at most 600"));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            return Err(ConfigError::new(
                "log.filter",
                None,
                format!("{:?} is not a log filter such as `info`", self.log.filter),
            ));
        }
        for service in services {
            let url = self.database_url_for(service);
            if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError::new(
                    &format!("services.{service}.database_url"),
                    None,
                    format!("{} is neither sqlite: nor postgres://", redact_url(&url)),
                ));
            }
        }
        Ok(())
    }

    fn validate_mail(&self) -> Result<(), ConfigError> {
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "mail.from",
                None,
                format!("{:?} is not an address like `Reminders <reminders@example.org>`", self.mail.from),
            ));
        }
        if let Some(smtp) = &self.mail.smtp {
            if smtp.host.trim().is_empty() {
                return Err(ConfigError::new("mail.smtp.host", None, "is empty"));
            }
            if !(1..=600).contains(&smtp.timeout_secs) {
                return Err(ConfigError::new("mail.smtp.timeout_secs", None, "must be 1 to 600"));
            }
            if !(1..=100).contains(&smtp.connections) {
                return Err(ConfigError::new("mail.smtp.connections", None, "must be 1 to 100"));
            }
        }
        let r = &self.reminders;
        if r.escalate_before_hours > 24 * 90 {
            return Err(ConfigError::new("reminders.escalate_before_hours", None, "must be at most 2160 (90 days)"));
        }
        let digests = !r.digest_schedule.trim().is_empty();
        if let Some(Err(e)) = digests.then(|| {
            crate::schedule::Recurrence::parse("reminders.digest_schedule", &r.digest_schedule, chrono_tz::UTC)
        }) {
            return Err(ConfigError::new("reminders.digest_schedule", None, e.description));
        }
        if url::Url::parse(&r.public_url).map(|u| u.scheme().starts_with("http")) != Ok(true) {
            return Err(ConfigError::new(
                "reminders.public_url",
                None,
                format!("{:?} is not a web address like https://advocacy.example.org", r.public_url),
            ));
        }
        for (email, person) in &self.people {
            let key = format!("people.{email:?}");
            if crate::limits::email("people", email).is_err() {
                return Err(ConfigError::new(&key, None, "is not an email address"));
            }
            if !person.zone.is_empty() && person.zone.parse::<chrono_tz::Tz>().is_err() {
                return Err(ConfigError::new(
                    &format!("{key}.zone"),
                    None,
                    format!("{:?} is not an IANA time zone such as Asia/Seoul", person.zone),
                ));
            }
            if !["", "en", "ko"].contains(&person.language.as_str()) {
                return Err(ConfigError::new(&format!("{key}.language"), None, "must be `en` or `ko`"));
            }
            if !person.manager.is_empty() && crate::limits::email("manager", &person.manager).is_err() {
                return Err(ConfigError::new(&format!("{key}.manager"), None, "is not an email address"));
            }
        }
        Ok(())
    }

    /// The database of one service: its own URL, else the shared template, else a SQLite
    /// file `<data_dir>/<service>.db`.
    pub fn database_url_for(&self, service: &str) -> String {
        let own = self.services.get(service).and_then(|s| s.database_url.clone());
        match own.or_else(|| self.database_url.clone()) {
            Some(url) => url.replace("{service}", service),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join(format!("{service}.db")).display()),
        }
    }

    /// Where another service runs, if not in this process.
    /// The organisation's zone (checked when the configuration was loaded).
    pub fn organisation_zone(&self) -> chrono_tz::Tz {
        self.organisation.zone.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn service_url(&self, service: &str) -> Option<&str> {
        self.services.get(service).and_then(|s| s.url.as_deref())
    }

    /// The signing keys' folder.
    pub fn keys(&self) -> KeyDir {
        KeyDir::new(self.auth.keys_dir.clone().unwrap_or_else(|| self.data_dir.join("keys")))
    }
}

/// Makes `dir` (and its parents) if missing, and leaves it readable by its owner only.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    Ok(())
}

/// A database URL with its password hidden, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:<redacted>{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml_text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("advocacy.toml");
        std::fs::write(&path, toml_text).expect("write");
        let services = ["deadlines", "submissions", "briefings", "notifier"];
        Config::load_from(Some(&path), &services, |name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn the_default_is_sqlite_files_under_data() {
        let config = load("", &[]).expect("default config");
        assert_eq!(config.database_url_for("deadlines"), "sqlite://data/deadlines.db?mode=rwc");
        assert_eq!(config.grpc_listen.port(), 50051);
    }

    #[test]
    fn environment_overrides_the_file_and_the_template_names_each_database() {
        let config = load(
            "grpc_listen = \"0.0.0.0:1\"\ndatabase_url = \"postgres://u:secret@db/advocacy_{service}\"\n",
            &[("ADVOCACY_GRPC_LISTEN", "127.0.0.1:7000"), ("ADVOCACY_NOTIFIER_DATABASE_URL", "sqlite://n.db")],
        )
        .expect("config");
        assert_eq!(config.grpc_listen.port(), 7000);
        assert_eq!(config.database_url_for("deadlines"), "postgres://u:secret@db/advocacy_deadlines");
        assert_eq!(config.database_url_for("notifier"), "sqlite://n.db");
        assert!(!format!("{config:?}").contains("secret"));
    }

    #[test]
    fn each_bad_value_is_named() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            ("", &[("ADVOCACY_GRPC_LISTEN", "nowhere")], "grpc_listen"),
            ("", &[("ADVOCACY_LOG_FORMAT", "xml")], "log.format"),
            ("[server]\nrequest_timeout_secs = 0\n", &[], "server.request_timeout_secs"),
            ("[server]\nmax_message_bytes = 1\n", &[], "server.max_message_bytes"),
            ("[mail.smtp]\nconnections = 0\n", &[], "mail.smtp.connections"),
            ("[mail.smtp]\nconnections = 100000\n", &[], "mail.smtp.connections"),
            ("[services.mailman]\n", &[], "services.mailman"),
            ("database_url = \"mysql://x\"\n", &[], "database_url"),
            ("colour = \"blue\"\n", &[], "file"),
        ];
        for (file, env, key) in cases {
            let err = load(file, env).expect_err(key);
            assert!(err.key.starts_with(key) || err.key.ends_with(key), "{key}: got {err}");
        }
    }

    #[test]
    fn the_readme_s_example_file_names_only_settings_that_exist() {
        let readme = include_str!("../../../README.md");
        let section = readme.split("## Configuration").nth(1).expect("the section");
        let example = section.split("```toml").nth(1).and_then(|b| b.split("```").next()).expect("the example");
        let parsed: Result<Config, _> = toml::from_str(example);
        let config = parsed.unwrap_or_else(|e| panic!("the README's example: {}", e.message()));
        assert!(config.mail.smtp.is_some() && !config.people.is_empty(), "mail and people are shown");
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:<redacted>@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
