//! The one gRPC server builder: every hosted service on one port, with the health service
//! reporting each of them, reflection (so grpcurl and similar tools need no .proto files),
//! a request timeout, a concurrency limit, HTTP/2 keep-alive to drop dead peers, and a
//! graceful shutdown that lets calls in flight finish.

mod connection;

use std::convert::Infallible;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tower::limit::GlobalConcurrencyLimitLayer;

use crate::config::ServerLimits;
use crate::shutdown::Shutdown;
use connection::Connection;

/// Always served beside the product's services, and advertised by reflection.
const STANDARD_SERVICES: &[&str] =
    &["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

/// Adds one service to the server's routes, once the server is built.
type AddRoute = Box<dyn FnOnce(&mut RoutesBuilder) + Send>;

/// The gRPC services one hosted service serves, gathered before the server is built.
#[derive(Default)]
pub struct Routes {
    adders: Vec<AddRoute>,
    names: Vec<&'static str>,
}

impl Routes {
    /// Adds a generated tonic server (usually wrapped in the auth interceptor).
    pub fn add<S>(&mut self, service: S)
    where
        S: tower::Service<http::Request<Body>, Error = Infallible> + NamedService + Clone + Send + Sync + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.adders.push(Box::new(move |routes| {
            routes.add_service(service);
        }));
    }

    /// The fully qualified names of the services, as health and reflection list them.
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes").field("names", &self.names).finish_non_exhaustive()
    }
}

/// Collects services, then serves them.
pub struct GrpcServer {
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    limits: ServerLimits,
}

impl std::fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcServer").field("names", &self.names).field("limits", &self.limits).finish()
    }
}

impl GrpcServer {
    pub fn new(limits: &ServerLimits) -> Self {
        Self { routes: RoutesBuilder::default(), names: Vec::new(), limits: limits.clone() }
    }

    /// Hosts a service's routes.
    pub fn add_routes(&mut self, routes: Routes) -> &mut Self {
        self.names.extend(routes.names);
        for add in routes.adders {
            add(&mut self.routes);
        }
        self
    }

    /// The fully qualified names of the hosted services, as health and reflection list them.
    pub fn service_names(&self) -> &[&'static str] {
        &self.names
    }

    /// Serves on `listener` until `shutdown` fires, then stops accepting and waits up to the
    /// grace period for calls in flight.
    pub async fn serve(self, listener: TcpListener, mut shutdown: Shutdown) -> Result<(), tonic::transport::Error> {
        let (health, health_service) = tonic_health::server::health_reporter();
        for name in &self.names {
            health.set_service_status(*name, ServingStatus::Serving).await;
        }
        // Both reflection versions: many tools (older grpcurl, Python's grpcio, GUI
        // clients) still ask v1alpha only.
        // Only what this process serves is advertised: the descriptor set holds every
        // service's contract, and a tool should not offer calls that would be unanswered.
        let reflection = || {
            let builder = tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(advocacy_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
            STANDARD_SERVICES.iter().chain(&self.names).fold(builder, |b, name| b.with_service_name(*name))
        };
        let reflection_v1 = reflection().build_v1().expect("the embedded descriptor sets are valid");
        let reflection_v1alpha = reflection().build_v1alpha().expect("the embedded descriptor sets are valid");

        let mut routes = self.routes;
        routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);
        let local: Option<SocketAddr> = listener.local_addr().ok();
        tracing::info!(address = ?local, services = ?self.names, "gRPC server listening");

        let grace = self.limits.shutdown_grace();
        let mut stop_signal = shutdown.clone();
        let signal = async move {
            stop_signal.recv().await;
            // Tell load balancers first, so no new call is routed here while we drain.
            health.set_service_status("", ServingStatus::NotServing).await;
            for name in &self.names {
                health.set_service_status(*name, ServingStatus::NotServing).await;
            }
            tracing::info!("shutting down: no new connections, finishing calls in flight");
        };
        let server = Server::builder()
            .http2_keepalive_interval(Some(std::time::Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(std::time::Duration::from_secs(10)))
            .layer(GlobalConcurrencyLimitLayer::new(self.limits.concurrency_limit))
            .layer(crate::telemetry::RpcSpanLayer)
            .layer(TimeoutLayer { calls: self.limits.request_timeout(), imports: self.limits.import_timeout() })
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(accepted(listener), signal);
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result,
            () = async { shutdown.recv().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(?grace, "calls still in flight after the grace period; stopping anyway");
                Ok(())
            }
        }
    }
}

/// Accepted connections, each a [`Connection`].
fn accepted(listener: TcpListener) -> impl tokio_stream::Stream<Item = std::io::Result<Connection>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|accepted| Connection::accepted(accepted?))
}

/// The time a call may take until it answers (for a stream: until its first message),
/// then `DEADLINE_EXCEEDED`: `calls` for every method but the spreadsheet imports, which
/// stream and write a whole file in one call and get `imports`.
#[derive(Debug, Clone, Copy)]
struct TimeoutLayer {
    calls: std::time::Duration,
    imports: std::time::Duration,
}

impl<S> tower::Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout { inner, limits: *self }
    }
}

#[derive(Debug, Clone)]
struct Timeout<S> {
    inner: S,
    limits: TimeoutLayer,
}

impl<S, B> tower::Service<http::Request<B>> for Timeout<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<http::Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let import = request.uri().path().rsplit('/').next().is_some_and(|m| m.starts_with("Import"));
        let limit = if import { self.limits.imports } else { self.limits.calls };
        let answer = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout(limit, answer).await {
                Ok(answered) => answered,
                Err(_) => Ok(tonic::Status::deadline_exceeded(format!(
                    "no answer within {} s (server.{}_timeout_secs)",
                    limit.as_secs(),
                    if import { "import" } else { "request" }
                ))
                .into_http()),
            }
        })
    }
}
