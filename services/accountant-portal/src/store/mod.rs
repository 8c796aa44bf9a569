//! The portal's queries: every SQL statement of the service, one module per aggregate;
//! no other module sees SQL. A request's statements run in a transaction opened by
//! [`begin`], which names the acting firm (`comptoir.firm_id`) for the row-level
//! security of the portal's tenant tables, and the actor and action: a query that
//! forgets its firm filter still sees only that firm's rows. The static statements are
//! compile-checked against the portal's schema (`sqlx.toml`, offline data in `.sqlx/`,
//! `cargo xtask sqlx-prepare`).

pub(crate) mod clients;
pub(crate) mod firm;
pub(crate) mod import;
pub(crate) mod settings;

use comptoir_runtime::db;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A transaction acting for one firm.
pub(crate) type Tx = Transaction<'static, Postgres>;

/// Who acts, for which firm, doing what: the settings a transaction carries.
#[derive(Debug, Clone)]
pub(crate) struct Acting<'a> {
    /// The firm every tenant row read or written belongs to.
    pub(crate) firm_id: Uuid,
    /// The account (or `service:<name>`) acting.
    pub(crate) actor: &'a str,
    /// What is being done, e.g. "clients.listed".
    pub(crate) action: &'a str,
}

/// Opens a transaction for `acting`, in one round trip: `BEGIN` and the settings go
/// together as one simple query.
pub(crate) async fn begin(pool: &PgPool, acting: &Acting<'_>) -> Result<Tx, sqlx::Error> {
    let firm = acting.firm_id.to_string();
    db::begin_with_settings(
        pool,
        &[
            ("comptoir.firm_id", &firm),
            ("comptoir.actor", acting.actor),
            ("comptoir.action", acting.action),
        ],
    )
    .await
}

/// Names the consumer `name` as the writer of the rest of the transaction: a consumer's
/// transaction (opened by the runtime, with the inbox row) writes only the company facts
/// its name is allowed to project (migration 0300), and reads any company's.
pub(crate) async fn act_as_consumer(
    conn: &mut PgConnection,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!("SELECT set_config('comptoir.consumer', $1, true)", name)
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// Names `firm` as the acting firm for the rest of the transaction: a consumer applying
/// an event about one firm's client (a grant) writes that firm's rows and no other's.
pub(crate) async fn act_for_firm(conn: &mut PgConnection, firm: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT set_config('comptoir.firm_id', $1, true)",
        firm.to_string()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}
