//! A bounded memory of what was made from a record, by record id: each value is kept with
//! what it was made from, and handed out again only while that is the same. Decoded
//! snapshots ([`crate::snapshots`]) and the deadlines' encoded answers both keep one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Values remembered; past this the memory is emptied and filled again.
pub const CAPACITY: usize = 4_096;

/// Cheap to clone; every clone shares one memory. `S` is what a value was made from.
#[derive(Debug)]
pub struct RecordMemory<S, V> {
    entries: Arc<Mutex<HashMap<String, (S, V)>>>,
}

impl<S, V> Clone for RecordMemory<S, V> {
    fn clone(&self) -> Self {
        RecordMemory { entries: self.entries.clone() }
    }
}

impl<S, V> Default for RecordMemory<S, V> {
    fn default() -> Self {
        RecordMemory { entries: Arc::default() }
    }
}

impl<S, V: Clone> RecordMemory<S, V> {
    /// The value remembered for `id` if it was made from what `same` accepts; else the one
    /// `make` returns with its source, remembered. `make` runs outside the lock, so other
    /// callers are not held behind it; an error is returned and nothing is remembered.
    pub fn get_or_make<E>(
        &self,
        id: &str,
        same: impl FnOnce(&S) -> bool,
        make: impl FnOnce() -> Result<(S, V), E>,
    ) -> Result<V, E> {
        let entries = || self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((source, value)) = entries().get(id)
            && same(source)
        {
            return Ok(value.clone());
        }
        let (source, value) = make()?;
        let mut entries = entries();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(id.to_owned(), (source, value.clone()));
        Ok(value)
    }

    /// How many values are remembered.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
