//! Password reset tokens. The queries are compile-checked against identity's schema
//! (`sqlx.toml`, offline data in `.sqlx/`).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{OpaqueToken, RESET_TOKEN_TTL};

/// Locks the account row, so concurrent reset requests count each other, and returns
/// how many reset tokens it got within the last [`RESET_TOKEN_TTL`].
pub(crate) async fn lock_recent_resets(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query!(
        "SELECT 1 AS locked FROM account WHERE account_id = $1 FOR UPDATE",
        account_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    // `!`: count(*) is never NULL, though the macros cannot tell.
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM password_reset
           WHERE account_id = $1 AND created_at > now() - make_interval(secs => $2)"#,
        account_id,
        RESET_TOKEN_TTL.as_secs_f64(),
    )
    .fetch_one(conn)
    .await
}

/// Records a reset token for `account_id`, valid for [`RESET_TOKEN_TTL`].
pub(crate) async fn insert_password_reset(
    conn: &mut PgConnection,
    account_id: Uuid,
    token: &OpaqueToken,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO password_reset (token_hash, account_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(secs => $3))",
        &token.hash,
        account_id,
        RESET_TOKEN_TTL.as_secs_f64(),
    )
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
    // `!`: the macros take an expression's result as nullable; `IS NOT NULL` never is, nor
    // is a comparison of the NOT NULL expires_at with now().
    sqlx::query_as!(
        PresentedReset,
        r#"SELECT account_id, used_at IS NOT NULL AS "used!", expires_at <= now() AS "expired!"
             FROM password_reset WHERE token_hash = $1 FOR UPDATE"#,
        presented,
    )
    .fetch_optional(conn)
    .await
}
