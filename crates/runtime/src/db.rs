//! PostgreSQL access. Each service owns one schema and connects as its own role; its pool
//! puts that schema first on the `search_path` and uses UTC, so unqualified names resolve
//! to the service's own tables (and `_sqlx_migrations` lands there). Provisioning (roles,
//! schemas, grants) is a separate, privileged step: see [`provision`].

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};

use tokio_util::sync::CancellationToken;

use crate::config::Secret;

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

/// The role a service connects as.
pub fn role_of(service: &str) -> String {
    format!("comptoir_{}", schema_of(service))
}

/// The role that may own a service's tables when the service itself must not (billing:
/// an owner could disable row-level security). It cannot log in; the service role may
/// switch to it (`SET ROLE`), which only migrations do, and does not inherit its rights.
pub fn owner_role_of(service: &str) -> String {
    format!("{}_owner", role_of(service))
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

/// Creates `database` if missing and, in it, one role and one schema per service, owned
/// by that role, with nothing granted to anyone else. Idempotent; meant to run with a
/// superuser URL before services start (locally by `comptoir-provision`, in a cluster by
/// the release job). `passwords` maps a service to the password its role logs in with;
/// a service without one keeps its current password (none, locally, with trust auth).
pub async fn provision(
    admin_url: &Secret,
    database: &str,
    passwords: &[(&str, Secret)],
) -> anyhow::Result<()> {
    let admin: PgConnectOptions = admin_url.expose().parse()?;
    let mut conn = sqlx::ConnectOptions::connect(&admin).await?;
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
        create_role(&mut conn, &role_of(service)).await?;
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
    let mut conn = sqlx::ConnectOptions::connect(&admin.database(database)).await?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC; \
         REVOKE ALL ON SCHEMA public FROM PUBLIC"
    )))
    .await?;
    for service in SERVICES {
        provision_schema(&mut conn, database, service).await?;
    }
    Ok(())
}

/// Creates `service`'s schema, owned by its role, in the database `conn` is connected to,
/// and the service's owner role ([`owner_role_of`]) with the right to create in it.
pub async fn provision_schema(
    conn: &mut sqlx::PgConnection,
    database: &str,
    service: &str,
) -> anyhow::Result<()> {
    let (schema, role, owner) = (schema_of(service), role_of(service), owner_role_of(service));
    ensure_identifier(&schema)?;
    ensure_identifier(&owner)?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{owner}') THEN \
             CREATE ROLE {owner} NOLOGIN; \
           END IF; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$; \
         GRANT {owner} TO {role}; \
         ALTER ROLE {role} NOINHERIT; \
         GRANT CONNECT, TEMPORARY ON DATABASE \"{database}\" TO {role}; \
         CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}; \
         REVOKE ALL ON SCHEMA {schema} FROM PUBLIC; \
         GRANT USAGE, CREATE ON SCHEMA {schema} TO {owner}"
    )))
    .await?;
    Ok(())
}

/// Creates a login role unless it exists (roles are cluster-wide).
pub async fn create_role(conn: &mut sqlx::PgConnection, role: &str) -> anyhow::Result<()> {
    ensure_identifier(role)?;
    // Concurrent provisioners may race on CREATE ROLE; the loser sees unique_violation.
    let result = conn
        .execute(sqlx::AssertSqlSafe(format!(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
                 CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; \
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

/// Applies the service's migrations, retrying with backoff while Postgres is unreachable.
/// sqlx takes an advisory lock, so replicas starting together apply each migration once.
pub async fn migrate_with_retry(
    pool: &PgPool,
    migrator: &sqlx::migrate::Migrator,
    stop: &CancellationToken,
) -> Result<(), sqlx::migrate::MigrateError> {
    let mut delay = Duration::from_millis(200);
    loop {
        match migrator.run(pool).await {
            Ok(()) => return Ok(()),
            Err(sqlx::migrate::MigrateError::Execute(err)) if is_connection_error(&err) => {
                tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "postgres unavailable, retrying");
            }
            Err(err) => return Err(err),
        }
        if crate::app::sleep_or_cancel(stop, delay).await {
            return Err(sqlx::migrate::MigrateError::Execute(
                sqlx::Error::PoolClosed,
            ));
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
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
