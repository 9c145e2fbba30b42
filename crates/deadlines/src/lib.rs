//! The deadlines service: UPR and Special Procedures cut-offs, HRC negotiation windows,
//! treaty-body dates and follow-ups, each an instant plus the zone of the body that set it.
//! Owners, reminder lead times, recurrence, and a change feed (list + watch from a stored
//! revision) that the notifier follows so that no change is ever missed.
//!
//! `domain` holds the rules, `store` the SQL, `service` the operations, `api` the gRPC.

pub mod api;
pub mod calendar;
pub mod domain;
pub mod error;
pub mod service;
pub mod store;

use tonic::service::interceptor::InterceptedService;

use advocacy_platform::auth::Authenticator;
use advocacy_platform::config::ServerLimits;
use advocacy_platform::{Database, Migration, Shutdown};
use advocacy_proto::v1::deadlines_service_server::DeadlinesServiceServer;

pub use api::DeadlinesApi;
pub use error::DeadlineError;

/// The service name in config, database file names and logs.
pub const NAME: &str = "deadlines";

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "deadlines, owners and change feed",
    sql: include_str!("../migrations/0001_deadlines.sql"),
}];

/// The served form: the generated server behind the auth interceptor.
pub type Service = InterceptedService<DeadlinesServiceServer<DeadlinesApi>, Authenticator>;

/// Builds the gRPC service on an opened database.
pub async fn service(
    db: &Database,
    limits: &ServerLimits,
    auth: Authenticator,
    shutdown: Shutdown,
) -> Result<Service, DeadlineError> {
    let store = store::Store::new(db).await?;
    let api = DeadlinesApi::new(service::Deadlines::new(store), shutdown);
    let server = DeadlinesServiceServer::new(api)
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
    Ok(InterceptedService::new(server, auth))
}
