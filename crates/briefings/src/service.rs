//! The briefings operations, in domain terms. Logging stores the briefing and its
//! follow-ups in one transaction; their deadlines are made afterwards by the sync, so a
//! deadlines service that is down delays them but never loses one.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::{Caller, Clock, FieldViolation, FieldViolations};

use crate::domain::{
    Answered, Briefing, CONTACTS_COMPARTMENT, Contact, Institution, NewBriefing, NewContact, NewInstitution,
};
use crate::error::BriefingError;
use crate::store::{Aggregates, BriefingQuery, ImportCounts, ImportRow, Store};

#[derive(Debug, Clone)]
pub struct Briefings {
    store: Store,
    clock: Clock,
}

impl Briefings {
    pub fn new(store: Store, clock: Clock) -> Self {
        Self { store, clock }
    }

    pub async fn create_institution(
        &self,
        caller: &Caller,
        request_id: &str,
        new: NewInstitution,
    ) -> Result<Institution, BriefingError> {
        if let Some(parent) = &new.parent_id
            && self.store.institutions(std::slice::from_ref(parent)).await?.is_empty()
        {
            return Err(FieldViolation::new("parent_id", "is not an institution of the registry").into());
        }
        let request = Request::new(caller, request_id, &("institution", &new));
        let institution = Institution {
            id: uuid::Uuid::now_v7().to_string(),
            version: 1,
            name: new.name,
            kind: new.kind,
            actor: new.actor,
            city: new.city,
            parent_id: new.parent_id,
            created_by: caller.subject.clone(),
            created_at: self.clock.now(),
        };
        let written = self.store.create_institution(&institution, &request, institution.created_at).await?;
        written.answer(async |id| self.institution(&id).await.map(drop)).await
    }

    pub async fn institution(&self, id: &str) -> Result<Institution, BriefingError> {
        self.store
            .institutions(&[id.to_owned()])
            .await?
            .pop()
            .ok_or_else(|| BriefingError::NotFound(format!("institution {id}")))
    }

    pub async fn list_institutions(
        &self,
        actor: Option<&str>,
        after: Option<(String, String)>,
        limit: usize,
    ) -> Result<Vec<Institution>, BriefingError> {
        self.store.list_institutions(actor, after, limit).await
    }

    pub async fn create_contact(
        &self,
        caller: &Caller,
        request_id: &str,
        new: NewContact,
    ) -> Result<Contact, BriefingError> {
        may_read_contacts(caller)?;
        if self.store.institutions(std::slice::from_ref(&new.institution_id)).await?.is_empty() {
            return Err(FieldViolation::new("institution_id", "is not an institution of the registry").into());
        }
        let request = Request::new(caller, request_id, &("contact", &new));
        let contact = Contact {
            id: uuid::Uuid::now_v7().to_string(),
            version: 1,
            institution_id: new.institution_id,
            name: new.name,
            role: new.role,
            email: new.email,
            phone: new.phone,
            erased_at: None,
            created_by: caller.subject.clone(),
            created_at: self.clock.now(),
        };
        match self.store.create_contact(&contact, &request, contact.created_at).await? {
            Written::New(contact) => Ok(contact),
            Written::Replay { record_id, .. } => self.contact(caller, &record_id).await,
        }
    }

    /// A contact, to holders of the contacts compartment only; to anyone else it does not
    /// exist. Every read is audited.
    pub async fn contact(&self, caller: &Caller, id: &str) -> Result<Contact, BriefingError> {
        let not_found = || BriefingError::NotFound(format!("contact {id}"));
        if !caller.may_read_compartment(CONTACTS_COMPARTMENT) {
            return Err(not_found());
        }
        let contact = self.store.contacts(&[id.to_owned()]).await?.pop().ok_or_else(not_found)?;
        self.audit_reads(caller, &[id]).await?;
        Ok(contact)
    }

