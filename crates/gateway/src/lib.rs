//! The gateway: the only service with people and passwords. People sign in here and get a
//! token signed with the gateway's own key, which every service verifies with the public
//! key set; other services look people up here (the notifier's zone, language and manager).
//!
//! Managers read impact reports here: `report` asks every service for its figures at once,
//! each under its own deadline, and lists the records behind each figure; `frozen` keeps a
//! report as it was told to donors.
//!
//! `people` holds the rules of a person's fields and passwords, `signin` the sign-in and its
//! tokens, `period` a report's period, `store` the SQL, `api` the gRPC, `http` the JSON API, `web` the pages people use.

pub mod api;
pub mod error;
pub mod frozen;
pub mod http;
pub mod people;
pub mod period;
pub mod report;
pub mod signin;
pub mod store;
pub mod web;

use advocacy_platform::access::{ADMINS, MANAGERS, Rule, SERVICES, STAFF_AND_MANAGERS};
use advocacy_platform::hosting::{BuildFuture, Guarded};
use advocacy_platform::keys::PEOPLE_ISSUER;
use advocacy_platform::{Hosted, Migration, ServiceContext, ServiceSpec, grpc_service, idempotency};
use advocacy_proto::v1::gateway_service_server::GatewayServiceServer;

pub use api::GatewayApi;
pub use error::GatewayError;

/// The service name in config, database file names, logs and system tokens; its key signs
/// people's tokens.
pub const NAME: &str = PEOPLE_ISSUER;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "people, sessions and sign-in failures",
        sql: include_str!("../migrations/0001_people.sql"),
    },
    Migration { version: 2, name: "the platform's request protocol", sql: idempotency::SCHEMA },
    Migration { version: 3, name: "frozen reports", sql: include_str!("../migrations/0003_frozen_reports.sql") },
    Migration { version: 4, name: "the platform's audit log", sql: advocacy_platform::audit::SCHEMA },
    Migration {
        version: 5,
        name: "calendar subscriptions",
        sql: include_str!("../migrations/0005_calendar_feeds.sql"),
    },
    Migration {
        version: 6,
        name: "session kinds, one live calendar address",
        sql: include_str!("../migrations/0006_session_kinds.sql"),
    },
];

/// The gateway as `advocacy serve` hosts it.
pub const SERVICE: ServiceSpec = ServiceSpec { name: NAME, migrations: MIGRATIONS, access: ACCESS, build };

/// Who may call what (the README's table is checked against this one).
pub const ACCESS: &[Rule] = &[
    Rule::open("SignIn"),
    Rule::open("Refresh"),
    Rule::open("SignOut"),
    Rule::new("CreatePerson", ADMINS),
    Rule::new("UpdatePerson", ADMINS),
    Rule::new("SetPassword", ADMINS),
    Rule::new("ListAccounts", ADMINS),
    // The directory other services read; people's own details reach them in their token.
    Rule::new("GetPerson", SERVICES),
    Rule::new("ListPeople", SERVICES),
    Rule::new("GetImpactReport", STAFF_AND_MANAGERS),
    Rule::new("ListImpactRecords", STAFF_AND_MANAGERS),
    // What is told to donors and boards is a manager's to decide.
    Rule::new("FreezeImpactReport", MANAGERS),
    Rule::new("GetFrozenReport", STAFF_AND_MANAGERS),
    Rule::new("ListFrozenReports", STAFF_AND_MANAGERS),
    Rule::new("ListAuditEntries", ADMINS),
    Rule::new("VerifyAuditLog", ADMINS),
    Rule::new("ListAllAuditEntries", ADMINS),
];

/// The served form: the generated server behind its guard.
pub type Service = Guarded<GatewayServiceServer<GatewayApi>>;

fn build(ctx: ServiceContext) -> BuildFuture {
    Box::pin(async move {
        let keys = ctx.config.keys();
        let key = advocacy_platform::keys::Signer::new(keys.clone(), keys.signing_key(NAME)?);
        let store = store::Store::new(&ctx.db);
        let proxies = ctx.config.auth.trusted_proxies.clone();
        let sign_in = signin::SignIn::new(store.clone(), key, ctx.clock.clone(), proxies);
        let timeout = std::time::Duration::from_millis(ctx.config.reports.section_timeout_ms);
        let reporter =
            report::Reporter::new(ctx.clients.clone(), ctx.config.organisation_zone(), timeout, ctx.clock.clone());
        let frozen = frozen::FrozenReports::new(&ctx.db, reporter.clone(), ctx.clock.clone());
        let audit = advocacy_platform::audit::AuditLog::new(&ctx.db, NAME);
        let api = GatewayApi::new(store, sign_in, ctx.clock.clone(), reporter, frozen, audit);
        let (json, json_api) = http::router(api.clone(), ctx.auth.clone(), ctx.clients.clone());
        let settings = web::Settings {
            public_url: ctx.config.reminders.public_url.clone(),
            mailbox: ctx.config.mail.smtp.is_none().then(|| ctx.config.mail.mailbox(&ctx.config.data_dir)),
            clock: ctx.clock.clone(),
        };
        let pages = web::router(api.clone(), json_api, ctx.clients.clone(), ctx.auth.clone(), settings);
        Ok(Hosted::new().grpc(grpc_service!(ctx, GatewayServiceServer::new(api))).http(json.merge(pages)))
    })
}
