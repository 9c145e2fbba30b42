//! Composes the services a config names into one running system: one database per
//! service, one gRPC port for all, one HTTP port for those that serve HTTP. `advocacy
//! serve` and the end-to-end tests both start the system through here, so the tests run
//! what production runs.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use advocacy_platform::auth::Authenticator;
use advocacy_platform::client::SystemToken;
use advocacy_platform::grpc::GrpcServer;
use advocacy_platform::hosting::{Clients, ServiceSpec};
use advocacy_platform::shutdown::ShutdownTrigger;
use advocacy_platform::{Clock, Config, Database, ServiceContext, Shutdown};

/// Every service this build can host, in start order. Adding a service is one line here;
/// the config's service names and `advocacy serve`'s choices come from this list.
pub const SERVICES: &[ServiceSpec] = &[
    advocacy_deadlines::SERVICE,
    advocacy_submissions::SERVICE,
    advocacy_briefings::SERVICE,
    advocacy_notifier::SERVICE,
    advocacy_gateway::SERVICE,
];

/// The names of [`SERVICES`].
pub fn service_names() -> Vec<&'static str> {
    advocacy_platform::hosting::names(SERVICES)
}

/// A started system: where it listens, its databases, and how to stop it.
#[derive(Debug)]
pub struct RunningSystem {
    pub grpc_addr: SocketAddr,
    /// Where HTTP is served, when a hosted service serves HTTP.
    pub http_addr: Option<SocketAddr>,
    /// Where Prometheus metrics are served, when `metrics_listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub databases: Vec<(&'static str, Database)>,
    pub clock: Clock,
    trigger: ShutdownTrigger,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    /// The HTTP server and the services' workers; they end on shutdown.
    tasks: Vec<JoinHandle<()>>,
}

impl RunningSystem {
    /// Stops accepting, lets calls in flight finish, closes the databases.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.fire();
        self.server.await.context("server task")?.context("gRPC server")?;
        for task in self.tasks {
            task.await.context("background task")?;
        }
        for (_, db) in &self.databases {
            db.close().await;
        }
        Ok(())
    }

    /// Completes when the server ends (after a shutdown signal, or on a fatal error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.server).await.context("server task")?.context("gRPC server")
    }

    pub fn shutdown_trigger(&self) -> &ShutdownTrigger {
        &self.trigger
    }

    /// The database a hosted service owns.
    pub fn database(&self, service: &str) -> Option<&Database> {
        self.databases.iter().find(|(name, _)| *name == service).map(|(_, db)| db)
    }
}

/// The registry entries of `names`, or an error naming the unknown one.
fn specs(names: &[&str]) -> anyhow::Result<Vec<ServiceSpec>> {
    names
        .iter()
        .map(|name| {
            SERVICES.iter().find(|s| s.name == *name).copied().with_context(|| {
                format!("{name} is not a service of this build; the services are {}", service_names().join(", "))
            })
        })
        .collect()
}

/// Brings each named service's database to this build's schema, and nothing else: for a
/// migration job that runs before a rollout (`advocacy migrate`).
pub async fn migrate(config: &Config, services: &[&str]) -> anyhow::Result<()> {
    for spec in specs(services)? {
        let url = config.database_url_for(spec.name);
        let db = Database::open(&url, spec.migrations).await.with_context(|| format!("the {} database", spec.name))?;
        db.pool.close().await;
        println!("{}: the database is up to date", spec.name);
    }
    Ok(())
}

