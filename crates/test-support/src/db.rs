//! A database per test. The first test of a run (across processes: nextest runs each test
//! in its own) provisions and migrates a template for its set of services, under an
//! advisory lock, as `comptoir-provision` does (each schema migrated by its owner role);
//! every test then clones it with `CREATE DATABASE … TEMPLATE`, which is fast. Template
//! names carry a hash of the migrations, so a changed migration gets a fresh template.
//! Test databases older than a few hours are swept.

use std::time::{SystemTime, UNIX_EPOCH};

use comptoir_runtime::ServiceSpec;
use comptoir_runtime::config::Secret;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};

use crate::HOW_TO_START;

/// Test databases older than this are dropped by the next run.
const SWEEP_AFTER_SECS: u64 = 3 * 3600;

/// One test's own database, holding the schemas of the services it was made for.
#[derive(Debug, Clone)]
pub struct TestDb {
    /// Its name.
    pub name: String,
    admin: PgConnectOptions,
}

fn admin_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    url.parse()
        .unwrap_or_else(|err| panic!("DATABASE_URL `{url}` is not a PostgreSQL URL: {err}"))
}

async fn admin_connect(options: &PgConnectOptions) -> PgConnection {
    options.connect().await.unwrap_or_else(|err| {
        panic!(
            "PostgreSQL is not reachable at {}:{} ({err}); {HOW_TO_START}",
            options.get_host(),
            options.get_port()
        )
    })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl TestDb {
    /// A fresh database with the migrated schemas of `services`.
    pub async fn new(services: &[ServiceSpec]) -> Self {
        let admin = admin_options();
        let template = ensure_template(&admin, services).await;
        let name = format!(
            "ct_{}_{}",
            now_secs(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut conn = admin_connect(&admin).await;
        // Cloning fails while another session is connected to the template; only the
        // builder ever connects, and briefly, so retry a few times.
        let mut attempts = 0;
        loop {
            let created = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                )))
                .await;
            match created {
                Ok(_) => break,
                Err(err) if attempts < 20 && err.to_string().contains("being accessed") => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(err) => panic!("cloning {template} into {name}: {err}"),
            }
        }
        comptoir_runtime::db::restrict_database(&mut conn, &name)
            .await
            .unwrap_or_else(|err| panic!("restricting {name}: {err}"));
        Self { name, admin }
    }

    /// The URL a service connects with: its own role, this database.
    pub fn service_url(&self, spec: &ServiceSpec) -> Secret {
        Secret::from(self.role_options(spec).to_url_lossy().to_string())
    }

    /// Superuser connection options for this database (provisioning's).
    pub fn admin_options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }

    /// A superuser connection to this database, for assertions on what was written.
    pub async fn admin(&self) -> PgConnection {
        admin_connect(&self.admin_options()).await
    }

    /// A connection as `spec`'s role, with nothing else set: what a bug in the service
    /// could do.
    pub async fn as_role(&self, spec: &ServiceSpec) -> PgConnection {
        admin_connect(&self.role_options(spec)).await
    }

    /// Connection options for this database as `spec`'s runtime role.
    fn role_options(&self, spec: &ServiceSpec) -> PgConnectOptions {
        self.admin_options()
            .username(&comptoir_runtime::db::role_of(spec.name))
    }

    /// A connection as `spec`'s role inside an open transaction with these transaction
    /// settings (e.g. `comptoir.company_id`), on its schema's search path: what a bug in
    /// the service could do in one of its transactions. Dropping it rolls back.
    pub async fn runtime_tx(&self, spec: &ServiceSpec, settings: &[(&str, &str)]) -> PgConnection {
        let mut conn = self.as_role(spec).await;
        let schema = comptoir_runtime::db::schema_of(spec.name);
        sqlx::query("BEGIN")
            .execute(&mut conn)
            .await
            .expect("BEGIN");
        sqlx::query("SELECT set_config('search_path', $1, true)")
            .bind(&schema)
            .execute(&mut conn)
            .await
            .expect("setting the search path");
        for (name, value) in settings {
            sqlx::query("SELECT set_config($1, $2, true)")
                .bind(name)
                .bind(value)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|err| panic!("setting {name}: {err}"));
        }
        conn
    }
}

