//! The HTTP port for services that serve HTTP (the gateway's JSON API and web pages):
//! one axum server for all their routers, stopping with the rest on shutdown.

use tokio::net::TcpListener;

use crate::Shutdown;

/// Serves `router` on `listener` until `shutdown` fires; requests in flight finish.
pub async fn serve(listener: TcpListener, router: axum::Router, mut shutdown: Shutdown) {
    let addr = listener.local_addr().ok();
    tracing::info!(address = ?addr, "HTTP server listening");
    let server = axum::serve(listener, router).with_graceful_shutdown(async move { shutdown.recv().await });
    if let Err(e) = server.await {
        tracing::error!(error = %e, "HTTP server stopped");
    }
}
