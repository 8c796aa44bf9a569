//! Creates the platform database, one role and one schema per service, with nothing
//! granted across services. Run once with a superuser URL before the services start.

use clap::Parser;
use comptoir_runtime::config::{Secret, parse_or_exit};

/// Provision Comptoir's database: roles and schemas for the five services (idempotent).
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Args = parse_or_exit();
    comptoir_runtime::db::provision(&args.admin_database_url, &args.database_name).await?;
    println!(
        "provisioned database {} with roles and schemas for {:?}",
        args.database_name,
        comptoir_runtime::db::SERVICES
    );
    Ok(())
}
