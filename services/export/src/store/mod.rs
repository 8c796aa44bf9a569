//! Export's queries: the only module that sees SQL. They are compile-checked against
//! export's schema (`sqlx.toml`, offline data in `.sqlx/`, `cargo xtask sqlx-prepare`).
//! Every statement of a request runs in the transaction [`begin`] opens for the company
//! it reads; consumers name the company of the event they apply with [`act_for`].

pub(crate) mod documents;
pub(crate) mod fec;
pub(crate) mod jobs;
pub(crate) mod ledger;
pub(crate) mod profiles;
pub(crate) mod reports;
pub(crate) mod settings;

use comptoir_runtime::db;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A transaction of export's.
pub(crate) type Tx = Transaction<'static, Postgres>;

/// Opens a transaction acting for `company_id`: row-level security shows only its rows.
pub(crate) async fn begin(pool: &PgPool, company_id: Uuid) -> Result<Tx, sqlx::Error> {
    db::begin_with_settings(pool, &[("comptoir.company_id", &company_id.to_string())]).await
}

/// Names `company_id` as the acting company for the rest of a transaction already open
/// (event consumers get theirs from the runtime), and waits for any other consumer
/// applying an event of the same company to finish: billing's and the portal's events
/// are applied by different consumers, and an entry, its lettering and the settings its
/// accounts come from must each see what the other committed.
pub(crate) async fn act_for(conn: &mut PgConnection, company_id: Uuid) -> Result<(), sqlx::Error> {
    // Built at run time: one simple query, the company id a literal (a UUID's text).
    sqlx::raw_sql(AssertSqlSafe(format!(
        "{}; SELECT pg_advisory_xact_lock(hashtextextended('{company_id}', 0))",
        db::set_config(&[("comptoir.company_id", &company_id.to_string())])
    )))
    .execute(conn)
    .await?;
    Ok(())
}
