//! All SQL of the gateway's people, sessions and sign-in failures; one set of statements
//! for SQLite and PostgreSQL.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use advocacy_platform::Database;
use advocacy_platform::db::is_unique_violation;
use advocacy_platform::idempotency::{Request, Written};
use advocacy_platform::time::{from_micros, to_micros};

use crate::error::GatewayError;
use crate::people::Person;
use crate::signin::SessionKind;

const PERSON_COLUMNS: &str = "email, name, roles, compartments, zone, language, manager, disabled_at, version, \
                              created_by, created_at, updated_by, updated_at, password_hash";

#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

/// A person as stored, with the hash of their password ('' for none).
#[derive(Debug, Clone)]
pub struct Account {
    pub person: Person,
    pub password_hash: String,
}

fn set_of(text: &str) -> BTreeSet<String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn joined(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(",")
}

fn account_of(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        person: Person {
            email: row.try_get(0)?,
            name: row.try_get(1)?,
            roles: set_of(&row.try_get::<String, _>(2)?),
            compartments: set_of(&row.try_get::<String, _>(3)?),
            zone: row.try_get(4)?,
            language: row.try_get(5)?,
            manager: row.try_get(6)?,
            disabled: row.try_get::<Option<i64>, _>(7)?.is_some(),
            version: row.try_get(8)?,
            created_by: row.try_get(9)?,
            created_at: from_micros(row.try_get(10)?),
            updated_by: row.try_get(11)?,
            updated_at: from_micros(row.try_get(12)?),
        },
        password_hash: row.try_get(13)?,
    })
}

impl Store {
    pub fn new(db: &Database) -> Store {
        Store { db: db.clone() }
    }

    /// The gateway's database, for the platform's request protocol.
    pub fn database(&self) -> &Database {
        &self.db
    }

