//! Failed logins, counted per e-mail and per client address for throttling. The queries
//! are compile-checked against identity's schema (`sqlx.toml`, offline data in `.sqlx/`).

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::Throttle;

/// How long logins for `email` or from `client_addr` are refused, if they are: the time
/// until the window holds fewer failures than the limit. Concurrent attempts may each
/// pass this check before any records its failure, so a burst can overshoot the limit by
/// the number of attempts in flight; argon2's cost keeps that small.
pub(crate) async fn throttled_for(
    pool: &PgPool,
    email: &str,
    client_addr: &str,
    throttle: Throttle,
) -> Result<Option<Duration>, sqlx::Error> {
    // The n-th most recent failure inside the window is the one whose expiry brings the
    // count back under the limit; GREATEST ignores the NULL of a counter under its limit.
    // The limits are u32, so their parameters are bigint: `$4 - 1` alone would be integer.
    let seconds = sqlx::query_scalar!(
        "SELECT EXTRACT(EPOCH FROM GREATEST(\
            (SELECT failed_at FROM login_failure \
              WHERE email = $1 AND failed_at > now() - make_interval(secs => $3) \
              ORDER BY failed_at DESC OFFSET $4::bigint - 1 LIMIT 1), \
            (SELECT failed_at FROM login_failure \
              WHERE client_addr = $2 AND failed_at > now() - make_interval(secs => $3) \
              ORDER BY failed_at DESC OFFSET $5::bigint - 1 LIMIT 1)\
         ) + make_interval(secs => $3) - now())::float8",
        email,
        client_addr,
        throttle.window.as_secs_f64(),
        i64::from(throttle.per_account),
        i64::from(throttle.per_address),
    )
    .fetch_one(pool)
    .await?;
    Ok(seconds
        .filter(|secs| *secs > 0.0)
        .map(Duration::from_secs_f64))
}

/// Counts one failed login against `email` and `client_addr`.
pub(crate) async fn record_login_failure(
    pool: &PgPool,
    email: &str,
    client_addr: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO login_failure (email, client_addr) VALUES ($1, $2)",
        email,
        client_addr,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Resets the account's failure counter after a success; the rows keep counting for
/// their addresses.
pub(crate) async fn clear_login_failures(pool: &PgPool, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE login_failure SET email = NULL WHERE email = $1",
        email
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Resets the failure counter of `account_id`'s e-mail, in the caller's transaction.
pub(crate) async fn clear_account_login_failures(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE login_failure SET email = NULL \
         WHERE email = (SELECT email FROM account WHERE account_id = $1)",
        account_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}