/// Opens each service's database, builds the services and serves them on `listener`
/// (gRPC) and on the configured HTTP address (when a service serves HTTP), reading time
/// from `clock`.
pub async fn start(
    config: &Config,
    services: &[&str],
    listener: TcpListener,
    clock: Clock,
) -> anyhow::Result<RunningSystem> {
    let specs = specs(services)?;
    // The data directory holds keys and SQLite files: its owner's only.
    if config.auth.keys_dir.is_none() || specs.iter().any(|s| config.database_url_for(s.name).starts_with("sqlite:")) {
        advocacy_platform::config::private_dir(&config.data_dir)
            .with_context(|| format!("the data directory {}", config.data_dir.display()))?;
    }
    let keys = config.keys();
    let now = clock.unix_seconds();
    // Each hosted service signs its calls with a key of its own, made on first start.
    let mut tokens = Vec::with_capacity(specs.len());
    for spec in &specs {
        let key = keys.ensure(spec.name, now).with_context(|| format!("the {} signing key", spec.name))?;
        tokens.push(SystemToken::new(advocacy_platform::keys::Signer::new(keys.clone(), key), clock.clone()));
    }
    let auth = Authenticator::new(keys, clock.clone()).context("the public key set")?;
    let (trigger, shutdown) = Shutdown::new();
    let grpc_addr = listener.local_addr()?;
    let shared_config = Arc::new(config.clone());
    let Some(first) = tokens.first() else { anyhow::bail!("no service to serve") };
    let clients = Clients::new(config, grpc_addr, first.clone()).map_err(|e| anyhow::anyhow!(e))?;
    let mut server = GrpcServer::new(&config.server);
    let mut http: Option<axum::Router> = None;
    let mut databases = Vec::new();
    let mut tasks = Vec::new();
    for (spec, token) in specs.into_iter().zip(tokens) {
        let url = config.database_url_for(spec.name);
        let db = Database::open(&url, spec.migrations).await.with_context(|| format!("the {} database", spec.name))?;
        let ctx = ServiceContext {
            name: spec.name,
            db: db.clone(),
            config: shared_config.clone(),
            auth: auth.clone(),
            access: spec.access,
            shutdown: shutdown.clone(),
            clock: clock.clone(),
            clients: clients.signed_with(token),
        };
        let hosted = (spec.build)(ctx).await.map_err(|e| anyhow::anyhow!("the {} service: {e}", spec.name))?;
        server.add_routes(hosted.grpc);
        if let Some(router) = hosted.http {
            http = Some(http.map_or(router.clone(), |merged| merged.merge(router)));
        }
        for worker in hosted.workers {
            tracing::debug!(service = spec.name, worker = worker.name, "starting worker");
            tasks.push(tokio::spawn(worker.task));
        }
        databases.push((spec.name, db));
    }
    let http_addr = match http {
        Some(router) => {
            let listener = bind(config.http_listen, "ADVOCACY_HTTP_LISTEN").await?;
            let addr = listener.local_addr()?;
            tasks.push(tokio::spawn(advocacy_platform::http::serve(listener, router, shutdown.clone())));
            Some(addr)
        }
        None => None,
    };
    let metrics_addr = match config.metrics_listen {
        Some(addr) => {
            let listener = bind(addr, "ADVOCACY_METRICS_LISTEN").await?;
            let addr = listener.local_addr()?;
            let router = advocacy_platform::metrics::router(databases.clone(), clock.clone());
            tasks.push(tokio::spawn(advocacy_platform::http::serve(listener, router, shutdown.clone())));
            Some(addr)
        }
        None => None,
    };
    let server = tokio::spawn(server.serve(listener, shutdown));
    Ok(RunningSystem { grpc_addr, http_addr, metrics_addr, databases, clock, trigger, server, tasks })
}

/// Binds an address with a message that says what to do when it is taken.
pub async fn bind(addr: SocketAddr, variable: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr}; is another advocacy server running? Set {variable} to use another port")
    })
}

/// Runs until SIGINT or SIGTERM.
pub async fn run(config: &Config, services: &[&str], demo: bool) -> anyhow::Result<()> {
    let listener = bind(config.grpc_listen, "ADVOCACY_GRPC_LISTEN").await?;
    let mut system = start(config, services, listener, Clock::system()).await?;
    eprintln!("advocacy: serving {} on grpc://{}", services.join(", "), system.grpc_addr);
    if let Some(addr) = system.http_addr {
        eprintln!("advocacy: web on http://{addr} (sign in with an account made by `advocacy users add`)");
    }
    if let Some(addr) = system.metrics_addr {
        eprintln!("advocacy: metrics on http://{addr}/metrics");
    }
    if config.database_url.is_none() {
        eprintln!("advocacy: data in {}", config.data_dir.display());
    }
    if demo {
        let new = crate::demo::seed(config, system.grpc_addr, services).await.context("loading demo data")?;
        let loaded = if new { "demo data loaded" } else { "demo data already loaded" };
        eprintln!("advocacy: {loaded} (try `advocacy deadlines list` or `advocacy submissions list`)");
    }
    tokio::select! {
        () = advocacy_platform::shutdown::os_signal() => {
            eprintln!("advocacy: shutting down, finishing calls in flight");
            system.stop().await
        }
        result = system.wait() => result,
    }
}
