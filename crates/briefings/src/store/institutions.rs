//! The institutions registry: each institution once per actor and loosely compared name.

use chrono::{DateTime, Utc};
use sqlx::Row;

use advocacy_platform::db::{Sql, is_unique_violation};
use advocacy_platform::idempotency::{Request, Written};

use crate::domain::{Institution, normalize_name};
use crate::error::BriefingError;

use super::{Store, parse};

pub(super) async fn insert_institution_row(
    conn: &mut sqlx::AnyConnection,
    i: &Institution,
    request_id: Option<&str>,
) -> Result<(), BriefingError> {
    let snapshot = serde_json::to_string(i).map_err(|e| BriefingError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO institutions (id, version, name, normalized_name, kind, actor, city, parent_id, request_id, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&i.id)
    .bind(i.version)
    .bind(&i.name)
    .bind(normalize_name(&i.name))
    .bind(i.kind.as_str())
    .bind(&i.actor)
    .bind(&i.city)
    .bind(i.parent_id.as_deref())
    .bind(request_id)
    .bind(&snapshot)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Stores a new institution under the request protocol; a name the actor already
    /// has (compared loosely) is `DuplicateInstitution`.
    pub async fn create_institution(
        &self,
        institution: &Institution,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<Written<Institution>, BriefingError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        let error = match insert_institution_row(&mut tx, institution, Some(request.key())).await {
            Ok(()) => {
                request.answered(&mut tx, &institution.id, institution, now).await?;
                tx.commit().await?;
                return Ok(Written::New(institution.clone()));
            }
            Err(BriefingError::Database(e)) => e,
            Err(other) => return Err(other),
        };
        drop(tx);
        if is_unique_violation(&error, "institutions_actor_name", "institutions.actor, institutions.normalized_name") {
            let existing = sqlx::query("SELECT id, name FROM institutions WHERE actor = $1 AND normalized_name = $2")
                .bind(&institution.actor)
                .bind(normalize_name(&institution.name))
                .fetch_one(&self.pool)
                .await?;
            return Err(BriefingError::DuplicateInstitution { id: existing.try_get(0)?, name: existing.try_get(1)? });
        }
        if is_unique_violation(&error, "institutions_request_id", "institutions.request_id") {
            // Taken by an institution made before requests were kept apart.
            return Err(request.reused().into());
        }
        Err(error.into())
    }

    pub async fn institutions(&self, ids: &[String]) -> Result<Vec<Institution>, BriefingError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT snapshot FROM institutions WHERE id IN (");
        let placeholders = sql.bind_list(ids);
        sql.push(&placeholders);
        sql.push(")");
        sql.fetch_all(&self.pool).await?.iter().map(|r| parse(&r.try_get::<String, _>(0)?)).collect()
    }

    /// Institutions sorted by normalised name, then id.
    pub async fn list_institutions(
        &self,
        actor: Option<&str>,
        after: Option<(String, String)>,
        limit: usize,
    ) -> Result<Vec<Institution>, BriefingError> {
        let mut sql = Sql::new("SELECT snapshot FROM institutions i WHERE 1 = 1");
        if let Some(actor) = actor {
            let p = sql.bind_text(actor);
            sql.push(&format!(" AND i.actor = {p}"));
        }
        if let Some((name, id)) = &after {
            let (p_name, p_id) = (sql.bind_text(name), sql.bind_text(id));
            sql.push(&format!(" AND (i.normalized_name, i.id) > ({p_name}, {p_id})"));
        }
        sql.push(" ORDER BY i.normalized_name, i.id");
        sql.push(&advocacy_platform::db::limit(limit));
        sql.fetch_all(&self.pool).await?.iter().map(|r| parse(&r.try_get::<String, _>(0)?)).collect()
    }
}
