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
