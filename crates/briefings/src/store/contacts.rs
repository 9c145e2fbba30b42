//! Contacts: people's data, readable with the contacts compartment only, erasable.

use chrono::{DateTime, Utc};
use sqlx::{Row, any::AnyRow};

use advocacy_platform::db::Sql;
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::time::{from_micros, to_micros};

use crate::domain::Contact;
use crate::error::BriefingError;

use super::Store;

const CONTACT_COLUMNS: &str =
    "id, version, institution_id, name, role, email, phone, erased_at, created_by, created_at";

fn contact_of(row: &AnyRow) -> Result<Contact, BriefingError> {
    Ok(Contact {
        id: row.try_get(0)?,
        version: row.try_get(1)?,
        institution_id: row.try_get(2)?,
        name: row.try_get(3)?,
        role: row.try_get(4)?,
        email: row.try_get(5)?,
        phone: row.try_get(6)?,
        erased_at: row.try_get::<Option<i64>, _>(7)?.map(from_micros),
        created_by: row.try_get(8)?,
        created_at: from_micros(row.try_get(9)?),
    })
}

impl Store {
    pub async fn create_contact(
        &self,
        c: &Contact,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Contact>, BriefingError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        let inserted = sqlx::query(
            "INSERT INTO contacts (id, version, institution_id, name, role, email, phone, erased_at, request_id,
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10)
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&c.id)
        .bind(c.version)
        .bind(&c.institution_id)
        .bind(&c.name)
        .bind(&c.role)
        .bind(&c.email)
        .bind(&c.phone)
        .bind(request.key())
        .bind(&c.created_by)
        .bind(to_micros(c.created_at))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // Taken by a contact made before requests were kept apart.
            return Err(request.reused().into());
        }
        // The answer names the contact only: a replay reads the person's data afresh,
        // so an erasure since is never undone by a retry.
        request.answered(&mut tx, &c.id, &c.id, now).await?;
        tx.commit().await?;
        Ok(Written::New(c.clone()))
    }

    pub async fn contacts(&self, ids: &[String]) -> Result<Vec<Contact>, BriefingError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id IN ("));
        let placeholders = sql.bind_list(ids);
        sql.push(&placeholders);
        sql.push(")");
        sql.fetch_all(&self.pool).await?.iter().map(contact_of).collect()
    }

    pub async fn contacts_at(&self, institution_id: &str) -> Result<Vec<Contact>, BriefingError> {
        let mut sql = Sql::new(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE institution_id = "));
        let p = sql.bind_text(institution_id);
        sql.push(&format!("{p} ORDER BY name, id"));
        sql.fetch_all(&self.pool).await?.iter().map(contact_of).collect()
    }

    /// Deletes a person's data, keeping the row so briefings can say a contact was there.
    /// Erases a contact's personal data, under the request protocol (the answer names
    /// the contact only).
    pub async fn erase_contact(
        &self,
        id: &str,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<String>, BriefingError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        sqlx::query(
            "UPDATE contacts SET name = '', role = '', email = '', phone = '', erased_at = $2, version = version + 1
             WHERE id = $1 AND erased_at IS NULL",
        )
        .bind(id)
        .bind(to_micros(now))
        .execute(&mut *tx)
        .await?;
        // The fingerprint of the request that recorded the person is derived from their
        // data: it goes too. A retry of that request is refused from now on.
        // Only the requests that recorded the person: erasures keep their answers, so a
        // retried erasure still gets its first answer.
        sqlx::query(
            "UPDATE requests SET fingerprint = 'erased', answer = '\"\"' WHERE record_id = $1 AND fingerprint <> $2",
        )
        .bind(id)
        .bind(request.fingerprint())
        .execute(&mut *tx)
        .await?;
        request.answered(&mut tx, id, &id, now).await?;
        tx.commit().await?;
        self.db.purge_log().await?;
        Ok(Written::New(id.to_owned()))
    }
}
