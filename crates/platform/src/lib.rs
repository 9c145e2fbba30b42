//! What every advocacy service shares, so that each service crate holds only its domain:
//! configuration, logs, the database opener and migrations, the gRPC server builder, bearer
//! token auth, the one error vocabulary mapped to gRPC statuses, and time conversions.

pub mod access;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod classification;
pub mod client;
pub mod clock;
pub mod config;
pub mod db;
pub mod enums;
pub mod error;
pub mod feed;
pub mod grpc;
pub mod hosting;
pub mod http;
pub mod idempotency;
pub mod import;
pub mod keys;
pub mod language;
pub mod limits;
pub mod mailbox;
pub mod memory;
pub mod metrics;
pub mod names;
pub mod outbox;
pub mod page_token;
pub mod readers;
pub mod schedule;
pub mod shutdown;
pub mod snapshots;
pub mod telemetry;
pub mod time;
pub mod words;

/// Every binary that links the platform (the server, the CLI, tests and benchmarks) uses
/// one allocator. Measured: glibc's spent a fifth of an import consolidating free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use auth::{Caller, Role};
pub use classification::Classification;
pub use clock::Clock;
pub use config::Config;
pub use db::{Database, Dialect, Migration};
pub use error::{ErrorCode, FieldViolation, FieldViolations, ServiceError};
pub use hosting::{Hosted, ServiceContext, ServiceSpec};
pub use keys::{KeyDir, SigningKey};
pub use shutdown::Shutdown;