    pub async fn account(&self, email: &str) -> Result<Option<Account>, GatewayError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(&self.db.pool).await?;
        Ok(row.as_ref().map(account_of).transpose()?)
    }

    /// People in email order after `after`, `limit` of them.
    pub async fn list(&self, after: &str, limit: usize, include_disabled: bool) -> Result<Vec<Person>, GatewayError> {
        let filter = if include_disabled { "" } else { " AND disabled_at IS NULL" };
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE email > $1{filter} ORDER BY email{}",
            advocacy_platform::db::limit(limit)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after).fetch_all(&self.db.pool).await?;
        rows.iter().map(|r| account_of(r).map(|a| a.person)).collect::<Result<_, _>>().map_err(Into::into)
    }

    /// Adds `person`, once per request.
    pub async fn create(
        &self,
        request: &Request,
        person: &Person,
        password_hash: &str,
    ) -> Result<Written<Person>, GatewayError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        let inserted = sqlx::query(
            "INSERT INTO people (email, name, roles, compartments, zone, language, manager, password_hash, \
             disabled_at, version, created_by, created_at, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, 1, $9, $10, $9, $10)",
        )
        .bind(&person.email)
        .bind(&person.name)
        .bind(joined(&person.roles))
        .bind(joined(&person.compartments))
        .bind(&person.zone)
        .bind(&person.language)
        .bind(&person.manager)
        .bind(password_hash)
        .bind(&person.created_by)
        .bind(to_micros(person.created_at))
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e, "people_pkey", "people.email") => {
                return Err(GatewayError::Exists(format!("{} is already in the directory", person.email)));
            }
            other => other?,
        };
        request.answered(&mut tx, &person.email, person, person.created_at).await?;
        tx.commit().await?;
        Ok(Written::New(person.clone()))
    }

    /// Writes `person` (already changed, its version the one read) over the stored one,
    /// once per request; a new password hash too when given. Disabling ends every
    /// session in the same transaction.
    pub async fn update(
        &self,
        request: &Request,
        person: &Person,
        password_hash: Option<&str>,
    ) -> Result<Written<Person>, GatewayError> {
        let mut tx = match request.begin(&self.db).await? {
            Ok(tx) => tx,
            Err(replay) => return Ok(replay),
        };
        // Two admins demoting each other at once must not both succeed.
        self.db.serialize_on(&mut tx, "people:admins").await?;
        let admins_before = count_admins(&mut tx).await?;
        let now = to_micros(person.updated_at);
        let changed = sqlx::query(
            "UPDATE people SET name = $1, roles = $2, compartments = $3, zone = $4, language = $5, manager = $6, \
             disabled_at = CASE WHEN $7 = 1 THEN COALESCE(disabled_at, $8) ELSE NULL END, \
             password_hash = COALESCE($9, password_hash), version = version + 1, updated_by = $10, updated_at = $8 \
             WHERE email = $11 AND version = $12",
        )
        .bind(&person.name)
        .bind(joined(&person.roles))
        .bind(joined(&person.compartments))
        .bind(&person.zone)
        .bind(&person.language)
        .bind(&person.manager)
        .bind(i64::from(person.disabled))
        .bind(now)
        .bind(password_hash)
        .bind(&person.updated_by)
        .bind(&person.email)
        .bind(person.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(GatewayError::Stale(format!(
                "{} changed since version {}: read it again",
                person.email, person.version
            )));
        }
        if admins_before > 0 && count_admins(&mut tx).await? == 0 {
            return Err(GatewayError::Precondition(format!(
                "{} is the last admin: make another admin first",
                person.email
            )));
        }
        if person.disabled || password_hash.is_some() {
            end_sessions(&mut tx, &person.email, now).await?;
        }
        // A new password may follow a break-in: the intruder's calendar address goes too.
        if person.disabled || password_hash.is_some() {
            revoke_calendar_feeds(&mut tx, &person.email, now).await?;
        }
        let written = Person { version: person.version + 1, ..person.clone() };
        request.answered(&mut tx, &person.email, &written, person.updated_at).await?;
        tx.commit().await?;
        Ok(Written::New(written))
    }

    /// Starts a session whose refresh token hashes to `token_hash`.
    pub async fn open_session(
        &self,
        email: &str,
        token_hash: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
        kind: SessionKind,
    ) -> Result<(), GatewayError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, email, created_at, expires_at, kind) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(email)
        .bind(to_micros(now))
        .bind(to_micros(expires))
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await?;
        advocacy_platform::audit::append(&mut tx, email, "write", &[email], now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the live session of `token_hash` and says whose it was: a refresh token is
    /// good for one exchange, so a stolen copy used after its owner is refused.
    pub async fn end_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        kind: SessionKind,
    ) -> Result<Option<String>, GatewayError> {
        let mut tx = self.db.begin_write().await?;
        let row = sqlx::query(
            "UPDATE sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > $2 \
             AND kind = $3 RETURNING email",
        )
        .bind(token_hash)
        .bind(to_micros(now))
        .bind(kind.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let email: Option<String> = row.map(|r| r.try_get(0)).transpose()?;
        if let Some(email) = &email {
            advocacy_platform::audit::append(&mut tx, email, "write", &[email], now).await?;
        }
        tx.commit().await?;
        Ok(email)
    }

    /// Whose live web session `token_hash` is, leaving it live (a page's cookie).
    pub async fn live_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<String>, GatewayError> {
        let row = sqlx::query(
            "SELECT email FROM sessions WHERE token_hash = $1 AND ended_at IS NULL AND expires_at > $2 AND kind = 'web'",
        )
        .bind(token_hash)
        .bind(to_micros(now))
        .fetch_optional(&self.db.pool)
                .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// Makes `token_hash` the person's calendar feed, revoking the one before.
    pub async fn open_calendar_feed(
        &self,
        email: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), GatewayError> {
        let mut tx = self.db.begin_write().await?;
        revoke_calendar_feeds(&mut tx, email, to_micros(now)).await?;
        sqlx::query("INSERT INTO calendar_feeds (token_hash, email, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(email)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?;
        advocacy_platform::audit::append(&mut tx, email, "write", &[email], now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes the person's calendar feed; whether there was one.
    pub async fn revoke_calendar_feed(&self, email: &str, now: DateTime<Utc>) -> Result<bool, GatewayError> {
        let mut tx = self.db.begin_write().await?;
        let revoked = revoke_calendar_feeds(&mut tx, email, to_micros(now)).await? > 0;
        if revoked {
            advocacy_platform::audit::append(&mut tx, email, "write", &[email], now).await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// Whose live calendar feed `token_hash` is.
    pub async fn calendar_feed(&self, token_hash: &str) -> Result<Option<String>, GatewayError> {
        let row = sqlx::query("SELECT email FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// When the person's live calendar feed was made, if they have one.
    pub async fn calendar_feed_of(&self, email: &str) -> Result<Option<DateTime<Utc>>, GatewayError> {
        let row = sqlx::query("SELECT created_at FROM calendar_feeds WHERE email = $1 AND revoked_at IS NULL")
            .bind(email)
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0).map(advocacy_platform::time::from_micros)).transpose()?)
    }

    /// Sign-in attempts counted against `subject` since `since`.
    pub async fn failures(&self, subject: &str, since: DateTime<Utc>) -> Result<i64, GatewayError> {
        let row = sqlx::query("SELECT COUNT(*) FROM sign_in_failures WHERE subject = $1 AND at >= $2")
            .bind(subject)
            .bind(to_micros(since))
            .fetch_one(&self.db.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Records a refused sign-in of the person `email` in the audit log.
    pub async fn audit_refusal(&self, email: &str, now: DateTime<Utc>) -> Result<(), GatewayError> {
        let mut tx = self.db.begin_write().await?;
        advocacy_platform::audit::append(&mut tx, email, "failure", &[email], now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a sign-in attempt against each of `subjects`; it stays counted unless it
    /// succeeds. Attempts older than `forget_before` are forgotten.
    pub async fn record_attempt(
        &self,
        subjects: &[String],
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), GatewayError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
            .bind(to_micros(forget_before))
            .execute(&mut *tx)
            .await?;
        for subject in subjects {
            sqlx::query("INSERT INTO sign_in_failures (subject, at) VALUES ($1, $2)")
                .bind(subject)
                .bind(to_micros(now))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A successful sign-in clears the account's failures, and its own attempt from the
    /// address's count (the address's earlier failures stay).
    pub async fn forget_attempts(&self, account: &str, address: &str, at: DateTime<Utc>) -> Result<(), GatewayError> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1").bind(account).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1 AND at = $2")
            .bind(address)
            .bind(to_micros(at))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn revoke_calendar_feeds(tx: &mut AnyConnection, email: &str, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("UPDATE calendar_feeds SET revoked_at = $2 WHERE email = $1 AND revoked_at IS NULL")
        .bind(email)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected())
}

/// Admins who may still sign in.
async fn count_admins(tx: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) FROM people WHERE disabled_at IS NULL AND roles LIKE '%admin%'")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)
}

async fn end_sessions(tx: &mut AnyConnection, email: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET ended_at = $2 WHERE email = $1 AND ended_at IS NULL")
        .bind(email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
