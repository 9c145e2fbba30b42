//! Records kept as JSON snapshots, decoded once per version. A listing page decodes fifty
//! snapshots, and decoding (the dates in them above all) was a quarter of the server's
//! time on one. Every read still goes to the database: a snapshot is taken from memory
//! only when the row read holds the very same text, so another replica's write, a
//! migration or an erasure is seen at the next read. Records are handed out shared
//! (`Arc`): copying fifty records out of the memory cost more than finding them.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::memory::RecordMemory;

/// Cheap to clone; every clone shares one memory: by record id, the snapshot's text and
/// what it decoded to.
#[derive(Debug)]
pub struct Snapshots<T> {
    memory: RecordMemory<Box<str>, Arc<T>>,
}

impl<T> Clone for Snapshots<T> {
    fn clone(&self) -> Self {
        Snapshots { memory: self.memory.clone() }
    }
}

impl<T> Default for Snapshots<T> {
    fn default() -> Self {
        Snapshots { memory: RecordMemory::default() }
    }
}

impl<T: DeserializeOwned> Snapshots<T> {
    /// The record `id` whose snapshot, as read now, is `text`. `complete` fills in what the
    /// row holds beside the snapshot when the text is decoded; a remembered record is handed
    /// out for the same text later, so what it fills in must follow from the text alone.
    pub fn decode(&self, id: &str, text: &str, complete: impl FnOnce(&mut T)) -> Result<Arc<T>, serde_json::Error> {
        self.memory.get_or_make(
            id,
            |known| **known == *text,
            || {
                let mut record: T = serde_json::from_str(text)?;
                complete(&mut record);
                Ok((text.into(), Arc::new(record)))
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
    struct Note {
        text: String,
        #[serde(default)]
        revision: i64,
    }

    fn no_more(_: &mut Note) {}

    #[test]
    fn a_changed_snapshot_is_decoded_again() {
        let snapshots = Snapshots::<Note>::default();
        let first = snapshots.decode("a", r#"{"text":"first"}"#, |n| n.revision = 7).expect("decodes");
        assert_eq!((first.text.as_str(), first.revision), ("first", 7));
        let again = snapshots.decode("a", r#"{"text":"first"}"#, |_| panic!("decoded twice")).expect("remembered");
        assert!(Arc::ptr_eq(&first, &again), "the same text is the same shared record");
        assert_eq!(snapshots.decode("a", r#"{"text":"second"}"#, no_more).expect("decodes").text, "second");
        assert_eq!(snapshots.decode("b", r#"{"text":"other"}"#, no_more).expect("decodes").text, "other");
        assert!(snapshots.decode("a", "{", no_more).is_err(), "a broken snapshot is an error, not the remembered one");
    }

    #[test]
    fn the_memory_stays_bounded() {
        let snapshots = Snapshots::<Note>::default();
        for i in 0..crate::memory::CAPACITY + 10 {
            snapshots.decode(&i.to_string(), r#"{"text":"x"}"#, no_more).expect("decodes");
        }
        assert!(snapshots.memory.len() <= crate::memory::CAPACITY);
    }
}
