//! Accounts: the e-mail of each account, as identity's `user.registered` announced it.

use sqlx::PgConnection;
use uuid::Uuid;

/// The e-mail of an account, as identity announced it; `None` until tenancy hears of it.
pub(crate) async fn account_email(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT email FROM account WHERE user_id = $1", user)
        .fetch_optional(conn)
        .await
}

/// Records an account's e-mail as of the event `event_id` (a UUIDv7); an older event
/// than the one held changes nothing.
pub(crate) async fn keep_account(
    conn: &mut PgConnection,
    user: Uuid,
    email: &str,
    event_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO account AS a (user_id, email, event_id) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, \
             event_id = EXCLUDED.event_id, updated_at = now() \
         WHERE a.event_id < EXCLUDED.event_id",
        user,
        email,
        event_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}
