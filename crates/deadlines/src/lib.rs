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

use advocacy_platform::hosting::{BuildFuture, Intercepted};
use advocacy_platform::{Hosted, Migration, ServiceContext, ServiceSpec, grpc_service};
use advocacy_proto::v1::deadlines_service_server::DeadlinesServiceServer;

pub use api::DeadlinesApi;
pub use error::DeadlineError;

/// The service name in config, database file names and logs.
pub const NAME: &str = "deadlines";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "deadlines, owners and change feed",
        sql: include_str!("../migrations/0001_deadlines.sql"),
    },
    Migration { version: 2, name: "the platform's requests table", sql: advocacy_platform::idempotency::SCHEMA },
    Migration {
        version: 3,
        name: "answered requests move from the change log",
        sql: include_str!("../migrations/0003_requests_from_changes.sql"),
    },
];

/// The deadlines service as `advocacy serve` hosts it.
pub const SERVICE: ServiceSpec = ServiceSpec { name: NAME, migrations: MIGRATIONS, build };

/// The served form: the generated server behind the auth interceptor.
pub type Service = Intercepted<DeadlinesServiceServer<DeadlinesApi>>;

fn build(ctx: ServiceContext) -> BuildFuture {
    Box::pin(async move {
        let store = store::Store::new(&ctx.db).await?;
        let api = DeadlinesApi::new(service::Deadlines::new(store, ctx.clock.clone()), ctx.shutdown.clone());
        Ok(Hosted::new().grpc(grpc_service!(ctx, DeadlinesServiceServer::new(api))))
    })
}
