//! Identity's account queries. The only module that sees SQL, with `keys`.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::Email;
use crate::error::Error;

/// Creates an account; the e-mail's unique constraint answers a duplicate.
pub(crate) async fn insert_account(
    pool: &PgPool,
    email: &Email,
    name: &str,
    password_hash: &str,
) -> Result<Uuid, Error> {
    let account_id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO account (account_id, email, name, password_hash) VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(email.as_str())
    .bind(name)
    .bind(password_hash)
    .execute(pool)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("account_email_key") => {
            Error::EmailTaken
        }
        _ => Error::Db(err),
    })?;
    Ok(account_id)
}

/// The account id and password hash for an e-mail.
pub(crate) async fn credentials(
    pool: &PgPool,
    email: &Email,
) -> Result<Option<(Uuid, String)>, Error> {
    Ok(
        sqlx::query_as("SELECT account_id, password_hash FROM account WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(pool)
            .await?,
    )
}
