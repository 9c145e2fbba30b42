//! Briefings as the organisation counts them: an institution belongs to an actor (a
//! government or a multilateral body), and it is actors, not institutions, that impact
//! figures count. Pure: no database, no gRPC.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use advocacy_platform::Classification;

pub use advocacy_platform::names::normalize_name;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_LINE_CHARS: usize = 500;

/// Who may read a briefing's notes besides the holders of a restricted briefing's own
/// compartment.
pub const NOTES_COMPARTMENT: &str = "briefing-notes";
/// Who may read contacts' personal data.
pub const CONTACTS_COMPARTMENT: &str = "contacts";
/// Who may see quiet-diplomacy briefings at all.
pub const QUIET_COMPARTMENT: &str = advocacy_platform::classification::QUIET_DIPLOMACY;

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

text_enum!(InstitutionKind {
    Ministry => "ministry",
    PermanentMission => "permanent_mission",
    Embassy => "embassy",
    Parliament => "parliament",
    MultilateralUnit => "multilateral_unit",
    UnOffice => "un_office",
});

text_enum!(Format {
    InPerson => "in_person",
    Virtual => "virtual",
    Written => "written",
    SideEvent => "side_event",
});

/// Whether an actor is a government or a multilateral body: the two are counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Government,
    Multilateral,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Government => "government",
            ActorKind::Multilateral => "multilateral",
        }
    }

    pub fn of(actor: &str) -> Option<ActorKind> {
        match advocacy_catalog::actor(actor)? {
            advocacy_catalog::Actor::Government(_) => Some(ActorKind::Government),
            advocacy_catalog::Actor::Multilateral(_) => Some(ActorKind::Multilateral),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Institution {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub kind: InstitutionKind,
    pub actor: String,
    pub city: String,
    pub parent_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewInstitution {
    pub name: String,
    pub kind: InstitutionKind,
    pub actor: String,
    pub city: String,
    pub parent_id: Option<String>,
}

/// A person at an institution. After erasure only the id, the institution and the dates
/// remain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub version: i64,
    pub institution_id: String,
    pub name: String,
    pub role: String,
    pub email: String,
    pub phone: String,
    pub erased_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewContact {
    pub institution_id: String,
    pub name: String,
    pub role: String,
    pub email: String,
    pub phone: String,
}

/// A contact at a briefing as a given caller may see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRef {
    pub id: String,
    pub display: String,
}

impl Contact {
    /// The name for callers holding the contacts compartment; "a contact" for others;
    /// "a contact (erased)" once erased, for everyone.
    pub fn shown_to(&self, caller: &advocacy_platform::Caller) -> ContactRef {
        let display = if self.erased_at.is_some() {
            "a contact (erased)".to_owned()
        } else if caller.may_read_compartment(CONTACTS_COMPARTMENT) {
            self.name.clone()
        } else {
            "a contact".to_owned()
        };
        ContactRef { id: self.id.clone(), display }
    }
}

/// A follow-up as asked for when logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewFollowUp {
    pub action: String,
    pub owner: String,
    pub due: DateTime<Utc>,
    pub zone: Tz,
}

/// A briefing as a write answered it, kept whole for a retry: the snapshot leaves the
/// follow-ups to their own table, the answer keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answered {
    pub briefing: Briefing,
    pub follow_ups: Vec<FollowUp>,
}

impl Answered {
    pub fn of(briefing: &Briefing) -> Answered {
        Answered { briefing: briefing.clone(), follow_ups: briefing.follow_ups.clone() }
    }

    pub fn into_briefing(self) -> Briefing {
        Briefing { follow_ups: self.follow_ups, ..self.briefing }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub id: String,
    pub action: String,
    pub owner: String,
    pub due: DateTime<Utc>,
    pub zone: Tz,
    pub deadline_id: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

/// A checked briefing, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewBriefing {
    pub at: DateTime<Utc>,
    pub zone: Tz,
    pub city: String,
    pub format: Format,
    pub institution_ids: Vec<String>,
    pub attendees: Vec<String>,
    pub themes: Vec<String>,
    pub materials: Vec<String>,
    pub asks: Vec<String>,
    pub summary: String,
    pub notes: String,
    pub quiet: bool,
    pub outcome: String,
    pub follow_ups: Vec<NewFollowUp>,
    pub classification: Classification,
    pub contact_ids: Vec<String>,
}

/// A stored briefing. Follow-ups change on their own, so they live beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Briefing {
    pub id: String,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub zone: Tz,
    pub city: String,
    pub format: Format,
    pub institution_ids: Vec<String>,
    /// The actors of those institutions, each once.
    pub actors: Vec<String>,
    pub attendees: Vec<String>,
    pub themes: Vec<String>,
    pub materials: Vec<String>,
    pub asks: Vec<String>,
    pub summary: String,
    pub notes: String,
    pub quiet: bool,
    pub outcome: String,
    pub classification: Classification,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub contact_ids: Vec<String>,
    #[serde(skip)]
    pub follow_ups: Vec<FollowUp>,
    /// The contacts as the reader may see them; filled in when read.
    #[serde(skip)]
    pub contacts: Vec<ContactRef>,
}

impl Briefing {
    /// A new briefing from a checked request, logged by `actor` at `now`; follow-ups get
    /// their ids here, their deadlines later.
    pub fn new(id: String, new: NewBriefing, actors: Vec<String>, actor: &str, now: DateTime<Utc>) -> Briefing {
        Briefing {
            id,
            version: 1,
            at: new.at,
            zone: new.zone,
            city: new.city,
            format: new.format,
            institution_ids: new.institution_ids,
            actors,
            attendees: new.attendees,
            themes: new.themes,
            materials: new.materials,
            asks: new.asks,
            summary: new.summary,
            notes: new.notes,
            quiet: new.quiet,
            outcome: new.outcome,
            classification: new.classification,
            created_by: actor.to_owned(),
            created_at: now,
            updated_by: actor.to_owned(),
            updated_at: now,
            contact_ids: new.contact_ids,
            contacts: Vec::new(),
            follow_ups: new
                .follow_ups
                .into_iter()
                .map(|f| FollowUp {
                    id: uuid::Uuid::now_v7().to_string(),
                    action: f.action,
                    owner: f.owner,
                    due: f.due,
                    zone: f.zone,
                    deadline_id: None,
                    done_at: None,
                })
                .collect(),
        }
    }

    /// The local month the briefing took place in, "2027-04": how impact reports group.
    pub fn month(&self) -> String {
        self.at.with_timezone(&self.zone).format("%Y-%m").to_string()
    }

    /// Who may see the briefing at all: restricted ones need their compartment, quiet
    /// ones the quiet-diplomacy compartment.
    pub fn visible_to(&self, caller: &advocacy_platform::Caller) -> bool {
        self.classification.visible_to(caller) && (!self.quiet || caller.may_read_compartment(QUIET_COMPARTMENT))
    }

    /// Whether the caller may read the restricted notes.
    pub fn notes_visible_to(&self, caller: &advocacy_platform::Caller) -> bool {
        match &self.classification {
            Classification::Restricted { compartment } => caller.may_read_compartment(compartment),
            _ => caller.may_read_compartment(NOTES_COMPARTMENT),
        }
    }
}
