//! Confidentiality of a record: public, internal, or restricted to compartments a reader
//! must hold every one of. Shared by every service so that "who may see this" is decided
//! the same way everywhere.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use advocacy_proto::v1 as pb;

use crate::auth::Caller;
use crate::error::FieldViolation;

/// The most compartments one record can require.
pub const MAX_COMPARTMENTS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "lowercase")]
pub enum Classification {
    Public,
    Internal,
    /// `compartment` is every compartment a reader needs, sorted and joined by commas
    /// ("quiet-diplomacy,sanctions"): the one form kept in snapshots, in the `compartment`
    /// column and on the wire, so a record that needs one compartment reads as before.
    Restricted {
        compartment: String,
    },
}

/// The compartment of quiet diplomacy: records of it never leave in an export.
pub const QUIET_DIPLOMACY: &str = "quiet-diplomacy";

/// A compartment's name: 1 to 64 of a-z, 0-9 and -.
pub fn is_compartment_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
}

/// The wire form of "restricted to `compartment`", as a client asks for it; the service
/// checks the name.
pub fn restricted_to(compartment: &str) -> pb::Classification {
    pb::Classification {
        level: pb::Confidentiality::Restricted.into(),
        compartment: compartment.to_owned(),
        compartments: vec![],
    }
}

impl Classification {
    /// Restricted to every one of `compartments` (sorted, without repeats).
    pub fn restricted<'a>(compartments: impl IntoIterator<Item = &'a str>) -> Classification {
        let set: BTreeSet<&str> = compartments.into_iter().map(str::trim).filter(|c| !c.is_empty()).collect();
        Classification::Restricted { compartment: set.into_iter().collect::<Vec<_>>().join(",") }
    }

    /// Reads what a client sent; nothing sent means `default`. The compartments come from
    /// `compartments` and from `compartment` (one, or several joined by commas).
    pub fn parse(
        field: &str,
        input: Option<&pb::Classification>,
        default: Classification,
    ) -> Result<Self, FieldViolation> {
        let Some(input) = input else { return Ok(default) };
        let level = pb::Confidentiality::try_from(input.level).map_err(|_| {
            FieldViolation::new(format!("{field}.level"), format!("{} is not a confidentiality level", input.level))
        })?;
        if input.compartments.len() > MAX_COMPARTMENTS {
            return Err(FieldViolation::new(
                format!("{field}.compartments"),
                format!("at most {MAX_COMPARTMENTS} compartments"),
            ));
        }
        if input.compartment.len() > MAX_COMPARTMENTS * 65 || input.compartment.split(',').count() > MAX_COMPARTMENTS {
            return Err(FieldViolation::new(
                format!("{field}.compartment"),
                format!("at most {MAX_COMPARTMENTS} compartments, each 1 to 64 of a-z, 0-9 and -"),
            ));
        }
        let named: Vec<&str> = input
            .compartment
            .split(',')
            .chain(input.compartments.iter().map(String::as_str))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        match level {
            pb::Confidentiality::Unspecified if named.is_empty() => Ok(default),
            pb::Confidentiality::Public | pb::Confidentiality::Internal | pb::Confidentiality::Unspecified
                if !named.is_empty() =>
            {
                Err(FieldViolation::new(format!("{field}.compartment"), "only restricted records have a compartment"))
            }
            pb::Confidentiality::Public => Ok(Classification::Public),
            pb::Confidentiality::Internal | pb::Confidentiality::Unspecified => Ok(Classification::Internal),
            pb::Confidentiality::Restricted => {
                let well_formed = |c: &&str| is_compartment_name(c);
                let restricted = Classification::restricted(named.iter().copied());
                if named.is_empty() || !named.iter().all(well_formed) {
                    Err(FieldViolation::new(
                        format!("{field}.compartment"),
                        "a restricted record needs compartments: each 1 to 64 of a-z, 0-9 and -",
                    ))
                } else if restricted.compartments().count() > MAX_COMPARTMENTS {
                    Err(FieldViolation::new(
                        format!("{field}.compartments"),
                        format!("at most {MAX_COMPARTMENTS} compartments"),
                    ))
                } else {
                    Ok(restricted)
                }
            }
        }
    }

    pub fn to_proto(&self) -> pb::Classification {
        let level = match self {
            Classification::Public => pb::Confidentiality::Public,
            Classification::Internal => pb::Confidentiality::Internal,
            Classification::Restricted { .. } => pb::Confidentiality::Restricted,
        };
        pb::Classification {
            level: level.into(),
            compartment: self.columns().1.to_owned(),
            compartments: self.compartments().map(str::to_owned).collect(),
        }
    }

    /// Every compartment a reader needs; none unless restricted.
    pub fn compartments(&self) -> impl Iterator<Item = &str> {
        let joined = match self {
            Classification::Restricted { compartment } => compartment.as_str(),
            _ => "",
        };
        joined.split(',').filter(|c| !c.is_empty())
    }

    /// This classification, also requiring `compartment`: a public or internal record
    /// becomes restricted to it alone.
    pub fn with_compartment(&self, compartment: &str) -> Classification {
        Classification::restricted(self.compartments().chain([compartment]))
    }

    pub fn visible_to(&self, caller: &Caller) -> bool {
        self.compartment_missing_for(caller).is_none()
    }

    /// A compartment the caller lacks to read a record of this classification, if any:
    /// nobody files a record they could not read afterwards.
    pub fn compartment_missing_for(&self, caller: &Caller) -> Option<&str> {
        self.compartments().find(|c| !caller.may_read_compartment(c))
    }

    pub fn is_restricted(&self) -> bool {
        matches!(self, Classification::Restricted { .. })
    }

    /// The two columns a store keeps: level and compartments ("" unless restricted).
    pub fn columns(&self) -> (&'static str, &str) {
        match self {
            Classification::Public => ("public", ""),
            Classification::Internal => ("internal", ""),
            Classification::Restricted { compartment } => ("restricted", compartment),
        }
    }

    pub fn from_columns(level: &str, compartment: &str) -> Classification {
        match level {
            "public" => Classification::Public,
            "restricted" => Classification::restricted(compartment.split(',')),
            _ => Classification::Internal,
        }
    }
}