    pub async fn contacts_at(&self, caller: &Caller, institution_id: &str) -> Result<Vec<Contact>, BriefingError> {
        may_read_contacts(caller)?;
        let contacts = self.store.contacts_at(institution_id).await?;
        let ids: Vec<&str> = contacts.iter().map(|c| c.id.as_str()).collect();
        self.audit_reads(caller, &ids).await?;
        Ok(contacts)
    }

    /// Logs reads of restricted records (contacts' personal data, restricted or quiet
    /// briefings).
    async fn audit_reads(&self, caller: &Caller, ids: &[&str]) -> Result<(), BriefingError> {
        Ok(advocacy_platform::audit::record_reads(self.store.database(), caller, ids, self.clock.now()).await?)
    }

    async fn audit_briefings(&self, caller: &Caller, briefings: &[Briefing]) -> Result<(), BriefingError> {
        let ids: Vec<&str> =
            briefings.iter().filter(|b| b.classification.is_restricted() || b.quiet).map(|b| b.id.as_str()).collect();
        self.audit_reads(caller, &ids).await
    }

    /// Deletes a person's data on their request; the briefings they attended keep "a
    /// contact (erased)". Erasing twice changes nothing more.
    pub async fn erase_contact(&self, caller: &Caller, request_id: &str, id: &str) -> Result<Contact, BriefingError> {
        let request = Request::new(caller, request_id, &("erase", id));
        self.contact(caller, id).await?;
        self.store.erase_contact(id, &request, self.clock.now()).await?;
        self.contact(caller, id).await
    }

    pub async fn log(&self, caller: &Caller, request_id: &str, new: NewBriefing) -> Result<Briefing, BriefingError> {
        may_file(caller, &new)?;
        self.check_contacts(&new.contact_ids).await?;
        let actors = self.actors_of(&new.institution_ids).await?;
        let request = Request::new(caller, request_id, &new);
        let now = self.clock.now();
        let briefing = Briefing::new(uuid::Uuid::now_v7().to_string(), new, actors, &caller.subject, now);
        let written = self.store.insert_briefing(&briefing, &request, now).await?;
        self.answer(caller, written).await
    }

    /// Imports checked rows in one transaction (see [`Store::import`]).
    pub async fn import(
        &self,
        caller: &Caller,
        rows: Vec<(String, NewInstitution, NewBriefing)>,
        mode: advocacy_platform::import::Mode,
    ) -> Result<ImportCounts, BriefingError> {
        let now = self.clock.now();
        let mut checked = Vec::with_capacity(rows.len());
        for (request_id, institution, new) in rows {
            may_file(caller, &new)?;
            let request = Request::row(caller, &request_id, &(&institution, &new));
            let actors = vec![institution.actor.clone()];
            let briefing = Briefing::new(uuid::Uuid::now_v7().to_string(), new, actors, &caller.subject, now);
            let (request_id, fingerprint) = (request.key().to_owned(), request.fingerprint().to_owned());
            checked.push(ImportRow { institution, briefing, request_id, fingerprint });
        }
        if mode == advocacy_platform::import::Mode::CheckOnly {
            return Ok(ImportCounts::default());
        }
        self.store.import(checked, &caller.subject, now).await
    }

    /// Replaces what a briefing says, at the version the caller read.
    pub async fn update(
        &self,
        caller: &Caller,
        request_id: &str,
        id: &str,
        expected_version: i64,
        new: NewBriefing,
    ) -> Result<Briefing, BriefingError> {
        let request = Request::new(caller, request_id, &("update", id, expected_version, &new));
        let written = request
            .once(self.store.db(), || async {
                may_file(caller, &new)?;
                let current = self.get(caller, id).await?;
                if current.version != expected_version {
                    return Err(BriefingError::Stale {
                        id: id.to_owned(),
                        expected: expected_version,
                        current: current.version,
                    });
                }
                let actors = self.actors_of(&new.institution_ids).await?;
                // Notes the caller could not read reach them blank: keep what is stored.
                let stored =
                    self.store.briefing(id).await?.ok_or_else(|| BriefingError::NotFound(format!("briefing {id}")))?;
                let notes = if stored.notes_visible_to(caller) { new.notes.clone() } else { stored.notes.clone() };
                // The content is new; identity, history and follow-ups are kept.
                let now = self.clock.now();
                let fresh =
                    Briefing::new(stored.id.clone(), NewBriefing { notes, ..new }, actors, &caller.subject, now);
                let next = Briefing {
                    version: stored.version + 1,
                    created_by: stored.created_by,
                    created_at: stored.created_at,
                    follow_ups: stored.follow_ups,
                    ..fresh
                };
                self.store.update_briefing(&next, expected_version, &request, now).await
            })
            .await?;
        self.answer(caller, written).await
    }

