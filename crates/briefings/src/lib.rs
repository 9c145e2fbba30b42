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

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use advocacy_platform::auth::Authenticator;
use advocacy_platform::client::SystemToken;
use advocacy_platform::config::ServerLimits;
use advocacy_platform::{Database, Migration, Shutdown, TokenKey};
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
];

/// The served form: the generated server behind the auth interceptor.
pub type Service = InterceptedService<BriefingsServiceServer<BriefingsApi>, Authenticator>;

/// Builds the gRPC service on an opened database, and starts the two tasks that keep
/// follow-ups and their deadlines in step (they end when `shutdown` fires).
pub fn service(
    db: &Database,
    limits: &ServerLimits,
    auth: Authenticator,
    deadlines: Channel,
    key: TokenKey,
    shutdown: Shutdown,
) -> (Service, Vec<JoinHandle<()>>) {
    let store = store::Store::new(db);
    let wake = Arc::new(Notify::new());
    let sync = sync::DeadlineSync::new(store.clone(), deadlines, SystemToken::new(key, NAME), wake.clone());
    let tasks = vec![tokio::spawn(sync.clone().run_outbox(shutdown.clone())), tokio::spawn(sync.run_feed(shutdown))];
    let api = BriefingsApi::new(service::Briefings::new(store, wake));
    let server = BriefingsServiceServer::new(api)
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
    (InterceptedService::new(server, auth), tasks)
}
