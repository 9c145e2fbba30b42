//! Reference data that never changes at run time: countries, multilateral bodies, the UN
//! mechanisms and national regimes we work with, and the IANA zone of each seat.
//!
//! Codes are stable identifiers stored in every service's database; names are for people
//! and may be reworded. Lookups are case-sensitive on purpose: the codes are canonical.

mod bodies;
mod countries;
mod mechanisms;
mod word_limits;

use chrono_tz::Tz;

/// A country or territory, by ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    pub code: &'static str,
    pub name: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    UnitedNations,
    EuropeanUnion,
    Regional,
    Court,
    Forum,
}

/// A multilateral body: briefed as an actor in its own right, and the seat of mechanisms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: BodyKind,
    pub seat: &'static str,
    pub zone: Tz,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MechanismKind {
    UniversalPeriodicReview,
    HumanRightsCouncil,
    GeneralAssembly,
    SecurityCouncil,
    SpecialProcedure,
    TreatyBody,
    InquiryBody,
    SanctionsRegime,
    Parliament,
    Other,
}

/// A mechanism that receives our submissions or sets our deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mechanism {
    pub code: &'static str,
    pub name: &'static str,
    pub kind: MechanismKind,
    /// Body code or country code of whoever runs it; empty where that varies.
    pub run_by: &'static str,
    /// The zone deadlines of this mechanism are stated in, unless a deadline says otherwise.
    pub zone: Tz,
}

/// Who a briefing or an amendment's lobbying reaches: a government or a multilateral body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Government(Country),
    Multilateral(Body),
}

pub fn countries() -> impl Iterator<Item = Country> {
    countries::COUNTRIES.iter().map(|&(code, name)| Country { code, name })
}

pub fn country(code: &str) -> Option<Country> {
    let index = countries::COUNTRIES.binary_search_by(|(c, _)| c.cmp(&code)).ok()?;
    let (code, name) = countries::COUNTRIES[index];
    Some(Country { code, name })
}

pub fn bodies() -> impl Iterator<Item = Body> {
    bodies::BODIES.iter().map(|&(code, name, kind, seat, zone)| Body { code, name, kind, seat, zone: known_zone(zone) })
}

pub fn body(code: &str) -> Option<Body> {
    bodies().find(|b| b.code == code)
}

pub fn mechanisms() -> impl Iterator<Item = Mechanism> {
    mechanisms::MECHANISMS.iter().map(|&(code, name, kind, run_by, zone)| Mechanism {
        code,
        name,
        kind,
        run_by,
        zone: known_zone(zone),
    })
}

/// The mechanism of a code, in any case ("upr" is UPR).
pub fn mechanism(code: &str) -> Option<Mechanism> {
    let code = code.trim();
    mechanisms().find(|m| m.code.eq_ignore_ascii_case(code))
}

/// The code closest to a mistyped one, if one is close enough to be a slip
/// ("UPPR" is UPR, "SR-TORTUR" is SR-TORTURE).
pub fn nearest_mechanism(code: &str) -> Option<&'static str> {
    let typed = code.trim().to_ascii_uppercase();
    mechanisms()
        .map(|m| (strsim::jaro_winkler(&typed, m.code), m.code))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, code)| code)
}

/// How long a submission of `kind` to `mechanism` may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordLimit {
    pub words: u32,
    /// The mechanism rejects longer texts; otherwise the limit is guidance.
    pub hard: bool,
}

/// The length rule for a submission, if the catalog has one: the mechanism's own rule,
/// else a rule for that kind at any mechanism.
pub fn word_limit(mechanism: &str, kind: &str, joint: bool) -> Option<WordLimit> {
    let rule = |m: &str| word_limits::WORD_LIMITS.iter().find(|r| r.0 == m && r.1 == kind);
    rule(mechanism)
        .or_else(|| rule("*"))
        .map(|&(_, _, alone, together, hard)| WordLimit { words: if joint { together } else { alone }, hard })
}

/// A government (two-letter country code) or a multilateral body (its code).
pub fn actor(code: &str) -> Option<Actor> {
    country(code).map(Actor::Government).or_else(|| body(code).map(Actor::Multilateral))
}

/// An IANA time zone by its exact name ("Europe/Zurich"). Abbreviations such as "CET" that
/// the IANA database keeps for history are refused: they hide daylight-saving rules.
pub fn zone(name: &str) -> Option<Tz> {
    if !name.contains('/') && name != "UTC" {
        return None;
    }
    name.parse().ok()
}

/// Zones in the tables above are checked by the tests below; a typo there is a bug of ours.
fn known_zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_zone_is_a_real_iana_zone() {
        for (code, .., zone) in bodies::BODIES {
            assert!(zone.parse::<Tz>().is_ok(), "body {code}: {zone}");
        }
        for (code, .., zone) in mechanisms::MECHANISMS {
            assert!(zone.parse::<Tz>().is_ok(), "mechanism {code}: {zone}");
        }
    }

    #[test]
    fn codes_are_unique_and_countries_sorted_for_binary_search() {
        let mut codes: Vec<_> = countries::COUNTRIES.iter().map(|c| c.0).collect();
        let sorted = codes.clone();
        codes.sort_unstable();
        assert_eq!(codes, sorted, "COUNTRIES must stay sorted by code");
        codes.dedup();
        assert_eq!(codes.len(), 249);
        let mut mechs: Vec<_> = mechanisms::MECHANISMS.iter().map(|m| m.0).collect();
        mechs.sort_unstable();
        mechs.dedup();
        assert_eq!(mechs.len(), mechanisms::MECHANISMS.len());
    }

    #[test]
    fn mechanisms_are_run_by_a_known_body_or_country() {
        for m in mechanisms() {
            assert!(m.run_by.is_empty() || actor(m.run_by).is_some(), "{}: {}", m.code, m.run_by);
        }
    }

    #[test]
    fn upr_stakeholder_reports_have_a_hard_limit_that_doubles_for_joint_ones() {
        assert_eq!(word_limit("UPR", "upr_stakeholder_report", false), Some(WordLimit { words: 2_815, hard: true }));
        assert_eq!(word_limit("UPR", "upr_stakeholder_report", true), Some(WordLimit { words: 5_630, hard: true }));
        assert_eq!(word_limit("SR-TORTURE", "call_for_input_answer", false).map(|l| l.hard), Some(false));
        assert_eq!(word_limit("SANCTIONS-UK", "sanctions_package", false), None);
    }

    #[test]
    fn geneva_mechanisms_keep_geneva_time() {
        assert_eq!(mechanism("UPR").map(|m| m.zone), Some(chrono_tz::Europe::Zurich));
        assert_eq!(mechanism("WGEID").map(|m| m.zone), Some(chrono_tz::Europe::Zurich));
        assert_eq!(country("KP").map(|c| c.name), Some("Democratic People's Republic of Korea"));
        assert!(matches!(actor("EU-EEAS"), Some(Actor::Multilateral(_))));
        assert!(actor("XX").is_none());
        assert!(zone("Europe/Zurich").is_some());
        assert!(zone("Mars/Olympus").is_none());
        assert!(zone("CET").is_none());
    }
}
