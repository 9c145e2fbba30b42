//! Who a recipient is, for their message: name, zone, language and manager. One small
//! lookup, read from the `[people]` table of the config until the gateway's people
//! directory exists; anyone not listed gets the deadline's zone and English.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono_tz::Tz;

use advocacy_platform::config::PersonConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Korean,
}

impl Language {
    /// `en` or `ko`; anything else is not a language we write in.
    pub fn parse(code: &str) -> Option<Language> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Language::English),
            "ko" => Some(Language::Korean),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Korean => "ko",
        }
    }
}

/// One recipient as their message needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub name: String,
    /// Their own zone, if known.
    pub zone: Option<Tz>,
    pub language: Language,
    pub manager: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct People {
    known: Arc<BTreeMap<String, PersonConfig>>,
}

impl People {
    pub fn new(people: &BTreeMap<String, PersonConfig>) -> People {
        let known = people.iter().map(|(email, p)| (email.to_lowercase(), p.clone())).collect();
        People { known: Arc::new(known) }
    }

    pub fn person(&self, email: &str) -> Person {
        let known = self.known.get(&email.to_lowercase());
        Person {
            email: email.to_owned(),
            name: known.map(|p| p.name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| email.to_owned()),
            zone: known.and_then(|p| p.zone.parse().ok()),
            language: known.and_then(|p| Language::parse(&p.language)).unwrap_or(Language::English),
            manager: known.map(|p| p.manager.clone()).filter(|m| !m.is_empty()),
        }
    }

    /// (person, manager) for each of `owners` with a manager.
    pub fn managers(&self, owners: &[String]) -> Vec<(String, String)> {
        owners.iter().filter_map(|o| self.person(o).manager.map(|m| (o.clone(), m))).collect()
    }

    /// Everyone listed, for digests of people who own nothing yet.
    pub fn listed(&self) -> impl Iterator<Item = &str> {
        self.known.keys().map(String::as_str)
    }
}
