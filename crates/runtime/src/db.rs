//! PostgreSQL access. Each service has one schema and two roles: the owner
//! (`comptoir_<schema>_owner`, which cannot log in) owns the schema and every table and
//! runs the migrations; the runtime role (`comptoir_<schema>`) the service connects as
//! holds only the DML its migrations grant it, so it can neither change the schema nor
//! switch off a trigger or row-level security. Its pool puts the schema first on the
//! `search_path` and uses UTC, so unqualified names resolve to the service's own tables.
//! Provisioning (roles, schemas, migrations) is a separate, privileged step: see
//! [`provision`]; a service only waits for its migrations ([`wait_for_migrations`]).
//! Every request's transaction names who acts and for whom in transaction-local settings
//! (what row-level security and the audit trails read): [`begin_with_settings`] and
//! [`set_local`] write them, in the same round trip as `BEGIN` for the former.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor, PgConnection, PgPool, Postgres, Transaction};

use tokio_util::sync::CancellationToken;

use crate::config::Secret;
use crate::retry::Backoff;

/// The services, in the order of their default ports (50051…).
pub const SERVICES: [&str; 5] = [
    "identity",
    "tenancy",
    "billing",
    "accountant-portal",
    "export",
];

/// The schema a service owns: its name with `_` for `-`.
pub fn schema_of(service: &str) -> String {
    service.replace('-', "_")
}

/// The role a service connects as (its runtime role).
pub fn role_of(service: &str) -> String {
    format!("comptoir_{}", schema_of(service))
}

/// The role that owns a service's schema and tables and runs its migrations. It cannot
/// log in: provisioning connects as a superuser and takes this role for the session.
pub fn owner_role_of(service: &str) -> String {
    format!("{}_owner", role_of(service))
}

/// Event-plumbing migrations every service schema carries, numbered below 0100.
static RUNTIME_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/runtime");
static IDENTITY_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/identity");
static TENANCY_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/tenancy");
static BILLING_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/billing");
static ACCOUNTANT_PORTAL_MIGRATIONS: Migrator =
    sqlx::migrate!("../../migrations/accountant_portal");
static EXPORT_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/export");

/// Every migration `service`'s schema gets: the runtime's event plumbing, then its own
/// (`migrations/<schema>`, numbered from 0100). The one table of migrations that both
/// provisioning and the services read.
pub fn migrator(service: &str) -> Migrator {
    let own = match service {
        "identity" => &IDENTITY_MIGRATIONS,
        "tenancy" => &TENANCY_MIGRATIONS,
        "billing" => &BILLING_MIGRATIONS,
        "accountant-portal" => &ACCOUNTANT_PORTAL_MIGRATIONS,
        "export" => &EXPORT_MIGRATIONS,
        other => panic!("`{other}` is not one of {SERVICES:?}"),
    };
    Migrator::with_migrations(
        RUNTIME_MIGRATIONS
            .iter()
            .chain(own.iter())
            .cloned()
            .collect(),
    )
}

/// Connection options for `url` with `schema` first on the search path.
pub fn connect_options(url: &Secret, schema: &str) -> Result<PgConnectOptions, sqlx::Error> {
    let options: PgConnectOptions = url.expose().parse()?;
    Ok(options
        .options([("search_path", schema), ("timezone", "UTC")])
        .application_name(&format!("comptoir-{schema}")))
}

/// A pool of at most `max_connections` that connects on first use, so a service can
/// start (and report NOT_SERVING) while Postgres is still down.
pub fn lazy_pool(url: &Secret, schema: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(connect_options(url, schema)?))
}

/// The advisory lock key provisioners take turns on ("compprov" in ASCII), held for
/// the whole of [`provision`] in the database the admin URL names.
const PROVISIONING_LOCK: i64 = 0x636f_6d70_7072_6f76;

