//! The briefings service: the institutions we brief (each belonging to a government or a
//! multilateral body, the actor that impact figures count), briefings logged in one call,
//! and follow-ups that become deadlines in the deadlines service so the notifier reminds
//! their owners. Completing a follow-up on either side completes it on both.
//!
//! `domain` holds the rules, `store` the SQL, `service` the operations, `api` the gRPC,
//! `sync` the two-way link with the deadlines service.

pub mod api;
pub mod domain;
pub mod error;
pub mod service;
pub mod store;
pub mod sync;

use advocacy_platform::access::{ADMINS, Rule, STAFF, STAFF_AND_MANAGERS};
use advocacy_platform::feed::{Cursor, FeedFollower};
use advocacy_platform::hosting::{BuildFuture, Guarded};
use advocacy_platform::outbox::{self, Outbox};
use advocacy_platform::{Hosted, Migration, ServiceContext, ServiceSpec, grpc_service};
use advocacy_proto::v1::briefings_service_server::BriefingsServiceServer;

pub use api::BriefingsApi;
pub use error::BriefingError;

/// The service name in config, database file names, logs and system tokens.
pub const NAME: &str = "briefings";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "institutions, briefings, follow-ups and their outbox",
        sql: include_str!("../migrations/0001_briefings.sql"),
    },
    Migration { version: 2, name: "contacts", sql: include_str!("../migrations/0002_contacts.sql") },
    Migration { version: 3, name: "the platform's outbox and feed cursors", sql: outbox::SCHEMA },
    Migration {
        version: 4,
        name: "follow-ups waiting for their deadline move to the outbox",
        sql: include_str!("../migrations/0004_follow_ups_to_outbox.sql"),
    },
    Migration { version: 5, name: "the platform's requests table", sql: advocacy_platform::idempotency::SCHEMA },
    Migration {
        version: 6,
        name: "answered requests move to the requests table",
        sql: include_str!("../migrations/0006_requests_from_briefings.sql"),
    },
    Migration { version: 7, name: "the platform's audit log", sql: advocacy_platform::audit::SCHEMA },
    Migration {
        version: 8,
        name: "actors by briefing and kind",
        sql: include_str!("../migrations/0008_actors_by_briefing.sql"),
    },
];

/// The briefings service as `advocacy serve` hosts it.
pub const SERVICE: ServiceSpec = ServiceSpec { name: NAME, migrations: MIGRATIONS, access: ACCESS, build };

/// Who may call what (the README's table is checked against this one).
pub const ACCESS: &[Rule] = &[
    Rule::new("CreateInstitution", STAFF),
    Rule::new("GetInstitution", STAFF_AND_MANAGERS),
    Rule::new("ListInstitutions", STAFF_AND_MANAGERS),
    // Contacts are people who may be at risk for talking to us: staff only.
    Rule::new("CreateContact", STAFF),
    Rule::new("GetContact", STAFF),
    Rule::new("ListContacts", STAFF),
    Rule::new("EraseContact", ADMINS),
    Rule::new("LogBriefing", STAFF),
    Rule::new("GetBriefing", STAFF_AND_MANAGERS),
    Rule::new("UpdateBriefing", STAFF),
    Rule::new("ListBriefings", STAFF_AND_MANAGERS),
    Rule::new("CompleteFollowUp", STAFF),
    Rule::new("ImportBriefings", STAFF),
    Rule::new("GetBriefingAggregates", STAFF_AND_MANAGERS),
    Rule::new("ListAuditEntries", ADMINS),
    Rule::new("VerifyAuditLog", ADMINS),
];

/// The served form: the generated server behind its guard.
pub type Service = Guarded<BriefingsServiceServer<BriefingsApi>>;

/// The gRPC service, and the two workers that keep follow-ups and their deadlines in step:
/// the outbox pushing deadlines, the feed follower bringing completions back.
fn build(ctx: ServiceContext) -> BuildFuture {
    Box::pin(async move {
        let outbox = Outbox::new(&ctx.db, store::FOLLOW_UP_TOPIC, ctx.clock.clone(), ctx.config.outbox.clone());
        let store = store::Store::new(&ctx.db, outbox.clone());
        let deadlines = ctx.clients.deadlines();
        let push = sync::FollowUpDeadlines::new(store.clone(), deadlines.clone());
        let follow = FeedFollower::new(
            Cursor::new(&ctx.db, "deadlines"),
            deadlines,
            sync::CompletedFollowUps::new(store.clone()),
            ctx.clock.clone(),
        );
        let audit = advocacy_platform::audit::AuditLog::new(&ctx.db, NAME);
        let api =
            BriefingsApi::new(service::Briefings::new(store, ctx.clock.clone()), ctx.config.organisation_zone(), audit);
        Ok(Hosted::new()
            .grpc(grpc_service!(ctx, BriefingsServiceServer::new(api)))
            .worker("follow-up deadlines", outbox.run(push, ctx.shutdown.clone()))
            .worker("deadline completions", follow.run(ctx.shutdown.clone())))
    })
}
