//! All SQL of the briefings service, one set for SQLite and PostgreSQL. Records are kept
//! whole as JSON snapshots beside the columns that filtering and counting need; follow-ups
//! have a table of their own because they change on their own.

mod aggregates;
mod briefings;
mod contacts;
mod follow_ups;
mod import;
mod institutions;

use sqlx::AnyPool;

use advocacy_platform::Database;
use advocacy_platform::outbox::Outbox;

use crate::error::BriefingError;

pub use aggregates::Aggregates;
pub use briefings::BriefingQuery;
pub use follow_ups::{FOLLOW_UP_TOPIC, PendingFollowUp};
pub use import::{ImportCounts, ImportRow};

#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
    pool: AnyPool,
    /// Follow-ups whose deadline the deadlines service does not have as it is here yet.
    outbox: Outbox,
}

fn parse<T: serde::de::DeserializeOwned>(snapshot: &str) -> Result<T, BriefingError> {
    serde_json::from_str(snapshot).map_err(|e| BriefingError::Corrupt(e.to_string()))
}

impl Store {
    /// The service's database, for the audit log.
    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn new(db: &Database, outbox: Outbox) -> Store {
        Store { db: db.clone(), pool: db.pool.clone(), outbox }
    }

    /// For the request protocol's look before a write.
    pub fn db(&self) -> &Database {
        &self.db
    }
}
