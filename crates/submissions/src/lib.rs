//! The submissions service: what the organisation sends to UN mechanisms and national
//! regimes (UPR stakeholder reports, Special Procedures communications, treaty-body
//! reports, WGEID petitions, targeted-sanctions packages), alone or with partners, with
//! each step of its life from draft to published.
//! Also the resolutions we seek to influence with the amendments we propose to them, and
//! our publications, which submissions and amendments cite as evidence.
//!
//! `domain` holds the rules, `store` the SQL, `service` the operations, `api` the gRPC.

pub mod api;
pub mod domain;
pub mod error;
pub mod service;
pub mod store;
pub mod sync;

use advocacy_platform::access::{ADMINS, Rule, STAFF, STAFF_AND_MANAGERS};
use advocacy_platform::hosting::{BuildFuture, Guarded};
use advocacy_platform::outbox::{self, Outbox};
use advocacy_platform::{Hosted, Migration, ServiceContext, ServiceSpec, grpc_service};
use advocacy_proto::v1::submissions_service_server::SubmissionsServiceServer;

pub use api::SubmissionsApi;
pub use error::SubmissionError;

pub const NAME: &str = "submissions";

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "submissions", sql: include_str!("../migrations/0001_submissions.sql") },
    Migration { version: 2, name: "deadline link outbox", sql: include_str!("../migrations/0002_deadline_link.sql") },
    Migration {
        version: 3,
        name: "resolutions and amendments",
        sql: include_str!("../migrations/0003_resolutions.sql"),
    },
    Migration { version: 4, name: "publications", sql: include_str!("../migrations/0004_publications.sql") },
    Migration { version: 5, name: "date counted", sql: include_str!("../migrations/0005_dated_at.sql") },
    Migration { version: 6, name: "the platform's outbox and feed cursors", sql: outbox::SCHEMA },
    Migration {
        version: 7,
        name: "deadlines waiting to be completed move to the outbox",
        sql: include_str!("../migrations/0007_deadline_link_to_outbox.sql"),
    },
    Migration { version: 8, name: "the platform's requests table", sql: advocacy_platform::idempotency::SCHEMA },
    Migration {
        version: 9,
        name: "answered requests move to the requests table",
        sql: include_str!("../migrations/0009_requests_from_submissions.sql"),
    },
    Migration { version: 10, name: "the platform's audit log", sql: advocacy_platform::audit::SCHEMA },
    Migration {
        version: 11,
        name: "words kept beside each amendment",
        sql: include_str!("../migrations/0011_amendment_kept_words.sql"),
    },
];

/// The submissions service as `advocacy serve` hosts it.
pub const SERVICE: ServiceSpec = ServiceSpec { name: NAME, migrations: MIGRATIONS, access: ACCESS, build };

/// Who may call what (the README's table is checked against this one).
pub const ACCESS: &[Rule] = &[
    Rule::new("CreateSubmission", STAFF),
    Rule::new("GetSubmission", STAFF_AND_MANAGERS),
    Rule::new("ListSubmissions", STAFF_AND_MANAGERS),
    Rule::new("RecordSubmissionStatus", STAFF),
    Rule::new("UpdateSubmission", STAFF),
    Rule::new("ImportSubmissions", STAFF),
    Rule::new("CreateResolution", STAFF),
    Rule::new("GetResolution", STAFF_AND_MANAGERS),
    Rule::new("ListResolutions", STAFF_AND_MANAGERS),
    Rule::new("RecordResolutionState", STAFF),
    Rule::new("ProposeAmendment", STAFF),
    Rule::new("GetAmendment", STAFF_AND_MANAGERS),
    Rule::new("ListAmendments", STAFF_AND_MANAGERS),
    Rule::new("RecordAmendmentOutcome", STAFF),
    Rule::new("UpdateAmendment", STAFF),
    Rule::new("ImportAmendments", STAFF),
    Rule::new("CreatePublication", STAFF),
    Rule::new("GetPublication", STAFF_AND_MANAGERS),
    Rule::new("ListPublications", STAFF_AND_MANAGERS),
    Rule::new("ImportPublications", STAFF),
    Rule::new("GetSubmissionAggregates", STAFF_AND_MANAGERS),
    Rule::new("ListAuditEntries", ADMINS),
    Rule::new("VerifyAuditLog", ADMINS),
];

/// The served form: the generated server behind its guard.
pub type Service = Guarded<SubmissionsServiceServer<SubmissionsApi>>;

/// The gRPC service, and the outbox worker that completes linked deadlines in the
/// deadlines service.
fn build(ctx: ServiceContext) -> BuildFuture {
    Box::pin(async move {
        let outbox = Outbox::new(&ctx.db, store::DEADLINE_TOPIC, ctx.clock.clone(), ctx.config.outbox.clone());
        let store = store::Store::new(&ctx.db, outbox.clone());
        let link = sync::DeadlineLink::new(store.clone(), ctx.clients.deadlines());
        let records = store::RecordStore::open(&ctx.db).await?;
        let clock = ctx.clock.clone();
        let resolutions = service::Resolutions::new(records.clone(), clock.clone());
        let publications = service::Publications::new(records.clone(), clock.clone());
        let deadlines = ctx.clients.for_callers("deadlines");
        let submissions = service::Submissions::new(store, records, deadlines, clock.clone());
        let zone = ctx.config.organisation_zone();
        let audit = advocacy_platform::audit::AuditLog::new(&ctx.db, NAME);
        let api = SubmissionsApi::new(submissions, resolutions, publications, clock, zone, audit);
        Ok(Hosted::new()
            .grpc(grpc_service!(ctx, SubmissionsServiceServer::new(api)))
            .worker("linked deadlines", outbox.run(link, ctx.shutdown.clone())))
    })
}
