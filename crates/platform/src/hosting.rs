//! A hosted service is a contract: it declares its name and migrations, and from a
//! [`ServiceContext`] (its database, the config, the token verifier, shutdown, the clock
//! and clients to the services it calls) it builds what it serves: gRPC routes, an
//! optional HTTP router and its background workers. `advocacy serve` loops over one
//! registry of these, so adding a service is one line there.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use tonic::service::interceptor::InterceptedService;

use crate::access::Rule;
use tonic::transport::Channel;

use crate::auth::Authenticator;
use crate::client::SystemToken;
use crate::clock::Clock;
use crate::{Config, Database, Migration, Shutdown};

/// What building a service can fail with; it stops the server at start, with this message.
pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// A future a service's `build` returns.
pub type BuildFuture = Pin<Box<dyn Future<Output = Result<Hosted, BuildError>> + Send>>;

/// One service of the product, as the registry lists it.
#[derive(Clone, Copy)]
pub struct ServiceSpec {
    /// The name in config, database file names, logs and system tokens.
    pub name: &'static str,
    pub migrations: &'static [Migration],
    /// Who may call each of its RPCs (see [`crate::access`]).
    pub access: &'static [Rule],
    pub build: fn(ServiceContext) -> BuildFuture,
}

impl fmt::Debug for ServiceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceSpec").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Everything a service is built from; nothing else is global.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    pub name: &'static str,
    pub db: Database,
    pub config: Arc<Config>,
    pub auth: Authenticator,
    /// The service's table of who may call what, which its gRPC API is served behind.
    pub access: &'static [Rule],
    pub shutdown: Shutdown,
    pub clock: Clock,
    pub clients: Clients,
}

/// A background task of a service: named for the logs, ends when shutdown fires.
pub struct Worker {
    pub name: &'static str,
    pub task: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker").field("name", &self.name).finish_non_exhaustive()
    }
}

/// What one service serves. Built with [`Hosted::new`] and the adders.
#[derive(Default)]
pub struct Hosted {
    pub grpc: crate::grpc::Routes,
    pub http: Option<axum::Router>,
    pub workers: Vec<Worker>,
}

impl fmt::Debug for Hosted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hosted")
            .field("grpc", &self.grpc.names())
            .field("http", &self.http.is_some())
            .field("workers", &self.workers)
            .finish()
    }
}

impl Hosted {
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves a generated tonic server, usually made with [`crate::grpc_service!`].
    pub fn grpc<S>(mut self, service: S) -> Self
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
            + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.grpc.add(service);
        self
    }

    /// Serves `router` on the HTTP port.
    pub fn http(mut self, router: axum::Router) -> Self {
        self.http = Some(router);
        self
    }

    /// Runs `task` in the background until it ends (it should end on shutdown).
    pub fn worker(mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) -> Self {
        self.workers.push(Worker { name, task: Box::pin(task) });
        self
    }
}

/// A generated tonic server with the configured message size limits, behind the token
/// check and the service's access table: the one way a service's gRPC API is exposed.
#[macro_export]
macro_rules! grpc_service {
    ($ctx:expr, $server:expr) => {{
        let limit = $ctx.config.server.max_message_bytes;
        $crate::hosting::guarded($server.max_decoding_message_size(limit).max_encoding_message_size(limit), &$ctx)
    }};
}

/// The served form of every service: the generated server behind its guard.
pub type Guarded<S> = crate::access::Guarded<S>;

/// Puts `server` behind the context's token check and access table (see [`grpc_service!`]).
pub fn guarded<S>(server: S, ctx: &ServiceContext) -> Guarded<S> {
    Guarded::new(server, ctx.auth.clone(), ctx.access)
}

/// The channel type services call each other on: every call signed as the calling service.
pub type SystemChannel = InterceptedService<Channel, SystemToken>;

/// Typed clients to the other services, each call carrying this service's system token.
/// A service configured with a URL is reached there; every other one on this process's
/// own port (in the embedded default every service is here, still reached through gRPC).
#[derive(Debug, Clone)]
pub struct Clients {
    remote: Arc<BTreeMap<String, Lines>>,
    local: Lines,
    token: SystemToken,
}

/// The channels to one service: for calls, which give up after the call timeout, and for
/// spreadsheet imports, which stream a whole file and have the import timeout.
#[derive(Debug, Clone)]
struct Lines {
    calls: Channel,
    imports: Channel,
}

impl Lines {
    fn to(url: &str, config: &Config) -> Result<Lines, tonic::transport::Error> {
        Ok(Lines {
            calls: crate::client::lazy_channel(url, config.server.request_timeout())?,
            imports: crate::client::lazy_channel(url, config.server.import_timeout())?,
        })
    }
}

impl Clients {
    /// Channels for every service `config` gives a URL, and one to `own` for the rest, each
    /// call signed with `token`.
    pub fn new(config: &Config, own: SocketAddr, token: SystemToken) -> Result<Clients, BuildError> {
        let mut remote = BTreeMap::new();
        for (name, service) in &config.services {
            if let Some(url) = &service.url {
                let lines = Lines::to(url, config).map_err(|e| format!("services.{name}.url: {url}: {e}"))?;
                remote.insert(name.clone(), lines);
            }
        }
        let local = Lines::to(&format!("http://{own}"), config)?;
        Ok(Clients { remote: Arc::new(remote), local, token })
    }

    /// The same channels, signing with `token` (another service's).
    pub fn signed_with(&self, token: SystemToken) -> Clients {
        Clients { token, ..self.clone() }
    }

    /// A channel to `service`, signed as the calling service.
    pub fn channel(&self, service: &str) -> SystemChannel {
        InterceptedService::new(self.for_callers(service), self.token.clone())
    }

    /// A channel to `service` that carries no token of its own, for calls made with a
    /// caller's token, so that service applies the caller's rights, not ours.
    pub fn for_callers(&self, service: &str) -> Channel {
        self.remote.get(service).unwrap_or(&self.local).calls.clone()
    }

    /// A channel to `service` carrying `caller`'s own token.
    pub fn as_caller(
        &self,
        service: &str,
        caller: &crate::Caller,
    ) -> Result<crate::client::AuthedChannel, tonic::Status> {
        Ok(InterceptedService::new(self.for_callers(service), caller.bearer()?))
    }

    /// [`Clients::as_caller`] for a spreadsheet import: the call may take the import
    /// timeout (`server.import_timeout_secs`), not the call timeout.
    pub fn importing_as(
        &self,
        service: &str,
        caller: &crate::Caller,
    ) -> Result<crate::client::AuthedChannel, tonic::Status> {
        let imports = self.remote.get(service).unwrap_or(&self.local).imports.clone();
        Ok(InterceptedService::new(imports, caller.bearer()?))
    }

    pub fn deadlines(&self) -> advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient<SystemChannel> {
        advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient::new(self.channel("deadlines"))
    }
}

/// The names of a registry, in its order.
pub fn names(registry: &[ServiceSpec]) -> Vec<&'static str> {
    registry.iter().map(|s| s.name).collect()
}
