//! Billing's queries: the only module that sees SQL. Every query runs in a transaction
//! opened by [`begin`], which names the company for row-level security and the actor and
//! action for the audit trail; a query that forgets its `company_id` filter still sees
//! only that company's rows.
//!
//! The statements are compile-checked (`sqlx::query!` and friends against billing's
//! schema, offline data in `.sqlx/`, `cargo xtask sqlx-prepare`), but for two: the
//! settings naming the acting company, actor and action, a simple query carrying them as
//! literals so it goes in one round trip with `BEGIN` (see [`begin`]), and the test-only
//! `fixtures`.

pub(crate) mod books;
pub(crate) mod documents;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub(crate) mod imports;
pub(crate) mod items;
pub(crate) mod parties;
pub(crate) mod payments;

use comptoir_runtime::db;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A transaction acting for one company.
pub(crate) type Tx = Transaction<'static, Postgres>;

/// Who acts, on which company, doing what: the settings a transaction carries.
#[derive(Debug, Clone)]
pub(crate) struct Acting<'a> {
    /// The company every row read or written belongs to.
    pub(crate) company_id: Uuid,
    /// The account (or `service:<name>`) recorded in the audit trail.
    pub(crate) actor: &'a str,
    /// What is being done, e.g. "invoice.issued", recorded in the audit trail.
    pub(crate) action: &'a str,
}

/// Opens a transaction for `acting`, in one round trip: `BEGIN` and the settings go
/// together as one simple query.
pub(crate) async fn begin(pool: &PgPool, acting: &Acting<'_>) -> Result<Tx, sqlx::Error> {
    let company = acting.company_id.to_string();
    db::begin_with_settings(pool, &acting.settings(&company)).await
}

/// Names the company, actor and action on a connection already in a transaction (event
/// consumers get theirs from the runtime).
pub(crate) async fn set_acting(
    conn: &mut sqlx::PgConnection,
    acting: &Acting<'_>,
) -> Result<(), sqlx::Error> {
    let company = acting.company_id.to_string();
    db::set_local(conn, &acting.settings(&company)).await
}

impl<'a> Acting<'a> {
    /// The settings naming `acting` (with `company`, its company id as text).
    fn settings(&self, company: &'a str) -> [(&'static str, &'a str); 3] {
        [
            ("comptoir.company_id", company),
            ("comptoir.actor", self.actor),
            ("comptoir.action", self.action),
        ]
    }
}

/// A stored enum column's text, as the query macros read it, parsed back; the table's
/// CHECKs allow only billing's values.
pub(crate) fn parse_stored<T>(
    column: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    parse(text).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("unknown value {text:?}").into(),
    })
}

/// The constraint a unique violation broke, if that is what `err` is.
pub(crate) fn violated_constraint(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}
