//! The one rule for "the same name" (an institution, a resolution's title): names
//! compared without case, accents, punctuation or repeated spaces.

use unicode_normalization::UnicodeNormalization;

/// "Ministère  des Affaires étrangères" → "ministere des affaires etrangeres".
pub fn normalize_name(name: &str) -> String {
    // Decompose to drop accents, then recompose: Hangul syllables (names of institutions
    // in Seoul) decompose into jamo that are not accents and must come back whole.
    let unaccented: String = name.nfkd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).collect();
    let folded: String =
        unaccented.nfc().flat_map(char::to_lowercase).map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    #[test]
    fn case_accents_spacing_and_punctuation_do_not_make_another_institution() {
        let a = normalize_name("Ministère  des Affaires étrangères");
        assert_eq!(a, "ministere des affaires etrangeres");
        assert_eq!(normalize_name("ministere des affaires-etrangeres"), a);
        assert_eq!(normalize_name(" MINISTÈRE DES AFFAIRES ÉTRANGÈRES. "), a);
        assert_ne!(normalize_name("Ministère de la Justice"), a);
        assert_eq!(normalize_name("외교부"), "외교부");
    }
}
