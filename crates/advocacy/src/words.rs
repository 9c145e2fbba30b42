//! The one way the command line reads and writes the API's enums: as the words staff
//! type, made from the proto names (`DEADLINE_KIND_TREATY_BODY` is `treaty-body`), with a
//! few other words people use (`mission`, `online`). Flags and spreadsheet cells read
//! them alike, and an unknown word is answered with the list of known ones.

use advocacy_proto::v1 as pb;

/// A proto enum the command line reads and writes as words.
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
pub fn parse<E: Word>(text: &str) -> anyhow::Result<E> {
    let typed = text.trim().to_lowercase().replace('_', "-");
    if let Some((_, value)) = E::ALIASES.iter().find(|(alias, _)| *alias == typed) {
        return Ok(*value);
    }
    let name = format!("{}{}", E::PREFIX, typed.replace('-', "_").to_uppercase());
    match E::from_proto_name(&name) {
        Some(value) if value.into() != 0 => Ok(value),
        _ => anyhow::bail!("{:?} is not one of {}", text.trim(), all::<E>().join(", ")),
    }
}

/// The clap parser for a flag or argument naming a value of `E`; it gives the API's
/// number. Like `clap::ValueEnum` (which cannot be implemented here for the generated
/// enums), `--help` and shell completion list the words, and a wrong one is refused by
/// clap naming the flag; unlike it, the aliases and any case are read too.
pub fn flag<E: Word>() -> Flag<E> {
    Flag(std::marker::PhantomData)
}

#[derive(Debug)]
pub struct Flag<E>(std::marker::PhantomData<fn() -> E>);

impl<E> Clone for Flag<E> {
    fn clone(&self) -> Self {
        Flag(std::marker::PhantomData)
    }
}

impl<E: Word> clap::builder::TypedValueParser for Flag<E> {
    type Value = i32;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<i32, clap::Error> {
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        let text = value.to_string_lossy();
        parse::<E>(&text).map(Into::into).map_err(|_| {
            let mut error = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
            let name = arg.map(ToString::to_string).unwrap_or_default();
            error.insert(ContextKind::InvalidArg, ContextValue::String(name));
            if let Some(near) = nearest(&text, all::<E>()) {
                error.insert(ContextKind::SuggestedValue, ContextValue::String(near));
            }
            error.insert(ContextKind::InvalidValue, ContextValue::String(text.into_owned()));
            error.insert(ContextKind::ValidValue, ContextValue::Strings(all::<E>()));
            error
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let words = all::<E>().into_iter().map(clap::builder::PossibleValue::new);
        let aliases = E::ALIASES.iter().map(|(alias, _)| clap::builder::PossibleValue::new(*alias).hide(true));
        Some(Box::new(words.chain(aliases)))
    }
}

/// The known word closest to what was typed, if one is close enough to be a slip
/// (`adoptedd` is `adopted`; `report` is nothing in particular).
pub fn nearest(typed: &str, known: impl IntoIterator<Item = String>) -> Option<String> {
    let typed = typed.trim().to_lowercase();
    known
        .into_iter()
        .map(|word| (strsim::jaro_winkler(&typed, &word.to_lowercase()), word))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, word)| word)
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
        let unknown = parse::<pb::BriefingFormat>("telepathy").expect_err("unknown").to_string();
        assert_eq!(unknown, "\"telepathy\" is not one of in-person, virtual, written, side-event");
        assert!(parse::<pb::BriefingFormat>("unspecified").is_err(), "the unset value is no word");
        assert_eq!(word_of::<pb::AmendmentStatus>(4), "adopted-in-part");
    }

    #[test]
    fn a_flag_lists_its_words_reads_aliases_and_refuses_others_by_name() {
        use clap::{Arg, Command};
        let command = || {
            Command::new("advocacy").arg(Arg::new("format").long("format").value_parser(flag::<pb::BriefingFormat>()))
        };
        let matches = command().try_get_matches_from(["advocacy", "--format", "Online"]).expect("an alias");
        assert_eq!(matches.get_one::<i32>("format"), Some(&i32::from(pb::BriefingFormat::Virtual)));
        let refused = command().try_get_matches_from(["advocacy", "--format", "telepathy"]).expect_err("unknown");
        let message = refused.to_string();
        assert!(message.contains("'telepathy'") && message.contains("--format"), "{message}");
        assert!(message.contains("in-person, virtual, written, side-event"), "{message}");
        let slip = command().try_get_matches_from(["advocacy", "--format", "in-persn"]).expect_err("a slip");
        assert!(slip.to_string().contains("'in-person'"), "suggested: {slip}");
        let help = command().render_long_help().to_string();
        assert!(help.contains("side-event") && !help.contains("online"), "words listed, aliases hidden: {help}");
    }
}
