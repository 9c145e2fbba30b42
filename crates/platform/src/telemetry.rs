//! Logs: readable lines by default, one JSON object per line on request (for log shippers),
//! and one span per RPC (method, caller, request id) closed by a line with the status code
//! and the latency.
//!
//! The request id crosses service calls: a request keeps the `x-request-id` it came with
//! (or gets a new one), every log line of its span carries it, the response says it, and
//! each call the request makes to another service passes it on (the client interceptors
//! read [`request_id`]).

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
/// file or in journald they are noise. Built with the `otel` feature and given
/// `OTEL_EXPORTER_OTLP_ENDPOINT`, spans also go to an OpenTelemetry collector over OTLP.
pub fn init(config: &LogConfig) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_new(&config.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = fmt::layer().with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    let lines = match config.format {
        LogFormat::Text => lines.boxed(),
        LogFormat::Json => lines.json().flatten_event(true).boxed(),
    };
    let registry = tracing_subscriber::registry().with(lines).with(filter);
    #[cfg(feature = "otel")]
    let registry = registry.with(otel::layer());
    let _ = registry.try_init();
}

/// Flushes what is still to be exported (spans to the collector) before the process ends.
pub fn flush() {
    #[cfg(feature = "otel")]
    otel::flush();
}

#[cfg(feature = "otel")]
mod otel {
    use std::sync::OnceLock;

    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::SdkTracerProvider;

    static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

    /// The layer exporting spans over OTLP/gRPC, when `OTEL_EXPORTER_OTLP_ENDPOINT` names a
    /// collector (the exporter reads the standard `OTEL_*` variables).
    pub fn layer<S>() -> Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT")?;
        let exporter = match opentelemetry_otlp::SpanExporter::builder().with_tonic().build() {
            Ok(exporter) => exporter,
            Err(e) => {
                eprintln!("advocacy: no OpenTelemetry export: {e}");
                return None;
            }
        };
        let resource = opentelemetry_sdk::Resource::builder().with_service_name("advocacy").build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        let tracer = provider.tracer("advocacy");
        let _ = PROVIDER.set(provider);
        Some(tracing_opentelemetry::layer().with_tracer(tracer))
    }

    pub fn flush() {
        if let Some(provider) = PROVIDER.get() {
            let _ = provider.shutdown();
        }
    }
}

/// Names who is calling in the current RPC's span (the token interceptor knows).
pub fn record_caller(subject: &str) {
    tracing::Span::current().record("caller", subject);
}

/// Names the client's idempotency key (the `request_id` field of a write) in the current
/// RPC's span.
pub fn record_request_id(request_id: &str) {
    tracing::Span::current().record("idempotency_key", request_id);
}

/// The header that carries a request's id between services.
pub const REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being served, for the calls it makes.
pub fn request_id() -> Option<String> {
    CURRENT.try_with(String::clone).ok()
}

/// The id a request came with, if it is a sensible one; else a new one.
fn request_id_of(headers: &http::HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=64).contains(&v.len()))
        .filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)))
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_owned)
}

/// The request id as a response header. Marked sensitive so HTTP/2 sends it as a literal
/// that is never indexed: a value new with every response would otherwise push the headers
/// every response repeats out of both sides' compression tables.
fn id_header(id: &str) -> Option<http::HeaderValue> {
    let mut value = http::HeaderValue::from_str(id).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// A path as the logs may keep it: a calendar feed's address is its secret, so it is cut.
fn loggable(path: &str) -> &str {
    if path.starts_with("/calendar/feed/") { "/calendar/feed/…" } else { path }
}

/// `future` run as part of the current request (its id goes with the calls it makes),
/// for work a request hands to a task of its own.
pub fn in_this_request<F: std::future::Future>(future: F) -> impl std::future::Future<Output = F::Output> {
    let id = request_id().unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    CURRENT.scope(id, future)
}

/// Puts the current request's id on an outgoing call.
pub fn pass_on(metadata: &mut tonic::metadata::MetadataMap) {
    if let Some(mut id) = request_id().and_then(|id| id.parse::<tonic::metadata::MetadataValue<_>>().ok()) {
        // New with every request: never indexed, like the answer's (see `id_header`).
        id.set_sensitive(true);
        metadata.insert(REQUEST_ID, id);
    }
}

/// The HTTP middleware that gives each request of the HTTP port its id and span, as
/// [`RpcSpanLayer`] does for gRPC.
pub async fn http_span(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let id = request_id_of(request.headers());
    let routine = matches!(request.uri().path(), "/metrics" | "/static/site.css");
    let path = loggable(request.uri().path());
    let span = tracing::info_span!("http", method = %request.method(), path = %path, request_id = %id);
    let started = Instant::now();
    let mut response = CURRENT.scope(id.clone(), next.run(request).instrument(span.clone())).await;
    let (status, latency_us) = (response.status().as_u16(), started.elapsed().as_micros() as u64);
    // Scrapes and the stylesheet come all day; their lines are debug only.
    if routine {
        tracing::debug!(parent: &span, status, latency_us, "http finished");
    } else {
        tracing::info!(parent: &span, status, latency_us, "http finished");
    }
    if let Some(value) = id_header(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Counts a request in the metrics once: when it is answered, or when its future is
/// dropped unanswered (the request timeout, which wraps this layer, or the client gone).
struct Counted {
    method: String,
    started: Instant,
    answered: bool,
}

impl Counted {
    fn answered(&mut self, code: tonic::Code) {
        self.answered = true;
        crate::metrics::metrics().rpc(&self.method, code, self.started.elapsed());
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if !self.answered {
            crate::metrics::metrics().rpc(&self.method, tonic::Code::Cancelled, self.started.elapsed());
        }
    }
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
        let id = request_id_of(request.headers());
        let span = tracing::info_span!(
            "rpc",
            method = %method,
            request_id = %id,
            caller = tracing::field::Empty,
            idempotency_key = tracing::field::Empty,
        );
        let started = Instant::now();
        let future = {
            let _entered = span.enter();
            CURRENT.sync_scope(id.clone(), || self.inner.call(request))
        };
        let mut counted = Counted { method: method.clone(), started, answered: false };
        Box::pin(async move {
            let mut result = CURRENT.scope(id.clone(), future.instrument(span.clone())).await;
            if let (Ok(response), Some(value)) = (&mut result, id_header(&id)) {
                response.headers_mut().insert(REQUEST_ID, value);
            }
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
            let latency = started.elapsed();
            let latency_us = latency.as_micros() as u64;
            counted.answered(code);
            if routine {
                tracing::debug!(parent: &span, code = ?code, latency_us, "rpc finished");
            } else {
                tracing::info!(parent: &span, code = ?code, latency_us, "rpc finished");
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_request_id_header_is_never_indexed() {
        let value = super::id_header("0194a2b3c4d5e6f708192a3b4c5d6e7f").expect("a header value");
        assert!(value.is_sensitive());
        assert_eq!(value, "0194a2b3c4d5e6f708192a3b4c5d6e7f");
    }
}
