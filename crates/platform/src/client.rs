//! Calling a service: a channel to its address and the bearer token on every call. Used by
//! the CLI, by services that call each other, and by the tests.

use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

/// Adds `authorization: Bearer <token>` to each request.
#[derive(Debug, Clone)]
pub struct BearerToken(MetadataValue<Ascii>);

impl BearerToken {
    pub fn new(token: &str) -> Result<Self, String> {
        format!("Bearer {token}").parse().map(BearerToken).map_err(|_| "a token is printable ASCII".to_owned())
    }
}

impl tonic::service::Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel carrying a token: wrap a generated client's `with_interceptor` around it.
pub type AuthedChannel = InterceptedService<Channel, BearerToken>;

/// Connects to `url` (`http://127.0.0.1:50051`), failing fast when nothing listens.
pub async fn connect(url: &str) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(url.to_owned())?.connect_timeout(Duration::from_secs(5)).tcp_nodelay(true).connect().await
}

/// [`connect`], then every call carries `token`.
pub async fn connect_with_token(url: &str, token: &BearerToken) -> Result<AuthedChannel, tonic::transport::Error> {
    Ok(InterceptedService::new(connect(url).await?, token.clone()))
}

/// A service calling another service: a short-lived system token, signed afresh for each
/// call with the shared key, so it never expires in a long-running worker.
#[derive(Debug, Clone)]
pub struct SystemToken {
    key: crate::TokenKey,
    service: &'static str,
    clock: crate::clock::Clock,
}

impl SystemToken {
    pub fn new(key: crate::TokenKey, service: &'static str, clock: crate::clock::Clock) -> Self {
        Self { key, service, clock }
    }

    /// The same key and clock, signing as another service.
    pub fn for_service(&self, service: &'static str) -> Self {
        Self { service, ..self.clone() }
    }
}

impl tonic::service::Interceptor for SystemToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let now = self.clock.unix_seconds();
        let token = self.key.issue(self.service, vec![crate::Role::System], vec![], now, 300);
        let value = format!("Bearer {token}").parse().map_err(|_| Status::internal("token is not ASCII"))?;
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

/// A channel to another service that connects on first use and reconnects after
/// failures, so a service that starts before the one it calls still starts.
pub fn lazy_channel(url: &str) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .connect_lazy())
}
