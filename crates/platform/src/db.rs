//! The database opener every service calls: SQLite (a file per service) or PostgreSQL (a
//! database per service) behind sqlx `AnyPool`s for writes and the engine's own
//! driver for the read path ([`crate::readers`]), migrations applied at start.
//!
//! Services write one set of SQL that both engines accept (`$1` placeholders, BIGINT and
//! TEXT columns, `RETURNING`, `ON CONFLICT`). What differs between the engines lives here
//! and nowhere else: how a database is created, per-connection settings, the migration
//! lock, and how a unique-index violation is recognised. A migration line that starts with
//! `-- postgres: ` runs on PostgreSQL only (storage settings SQLite has no words for); on
//! SQLite it stays a comment.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, AssertSqlSafe, ConnectOptions, Connection, Executor, Row, SqlSafeStr};

use crate::config::redact_url;
use crate::readers::{ReadConnection, Readers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }

    /// The engine behind a pool; anything but SQLite is PostgreSQL (see [`Database::open`]).
    pub fn of_pool(pool: &AnyPool) -> Dialect {
        Dialect::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Dialect::Postgres)
    }

    pub fn of_connection(conn: &sqlx::AnyConnection) -> Dialect {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") { Dialect::Sqlite } else { Dialect::Postgres }
    }

    /// The most rows a statement on sqlx's `Any` connections (the pool, the writer)
    /// should return, when a caller can split its work. sqlx's SQLite driver hands a
    /// statement's rows over through a channel of 50, and past that wakes the
    /// connection's thread once for every row taken: two context switches a row, more
    /// than a second statement costs. The `Any` driver cannot be given a larger channel;
    /// the readers ([`crate::readers`]) have one.
    pub fn rows_per_statement(self) -> usize {
        match self {
            Dialect::Sqlite => 48,
            Dialect::Postgres => usize::MAX,
        }
    }

    /// A migration's text for this engine: lines for PostgreSQL only are statements there
    /// and comments elsewhere. A text without such lines is the same on both, byte for
    /// byte, so the checksums of migrations applied before this existed still match.
    fn migration_text(self, sql: &str) -> String {
        match self {
            Dialect::Sqlite => sql.to_owned(),
            Dialect::Postgres => {
                let sql = sql.strip_prefix(POSTGRES_ONLY).unwrap_or(sql);
                sql.replace(&format!("\n{POSTGRES_ONLY}"), "\n")
            }
        }
    }

    /// What a claiming `SELECT` ends with: PostgreSQL locks the rows it picks and skips
    /// those another replica holds; SQLite has one writer at a time, so needs nothing.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// What starts a migration line for PostgreSQL only.
const POSTGRES_ONLY: &str = "-- postgres: ";

/// One schema change, applied once, in version order, inside a transaction.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

#[derive(Debug, Clone)]
pub struct Database {
    /// For single statements that write, and anything that may leave a transaction open;
    /// write transactions go through [`Database::begin_write`].
    pub pool: AnyPool,
    /// For the read path (see [`crate::readers`]).
    pub readers: Readers,
    pub dialect: Dialect,
    /// Where [`Database::begin_write`] transactions run. On SQLite one connection, since
    /// SQLite lets one writer in at a time anyway: one write transaction after another
    /// finds its page cache as the last one left it, where a pooled connection finds it
    /// emptied by another connection's commit and reads every page again (a commit from
    /// elsewhere still empties it). On PostgreSQL the pool itself.
    writer: AnyPool,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{url} is not a sqlite: or postgres:// URL")]
    UnsupportedUrl { url: String },
    #[error("cannot open {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration { version: i64, name: &'static str, source: sqlx::Error },
    #[error("the database has migration {found}, newer than this program knows ({known}); run a newer version")]
    TooNew { found: i64, known: i64 },
    #[error(
        "migration {version} ({name}) was changed after it was applied to this database; restore its text, or add a new migration instead"
    )]
    Edited { version: i64, name: &'static str },
}

/// The migrator's refusals, in the words of [`DbError`].
fn migrate_error(error: sqlx::migrate::MigrateError, migrations: &[Migration]) -> DbError {
    use sqlx::migrate::MigrateError as M;
    let name = |version| migrations.iter().find(|m| m.version == version).map_or("unknown", |m| m.name);
    let known = migrations.iter().map(|m| m.version).max().unwrap_or(0);
    match error {
        M::VersionMissing(found) => DbError::TooNew { found, known },
        M::VersionMismatch(version) => DbError::Edited { version, name: name(version) },
        M::Execute(source) => DbError::Migration { version: 0, name: "apply", source },
        M::ExecuteMigration(source, version) => DbError::Migration { version, name: name(version), source },
        other => DbError::Migration { version: 0, name: "migrator", source: sqlx::Error::Migrate(Box::new(other)) },
    }
}

