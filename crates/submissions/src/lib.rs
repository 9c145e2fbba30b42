//! The submissions service: what the organisation sends to UN mechanisms and national
//! regimes (UPR stakeholder reports, Special Procedures communications, treaty-body
//! reports, WGEID petitions, targeted-sanctions packages), alone or with partners, with
//! each step of its life from draft to published.
//!
//! `domain` holds the rules, `store` the SQL, `service` the operations, `api` the gRPC.
//! Resolutions, amendments and publications come next.

pub mod api;
pub mod domain;
pub mod error;
pub mod service;
pub mod store;

use tonic::service::interceptor::InterceptedService;

use advocacy_platform::auth::Authenticator;
use advocacy_platform::config::ServerLimits;
use advocacy_platform::{Database, Migration};
use advocacy_proto::v1::submissions_service_server::SubmissionsServiceServer;

pub use api::SubmissionsApi;
pub use error::SubmissionError;

pub const NAME: &str = "submissions";

pub const MIGRATIONS: &[Migration] =
    &[Migration { version: 1, name: "submissions", sql: include_str!("../migrations/0001_submissions.sql") }];

/// The served form: the generated server behind the auth interceptor.
pub type Service = InterceptedService<SubmissionsServiceServer<SubmissionsApi>, Authenticator>;

pub fn service(db: &Database, limits: &ServerLimits, auth: Authenticator) -> Service {
    let api = SubmissionsApi::new(service::Submissions::new(store::Store::new(db)));
    let server = SubmissionsServiceServer::new(api)
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
    InterceptedService::new(server, auth)
}
