//! Accounts: their e-mail, name and password hash. The queries are compile-checked
//! against identity's schema (`sqlx.toml`, offline data in `.sqlx/`).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::Email;

/// Creates an account; returns its id, or None when the e-mail already has one (its
/// unique constraint says so, which also settles two concurrent sign-ups) and nothing was
/// written. The transaction is then aborted: the caller drops it.
pub(crate) async fn insert_account(
    conn: &mut PgConnection,
    email: &Email,
    name: &str,
    password_hash: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let account_id = Uuid::now_v7();
    let inserted = sqlx::query!(
        "INSERT INTO account (account_id, email, name, password_hash) VALUES ($1, $2, $3, $4)",
        account_id,
        email.as_str(),
        name,
        password_hash,
    )
    .execute(conn)
    .await;
    match inserted {
        Ok(_) => Ok(Some(account_id)),
        Err(sqlx::Error::Database(db)) if db.constraint() == Some("account_email_key") => Ok(None),
        Err(err) => Err(err),
    }
}

/// The account id and password hash for an e-mail.
pub(crate) async fn credentials(
    pool: &PgPool,
    email: &Email,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT account_id, password_hash FROM account WHERE email = $1",
        email.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| (row.account_id, row.password_hash)))
}

/// The e-mail and password hash of an account.
pub(crate) async fn account(
    pool: &PgPool,
    account_id: Uuid,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT email, password_hash FROM account WHERE account_id = $1",
        account_id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| (row.email, row.password_hash)))
}

/// Stores a new password hash and marks every pending reset link of the account used (it
/// would set a password the person no longer expects).
pub(crate) async fn set_password(
    conn: &mut PgConnection,
    account_id: Uuid,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE account SET password_hash = $2, updated_at = now() WHERE account_id = $1",
        account_id,
        password_hash,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE password_reset SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
        account_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}