/// The advisory lock key ("compschm") taken, inside the service's database, around each
/// batch of grants and revokes on a schema: two sessions changing the privileges of one
/// object at once fail with "tuple concurrently updated". Another key than
/// [`PROVISIONING_LOCK`], which may be held in the same database by the caller itself.
const SCHEMA_LOCK: i64 = 0x636f_6d70_7363_686d;

/// Creates `database` if missing and, in it, for every service: its two roles, its
/// schema owned by the owner role, and its migrations applied as that owner (see
/// [`provision_schema`] and [`migrate`]). Idempotent; meant to run with a superuser URL
/// before services start (locally by `comptoir-provision` and `cargo xtask up`, in a
/// cluster by the release job). `passwords` maps a service to the password its runtime
/// role logs in with; a service without one keeps its current password (none, locally,
/// with trust auth).
pub async fn provision(
    admin_url: &Secret,
    database: &str,
    passwords: &[(&str, Secret)],
) -> anyhow::Result<()> {
    let admin: PgConnectOptions = admin_url.expose().parse()?;
    let mut conn = sqlx::ConnectOptions::connect(&admin).await?;
    // Provisioners started together (one per replica, or a Job beside `xtask up`) take
    // turns: granting, revoking or altering the same role or object in two sessions at
    // once fails with "tuple concurrently updated". The lock lives in the database the
    // admin URL names, which every provisioner connects to first, and is released when
    // this connection closes.
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(PROVISIONING_LOCK)
        .execute(&mut conn)
        .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(database)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // CREATE DATABASE cannot take parameters; the name is checked to be an identifier.
        ensure_identifier(database)?;
        let created = conn
            .execute(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE \"{database}\""
            )))
            .await;
        if let Err(err) = created {
            // Another provisioner won the race.
            if !err.to_string().contains("already exists") {
                return Err(err.into());
            }
        }
    }
    for service in SERVICES {
        create_roles(&mut conn, service).await?;
    }
    for (service, password) in passwords {
        // ALTER ROLE takes no parameters; quote the literal the way Postgres does.
        let literal = password.expose().replace('\'', "''");
        conn.execute(sqlx::AssertSqlSafe(format!(
            "ALTER ROLE {} PASSWORD '{literal}'",
            role_of(service)
        )))
        .await?;
    }
    restrict_database(&mut conn, database).await?;
    let in_database = admin.database(database);
    let mut target = sqlx::ConnectOptions::connect(&in_database).await?;
    target
        .execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        .await?;
    for service in SERVICES {
        provision_schema(&mut target, service).await?;
    }
    for service in SERVICES {
        migrate(&in_database, service).await?;
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(PROVISIONING_LOCK)
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Lets only the services' runtime roles connect to `database`, and none create
/// temporary tables (which could shadow a table a function reads). A database made from
/// a template starts with the default (anyone connects and creates temporary tables), so
/// this runs for every new database. The roles must exist ([`create_roles`]).
pub async fn restrict_database(
    conn: &mut sqlx::PgConnection,
    database: &str,
) -> anyhow::Result<()> {
    ensure_identifier(database)?;
    let roles = SERVICES.map(role_of).join(", ");
    conn.execute(sqlx::AssertSqlSafe(format!(
        "REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC, {roles}; \
         GRANT CONNECT ON DATABASE \"{database}\" TO {roles}"
    )))
    .await?;
    Ok(())
}

/// Creates `service`'s runtime role (it logs in) and owner role (it cannot) unless they
/// exist; roles are cluster-wide.
pub async fn create_roles(conn: &mut sqlx::PgConnection, service: &str) -> anyhow::Result<()> {
    create_role(conn, &role_of(service), "LOGIN").await?;
    create_role(conn, &owner_role_of(service), "NOLOGIN").await
}

/// Gives `service`'s schema, in the database `conn` is connected to, to its owner role
/// and leaves its runtime role only USAGE on it: the schema is created if missing, and
/// what an earlier layout let the runtime role own (the schema, tables, functions,
/// `_sqlx_migrations`) is handed to the owner, whose membership the runtime role loses.
/// Idempotent. The roles must exist ([`create_roles`]).
pub async fn provision_schema(conn: &mut sqlx::PgConnection, service: &str) -> anyhow::Result<()> {
    let (schema, role, owner) = (schema_of(service), role_of(service), owner_role_of(service));
    ensure_identifier(&schema)?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "BEGIN; \
         SELECT pg_advisory_xact_lock({SCHEMA_LOCK}); \
         REVOKE {owner} FROM {role}; \
         REASSIGN OWNED BY {role} TO {owner}; \
         CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner}; \
         ALTER SCHEMA {schema} OWNER TO {owner}; \
         REVOKE ALL ON SCHEMA {schema} FROM PUBLIC; \
         REVOKE ALL ON SCHEMA {schema} FROM {role}; \
         GRANT USAGE ON SCHEMA {schema} TO {role}; \
         COMMIT"
    )))
    .await?;
    Ok(())
}

