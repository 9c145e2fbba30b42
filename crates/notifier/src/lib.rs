//! The notifier: emails each deadline's owners before it is due, at each lead time, its
//! owners' managers when it is still open shortly before, and everyone a weekly digest.
//! Nothing is lost or sent twice: the plan is rebuilt from the deadlines change feed in
//! the notifier's own database, each message has a unique key there, and each waits in the
//! platform's outbox until its moment, so replicas share the sending and a crash or a
//! refusing mail server only delays it.
//!
//! `domain` holds the rules, `store` the SQL, `follow` the feed, `send` the sending,
//! `messages` and `templates/` what each email says, `mailer` SMTP or the mailbox folder,
//! `api` the gRPC.

pub mod api;
pub mod domain;
pub mod error;
pub mod follow;
pub mod mailer;
pub mod messages;
pub mod people;
pub mod send;
pub mod store;

use std::sync::Arc;

use advocacy_platform::access::{ADMINS, Rule, STAFF, STAFF_AND_MANAGERS};
use advocacy_platform::feed::{Cursor, FeedFollower};
use advocacy_platform::hosting::{BuildFuture, Guarded};
use advocacy_platform::outbox::{self, Outbox};
use advocacy_platform::{Hosted, Migration, ServiceContext, ServiceSpec, grpc_service};
use advocacy_proto::v1::notifier_service_server::NotifierServiceServer;

pub use api::NotifierApi;
pub use error::NotifierError;

/// The service name in config, database file names, logs and system tokens.
pub const NAME: &str = "notifier";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "deadlines followed and deliveries",
        sql: include_str!("../migrations/0001_notifier.sql"),
    },
    Migration { version: 2, name: "the platform's outbox and feed cursors", sql: outbox::SCHEMA },
    Migration { version: 3, name: "the platform's audit log", sql: advocacy_platform::audit::SCHEMA },
    Migration {
        version: 4,
        name: "deliveries marked sent in place",
        sql: include_str!("../migrations/0004_deliveries_marked_in_place.sql"),
    },
];

/// The notifier as `advocacy serve` hosts it.
pub const SERVICE: ServiceSpec = ServiceSpec { name: NAME, migrations: MIGRATIONS, access: ACCESS, build };

/// Who may call what (the README's table is checked against this one).
pub const ACCESS: &[Rule] = &[
    Rule::new("ListDeliveries", STAFF_AND_MANAGERS),
    Rule::new("GetPlan", STAFF_AND_MANAGERS),
    Rule::new("PreviewReminder", STAFF_AND_MANAGERS),
    // Mail to any address, on demand: for whoever runs the installation.
    Rule::new("SendTest", ADMINS),
    Rule::new("RetryDelivery", STAFF),
    Rule::new("ListAuditEntries", ADMINS),
    Rule::new("VerifyAuditLog", ADMINS),
];

/// The served form: the generated server behind its guard.
pub type Service = Guarded<NotifierServiceServer<NotifierApi>>;

/// The gRPC API and two workers: the feed follower keeping the plan, the outbox sending.
fn build(ctx: ServiceContext) -> BuildFuture {
    Box::pin(async move {
        let config = &ctx.config;
        let from = mailer::sender(&config.mail)?;
        let mailer = mailer::Mailer::from_config(&config.mail, &config.data_dir)?;
        if let Some(dir) = mailer.mailbox_dir() {
            tracing::info!(mailbox = %dir.display(), "no SMTP server configured: messages are written to the mailbox folder");
        }
        let messages = Arc::new(messages::Messages::new(from, &config.reminders.public_url));
        let settings = store::PlanSettings {
            escalate_before: chrono::Duration::hours(i64::from(config.reminders.escalate_before_hours)),
            digest_schedule: config.reminders.digest_schedule.clone(),
            organisation_zone: config.organisation_zone(),
            message_domain: messages.domain().to_owned(),
        };
        let outbox = Outbox::new(&ctx.db, store::TOPIC, ctx.clock.clone(), config.outbox.clone());
        let directory =
            advocacy_proto::v1::gateway_service_client::GatewayServiceClient::new(ctx.clients.channel("gateway"));
        let people = people::People::with_directory(&config.people, directory);
        let people_follow = people.clone().follow(ctx.shutdown.clone());
        let store = store::Store::new(&ctx.db, outbox.clone(), ctx.clock.clone(), people, settings);
        store.plan_digests().await?;
        let deadlines = ctx.clients.deadlines();
        let sender = send::Sender::new(store.clone(), messages.clone(), mailer, deadlines.clone(), ctx.clock.clone());
        let follow = FeedFollower::new(
            Cursor::new(&ctx.db, "deadlines"),
            deadlines,
            follow::Planner::new(store.clone()),
            ctx.clock.clone(),
        );
        let audit = advocacy_platform::audit::AuditLog::new(&ctx.db, NAME);
        let api = NotifierApi::new(store, messages, ctx.clock.clone(), audit);
        Ok(Hosted::new()
            .grpc(grpc_service!(ctx, NotifierServiceServer::new(api)))
            .worker("reminder plan", follow.run(ctx.shutdown.clone()))
            .worker("reminder sending", outbox.run(sender, ctx.shutdown.clone()))
            .worker("people directory", people_follow))
    })
}
