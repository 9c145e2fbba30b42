//! Composes the services a config names into one running system: one database per
//! service, one gRPC port for all. `advocacy serve` and the end-to-end tests both start
//! the system through here, so the tests run what production runs.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use advocacy_platform::auth::Authenticator;
use advocacy_platform::grpc::GrpcServer;
use advocacy_platform::shutdown::ShutdownTrigger;
use advocacy_platform::{Config, Database, Shutdown};

/// The services this build can host. Each later service adds its variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceName {
    Deadlines,
    Submissions,
    Briefings,
}

impl ServiceName {
    pub const ALL: &[ServiceName] = &[ServiceName::Deadlines, ServiceName::Submissions, ServiceName::Briefings];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Deadlines => advocacy_deadlines::NAME,
            ServiceName::Submissions => advocacy_submissions::NAME,
            ServiceName::Briefings => advocacy_briefings::NAME,
        }
    }
}

/// A started system: where it listens, its databases, and how to stop it.
#[derive(Debug)]
pub struct RunningSystem {
    pub grpc_addr: SocketAddr,
    pub databases: Vec<(ServiceName, Database)>,
    trigger: ShutdownTrigger,
    server: JoinHandle<Result<(), tonic::transport::Error>>,
    /// Background work of the services (outboxes, feed consumers); ends on shutdown.
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
}

/// Opens each service's database, builds the services and serves them on `listener`.
pub async fn start(config: &Config, services: &[ServiceName], listener: TcpListener) -> anyhow::Result<RunningSystem> {
    let key = config.token_key()?;
    let auth = Authenticator::new(key);
    let (trigger, shutdown) = Shutdown::new();
    let mut server = GrpcServer::new(&config.server);
    let mut databases = Vec::new();
    let mut tasks = Vec::new();
    let grpc_addr = listener.local_addr()?;
    for &name in services {
        let url = config.database_url_for(name.as_str());
        let db =
            Database::open(&url, migrations(name)).await.with_context(|| format!("the {} database", name.as_str()))?;
        match name {
            ServiceName::Deadlines => {
                server.add_service(
                    advocacy_deadlines::service(&db, &config.server, auth.clone(), shutdown.clone()).await?,
                );
            }
            ServiceName::Submissions => {
                let deadlines = client_of(config, ServiceName::Deadlines, grpc_addr)?;
                let (service, background) = advocacy_submissions::service(
                    &db,
                    &config.server,
                    auth.clone(),
                    deadlines,
                    config.token_key()?,
                    shutdown.clone(),
                );
                server.add_service(service);
                tasks.extend(background);
            }
            ServiceName::Briefings => {
                let deadlines = client_of(config, ServiceName::Deadlines, grpc_addr)?;
                let (service, background) = advocacy_briefings::service(
                    &db,
                    &config.server,
                    auth.clone(),
                    deadlines,
                    config.token_key()?,
                    shutdown.clone(),
                );
                server.add_service(service);
                tasks.extend(background);
            }
        }
        databases.push((name, db));
    }
    let server = tokio::spawn(server.serve(listener, shutdown));
    Ok(RunningSystem { grpc_addr, databases, trigger, server, tasks })
}

fn migrations(name: ServiceName) -> &'static [advocacy_platform::Migration] {
    match name {
        ServiceName::Deadlines => advocacy_deadlines::MIGRATIONS,
        ServiceName::Submissions => advocacy_submissions::MIGRATIONS,
        ServiceName::Briefings => advocacy_briefings::MIGRATIONS,
    }
}

/// A channel to another service: where config says it runs, else this process's own port
/// (in the embedded default every service is here, still reached through gRPC).
fn client_of(config: &Config, service: ServiceName, own: SocketAddr) -> anyhow::Result<tonic::transport::Channel> {
    let url = config.service_url(service.as_str()).map_or_else(|| format!("http://{own}"), str::to_owned);
    advocacy_platform::client::lazy_channel(&url).with_context(|| format!("the address of {}: {url}", service.as_str()))
}

/// Binds the configured gRPC address with a message that says what to do when it is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!(
            "cannot listen on {addr}; is another advocacy server running? Set ADVOCACY_GRPC_LISTEN to use another port"
        )
    })
}

/// Runs until SIGINT or SIGTERM.
pub async fn run(config: &Config, services: &[ServiceName], demo: bool) -> anyhow::Result<()> {
    let listener = bind(config.grpc_listen).await?;
    let mut system = start(config, services, listener).await?;
    let names: Vec<&str> = services.iter().map(|s| s.as_str()).collect();
    eprintln!("advocacy: serving {} on grpc://{}", names.join(", "), system.grpc_addr);
    if config.database_url.is_none() {
        eprintln!("advocacy: data in {}", config.data_dir.display());
    }
    if demo {
        crate::demo::seed(config, system.grpc_addr, services).await.context("loading demo data")?;
        eprintln!("advocacy: demo data loaded (try `advocacy deadlines list` or `advocacy submissions list`)");
    }
    tokio::select! {
        () = advocacy_platform::shutdown::os_signal() => {
            eprintln!("advocacy: shutting down, finishing calls in flight");
            system.stop().await
        }
        result = system.wait() => result,
    }
}
