//! Creates the platform database and, per service, two roles (the runtime role it
//! connects as, the owner that cannot log in) and one schema owned by the owner, with
//! nothing granted across services; then applies every service's migrations as its
//! owner. Run with a superuser URL before the services start, and again on every
//! upgrade: services do not migrate, they wait until their schema holds their migrations.

use clap::Parser;
use comptoir_runtime::config::{Secret, parse_or_exit};

/// Provision Comptoir's database: roles, schemas and migrations of the five services
/// (idempotent).
#[derive(Debug, Parser)]
struct Args {
    /// Superuser PostgreSQL URL, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
    #[arg(
        long,
        env = "COMPTOIR_ADMIN_DATABASE_URL",
        value_name = "COMPTOIR_ADMIN_DATABASE_URL"
    )]
    admin_database_url: Secret,
    /// Name of the platform database to create or complete.
    #[arg(
        long,
        env = "COMPTOIR_DATABASE_NAME",
        value_name = "COMPTOIR_DATABASE_NAME",
        default_value = "comptoir"
    )]
    database_name: String,
}

/// The password for a service's runtime role from `COMPTOIR_<SERVICE>_DB_PASSWORD`
/// (e.g. `COMPTOIR_ACCOUNTANT_PORTAL_DB_PASSWORD`), if set.
fn role_password(service: &str) -> Option<Secret> {
    let var = format!(
        "COMPTOIR_{}_DB_PASSWORD",
        comptoir_runtime::db::schema_of(service).to_uppercase()
    );
    std::env::var(var)
        .ok()
        .filter(|p| !p.is_empty())
        .map(Secret::from)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Args = parse_or_exit("comptoir-provision");
    let passwords = comptoir_runtime::db::SERVICES
        .iter()
        .filter_map(|service| {
            let password = role_password(service)?;
            Some((*service, password))
        })
        .collect::<Vec<_>>();
    comptoir_runtime::db::provision(&args.admin_database_url, &args.database_name, &passwords)
        .await?;
    println!(
        "provisioned and migrated database {} with roles and schemas for {:?}",
        args.database_name,
        comptoir_runtime::db::SERVICES
    );
    Ok(())
}
