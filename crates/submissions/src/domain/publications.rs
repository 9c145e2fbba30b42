//! Our publications: what the evidence behind submissions and amendments comes from, and
//! one of the figures reported to donors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use advocacy_platform::Classification;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicationKind {
    InvestigativeReport,
    GovernmentContractedReport,
    DatabaseRelease,
    Brief,
}

impl PublicationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationKind::InvestigativeReport => "investigative_report",
            PublicationKind::GovernmentContractedReport => "government_contracted_report",
            PublicationKind::DatabaseRelease => "database_release",
            PublicationKind::Brief => "brief",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPublication {
    pub title: String,
    pub kind: PublicationKind,
    /// The government that contracted the report (country code), for that kind only.
    pub contracted_by: Option<String>,
    pub published_on: DateTime<Utc>,
    pub url: String,
    pub classification: Classification,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub kind: PublicationKind,
    pub contracted_by: Option<String>,
    pub published_on: DateTime<Utc>,
    pub url: String,
    pub classification: Classification,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Publication {
    pub fn create(id: String, new: NewPublication, actor: &str, now: DateTime<Utc>) -> Publication {
        Publication {
            id,
            version: 1,
            title: new.title,
            kind: new.kind,
            contracted_by: new.contracted_by,
            published_on: new.published_on,
            url: new.url,
            classification: new.classification,
            created_by: actor.to_owned(),
            created_at: now,
        }
    }
}
