//! Confidentiality of a record: public, internal, or restricted to a compartment. Shared
//! by every service so that "who may see this" is decided the same way everywhere.

use serde::{Deserialize, Serialize};

use advocacy_proto::v1 as pb;

use crate::auth::Caller;
use crate::error::FieldViolation;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "lowercase")]
pub enum Classification {
    Public,
    Internal,
    Restricted { compartment: String },
}

impl Classification {
    /// Reads what a client sent; nothing sent means `default`.
    pub fn parse(
        field: &str,
        input: Option<&pb::Classification>,
        default: Classification,
    ) -> Result<Self, FieldViolation> {
        let Some(input) = input else { return Ok(default) };
        let level = pb::Confidentiality::try_from(input.level).map_err(|_| {
            FieldViolation::new(format!("{field}.level"), format!("{} is not a confidentiality level", input.level))
        })?;
        let compartment = input.compartment.trim();
        match level {
            pb::Confidentiality::Unspecified if compartment.is_empty() => Ok(default),
            pb::Confidentiality::Public | pb::Confidentiality::Internal | pb::Confidentiality::Unspecified
                if !compartment.is_empty() =>
            {
                Err(FieldViolation::new(format!("{field}.compartment"), "only restricted records have a compartment"))
            }
            pb::Confidentiality::Public => Ok(Classification::Public),
            pb::Confidentiality::Internal | pb::Confidentiality::Unspecified => Ok(Classification::Internal),
            pb::Confidentiality::Restricted => {
                let ok = (1..=64).contains(&compartment.len())
                    && compartment.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if ok {
                    Ok(Classification::Restricted { compartment: compartment.to_owned() })
                } else {
                    Err(FieldViolation::new(
                        format!("{field}.compartment"),
                        "a restricted record needs a compartment: 1 to 64 of a-z, 0-9 and -",
                    ))
                }
            }
        }
    }

    pub fn to_proto(&self) -> pb::Classification {
        let (level, compartment) = match self {
            Classification::Public => (pb::Confidentiality::Public, ""),
            Classification::Internal => (pb::Confidentiality::Internal, ""),
            Classification::Restricted { compartment } => (pb::Confidentiality::Restricted, compartment.as_str()),
        };
        pb::Classification { level: level.into(), compartment: compartment.to_owned() }
    }

    pub fn visible_to(&self, caller: &Caller) -> bool {
        match self {
            Classification::Restricted { compartment } => caller.may_read_compartment(compartment),
            _ => true,
        }
    }

    /// The compartment the caller would need to file a record of this classification, if
    /// they lack it: nobody files a record they could not read afterwards.
    pub fn compartment_missing_for(&self, caller: &Caller) -> Option<&str> {
        match self {
            Classification::Restricted { compartment } if !caller.may_read_compartment(compartment) => {
                Some(compartment)
            }
            _ => None,
        }
    }

    pub fn is_restricted(&self) -> bool {
        matches!(self, Classification::Restricted { .. })
    }

    /// The two columns a store keeps: level and compartment ("" unless restricted).
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
            "restricted" => Classification::Restricted { compartment: compartment.to_owned() },
            _ => Classification::Internal,
        }
    }
}
