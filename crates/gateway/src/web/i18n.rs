//! The words of the web pages: one catalog per language (`web/catalog/<code>.toml`, flat
//! keys), checked at build time by a test to hold the same keys and every key a template
//! uses.

use std::collections::BTreeMap;
use std::sync::Arc;

use advocacy_platform::language::Language;

pub const ENGLISH: &str = include_str!("../../web/catalog/en.toml");
pub const KOREAN: &str = include_str!("../../web/catalog/ko.toml");

/// One language's words, and the same as templates read them (`t.sign_in`).
#[derive(Debug, Clone)]
pub struct Catalog(Arc<BTreeMap<String, String>>, minijinja::Value);

impl Catalog {
    fn parse(text: &str, name: &str) -> Catalog {
        let words: BTreeMap<String, String> =
            toml::from_str(text).unwrap_or_else(|e| panic!("web/catalog/{name}.toml: {e}"));
        let value = minijinja::Value::from_serialize(&words);
        Catalog(Arc::new(words), value)
    }

    pub fn for_templates(&self) -> minijinja::Value {
        self.1.clone()
    }

    /// The word for `key`, or the key itself (a missing word shows, never breaks a page).
    pub fn word(&self, key: &str) -> String {
        self.0.get(key).cloned().unwrap_or_else(|| key.to_owned())
    }

    /// The word for `key` if the catalog has one.
    pub fn known(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}

#[derive(Debug)]
pub struct Catalogs {
    english: Catalog,
    korean: Catalog,
}

impl Catalogs {
    pub fn load() -> Catalogs {
        Catalogs { english: Catalog::parse(ENGLISH, "en"), korean: Catalog::parse(KOREAN, "ko") }
    }

    pub fn of(&self, language: Language) -> Catalog {
        match language {
            Language::English => self.english.clone(),
            Language::Korean => self.korean.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_hold_the_same_keys_and_every_key_the_templates_use() {
        let catalogs = Catalogs::load();
        let english: Vec<&String> = catalogs.english.keys().collect();
        let korean: Vec<&String> = catalogs.korean.keys().collect();
        assert_eq!(english, korean, "en.toml and ko.toml hold the same keys");
        for (name, text) in crate::web::TEMPLATES {
            for (at, _) in text.match_indices("t.") {
                let preceded = text[..at].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_');
                if preceded {
                    continue;
                }
                let key: String =
                    text[at + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                assert!(catalogs.english.known(&key).is_some(), "{name} uses t.{key}, which no catalog has");
            }
        }
    }
}
