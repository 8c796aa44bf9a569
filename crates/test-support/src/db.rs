//! A database per test. The first test of a run (across processes: nextest runs each test
//! in its own) provisions and migrates a template for its set of services, under an
//! advisory lock; every test then clones it with `CREATE DATABASE … TEMPLATE`, which is
//! fast. Template names carry a hash of the migrations, so a changed migration gets a
//! fresh template. Test databases older than a few hours are swept.

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
        Self { name, admin }
    }

    /// The URL a service connects with: its own role, this database.
    pub fn service_url(&self, spec: &ServiceSpec) -> Secret {
        let options = self
            .admin
            .clone()
            .username(&comptoir_runtime::db::role_of(spec.name))
            .database(&self.name);
        Secret::from(options.to_url_lossy().to_string())
    }

    /// A superuser connection to this database, for assertions on what was written.
    pub async fn admin(&self) -> PgConnection {
        admin_connect(&self.admin.clone().database(&self.name)).await
    }

    /// A connection as `spec`'s role, with nothing else set: what a bug in the service
    /// could do.
    pub async fn as_role(&self, spec: &ServiceSpec) -> PgConnection {
        let options = self
            .admin
            .clone()
            .username(&comptoir_runtime::db::role_of(spec.name))
            .database(&self.name);
        admin_connect(&options).await
    }
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
        comptoir_runtime::db::create_role(conn, &comptoir_runtime::db::role_of(service))
            .await
            .expect("creating service roles");
    }
    {
        let mut db = admin_connect(&admin.clone().database(&building)).await;
        for spec in services {
            comptoir_runtime::db::provision_schema(&mut db, &building, spec.name)
                .await
                .expect("provisioning a schema");
        }
        let _ = db.close().await;
    }
    // Migrate exactly as the service does: as its role, through its pool settings.
    for spec in services {
        let url = Secret::from(
            admin
                .clone()
                .username(&comptoir_runtime::db::role_of(spec.name))
                .database(&building)
                .to_url_lossy()
                .to_string(),
        );
        let pool =
            comptoir_runtime::db::lazy_pool(&url, &comptoir_runtime::db::schema_of(spec.name), 1)
                .expect("template pool");
        comptoir_runtime::app::migrator(spec)
            .run(&pool)
            .await
            .unwrap_or_else(|err| panic!("migrating {} in the template: {err}", spec.name));
        pool.close().await;
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
