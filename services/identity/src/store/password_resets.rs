//! Password reset tokens.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{OpaqueToken, RESET_TOKEN_TTL};

/// Locks the account row, so concurrent reset requests count each other, and returns
/// how many reset tokens it got within the last [`RESET_TOKEN_TTL`].
pub(crate) async fn lock_recent_resets(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT 1 FROM account WHERE account_id = $1 FOR UPDATE")
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar(
        "SELECT count(*) FROM password_reset \
         WHERE account_id = $1 AND created_at > now() - make_interval(secs => $2)",
    )
    .bind(account_id)
    .bind(RESET_TOKEN_TTL.as_secs_f64())
    .fetch_one(conn)
    .await
}

/// Records a reset token for `account_id`, valid for [`RESET_TOKEN_TTL`].
pub(crate) async fn insert_password_reset(
    conn: &mut PgConnection,
    account_id: Uuid,
    token: &OpaqueToken,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO password_reset (token_hash, account_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(secs => $3))",
    )
    .bind(&token.hash)
    .bind(account_id)
    .bind(RESET_TOKEN_TTL.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored reset token, read under a row lock.
pub(crate) struct PresentedReset {
    pub(crate) account_id: Uuid,
    pub(crate) used: bool,
    pub(crate) expired: bool,
}

/// The reset token hashed as `presented`, locked until the transaction ends; None when
/// there is no such token.
pub(crate) async fn lock_password_reset(
    conn: &mut PgConnection,
    presented: &[u8],
) -> Result<Option<PresentedReset>, sqlx::Error> {
    let row: Option<(Uuid, bool, bool)> = sqlx::query_as(
        "SELECT account_id, used_at IS NOT NULL, expires_at <= now() \
           FROM password_reset WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(presented)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(account_id, used, expired)| PresentedReset {
        account_id,
        used,
        expired,
    }))
}
