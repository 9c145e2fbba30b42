//! The optional OpenTelemetry export (`--features otel`): a server given
//! `OTEL_EXPORTER_OTLP_ENDPOINT` sends the spans of the requests it serves to the collector
//! there, over OTLP/gRPC. The collector here is a stand-in that keeps what it is sent.
#![cfg(feature = "otel")]

use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt;

use advocacy_platform::Role;
use advocacy_proto::v1::deadlines_service_client::DeadlinesServiceClient;
use advocacy_tests::processes::{Server, Storage};

/// Keeps the body of every export request (protobuf: the span names and attribute values
/// are in it as they are) and answers OK without a message, which is all a test needs.
#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl tonic::server::NamedService for Collector {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
}

impl tower::Service<http::Request<tonic::body::Body>> for Collector {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let received = self.received.clone();
        Box::pin(async move {
            let body = request.into_body().collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
            received.lock().expect("the collector").push(body);
            let answer = http::Response::builder()
                .header("content-type", "application/grpc")
                .header("grpc-status", "0")
                .body(tonic::body::Body::empty())
                .expect("a response");
            Ok(answer)
        })
    }
}

#[tokio::test]
async fn a_server_built_with_otel_exports_the_spans_of_its_requests_to_the_collector() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
    let serving = collector.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(serving)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    });

    let storage = Storage::sqlite();
    let config = storage.config("otel", "grpc_listen = \"127.0.0.1:0\"\nhttp_listen = \"127.0.0.1:0\"\n");
    let env = [("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "100")];
    let server = Server::start_with(Path::new(env!("CARGO_BIN_EXE_advocacy")), &config, &["deadlines"], &env);
    let mut deadlines =
        DeadlinesServiceClient::new(storage.channel(&server.url, "ana@advocacy.example", vec![Role::Staff]).await);
    let created = deadlines
        .create_deadline(advocacy_tests::new_deadline("otel-1", "UPR submission", "2027-03-28T12:00"))
        .await
        .expect("created");
    assert!(!created.into_inner().id.is_empty());

    let method = b"/advocacy.v1.DeadlinesService/CreateDeadline";
    let exported = advocacy_tests::eventually(30, || {
        let received = collector.received.lock().expect("the collector").clone();
        async move { received.iter().any(|body| body.windows(method.len()).any(|w| w == method)).then_some(()) }
    })
    .await;
    assert!(exported.is_some(), "the span of CreateDeadline reached the collector");
    tokio::time::sleep(Duration::from_millis(10)).await;
    drop(server);
    storage.finish().await;
}