/// A statement the database refused: its SQLSTATE and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The SQLSTATE, e.g. `42501` (insufficient privilege).
    pub code: String,
    /// The server's message.
    pub message: String,
}

/// Runs `sql` (one or more statements, without parameters) under a savepoint of `conn`'s
/// open transaction and rolls back to it, so attempts never affect one another. Returns
/// how the database refused it, or None when it accepted it.
pub async fn attempt(conn: &mut PgConnection, sql: &str) -> Option<Refusal> {
    conn.execute("SAVEPOINT attempt").await.expect("SAVEPOINT");
    let refusal = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut *conn)
        .await
        .err()
        .map(|err| match err.as_database_error() {
            Some(db) => Refusal {
                code: db.code().map(|c| c.into_owned()).unwrap_or_default(),
                message: db.message().to_owned(),
            },
            None => panic!("`{sql}` failed outside the database: {err}"),
        });
    conn.execute("ROLLBACK TO SAVEPOINT attempt")
        .await
        .expect("ROLLBACK TO SAVEPOINT");
    refusal
}

/// Panics unless the database refuses `sql` (see [`attempt`]) for lack of privilege
/// (SQLSTATE 42501) or by one of Comptoir's own triggers (class CB); returns the refusal.
pub async fn assert_refused(conn: &mut PgConnection, sql: &str) -> Refusal {
    match attempt(conn, sql).await {
        None => panic!("the database accepted `{sql}`"),
        Some(refusal) if refusal.code == "42501" || refusal.code.starts_with("CB") => refusal,
        Some(refusal) => panic!("`{sql}` failed, but not as a refusal: {refusal:?}"),
    }
}

/// Asserts that `spec`'s runtime role, in a transaction of its own, can neither become
/// its schema's owner nor change the schema: no table, function or temporary table
/// created, and no table of the schema (`_sqlx_migrations` included) dropped, truncated,
/// altered, stripped of its triggers or of row-level security. Every statement the
/// database accepted is listed in the failure. Also asserts that the schema's
/// row-level-security helpers stay inlinable (`assert_setting_readers_inline`).
pub async fn assert_schema_guarded(db: &TestDb, spec: &ServiceSpec) {
    assert_setting_readers_inline(db, spec).await;
    let mut conn = db.runtime_tx(spec, &[]).await;
    let schema = comptoir_runtime::db::schema_of(spec.name);
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY tablename",
    )
    .bind(&schema)
    .fetch_all(&mut conn)
    .await
    .expect("listing the schema's tables");
    assert!(
        tables.iter().any(|t| t == "_sqlx_migrations"),
        "{schema} is migrated: {tables:?}"
    );
    let mut statements = vec![
        format!(
            "SET ROLE {}",
            comptoir_runtime::db::owner_role_of(spec.name)
        ),
        format!("CREATE TABLE {schema}.intruder (x int)"),
        format!("CREATE FUNCTION {schema}.intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
        "CREATE TEMPORARY TABLE intruder (x int)".to_owned(),
        format!("ALTER SCHEMA {schema} RENAME TO intruder"),
    ];
    for table in &tables {
        statements.extend([
            format!("DROP TABLE {schema}.{table}"),
            format!("TRUNCATE {schema}.{table}"),
            format!("ALTER TABLE {schema}.{table} DISABLE TRIGGER ALL"),
            format!("ALTER TABLE {schema}.{table} NO FORCE ROW LEVEL SECURITY"),
            format!("ALTER TABLE {schema}.{table} DISABLE ROW LEVEL SECURITY"),
            format!("ALTER TABLE {schema}.{table} ADD COLUMN intruder int"),
        ]);
    }
    let mut accepted = Vec::new();
    for sql in &statements {
        match attempt(&mut conn, sql).await {
            None => accepted.push(sql.clone()),
            Some(refusal) if refusal.code == "42501" => {}
            Some(refusal) => accepted.push(format!("{sql} (failed otherwise: {refusal:?})")),
        }
    }
    assert!(
        accepted.is_empty(),
        "{}'s runtime role ran what the database must refuse it:\n{}",
        spec.name,
        accepted.join("\n")
    );
}

