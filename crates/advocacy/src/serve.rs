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
}

impl ServiceName {
    pub const ALL: &[ServiceName] = &[ServiceName::Deadlines];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Deadlines => advocacy_deadlines::NAME,
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
}

impl RunningSystem {
    /// Stops accepting, lets calls in flight finish, closes the databases.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.trigger.fire();
        self.server.await.context("server task")?.context("gRPC server")?;
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
    for &name in services {
        let url = config.database_url_for(name.as_str());
        match name {
            ServiceName::Deadlines => {
                let db = Database::open(&url, advocacy_deadlines::MIGRATIONS)
                    .await
                    .with_context(|| format!("the {} database", name.as_str()))?;
                let service = advocacy_deadlines::service(&db, &config.server, auth.clone(), shutdown.clone()).await?;
                server.add_service(service);
                databases.push((name, db));
            }
        }
    }
    let grpc_addr = listener.local_addr()?;
    let server = tokio::spawn(server.serve(listener, shutdown));
    Ok(RunningSystem { grpc_addr, databases, trigger, server })
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
        crate::demo::seed(config, system.grpc_addr).await.context("loading demo data")?;
        eprintln!("advocacy: demo data loaded (try `advocacy deadlines list`)");
    }
    tokio::select! {
        () = advocacy_platform::shutdown::os_signal() => {
            eprintln!("advocacy: shutting down, finishing calls in flight");
            system.stop().await
        }
        result = system.wait() => result,
    }
}