/// What a caller holding `compartments` may read in a `compartment` column: every
/// non-empty combination of them, each in the column's form. A token carries at most
/// [`crate::auth::MAX_TOKEN_COMPARTMENTS`], so there are at most 1,023.
pub fn readable_columns(compartments: &[String]) -> Vec<String> {
    let held: Vec<&str> = compartments.iter().map(String::as_str).collect::<BTreeSet<_>>().into_iter().collect();
    let held = &held[..held.len().min(crate::auth::MAX_TOKEN_COMPARTMENTS)];
    (1u32..(1 << held.len()))
        .map(|mask| {
            let chosen: Vec<&str> =
                held.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, c)| *c).collect();
            chosen.join(",")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn holding(compartments: &[&str]) -> Caller {
        Caller::new("ana@example.org", vec![Role::Staff], compartments.iter().map(|c| (*c).to_owned()).collect())
    }

    #[test]
    fn a_record_needing_two_compartments_is_read_only_by_someone_holding_both() {
        let both = Classification::restricted(["sanctions", "quiet-diplomacy", "sanctions"]);
        assert_eq!(both.columns(), ("restricted", "quiet-diplomacy,sanctions"));
        assert!(!both.visible_to(&holding(&["sanctions"])));
        assert_eq!(both.compartment_missing_for(&holding(&["sanctions"])), Some("quiet-diplomacy"));
        assert!(both.visible_to(&holding(&["sanctions", "quiet-diplomacy", "contacts"])));
        assert_eq!(Classification::Internal.with_compartment("quiet-diplomacy").columns().1, "quiet-diplomacy");
        assert_eq!(
            Classification::restricted(["sanctions"]).with_compartment("quiet-diplomacy"),
            both,
            "the stricter of the two"
        );
    }

    #[test]
    fn compartments_are_read_from_either_field_and_checked() {
        let sent = pb::Classification {
            level: pb::Confidentiality::Restricted.into(),
            compartment: "sanctions".into(),
            compartments: vec!["quiet-diplomacy".into()],
        };
        let parsed = Classification::parse("classification", Some(&sent), Classification::Internal).expect("valid");
        assert_eq!(parsed.to_proto().compartments, ["quiet-diplomacy", "sanctions"]);
        assert_eq!(Classification::parse("c", Some(&parsed.to_proto()), Classification::Internal), Ok(parsed));
        let bad = pb::Classification { compartments: vec!["Sanctions!".into()], ..sent.clone() };
        assert_eq!(
            Classification::parse("c", Some(&bad), Classification::Internal).expect_err("bad").field,
            "c.compartment"
        );
        let many = pb::Classification { compartments: (0..9).map(|i| format!("c{i}")).collect(), ..sent };
        assert_eq!(
            Classification::parse("c", Some(&many), Classification::Internal).expect_err("many").field,
            "c.compartments"
        );
    }

    #[test]
    fn a_caller_reads_every_combination_of_what_they_hold() {
        let held = ["sanctions".to_owned(), "contacts".to_owned(), "sanctions".to_owned()];
        assert_eq!(readable_columns(&held), ["contacts", "sanctions", "contacts,sanctions"]);
        assert!(readable_columns(&[]).is_empty());
    }
}