    /// The answer to a write, or to its retry if the caller may still see the briefing,
    /// shown as a read shows it.
    async fn answer(&self, caller: &Caller, written: Written<Answered>) -> Result<Briefing, BriefingError> {
        // A replayed answer is redacted by the briefing's rules of now as well as of then:
        // notes readable then may not be now.
        let notes_visible_now = AtomicBool::new(true);
        let answered = written
            .answer(async |id| {
                let now = self.store.briefing(&id).await?.filter(|b| b.visible_to(caller));
                let now = now.ok_or_else(|| BriefingError::NotFound(format!("briefing {id}")))?;
                notes_visible_now.store(now.notes_visible_to(caller), Ordering::Relaxed);
                Ok::<(), BriefingError>(())
            })
            .await?;
        let mut briefing = answered.into_briefing();
        if !notes_visible_now.load(Ordering::Relaxed) {
            briefing.notes.clear();
        }
        let mut shown = self.with_contacts(caller, vec![redacted(caller, briefing)]).await?;
        shown.pop().ok_or_else(|| BriefingError::Corrupt("a written briefing vanished".into()))
    }

    /// Every contact named must exist.
    async fn check_contacts(&self, contact_ids: &[String]) -> Result<(), BriefingError> {
        let found = self.store.contacts(contact_ids).await?;
        let mut violations = FieldViolations::new();
        for (i, id) in contact_ids.iter().enumerate() {
            if !found.iter().any(|c| &c.id == id) {
                violations.push(FieldViolation::new(format!("contact_ids[{i}]"), "is not a contact of the registry"));
            }
        }
        Ok(violations.into_result()?)
    }

    /// The contacts of briefings as the caller may see them.
    async fn with_contacts(
        &self,
        caller: &Caller,
        mut briefings: Vec<Briefing>,
    ) -> Result<Vec<Briefing>, BriefingError> {
        // Each contact asked for once, and found by id: a page of 500 briefings may name
        // 25,000 contacts.
        let ids: std::collections::BTreeSet<&String> = briefings.iter().flat_map(|b| &b.contact_ids).collect();
        let ids: Vec<String> = ids.into_iter().cloned().collect();
        let contacts: std::collections::HashMap<String, Contact> =
            self.store.contacts(&ids).await?.into_iter().map(|c| (c.id.clone(), c)).collect();
        for b in &mut briefings {
            b.contacts = b.contact_ids.iter().filter_map(|id| contacts.get(id)).map(|c| c.shown_to(caller)).collect();
        }
        Ok(briefings)
    }

