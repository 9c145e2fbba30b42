//! Our publications, cited as evidence, and the impact figures of the whole service.

use chrono::{DateTime, Utc};

use advocacy_platform::idempotency::{Request, scoped};
use advocacy_platform::{Caller, Clock};

use crate::domain::publications::{NewPublication, Publication, PublicationKind};
use crate::error::SubmissionError;
use crate::store::{Aggregates, ImportCounts, RecordStore};

/// Our publications, and the impact figures of the whole service.
#[derive(Debug, Clone)]
pub struct Publications {
    store: RecordStore,
    clock: Clock,
}

impl Publications {
    pub fn new(store: RecordStore, clock: Clock) -> Self {
        Self { store, clock }
    }

    pub async fn create(
        &self,
        caller: &Caller,
        request_id: &str,
        new: NewPublication,
    ) -> Result<Publication, SubmissionError> {
        if let Some(compartment) = new.classification.compartment_missing_for(caller) {
            return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
        }
        let request = Request::new(caller, request_id, &("publication", &new));
        let now = self.clock.now();
        let publication = Publication::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now);
        let written = self.store.create_publication(&publication, &request, now).await?;
        written.answer(async |id| self.get(caller, &id).await.map(drop)).await
    }

    /// Imports checked publications in one transaction, skipping those imported before.
    pub async fn import(
        &self,
        caller: &Caller,
        rows: Vec<(i32, (String, NewPublication))>,
        mode: advocacy_platform::import::Mode,
    ) -> Result<ImportCounts, SubmissionError> {
        let now = self.clock.now();
        let mut checked = Vec::with_capacity(rows.len());
        for (_, (request_id, new)) in rows {
            if let Some(compartment) = new.classification.compartment_missing_for(caller) {
                return Err(SubmissionError::NotInCompartment(compartment.to_owned()));
            }
            let publication = Publication::create(uuid::Uuid::now_v7().to_string(), new, &caller.subject, now);
            checked.push((publication, scoped(caller, &request_id)));
        }
        if mode == advocacy_platform::import::Mode::CheckOnly {
            return Ok(ImportCounts::default());
        }
        self.store.import_publications(&checked, &caller.subject, now).await
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Publication, SubmissionError> {
        let found =
            self.store.publication(id).await?.ok_or_else(|| SubmissionError::NotFound(format!("publication {id}")))?;
        if found.classification.visible_to(caller) {
            Ok(found)
        } else {
            Err(SubmissionError::NotFound(format!("publication {id}")))
        }
    }

    pub async fn list(
        &self,
        caller: &Caller,
        kind: Option<PublicationKind>,
        period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<Publication>, SubmissionError> {
        self.store.publications(caller, kind, period).await
    }

    /// The impact figures of the period as `caller` may see them.
    pub async fn aggregates(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Aggregates, SubmissionError> {
        self.store.aggregates(caller, from, to).await
    }
}
