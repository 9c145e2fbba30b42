//! A spreadsheet of past briefings, written in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::domain::{Briefing, Institution, NewInstitution, normalize_name};
use crate::error::BriefingError;

use super::Store;
use super::briefings::{insert_briefing_row, insert_links};
use super::institutions::insert_institution_row;

/// One row of an import, checked: its institution as named in the file, and the briefing.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub institution: NewInstitution,
    pub briefing: Briefing,
    pub request_id: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub briefings: i64,
    pub already_imported: i64,
    pub institutions_created: i64,
    pub institutions_matched: i64,
}

impl Store {
    /// Writes a whole import in one transaction: each row's institution matched by actor
    /// and normalised name or created, each briefing inserted unless its request id was
    /// imported before.
    pub async fn import(
        &self,
        rows: Vec<ImportRow>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, BriefingError> {
        let mut tx = self.db.begin_write().await?;
        let mut known: HashMap<(String, String), (String, bool)> = HashMap::new();
        for row in sqlx::query("SELECT id, actor, normalized_name FROM institutions").fetch_all(&mut *tx).await? {
            known.insert((row.try_get(1)?, row.try_get(2)?), (row.try_get(0)?, false));
        }
        let mut counts = ImportCounts::default();
        let mut written: Vec<String> = Vec::new();
        for row in rows {
            let key = (row.institution.actor.clone(), normalize_name(&row.institution.name));
            let institution_id = match known.get_mut(&key) {
                Some((id, used)) => {
                    if !*used {
                        *used = true;
                        counts.institutions_matched += 1;
                    }
                    id.clone()
                }
                None => {
                    let institution = Institution {
                        id: uuid::Uuid::now_v7().to_string(),
                        version: 1,
                        name: row.institution.name,
                        kind: row.institution.kind,
                        actor: row.institution.actor,
                        city: row.institution.city,
                        parent_id: None,
                        created_by: actor.to_owned(),
                        created_at: now,
                    };
                    insert_institution_row(&mut tx, &institution, None).await?;
                    counts.institutions_created += 1;
                    written.push(institution.id.clone());
                    known.insert(key, (institution.id.clone(), true));
                    institution.id
                }
            };
            let mut briefing = row.briefing;
            briefing.institution_ids = vec![institution_id];
            if insert_briefing_row(&mut tx, &briefing, &row.request_id, &row.fingerprint).await? == 0 {
                counts.already_imported += 1;
                continue;
            }
            insert_links(&mut tx, &briefing).await?;
            counts.briefings += 1;
            written.push(briefing.id);
        }
        let written: Vec<&str> = written.iter().map(String::as_str).collect();
        advocacy_platform::audit::append(&mut tx, actor, "write", &written, now).await?;
        tx.commit().await?;
        Ok(counts)
    }
}
