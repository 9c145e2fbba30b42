//! The words people use for the API's enums, made from the proto names
//! (`DEADLINE_KIND_TREATY_BODY` is `treaty-body`), with a few others staff say (`mission`,
//! `online`). Command-line flags and spreadsheet cells read them alike, and an unknown
//! word is answered with the list of known ones.

use advocacy_proto::v1 as pb;

/// A proto enum that people read and write as words.
pub trait Word: Copy + Into<i32> + TryFrom<i32> + 'static {
    /// What every proto name of the enum starts with (`DEADLINE_KIND_`).
    const PREFIX: &'static str;
    /// Other words for a value, beside the one made from its name.
    const ALIASES: &'static [(&'static str, Self)] = &[];
    fn proto_name(self) -> &'static str;
    fn from_proto_name(name: &str) -> Option<Self>;
}

macro_rules! words {
    ($($enum:ty, $prefix:literal, [$($alias:literal => $variant:ident),*]);+ $(;)?) => {$(
        impl Word for $enum {
            const PREFIX: &'static str = $prefix;
            const ALIASES: &'static [(&'static str, Self)] = &[$(($alias, Self::$variant)),*];
            fn proto_name(self) -> &'static str {
                self.as_str_name()
            }
            fn from_proto_name(name: &str) -> Option<Self> {
                Self::from_str_name(name)
            }
        }
    )+};
}

words! {
    // One name for the same thing on both sides: the submission's kind is read too.
    pb::DeadlineKind, "DEADLINE_KIND_", ["upr-stakeholder-report" => UprStakeholderSubmission];
    pb::DeadlineStatus, "DEADLINE_STATUS_", ["canceled" => Cancelled];
    pb::SubmissionKind, "SUBMISSION_KIND_", ["upr-stakeholder-submission" => UprStakeholderReport];
    pb::SubmissionStatus, "SUBMISSION_STATUS_", [];
    pb::InstitutionKind, "INSTITUTION_KIND_", ["mission" => PermanentMission];
    pb::BriefingFormat, "BRIEFING_FORMAT_", ["online" => Virtual];
    pb::ParagraphKind, "PARAGRAPH_KIND_", ["pp" => Preambular, "op" => Operative];
    pb::AmendmentStatus, "AMENDMENT_STATUS_", [];
    pb::PublicationKind, "PUBLICATION_KIND_", [];
    pb::ResolutionState, "RESOLUTION_STATE_", [];
    pb::Confidentiality, "CONFIDENTIALITY_", [];
    pb::ChangeKind, "CHANGE_KIND_", [];
    pb::DeliveryState, "DELIVERY_STATE_", [];
    pb::DeliveryKind, "DELIVERY_KIND_", [];
}

/// The word for a value: `treaty-body`.
pub fn word<E: Word>(value: E) -> String {
    value.proto_name().trim_start_matches(E::PREFIX).to_lowercase().replace('_', "-")
}

/// The word for a value as the API sends it (a number); empty for an unknown one.
pub fn word_of<E: Word>(value: i32) -> String {
    E::try_from(value).map(word).unwrap_or_default()
}

/// Every word of the enum but the unset one, in the proto's order.
pub fn all<E: Word>() -> Vec<String> {
    (1..64).filter_map(|n| E::try_from(n).ok()).map(word).collect()
}

/// The value a word names, in any case, with `-` or `_` between its parts.
pub fn parse<E: Word>(text: &str) -> Result<E, String> {
    let typed = text.trim().to_lowercase().replace('_', "-");
    if let Some((_, value)) = E::ALIASES.iter().find(|(alias, _)| *alias == typed) {
        return Ok(*value);
    }
    let name = format!("{}{}", E::PREFIX, typed.replace('-', "_").to_uppercase());
    match E::from_proto_name(&name) {
        Some(value) if value.into() != 0 => Ok(value),
        _ => Err(format!("{:?} is not one of {}", text.trim(), all::<E>().join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_made_from_the_proto_names_and_read_back_in_any_form() {
        assert_eq!(word(pb::DeadlineKind::SpecialProceduresCallForInput), "special-procedures-call-for-input");
        for typed in ["treaty-body", "Treaty_Body", " TREATY-BODY "] {
            assert_eq!(parse::<pb::DeadlineKind>(typed).ok(), Some(pb::DeadlineKind::TreatyBody), "{typed}");
        }
        assert_eq!(parse::<pb::InstitutionKind>("mission").ok(), Some(pb::InstitutionKind::PermanentMission));
        assert_eq!(parse::<pb::ParagraphKind>("OP").ok(), Some(pb::ParagraphKind::Operative));
        let unknown = parse::<pb::BriefingFormat>("telepathy").expect_err("unknown");
        assert_eq!(unknown, "\"telepathy\" is not one of in-person, virtual, written, side-event");
        assert!(parse::<pb::BriefingFormat>("unspecified").is_err(), "the unset value is no word");
        assert_eq!(word_of::<pb::AmendmentStatus>(4), "adopted-in-part");
    }
}
