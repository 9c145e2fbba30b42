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

use advocacy_platform::access::{
    ADMINS, Rule, SERVICES, STAFF_AND_MANAGERS, STAFF_AND_SERVICES, STAFF_MANAGERS_AND_SERVICES,
};
use advocacy_platform::hosting::{BuildFuture, Guarded};
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
    Migration {
        version: 4,
        name: "what became of each completed due time",
        sql: include_str!("../migrations/0004_outcomes.sql"),
    },
    Migration { version: 5, name: "the platform's audit log", sql: advocacy_platform::audit::SCHEMA },
];

/// The deadlines service as `advocacy serve` hosts it.
pub const SERVICE: ServiceSpec = ServiceSpec { name: NAME, migrations: MIGRATIONS, access: ACCESS, build };

/// Who may call what (the README's table is checked against this one).
pub const ACCESS: &[Rule] = &[
    Rule::new("CreateDeadline", STAFF_AND_SERVICES),
    Rule::new("GetDeadline", STAFF_MANAGERS_AND_SERVICES),
    Rule::new("ListDeadlines", STAFF_MANAGERS_AND_SERVICES),
    Rule::new("MoveDeadline", STAFF_AND_SERVICES),
    Rule::new("UpdateDeadline", STAFF_AND_SERVICES),
    Rule::new("CompleteDeadline", STAFF_AND_SERVICES),
    Rule::new("CancelDeadline", STAFF_AND_SERVICES),
    Rule::new("ListOccurrences", STAFF_MANAGERS_AND_SERVICES),
    Rule::new("GetDeadlineAggregates", STAFF_AND_MANAGERS),
    // The feed is plumbing: a person learns nothing from when hidden records changed.
    Rule::new("ListChanges", SERVICES),
    Rule::new("WatchChanges", SERVICES),
    Rule::new("ExportCalendar", STAFF_MANAGERS_AND_SERVICES),
    Rule::new("ExportCalendarEntries", STAFF_MANAGERS_AND_SERVICES),
    Rule::new("ListAuditEntries", ADMINS),
    Rule::new("VerifyAuditLog", ADMINS),
];

/// The served form: the generated server behind its guard.
pub type Service = Guarded<DeadlinesServiceServer<DeadlinesApi>>;

fn build(ctx: ServiceContext) -> BuildFuture {
    Box::pin(async move {
        let store = store::Store::new(&ctx.db).await?;
        let deadlines = service::Deadlines::new(store, ctx.clock.clone());
        let audit = advocacy_platform::audit::AuditLog::new(&ctx.db, NAME);
        let api = DeadlinesApi::new(deadlines, ctx.shutdown.clone(), ctx.config.organisation_zone(), audit);
        Ok(Hosted::new().grpc(grpc_service!(ctx, DeadlinesServiceServer::new(api))))
    })
}