/// Pool size: SQLite serialises writers anyway; PostgreSQL gets enough for concurrency.
const SQLITE_CONNECTIONS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 16;
/// Connections for reads, beside the pool.
const SQLITE_READERS: usize = 4;
const POSTGRES_READERS: usize = 8;

/// Settings every SQLite connection gets when it opens. WAL lets readers run beside the
/// writer; busy_timeout makes a second writer wait instead of failing; foreign keys are
/// off in SQLite unless asked for. `secure_delete` zeroes deleted and overwritten values
/// in the file instead of leaving them in free pages: an erased contact must be gone
/// from the disk, not merely from the table.
pub(crate) const SQLITE_SETTINGS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA secure_delete = ON",
];

/// Settings every connection of the pool gets when it opens.
async fn prepare_connection(conn: &mut sqlx::AnyConnection, dialect: Dialect) -> Result<(), sqlx::Error> {
    if dialect == Dialect::Sqlite {
        for setting in SQLITE_SETTINGS {
            conn.execute(*setting).await?;
        }
    }
    Ok(())
}

impl Database {
    /// Opens (creating if missing) the database at `url` and applies `migrations`.
    pub async fn open(url: &str, migrations: &[Migration]) -> Result<Database, DbError> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::of_url(url).ok_or_else(|| DbError::UnsupportedUrl { url: redact_url(url) })?;
        let open_err = |source| DbError::Open { url: redact_url(url), source };
        if dialect == Dialect::Postgres {
            create_postgres_database(url).await.map_err(open_err)?;
        } else {
            private_sqlite_files(url).map_err(|e| open_err(sqlx::Error::Io(e)))?;
        }
        let options = AnyConnectOptions::from_str(url).map_err(open_err)?;
        let options = options.log_statements(tracing::log::LevelFilter::Trace);
        let pool_of = |connections| {
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(10))
                // The check before each use is a round trip on PostgreSQL, where a connection
                // can break (a restart, a failover). A SQLite connection is a file in this
                // process and cannot; its check was one more hand-off to the connection's
                // thread in every write transaction.
                .test_before_acquire(dialect == Dialect::Postgres)
                .after_connect(move |conn, _meta| Box::pin(async move { prepare_connection(conn, dialect).await }))
        };
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                let pool = pool_of(SQLITE_CONNECTIONS).connect_with(options.clone()).await.map_err(open_err)?;
                (pool, pool_of(1).connect_with(options).await.map_err(open_err)?)
            }
            Dialect::Postgres => {
                let pool = pool_of(POSTGRES_CONNECTIONS).connect_with(options).await.map_err(open_err)?;
                (pool.clone(), pool)
            }
        };
        let readers = Readers::new(
            url,
            dialect,
            match dialect {
                Dialect::Sqlite => SQLITE_READERS,
                Dialect::Postgres => POSTGRES_READERS,
            },
        )
        .map_err(open_err)?;
        let db = Database { pool, readers, dialect, writer };
        db.migrate(migrations).await?;
        Ok(db)
    }

    /// Applies the migrations not yet applied, with sqlx's migrator: each in a
    /// transaction, recorded with a checksum of its text, so a migration edited after it
    /// was applied stops the start instead of leaving the schema unknown. On PostgreSQL
    /// the migrator's advisory lock keeps two replicas starting at once from applying
    /// the same migration twice. SQLite has no such lock: a second process opening the
    /// same new file at the same moment fails its start (the migration's transaction
    /// keeps the schema whole) and starts cleanly when tried again.
    async fn migrate(&self, migrations: &[Migration]) -> Result<(), DbError> {
        let fail = |source| DbError::Migration { version: 0, name: "bookkeeping", source };
        let migrator = sqlx::migrate::Migrator::with_migrations(
            migrations
                .iter()
                .map(|m| {
                    sqlx::migrate::Migration::new(
                        m.version,
                        m.name.into(),
                        sqlx::migrate::MigrationType::Simple,
                        sqlx::AssertSqlSafe(self.dialect.migration_text(m.sql)).into_sql_str(),
                        false,
                    )
                })
                .collect(),
        );
        let mut migrator = migrator;
        migrator.set_locking(false);
        let mut conn = self.pool.acquire().await.map_err(fail)?;
        use sqlx::migrate::Migrate;
        conn.lock().await.map_err(|e| migrate_error(e, migrations))?;
        let result = async {
            self.adopt_release_bookkeeping(&mut conn, &migrator).await?;
            migrator.run_direct(None, &mut *conn, false).await.map_err(|e| migrate_error(e, migrations))
        }
        .await;
        if conn.unlock().await.is_err() {
            // A lock left on a pooled connection would hold every other replica at start.
            let _ = conn.close().await;
        }
        result
    }

    /// Databases made before the migrator kept their applied versions in
    /// `schema_migrations` (no checksums). Those versions are taken over as applied, with
    /// the checksums of this program's files (the same files, as they are embedded in the
    /// binary of every release), and the old table is dropped, in one transaction.
    async fn adopt_release_bookkeeping(
        &self,
        conn: &mut sqlx::AnyConnection,
        migrator: &sqlx::migrate::Migrator,
    ) -> Result<(), DbError> {
        let fail = |source| DbError::Migration { version: 0, name: "schema_migrations", source };
        let exists = match self.dialect {
            Dialect::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
            }
        };
        let found: i64 = sqlx::query(exists).fetch_one(&mut *conn).await.and_then(|r| r.try_get(0)).map_err(fail)?;
        if found == 0 {
            return Ok(());
        }
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(fail)?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        if let Some(&newest) = applied.iter().max()
            && newest > known
        {
            return Err(DbError::TooNew { found: newest, known });
        }
        use sqlx::migrate::Migrate;
        conn.ensure_migrations_table("_sqlx_migrations").await.map_err(|e| migrate_error(e, &[]))?;
        let mut tx = conn.begin().await.map_err(fail)?;
        for m in migrator.iter().filter(|m| applied.contains(&m.version)) {
            sqlx::query(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
                 VALUES ($1, $2, TRUE, $3, 0) ON CONFLICT (version) DO NOTHING",
            )
            .bind(m.version)
            .bind(m.description.to_string())
            .bind(m.checksum.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        }
        tx.execute("DROP TABLE schema_migrations").await.map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        tracing::info!(versions = ?applied, "took over the applied migrations of an earlier release");
        Ok(())
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later cannot get the
    /// lock while another one holds a read lock, and fails at once with `database is
    /// locked` instead of waiting. PostgreSQL locks rows as it goes and needs nothing.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.dialect {
            Dialect::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => self.writer.begin().await,
        }
    }

    /// Makes writers that take the same `name` wait for each other until `tx` ends, for
    /// a check-then-insert no unique index can guard (matching names loosely). SQLite's
    /// `begin_write` already holds the one write lock; PostgreSQL takes an advisory lock.
    pub async fn serialize_on(&self, tx: &mut sqlx::AnyConnection, name: &str) -> Result<(), sqlx::Error> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))").bind(name).execute(&mut *tx).await?;
        }
        Ok(())
    }

    /// The rows of a read that needs no transaction, on a reader connection. A connection
    /// the database has dropped is closed and the read tried once more on a new one, so
    /// a database restart costs no reader more than one failed attempt.
    pub async fn read_all(&self, sql: Sql) -> Result<Vec<ReadRow>, sqlx::Error> {
        let mut reader = self.readers.acquire().await?;
        match sql.clone().read_on(&mut reader).await {
            Err(e) if is_broken_connection(&e) => {
                tracing::warn!(error = %e, "a database connection was closed; reading again on a new one");
                reader.discard();
                let mut fresh = self.readers.acquire_new().await?;
                sql.read_on(&mut fresh).await
            }
            other => other,
        }
    }

    /// After an erasure: leaves the erased values nowhere on disk but in pages
    /// `secure_delete` has zeroed. On SQLite the write-ahead log still holds the pages as
    /// they were; it is copied into the database and truncated. PostgreSQL keeps old row
    /// versions until VACUUM (see the README).
    pub async fn purge_log(&self) -> Result<(), sqlx::Error> {
        if self.dialect == Dialect::Sqlite {
            let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await?;
            if row.try_get::<i64, _>(0)? != 0 {
                tracing::warn!("the write-ahead log could not be truncated now (busy); it is at the next checkpoint");
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// ` LIMIT <rows>`, with the number written into the text rather than bound. SQLite plans
/// a bound LIMIT as the constant it was at the first run and then throws the prepared
/// statement away whenever a new value is bound, so a bound LIMIT is parsed and planned
/// again on every run. Each page size is a statement of its own to the statement cache;
/// page sizes are bounded (500 or 1,000 at most).
pub fn limit(rows: usize) -> String {
    format!(" LIMIT {rows}")
}

/// A statement assembled from fixed fragments with placeholders, for listings whose
/// filters vary. Every value is bound, never spliced into the text (a row count from
/// [`limit`] is the one number written into it).
///
/// Placeholders are written as markers and rendered when the statement runs: `$n` on
/// PostgreSQL, plain `?` in order of appearance on SQLite. SQLite looks up a numbered or
/// named parameter by a linear scan, so a 1,300-value import statement bound with `$n`
/// spends most of its time finding its own parameters.
#[derive(Debug, Clone)]
pub struct Sql {
    text: String,
    args: Vec<SqlArg>,
    /// Kept prepared on the connection, so PostgreSQL may settle on one generic plan.
    cached_plan: bool,
}

#[derive(Debug, Clone)]
enum SqlArg {
    Text(String),
    Int(i64),
    Null,
}

/// The longest IN-list [`Sql::bind_list`] pads: batches and pages are at most this long.
pub const PADDED_LIST: usize = 512;

/// Around a placeholder's argument number in [`Sql`]'s text. Fragments are fixed text of
/// ours and never contain it.
const MARK: char = '\u{1}';

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_owned(), args: Vec::new(), cached_plan: true }
    }

    /// Planned for its own values on every run. For aggregates over a period: after five
    /// runs PostgreSQL may keep one generic plan for a prepared statement, and the plan
    /// right for four years (scan everything) is wrong for a month (look up each row).
    pub fn planned_each_run(mut self) -> Sql {
        self.cached_plan = false;
        self
    }

    pub fn push(&mut self, fragment: &str) {
        self.text.push_str(fragment);
    }

    /// Binds a value and returns its placeholder to put in the text.
    pub fn bind_text(&mut self, value: &str) -> String {
        self.bind(SqlArg::Text(value.to_owned()))
    }

    /// Binds each value for an `IN (...)` list and returns the placeholders, separated by
    /// commas; `NULL` (matching nothing) for none. A list of up to [`PADDED_LIST`] values
    /// is padded to a power of two by binding the last value again, so a statement asked
    /// with any number of values has at most a handful of texts: each text is prepared
    /// once per connection and kept, where one text per count overflowed the statement
    /// cache and made both engines parse and plan again. A longer list is bound as it is,
    /// so padding never takes a statement near the engines' limits on bound values.
    pub fn bind_list<S: AsRef<str>>(&mut self, values: impl IntoIterator<Item = S>) -> String {
        let values: Vec<S> = values.into_iter().collect();
        let Some(last) = values.last() else { return "NULL".to_owned() };
        let padded = if values.len() <= PADDED_LIST { values.len().next_power_of_two() } else { values.len() };
        let padding = padded - values.len();
        let mut placeholders: Vec<String> = values.iter().map(|v| self.bind_text(v.as_ref())).collect();
        placeholders.extend((0..padding).map(|_| self.bind_text(last.as_ref())));
        placeholders.join(", ")
    }

    pub fn bind_int(&mut self, value: i64) -> String {
        self.bind(SqlArg::Int(value))
    }

    fn bind(&mut self, arg: SqlArg) -> String {
        self.args.push(arg);
        format!("{MARK}{}{MARK}", self.args.len())
    }

    /// Keeps restricted rows only for callers holding all their compartments; system callers
    /// see all. Every table with confidential rows has `confidentiality` and
    /// `compartment` columns (see [`crate::Classification::columns`]).
    pub fn visible_to(&mut self, caller: &crate::Caller, table: &str) {
        if let Some(visible) = self.visibility(caller, table) {
            self.push(&format!(" AND {visible}"));
        }
    }

    /// The opposite of [`Sql::visible_to`]: only the rows the caller may not see, to count
    /// them as "restricted, not shown".
    pub fn hidden_from(&mut self, caller: &crate::Caller, table: &str) {
        match self.visibility(caller, table) {
            Some(visible) => self.push(&format!(" AND NOT {visible}")),
            None => self.push(" AND 1 = 0"),
        }
    }

    fn visibility(&mut self, caller: &crate::Caller, table: &str) -> Option<String> {
        if caller.has_role(crate::Role::System) {
            return None;
        }
        // A record may need several compartments: its column must be one of the
        // combinations the caller holds.
        let readable = crate::classification::readable_columns(&caller.compartments);
        // No compartment at all: only restricted records without one.
        let allowed = if readable.is_empty() { "''".to_owned() } else { self.bind_list(&readable) };
        Some(format!("({table}.confidentiality <> 'restricted' OR {table}.compartment IN ({allowed}))"))
    }

    /// Binds a value of any kind and returns its placeholder.
    pub fn bind_value(&mut self, value: &SqlValue<'_>) -> String {
        match value {
            SqlValue::Text(t) => self.bind_text(t),
            SqlValue::Int(i) => self.bind_int(*i),
            SqlValue::Null => self.bind(SqlArg::Null),
        }
    }

    /// Adds one row of values to a multi-row `INSERT ... VALUES`, each value bound.
    pub fn push_row(&mut self, values: &[SqlValue<'_>]) {
        let placeholders: Vec<String> = values.iter().map(|v| self.bind_value(v)).collect();
        let separator = if self.text.ends_with("VALUES ") { "" } else { ", " };
        self.text.push_str(&format!("{separator}({})", placeholders.join(", ")));
    }

    /// The text for one engine and the arguments in the order it takes them.
    fn render(self, dialect: Dialect) -> (String, Vec<SqlArg>) {
        use std::fmt::Write;
        let mut text = String::with_capacity(self.text.len());
        let mut pieces = self.text.split(MARK);
        text.push_str(pieces.next().unwrap_or_default());
        // SQLite: each value moves to where its placeholder appears; one used twice is copied.
        let mut bound: Vec<Option<SqlArg>> = self.args.into_iter().map(Some).collect();
        let (mut args, mut first_at): (Vec<SqlArg>, _) = (Vec::new(), vec![0; bound.len()]);
        while let (Some(number), Some(rest)) = (pieces.next(), pieces.next()) {
            let n: usize = number.parse().expect("a placeholder made by Sql::bind");
            match dialect {
                Dialect::Postgres => write!(text, "${n}").expect("writing to a string"),
                Dialect::Sqlite => {
                    text.push('?');
                    let arg = match bound[n - 1].take() {
                        Some(arg) => {
                            first_at[n - 1] = args.len();
                            arg
                        }
                        None => args[first_at[n - 1]].clone(),
                    };
                    args.push(arg);
                }
            }
            text.push_str(rest);
        }
        match dialect {
            Dialect::Postgres => (text, bound.into_iter().flatten().collect()),
            Dialect::Sqlite => (text, args),
        }
    }

    /// The statement for one engine's driver, its values bound.
    fn into_query<DB>(self, dialect: Dialect) -> sqlx::query::Query<'static, DB, DB::Arguments>
    where
        DB: sqlx::Database + sqlx::database::HasStatementCache,
        String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        Option<String>: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        let cached_plan = self.cached_plan;
        let (text, args) = self.render(dialect);
        // Only fixed fragments, placeholders and a LIMIT's row count are in the text; values
        // are bound below.
        let mut query = sqlx::query::<DB>(AssertSqlSafe(text)).persistent(cached_plan);
        for arg in args {
            query = match arg {
                SqlArg::Text(v) => query.bind(v),
                SqlArg::Int(v) => query.bind(v),
                SqlArg::Null => query.bind(None::<String>),
            };
        }
        query
    }

    pub async fn fetch_all(self, pool: &AnyPool) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        self.into_query(Dialect::of_pool(pool)).fetch_all(pool).await
    }

    /// The one number a `SELECT COUNT(...)` returns. Counts are aggregates: planned each run.
    pub async fn count(self, pool: &AnyPool) -> Result<i64, sqlx::Error> {
        self.planned_each_run().fetch_all(pool).await?.first().ok_or(sqlx::Error::RowNotFound)?.try_get(0)
    }

    /// The (key, count) pairs a `SELECT key, COUNT(*) ... GROUP BY` returns.
    pub async fn counts(self, pool: &AnyPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
        self.planned_each_run().fetch_all(pool).await?.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Runs the statement on a connection (or in a transaction); the rows it returned.
    pub async fn fetch_all_on(self, conn: &mut sqlx::AnyConnection) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        let dialect = Dialect::of_connection(conn);
        self.into_query(dialect).fetch_all(conn).await
    }

    /// Runs a read on a reader connection, in its engine's own driver.
    async fn read_on(self, conn: &mut ReadConnection) -> Result<Vec<ReadRow>, sqlx::Error> {
        Ok(match conn {
            ReadConnection::Postgres(conn) => {
                self.into_query(Dialect::Postgres).fetch_all(conn).await?.into_iter().map(ReadRow::Postgres).collect()
            }
            ReadConnection::Sqlite(conn) => {
                self.into_query(Dialect::Sqlite).fetch_all(conn).await?.into_iter().map(ReadRow::Sqlite).collect()
            }
        })
    }

    /// Runs the statement on a connection (or in a transaction); the rows it changed.
    pub async fn execute(self, conn: &mut sqlx::AnyConnection) -> Result<u64, sqlx::Error> {
        let dialect = Dialect::of_connection(conn);
        Ok(self.into_query(dialect).execute(conn).await?.rows_affected())
    }
}