/// Applies `service`'s migrations ([`migrator`]) in the database `admin` names (a
/// superuser), as the service's owner role: the role is set when the session starts, so
/// a migration's `RESET ROLE` returns to it, and `_sqlx_migrations` lands in the schema.
/// Then lets the runtime role read `_sqlx_migrations`, which is how a service knows its
/// schema is ready. sqlx holds an advisory lock meanwhile, so provisioners running
/// together apply each migration once.
pub async fn migrate(admin: &PgConnectOptions, service: &str) -> anyhow::Result<()> {
    let (schema, role, owner) = (schema_of(service), role_of(service), owner_role_of(service));
    let options = admin
        .clone()
        .options([
            ("search_path", schema.as_str()),
            ("timezone", "UTC"),
            ("role", owner.as_str()),
        ])
        .application_name("comptoir-provision");
    let mut conn = sqlx::ConnectOptions::connect(&options).await?;
    migrator(service)
        .run(&mut conn)
        .await
        .map_err(|err| anyhow::anyhow!("migrating {schema}: {err}"))?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "BEGIN; \
         SELECT pg_advisory_xact_lock({SCHEMA_LOCK}); \
         GRANT SELECT ON {schema}._sqlx_migrations TO {role}; \
         COMMIT"
    )))
    .await?;
    Ok(())
}

/// Creates a role with `attributes` (`LOGIN` or `NOLOGIN`) unless it exists.
async fn create_role(
    conn: &mut sqlx::PgConnection,
    role: &str,
    attributes: &str,
) -> anyhow::Result<()> {
    ensure_identifier(role)?;
    // Concurrent provisioners may race on CREATE ROLE; the loser sees unique_violation.
    let result = conn
        .execute(sqlx::AssertSqlSafe(format!(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
                 CREATE ROLE {role} {attributes} NOSUPERUSER NOCREATEDB NOCREATEROLE; \
               END IF; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )))
        .await;
    result.map(|_| ()).map_err(Into::into)
}

fn ensure_identifier(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    anyhow::ensure!(ok, "`{name}` is not a plain SQL identifier");
    Ok(())
}

/// Waits until `pool`'s schema holds every migration of `migrator`, as provisioning
/// applies them: retries with backoff while Postgres is unreachable or the migrations are
/// missing (logging which), and fails if an applied migration differs from this build's.
/// Returns early (with [`WaitError::Stopped`]) once `stop` is cancelled.
pub async fn wait_for_migrations(
    pool: &PgPool,
    migrator: &Migrator,
    stop: &CancellationToken,
) -> Result<(), WaitError> {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        match missing_migrations(pool, migrator).await {
            Ok(missing) if missing.is_empty() => return Ok(()),
            Ok(missing) => {
                let versions = missing
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                tracing::info!(
                    retry_in_ms = backoff.delay().as_millis() as u64,
                    "waiting for comptoir-provision to apply migrations {versions}"
                );
            }
            Err(WaitError::Database(err)) if is_connection_error(&err) => {
                tracing::warn!(error = %err, retry_in_ms = backoff.delay().as_millis() as u64, "postgres unavailable, retrying");
            }
            Err(err) => return Err(err),
        }
        if backoff.pause(stop).await {
            return Err(WaitError::Stopped);
        }
    }
}

