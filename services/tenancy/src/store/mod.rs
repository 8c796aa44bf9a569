//! Tenancy's queries: every SQL statement of the service, one module per aggregate. No
//! other module sees SQL. Every statement runs in a transaction opened by [`begin`], which
//! names the acting company and user for the row-level security of the tenant tables
//! (migration 0210): a query that forgets a filter still reads only that company's rows
//! and that user's own. Mutations take the caller's transaction and lock the company row
//! first ([`companies::lock_company`]), so concurrent changes to one company's members
//! are serialised (the last Administrator cannot be removed twice at once). The static
//! statements are compile-checked against tenancy's schema (`sqlx.toml`, offline data in
//! `.sqlx/`, `cargo xtask sqlx-prepare`).

pub(crate) mod access;
pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod companies;
pub(crate) mod firms;
pub(crate) mod invitations;
pub(crate) mod members;
pub(crate) mod roles;

use comptoir_runtime::db;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A transaction acting for a company, a user, or both.
pub(crate) type Tx = Transaction<'static, Postgres>;

/// Opens a transaction acting for `company` (whose rows it reads and writes) and `user`
/// (whose own memberships and firm reach it reads), in one round trip: `BEGIN` and the
/// settings go together as one simple query. `None` declares nothing, which matches no
/// row.
pub(crate) async fn begin(
    pool: &PgPool,
    company: Option<Uuid>,
    user: Option<Uuid>,
) -> Result<Tx, sqlx::Error> {
    let (company, user) = (text(company), text(user));
    db::begin_with_settings(pool, &acting(&company, &user)).await
}

/// Runs `query` in a transaction acting for `company` and `user` (see [`begin`]), and
/// commits it.
pub(crate) async fn read<R, E: From<sqlx::Error>>(
    pool: &PgPool,
    company: Option<Uuid>,
    user: Option<Uuid>,
    query: impl AsyncFnOnce(&mut PgConnection) -> Result<R, E>,
) -> Result<R, E> {
    let mut tx = begin(pool, company, user).await?;
    let answer = query(&mut tx).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Names another acting company and user for the rest of the transaction, for the few
/// operations that span two companies (a firm grant's two ends, an invitation's company
/// once its token is proven).
pub(crate) async fn act_as(
    conn: &mut PgConnection,
    company: Option<Uuid>,
    user: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let (company, user) = (text(company), text(user));
    db::set_local(conn, &acting(&company, &user)).await
}

/// The settings naming the acting company and user (ids as text, empty for none).
fn acting<'a>(company: &'a str, user: &'a str) -> [(&'static str, &'a str); 2] {
    [("comptoir.company_id", company), ("comptoir.user_id", user)]
}

/// An optional id as a setting's text: empty for none, which matches no row.
fn text(id: Option<Uuid>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}