/// A row of the read path ([`Database::read_all`]), as its engine's driver gave it.
#[derive(Debug)]
pub enum ReadRow {
    Postgres(sqlx::postgres::PgRow),
    Sqlite(sqlx::sqlite::SqliteRow),
}

/// What a column may be read as on every engine and through `Any` alike: the types of
/// the one set of SQL (text, BIGINT, and either of them or NULL).
pub trait ColumnValue<'r>:
    sqlx::Decode<'r, sqlx::Any>
    + sqlx::Type<sqlx::Any>
    + sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
    + sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
{
}

impl<'r, T> ColumnValue<'r> for T where
    T: sqlx::Decode<'r, sqlx::Any>
        + sqlx::Type<sqlx::Any>
        + sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
{
}

/// A row read by position, whether it came from the read path ([`ReadRow`]) or from a
/// transaction (`AnyRow`), so a service decodes its records with one function.
pub trait Columns {
    fn value<'r, T: ColumnValue<'r>>(&'r self, index: usize) -> Result<T, sqlx::Error>;
}

impl Columns for ReadRow {
    fn value<'r, T: ColumnValue<'r>>(&'r self, index: usize) -> Result<T, sqlx::Error> {
        match self {
            ReadRow::Postgres(row) => row.try_get(index),
            ReadRow::Sqlite(row) => row.try_get(index),
        }
    }
}

impl Columns for sqlx::any::AnyRow {
    fn value<'r, T: ColumnValue<'r>>(&'r self, index: usize) -> Result<T, sqlx::Error> {
        self.try_get(index)
    }
}

/// A value of a row given to [`Sql::push_row`].
#[derive(Debug, Clone, Copy)]
pub enum SqlValue<'a> {
    Text(&'a str),
    Int(i64),
    /// A missing text, such as a record made without a request id.
    Null,
}

/// Whether `error` says the connection itself is gone (the server closed it, restarted or
/// failed over), rather than anything about the statement.
pub(crate) fn is_broken_connection(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        // Class 08 is "connection exception", 57P01-57P03 "the server is shutting down".
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// What a database error tells the client: a database that is down, busy or failing over
/// is worth a retry later (`Unavailable`); a write rolled back because another met it is
/// worth a retry now (`Contended`, ABORTED); anything else is a bug of ours (`Internal`).
pub fn error_code(error: &sqlx::Error) -> crate::ErrorCode {
    use crate::ErrorCode::{Contended, Internal, Unavailable};
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Unavailable,
        e if is_broken_connection(e) => Unavailable,
        // SQLite: SQLITE_BUSY and SQLITE_LOCKED, whatever their extended code.
        sqlx::Error::Database(db) if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
            match db.code().and_then(|c| c.parse::<i32>().ok()).map(|n| n & 0xff) {
                Some(5 | 6) => Unavailable,
                _ => Internal,
            }
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // PostgreSQL: serialization failure, deadlock.
            Some("40001" | "40P01") => Contended,
            // PostgreSQL: a lock not granted, out of connections or memory, a standby
            // that is read-only until failover completes.
            Some(c) if c == "55P03" || c.starts_with("53") || c == "25006" => Unavailable,
            _ => Internal,
        },
        _ => Internal,
    }
}

