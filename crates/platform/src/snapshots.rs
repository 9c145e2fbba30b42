//! Records kept as JSON snapshots, decoded once per version. A listing page decodes fifty
//! snapshots, and decoding (the dates in them above all) was a quarter of the server's
//! time on one. Every read still goes to the database: a snapshot is taken from memory
//! only when the row read holds the very same text, so another replica's write, a
//! migration or an erasure is seen at the next read. Records are handed out shared
//! (`Arc`): copying fifty records out of the memory cost more than finding them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

/// Snapshots remembered; past this the memory is emptied and filled again.
const CAPACITY: usize = 4_096;

/// By record id: the snapshot's text and what it decoded to.
type Memory<T> = HashMap<String, (Box<str>, Arc<T>)>;

/// Cheap to clone; every clone shares one memory.
#[derive(Debug)]
pub struct Snapshots<T> {
    memory: Arc<Mutex<Memory<T>>>,
}

impl<T> Clone for Snapshots<T> {
    fn clone(&self) -> Self {
        Snapshots { memory: self.memory.clone() }
    }
}

impl<T> Default for Snapshots<T> {
    fn default() -> Self {
        Snapshots { memory: Arc::default() }
    }
}

impl<T: DeserializeOwned> Snapshots<T> {
    /// The record `id` whose snapshot, as read now, is `text`. `complete` fills in what the
    /// row holds beside the snapshot when the text is decoded; a remembered record is handed
    /// out for the same text later, so what it fills in must follow from the text alone.
    pub fn decode(&self, id: &str, text: &str, complete: impl FnOnce(&mut T)) -> Result<Arc<T>, serde_json::Error> {
        let memory = || self.memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((known, record)) = memory().get(id)
            && **known == *text
        {
            return Ok(record.clone());
        }
        let mut record: T = serde_json::from_str(text)?;
        complete(&mut record);
        let record = Arc::new(record);
        let mut memory = memory();
        if memory.len() >= CAPACITY {
            memory.clear();
        }
        memory.insert(id.to_owned(), (text.into(), record.clone()));
        Ok(record)
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
        for i in 0..CAPACITY + 10 {
            snapshots.decode(&i.to_string(), r#"{"text":"x"}"#, no_more).expect("decodes");
        }
        assert!(snapshots.memory.lock().expect("memory").len() <= CAPACITY);
    }
}
