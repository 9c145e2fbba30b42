//! Logs: readable lines by default, one JSON object per line on request (for log shippers),
//! and one span per RPC (method, caller, request id) closed by a line with the status code
//! and the latency.

use std::future::Future;
use std::io::IsTerminal;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tracing::Instrument;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. A second call (tests start many servers in one process)
/// keeps the first subscriber and is not an error. Colour codes only on a terminal: in a
/// file or in journald they are noise.
pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    let _ = match config.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Names who is calling in the current RPC's span (the token interceptor knows).
pub fn record_caller(subject: &str) {
    tracing::Span::current().record("caller", subject);
}

/// Names the client's request id in the current RPC's span.
pub fn record_request_id(request_id: &str) {
    tracing::Span::current().record("request_id", request_id);
}

/// The server layer that opens the span of each RPC.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcSpanLayer;

impl<S> tower::Layer<S> for RpcSpanLayer {
    type Service = RpcSpan<S>;

    fn layer(&self, inner: S) -> RpcSpan<S> {
        RpcSpan { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcSpan<S> {
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<http::Request<B>> for RpcSpan<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    R: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        // Probes and tools ask health and reflection all day; their lines are debug only.
        let routine = method.starts_with("/grpc.");
        let span = tracing::info_span!(
            "rpc",
            method = %method,
            caller = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let started = Instant::now();
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(async move {
            let result = future.instrument(span.clone()).await;
            // Errors of unary calls come as headers only; a stream that fails later says so
            // in its trailers, after this line.
            let code = match &result {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .map_or(tonic::Code::Ok, tonic::Code::from_i32),
                Err(_) => tonic::Code::Internal,
            };
            let latency_us = started.elapsed().as_micros() as u64;
            if routine {
                tracing::debug!(parent: &span, code = ?code, latency_us, "rpc finished");
            } else {
                tracing::info!(parent: &span, code = ?code, latency_us, "rpc finished");
            }
            result
        })
    }
}