    /// The actors of the institutions briefed, each once, in the order given; an unknown
    /// institution is named.
    async fn actors_of(&self, institution_ids: &[String]) -> Result<Vec<String>, BriefingError> {
        let institutions = self.store.institutions(institution_ids).await?;
        let mut violations = FieldViolations::new();
        let mut actors: Vec<String> = Vec::new();
        for (i, id) in institution_ids.iter().enumerate() {
            match institutions.iter().find(|inst| &inst.id == id) {
                Some(inst) if !actors.contains(&inst.actor) => actors.push(inst.actor.clone()),
                Some(_) => {}
                None => violations.push(FieldViolation::new(
                    format!("institution_ids[{i}]"),
                    "is not an institution of the registry",
                )),
            }
        }
        violations.into_result()?;
        Ok(actors)
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<Briefing, BriefingError> {
        let briefing =
            self.store.briefing(id).await?.ok_or_else(|| BriefingError::NotFound(format!("briefing {id}")))?;
        if !briefing.visible_to(caller) {
            return Err(BriefingError::NotFound(format!("briefing {id}")));
        }
        let shown = vec![redacted(caller, briefing)];
        self.audit_briefings(caller, &shown).await?;
        let mut shown = self.with_contacts(caller, shown).await?;
        shown.pop().ok_or_else(|| BriefingError::NotFound(format!("briefing {id}")))
    }

    pub async fn list(&self, caller: &Caller, query: &BriefingQuery) -> Result<Vec<Briefing>, BriefingError> {
        let briefings: Vec<Briefing> =
            self.store.list_briefings(caller, query).await?.into_iter().map(|b| redacted(caller, b)).collect();
        self.audit_briefings(caller, &briefings).await?;
        self.with_contacts(caller, briefings).await
    }

    /// Marks a follow-up done. Completing one that is already done changes nothing and
    /// answers with the briefing, so a retry is harmless.
    pub async fn complete_follow_up(
        &self,
        caller: &Caller,
        request_id: &str,
        briefing_id: &str,
        follow_up_id: &str,
        expected_version: i64,
    ) -> Result<Briefing, BriefingError> {
        let request = Request::new(caller, request_id, &("complete", briefing_id, follow_up_id, expected_version));
        let written = request
            .once(self.store.db(), || async {
                let current = self.get(caller, briefing_id).await?;
                let follow_up = current
                    .follow_ups
                    .iter()
                    .find(|f| f.id == follow_up_id)
                    .ok_or_else(|| BriefingError::NotFound(format!("follow-up {follow_up_id}")))?;
                if follow_up.done_at.is_some() {
                    // Done already (by anyone): nothing to write, the briefing as it is.
                    return Ok(Written::New(Answered::of(&current)));
                }
                if current.version != expected_version {
                    return Err(BriefingError::Stale {
                        id: current.id,
                        expected: expected_version,
                        current: current.version,
                    });
                }
                let now = self.clock.now();
                let mut next = self
                    .store
                    .briefing(briefing_id)
                    .await?
                    .ok_or_else(|| BriefingError::NotFound(format!("briefing {briefing_id}")))?;
                next.version += 1;
                next.updated_by = caller.subject.clone();
                next.updated_at = now;
                for f in next.follow_ups.iter_mut().filter(|f| f.id == follow_up_id) {
                    f.done_at = Some(now);
                }
                self.store.complete_follow_up(&next, follow_up_id, now, &request).await
            })
            .await?;
        self.answer(caller, written).await
    }

    /// The impact figures of the period as `caller` may see them.
    pub async fn aggregates(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Aggregates, BriefingError> {
        self.store.aggregates(caller, from, to, self.clock.now()).await
    }
}

fn may_read_contacts(caller: &Caller) -> Result<(), BriefingError> {
    if caller.may_read_compartment(CONTACTS_COMPARTMENT) {
        Ok(())
    } else {
        Err(BriefingError::NotInCompartment(CONTACTS_COMPARTMENT.to_owned()))
    }
}

/// Nobody files a record they could not read afterwards.
fn may_file(caller: &Caller, new: &NewBriefing) -> Result<(), BriefingError> {
    if let Some(compartment) = new.classification.compartment_missing_for(caller) {
        return Err(BriefingError::NotInCompartment(compartment.to_owned()));
    }
    if new.quiet && !caller.may_read_compartment(crate::domain::QUIET_COMPARTMENT) {
        return Err(BriefingError::NotInCompartment(crate::domain::QUIET_COMPARTMENT.to_owned()));
    }
    // Naming who was present needs the right to know who they are.
    if !new.contact_ids.is_empty() {
        may_read_contacts(caller)?;
    }
    Ok(())
}

/// Restricted notes are blanked for callers without the right to read them.
fn redacted(caller: &Caller, mut briefing: Briefing) -> Briefing {
    if !briefing.notes_visible_to(caller) {
        briefing.notes.clear();
    }
    briefing
}
