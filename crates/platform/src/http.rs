//! The HTTP port for services that serve HTTP (the gateway's JSON API and web pages):
//! one axum server for all their routers, stopping with the rest on shutdown.

use tokio::net::TcpListener;

use crate::Shutdown;

/// Serves `router` on `listener` until `shutdown` fires; requests in flight finish.
pub async fn serve(listener: TcpListener, router: axum::Router, mut shutdown: Shutdown) {
    let addr = listener.local_addr().ok();
    tracing::info!(address = ?addr, "HTTP server listening");
    // The peer's address reaches handlers that count by client (the web sign-in).
    let router = router.layer(axum::middleware::from_fn(crate::telemetry::http_span));
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move { shutdown.recv().await });
    if let Err(e) = server.await {
        tracing::error!(error = %e, "HTTP server stopped");
    }
}

/// A gRPC status as the JSON API answers it: the HTTP status of its code (the one mapping in
/// [`crate::ErrorCode`]), and `{"code", "message", "fields": [{"field", "description"}]}`.
pub fn error_response(status: &tonic::Status) -> axum::response::Response {
    use axum::response::IntoResponse;
    use tonic_types::StatusExt;
    let fields: Vec<serde_json::Value> = status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| serde_json::json!({"field": v.field, "description": v.description}))
                .collect()
        })
        .unwrap_or_default();
    let body = serde_json::json!({
        "code": format!("{:?}", status.code()),
        "message": status.message(),
        "fields": fields,
    });
    (http_status(status), axum::Json(body)).into_response()
}

/// The HTTP status of a gRPC status, by the one mapping in [`crate::ErrorCode`].
pub fn http_status(status: &tonic::Status) -> http::StatusCode {
    let code = crate::ErrorCode::of_grpc(status.code());
    http::StatusCode::from_u16(code.http()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
}
