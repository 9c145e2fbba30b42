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
        crate::telemetry::pass_on(request.metadata_mut());
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

/// A service calling another service: a short-lived system token signed with the calling
/// service's own key, made again before it runs out, so it never expires in a long-running
/// worker.
#[derive(Debug, Clone)]
pub struct SystemToken {
    key: crate::keys::Signer,
    clock: crate::clock::Clock,
    current: std::sync::Arc<std::sync::Mutex<Option<MadeToken>>>,
}

/// The token last made, as a header value, when it was made (Unix seconds), and its key.
type MadeToken = (MetadataValue<Ascii>, i64, String);

/// How long a system token lives, and how soon it is replaced.
const SYSTEM_TOKEN_SECS: i64 = 300;
const SYSTEM_TOKEN_RENEW_SECS: i64 = 60;

impl SystemToken {
    /// Tokens for the service that owns `key`.
    pub fn new(key: crate::keys::Signer, clock: crate::clock::Clock) -> Self {
        Self { key, clock, current: Default::default() }
    }

    fn value(&self) -> Result<MetadataValue<Ascii>, Status> {
        let now = self.clock.unix_seconds();
        let key = self.key.key();
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((value, made, kid)) = current.as_ref()
            && (*made..*made + SYSTEM_TOKEN_RENEW_SECS).contains(&now)
            && *kid == key.kid
        {
            return Ok(value.clone());
        }
        let token = key.issue(&key.owner, vec![crate::Role::System], vec![], now, SYSTEM_TOKEN_SECS);
        let value: MetadataValue<Ascii> =
            format!("Bearer {token}").parse().map_err(|_| Status::internal("token is not ASCII"))?;
        *current = Some((value.clone(), now, key.kid));
        Ok(value)
    }
}

impl tonic::service::Interceptor for SystemToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.value()?);
        crate::telemetry::pass_on(request.metadata_mut());
        Ok(request)
    }
}

/// A channel to another service that connects on first use and reconnects after
/// failures, so a service that starts before the one it calls still starts. A call on it
/// gives up after `timeout`.
pub fn lazy_channel(url: &str, timeout: Duration) -> Result<Channel, tonic::transport::Error> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .tcp_nodelay(true)
        .connect_lazy())
}