/// Asserts that every function of `spec`'s schema that reads a setting
/// (`current_setting`, what the row-level-security policies key on) is a plain `STABLE`
/// SQL function without a SET clause: PostgreSQL then inlines it into the policies,
/// where a pinned search_path would make it a call, with a settings save and restore,
/// for every row a statement looks at.
async fn assert_setting_readers_inline(db: &TestDb, spec: &ServiceSpec) {
    let mut conn = db.admin().await;
    let schema = comptoir_runtime::db::schema_of(spec.name);
    let opaque: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname::text || coalesce(' ' || array_to_string(p.proconfig, ', '), '') \
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
           JOIN pg_language l ON l.oid = p.prolang \
          WHERE n.nspname = $1 AND p.prokind = 'f' AND p.prosrc LIKE '%current_setting(%' \
            AND NOT p.prorettype = 'trigger'::regtype \
            AND (p.proconfig IS NOT NULL OR l.lanname <> 'sql' OR p.provolatile <> 's' \
                 OR p.prosecdef) \
          ORDER BY 1",
    )
    .bind(&schema)
    .fetch_all(&mut conn)
    .await
    .expect("listing the schema's setting readers");
    assert!(
        opaque.is_empty(),
        "{schema}'s setting readers cannot be inlined into its policies \
         (a SET clause, another language, not STABLE, or SECURITY DEFINER): {opaque:?}"
    );
}

/// The name of the template for `services` at their current migrations.
fn template_name(services: &[ServiceSpec]) -> String {
    let mut hasher = Sha256::new();
    for spec in services {
        hasher.update(spec.name.as_bytes());
        for migration in comptoir_runtime::app::migrator(spec).iter() {
            hasher.update(migration.version.to_be_bytes());
            hasher.update(&migration.checksum);
        }
    }
    // Also the layout provisioning gives a schema, which no migration names.
    hasher.update(b"owner-migrates");
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("ctpl_{hex}")
}

async fn ensure_template(admin: &PgConnectOptions, services: &[ServiceSpec]) -> String {
    let template = template_name(services);
    let mut conn = admin_connect(admin).await;
    sqlx::query("SELECT pg_advisory_lock(hashtext('comptoir-test-templates'))")
        .execute(&mut conn)
        .await
        .expect("taking the template lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut conn)
            .await
            .expect("looking up the template");
    if !exists {
        build_template(&mut conn, admin, &template, services).await;
        sweep(&mut conn).await;
    }
    sqlx::query("SELECT pg_advisory_unlock(hashtext('comptoir-test-templates'))")
        .execute(&mut conn)
        .await
        .expect("releasing the template lock");
    let _ = conn.close().await;
    template
}

async fn build_template(
    conn: &mut PgConnection,
    admin: &PgConnectOptions,
    template: &str,
    services: &[ServiceSpec],
) {
    let building = format!("{template}_building");
    conn.execute(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{building}\""
    )))
    .await
    .expect("dropping a half-built template");
    conn.execute(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE \"{building}\""
    )))
    .await
    .expect("creating the template");
    for service in comptoir_runtime::db::SERVICES {
        comptoir_runtime::db::create_roles(conn, service)
            .await
            .expect("creating service roles");
    }
    // Provision and migrate exactly as comptoir-provision does: as each owner role.
    let in_building = admin.clone().database(&building);
    {
        let mut db = admin_connect(&in_building).await;
        for spec in services {
            comptoir_runtime::db::provision_schema(&mut db, spec.name)
                .await
                .expect("provisioning a schema");
        }
        let _ = db.close().await;
    }
    for spec in services {
        comptoir_runtime::db::migrate(&in_building, spec.name)
            .await
            .unwrap_or_else(|err| panic!("migrating {} in the template: {err:#}", spec.name));
    }
    conn.execute(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
    )))
    .await
    .expect("publishing the template");
}

/// Drops test databases left by earlier runs.
async fn sweep(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'ct\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let cutoff = now_secs().saturating_sub(SWEEP_AFTER_SECS);
    for name in names {
        let born = name.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if born.is_some_and(|born| born < cutoff) {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .await;
        }
    }
}
