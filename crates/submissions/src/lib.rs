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

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use advocacy_platform::auth::Authenticator;
use advocacy_platform::client::SystemToken;
use advocacy_platform::config::ServerLimits;
use advocacy_platform::{Database, Migration, Shutdown, TokenKey};
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
];

/// The served form: the generated server behind the auth interceptor.
pub type Service = InterceptedService<SubmissionsServiceServer<SubmissionsApi>, Authenticator>;

/// Builds the gRPC service, and starts the task that completes linked deadlines in the
/// deadlines service (it ends when `shutdown` fires).
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
    let link = sync::DeadlineLink::new(store.clone(), deadlines.clone(), SystemToken::new(key, NAME), wake.clone());
    let tasks = vec![tokio::spawn(link.run(shutdown))];
    let records = store::RecordStore::new(db);
    let resolutions = service::Resolutions::new(records.clone());
    let publications = service::Publications::new(records.clone());
    let submissions = service::Submissions::new(store, records.clone(), deadlines, wake);
    let api = SubmissionsApi::new(submissions, resolutions, publications);
    let server = SubmissionsServiceServer::new(api)
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
    (InterceptedService::new(server, auth), tasks)
}
