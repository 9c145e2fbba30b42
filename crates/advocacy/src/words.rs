//! The command line's flags for the API's enums, in the words of
//! [`advocacy_platform::words`].

pub use advocacy_platform::words::{Word, all, parse, word, word_of};

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
    use advocacy_proto::v1 as pb;

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