/// Whether `error` is a violation of the unique index `index` (PostgreSQL reports the
/// index name; SQLite reports the indexed columns, given as `table.column` in `columns`).
pub fn is_unique_violation(error: &sqlx::Error, index: &str, columns: &str) -> bool {
    let Some(db) = error.as_database_error() else { return false };
    if !db.is_unique_violation() {
        return false;
    }
    db.constraint() == Some(index) || db.message().contains(columns)
}

/// The file of a `sqlite:` URL; None for another database or one in memory.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:").split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Makes the SQLite file at `url` (and its directory, owner-only, if missing) readable by
/// its owner only, before SQLite opens it: SQLite gives the WAL and shared-memory files
/// the main file's mode, and records of contacts and restricted work must not be
/// readable by every local user.
fn private_sqlite_files(url: &str) -> std::io::Result<()> {
    let Some(path) = sqlite_path(url) else { return Ok(()) };
    let path = path.as_path();
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        crate::config::private_dir(parent)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        for suffix in ["", "-wal", "-shm"] {
            let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

/// Splits `postgres://host/name?x` into the server URL (database `postgres`) and the name.
fn postgres_server_and_name(url: &str) -> Option<(String, String)> {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let scheme_end = base.find("://")? + 3;
    let slash = base[scheme_end..].find('/')? + scheme_end;
    let name = base[slash + 1..].to_owned();
    if name.is_empty() {
        return None;
    }
    let query = if query.is_empty() { String::new() } else { format!("?{query}") };
    Some((format!("{}/postgres{query}", &base[..slash]), name))
}

/// Creates the database a PostgreSQL URL names if it does not exist yet, so a new
/// deployment (and every test) needs no manual step.
async fn create_postgres_database(url: &str) -> Result<(), sqlx::Error> {
    let Some((server, name)) = postgres_server_and_name(url) else { return Ok(()) };
    let mut conn = sqlx::AnyConnection::connect(&server).await?;
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await?
        .is_some();
    if !exists {
        let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        if let Err(e) = conn.execute(AssertSqlSafe(create)).await {
            // Another replica may have created it a moment ago.
            if e.as_database_error().is_none_or(|d| d.code().as_deref() != Some("42P04")) {
                return Err(e);
            }
        }
    }
    conn.close().await
}

/// Drops a PostgreSQL database (tests: each makes its own and drops it after).
pub async fn drop_postgres_database(url: &str) -> Result<(), sqlx::Error> {
    sqlx::any::install_default_drivers();
    let Some((server, name)) = postgres_server_and_name(url) else { return Ok(()) };
    let mut conn = sqlx::AnyConnection::connect(&server).await?;
    let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", name.replace('"', "\"\""));
    conn.execute(AssertSqlSafe(drop)).await?;
    conn.close().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_split_into_server_and_database() {
        assert_eq!(
            postgres_server_and_name("postgres://postgres@127.0.0.1:5432/advocacy_deadlines?sslmode=disable"),
            Some(("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into(), "advocacy_deadlines".into()))
        );
        assert_eq!(postgres_server_and_name("postgres://h:5432"), None);
    }

    #[test]
    fn lines_for_postgres_only_run_there_and_other_migrations_keep_their_bytes() {
        let plain = "CREATE TABLE t (a TEXT);\r\n-- postgres is mentioned in a comment\n";
        assert_eq!(Dialect::Postgres.migration_text(plain), plain, "unchanged: its checksum still matches");
        let both = "-- postgres: ALTER TABLE t SET (fillfactor = 50);\nDROP INDEX i;\n-- postgres: ALTER TABLE u SET (fillfactor = 70);\n";
        assert_eq!(Dialect::Sqlite.migration_text(both), both, "comments on SQLite");
        assert_eq!(
            Dialect::Postgres.migration_text(both),
            "ALTER TABLE t SET (fillfactor = 50);\nDROP INDEX i;\nALTER TABLE u SET (fillfactor = 70);\n"
        );
    }

    #[test]
    fn placeholders_render_for_each_engine_with_values_in_the_order_they_appear() {
        let mut sql = Sql::new("SELECT x FROM t WHERE b = ");
        let (a, b) = (sql.bind_text("first bound"), sql.bind_int(2));
        sql.push(&format!("{b} AND a = {a} AND c = {b}"));
        let (text, _) = sql.clone().render(Dialect::Postgres);
        assert_eq!(text, "SELECT x FROM t WHERE b = $2 AND a = $1 AND c = $2");
        let (text, args) = sql.render(Dialect::Sqlite);
        assert_eq!(text, "SELECT x FROM t WHERE b = ? AND a = ? AND c = ?");
        let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        assert_eq!(args, ["Int(2)", "Text(\"first bound\")", "Int(2)"]);
    }

    #[test]
    fn a_list_of_any_length_takes_one_of_a_few_texts() {
        let list = |n: usize| {
            let mut sql = Sql::new("SELECT x FROM t WHERE k IN (");
            let values: Vec<String> = (1..=n).map(|i| format!("v{i}")).collect();
            let placeholders = sql.bind_list(&values);
            sql.push(&format!("{placeholders})"));
            sql
        };
        let (text, args) = list(3).render(Dialect::Postgres);
        assert_eq!(text, "SELECT x FROM t WHERE k IN ($1, $2, $3, $4)");
        assert_eq!(args.len(), 4);
        let (text, args) = list(3).render(Dialect::Sqlite);
        assert_eq!(text, "SELECT x FROM t WHERE k IN (?, ?, ?, ?)");
        let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        assert_eq!(args, ["Text(\"v1\")", "Text(\"v2\")", "Text(\"v3\")", "Text(\"v3\")"]);
        assert_eq!(list(0).render(Dialect::Postgres).0, "SELECT x FROM t WHERE k IN (NULL)");
        let texts: std::collections::HashSet<String> = (1..=128).map(|n| list(n).render(Dialect::Postgres).0).collect();
        assert_eq!(texts.len(), 8, "1, 2, 4, ..., 128 placeholders");
        // Past the padded length, as many placeholders as values: a list of 20,000 ids
        // stays within SQLite's 32,766 bound values.
        assert_eq!(list(PADDED_LIST).render(Dialect::Sqlite).1.len(), PADDED_LIST);
        assert_eq!(list(PADDED_LIST + 1).render(Dialect::Sqlite).1.len(), PADDED_LIST + 1);
        assert_eq!(list(20_000).render(Dialect::Sqlite).1.len(), 20_000);
    }

    #[tokio::test]
    async fn a_statement_with_values_out_of_order_and_repeated_reads_the_right_rows_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        let table = [Migration { version: 1, name: "t", sql: "CREATE TABLE t (k TEXT, n BIGINT)" }];
        let db = Database::open(&url, &table).await.expect("open");
        let mut insert = Sql::new("INSERT INTO t (k, n) VALUES ");
        for (k, n) in [("a", 1), ("b", 2), ("c", 2)] {
            insert.push_row(&[SqlValue::Text(k), SqlValue::Int(n)]);
        }
        let mut conn = db.pool.acquire().await.expect("connection");
        assert_eq!(insert.execute(&mut conn).await.expect("insert"), 3);
        let mut select = Sql::new("SELECT k FROM t WHERE ");
        let (k, n) = (select.bind_text("a"), select.bind_int(2));
        select.push(&format!("n = {n} OR (k = {k} AND n <> {n}) ORDER BY k"));
        let keys: Vec<String> =
            select.fetch_all(&db.pool).await.expect("select").iter().map(|r| r.try_get(0).expect("k")).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        drop(conn);
        db.close().await;
    }

    #[tokio::test]
    async fn a_busy_sqlite_database_is_worth_a_retry_not_a_bug() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/b.db?mode=rwc", dir.path().display());
        let db = Database::open(&url, &[Migration { version: 1, name: "t", sql: "CREATE TABLE t (x BIGINT)" }])
            .await
            .expect("open");
        let mut holder = db.pool.begin().await.expect("a writer");
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *holder).await.expect("holds the write lock");
        let mut impatient = sqlx::AnyConnection::connect(&url).await.expect("another connection");
        impatient.execute("PRAGMA busy_timeout = 0").await.expect("no waiting");
        let busy = impatient.execute("INSERT INTO t VALUES (2)").await.expect_err("the file is locked");
        assert_eq!(error_code(&busy), crate::ErrorCode::Unavailable, "{busy}");
        let broken = sqlx::query("SELECT nothing FROM nowhere").execute(&db.pool).await.expect_err("a bug");
        assert_eq!(error_code(&broken), crate::ErrorCode::Internal);
        holder.rollback().await.expect("rollback");
        db.close().await;
    }

    #[tokio::test]
    async fn a_postgresql_serialization_failure_asks_for_the_same_request_again() {
        let Ok(server) = std::env::var("ADVOCACY_TEST_DATABASE_URL") else { return };
        if server.is_empty() {
            return;
        }
        let url = format!("{}/advocacy_test_serialization_{}", server.trim_end_matches('/'), std::process::id());
        let db = Database::open(&url, &[Migration { version: 1, name: "t", sql: "CREATE TABLE t (x BIGINT)" }])
            .await
            .expect("open");
        let (mut a, mut b) = (db.pool.begin().await.expect("a"), db.pool.begin().await.expect("b"));
        for tx in [&mut a, &mut b] {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").execute(&mut **tx).await.expect("serializable");
            sqlx::query("SELECT COUNT(*) FROM t").fetch_one(&mut **tx).await.expect("read");
        }
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *a).await.expect("a writes");
        sqlx::query("INSERT INTO t VALUES (2)").execute(&mut *b).await.expect("b writes");
        a.commit().await.expect("the first commits");
        let failed = b.commit().await.expect_err("the second cannot be serialized");
        assert_eq!(error_code(&failed), crate::ErrorCode::Contended, "{failed}");
        assert_eq!(crate::ErrorCode::Contended.grpc(), tonic::Code::Aborted);
        db.close().await;
        drop_postgres_database(&url).await.expect("drop");
    }

    #[tokio::test]
    async fn migrations_apply_once_and_a_newer_database_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        let first = [Migration { version: 1, name: "t", sql: "CREATE TABLE t (x BIGINT)" }];
        Database::open(&url, &first).await.expect("first open").close().await;
        // Reopening does not re-run migration 1 (it would fail: the table exists).
        Database::open(&url, &first).await.expect("second open").close().await;
        let err = Database::open(&url, &[]).await.expect_err("older program");
        assert!(matches!(err, DbError::TooNew { found: 1, known: 0 }), "{err}");
    }

    #[tokio::test]
    async fn a_migration_edited_after_it_was_applied_stops_the_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        let first = [Migration { version: 1, name: "t", sql: "CREATE TABLE t (x BIGINT)" }];
        Database::open(&url, &first).await.expect("first open").close().await;
        let edited = [Migration { version: 1, name: "t", sql: "CREATE TABLE t (x BIGINT, y TEXT)" }];
        let err = Database::open(&url, &edited).await.expect_err("edited");
        assert!(matches!(err, DbError::Edited { version: 1, name: "t" }), "{err}");
    }

    #[tokio::test]
    async fn a_database_of_the_release_before_the_migrator_is_taken_over_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/m.db?mode=rwc", dir.path().display());
        // As the earlier release left it: its own bookkeeping table, migration 1 applied.
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        for statement in [
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            "INSERT INTO schema_migrations VALUES (1, 't', 0)",
            "CREATE TABLE t (x BIGINT)",
            "INSERT INTO t VALUES (42)",
        ] {
            conn.execute(statement).await.expect(statement);
        }
        conn.close().await.expect("close");
        let migrations = [
            Migration { version: 1, name: "t", sql: "CREATE TABLE t (x BIGINT)" },
            Migration { version: 2, name: "u", sql: "ALTER TABLE t ADD COLUMN y TEXT NOT NULL DEFAULT 'kept'" },
        ];
        let db = Database::open(&url, &migrations).await.expect("upgraded");
        let row = sqlx::query("SELECT x, y FROM t").fetch_one(&db.pool).await.expect("row");
        assert_eq!(
            (row.try_get::<i64, _>(0).expect("x"), row.try_get::<String, _>(1).expect("y")),
            (42, "kept".into())
        );
        db.close().await;
        // Opened again, nothing is applied twice and the old table is gone.
        let db = Database::open(&url, &migrations).await.expect("again");
        let old = sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'")
            .fetch_one(&db.pool)
            .await
            .expect("count");
        assert_eq!(old.try_get::<i64, _>(0).expect("count"), 0);
        db.close().await;
    }
}