/// Why a service's schema is not ready for it.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// An applied migration is not the one this build carries under its version.
    #[error("migration {0} applied to the schema differs from the one this build carries")]
    Changed(i64),
    /// Postgres refused the check for another reason than being unavailable.
    #[error("reading the schema's migrations: {0}")]
    Database(#[from] sqlx::Error),
    /// The service is stopping.
    #[error("stopped while waiting for migrations")]
    Stopped,
}

/// The versions of `migrator` not yet successfully applied to `pool`'s schema; all of
/// them while `_sqlx_migrations` does not exist or may not be read yet.
async fn missing_migrations(pool: &PgPool, migrator: &Migrator) -> Result<Vec<i64>, WaitError> {
    let applied: Vec<(i64, Vec<u8>)> =
        match sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
        {
            Ok(applied) => applied,
            // undefined_table, insufficient_privilege: provisioning has not run yet.
            Err(sqlx::Error::Database(db))
                if db.code().is_some_and(|c| c == "42P01" || c == "42501") =>
            {
                Vec::new()
            }
            Err(err) => return Err(err.into()),
        };
    let mut missing = Vec::new();
    for migration in migrator.iter() {
        match applied
            .iter()
            .find(|(version, _)| *version == migration.version)
        {
            Some((_, checksum)) if *checksum != *migration.checksum => {
                return Err(WaitError::Changed(migration.version));
            }
            Some(_) => {}
            None => missing.push(migration.version),
        }
    }
    Ok(missing)
}

/// Opens a transaction whose first statement sets `settings` (name, value) for it, in one
/// round trip: `BEGIN` and the settings go together as one simple query.
pub async fn begin_with_settings(
    pool: &PgPool,
    settings: &[(&str, &str)],
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    // Built at run time: the settings are literals of a simple query (see `set_config`).
    pool.begin_with(AssertSqlSafe(format!("BEGIN; {}", set_config(settings))))
        .await
}

/// Sets `settings` (name, value) for the rest of the transaction `conn` is in.
pub async fn set_local(
    conn: &mut PgConnection,
    settings: &[(&str, &str)],
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(set_config(settings)))
        .execute(conn)
        .await?;
    Ok(())
}

/// The statement setting `settings` for the current transaction, to run as a simple
/// query (with other statements after a `;`): names and values are SQL literals.
#[must_use]
pub fn set_config(settings: &[(&str, &str)]) -> String {
    let calls: Vec<String> = settings
        .iter()
        .map(|(name, value)| format!("set_config({}, {}, true)", literal(name), literal(value)))
        .collect();
    format!("SELECT {}", calls.join(", "))
}

/// A string as an SQL literal (standard_conforming_strings: only quotes need doubling).
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// True for errors that mean "Postgres is not usable yet": unreachable, starting or
/// shutting down (classes 08, 57P), or not provisioned yet: the role or its password
/// (class 28) or the database (3D000) are created by a job that may still be running.
pub fn is_connection_error(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolClosed
    ) || matches!(err, sqlx::Error::Database(db) if db.code().is_some_and(|c| {
        c.starts_with("08") || c.starts_with("57P") || c.starts_with("28") || c == "3D000"
    }))
}

#[cfg(test)]
mod tests {
    use super::set_config;

    #[test]
    fn settings_are_literals_with_their_quotes_doubled() {
        assert_eq!(
            set_config(&[
                ("comptoir.company_id", "7c1d"),
                ("comptoir.actor", "O'Brien")
            ]),
            "SELECT set_config('comptoir.company_id', '7c1d', true), \
             set_config('comptoir.actor', 'O''Brien', true)"
        );
        assert_eq!(
            set_config(&[("a", r"x\'y")]),
            r"SELECT set_config('a', 'x\''y', true)"
        );
    }
}
