//! Sessions and their refresh tokens, and the company each session acts on. The queries
//! are compile-checked against identity's schema (`sqlx.toml`, offline data in `.sqlx/`,
//! `cargo xtask sqlx-prepare`).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{OpaqueToken, REFRESH_TOKEN_TTL};

/// Starts a session for `account_id` with its first refresh token; returns its id.
pub(crate) async fn start_session(
    conn: &mut PgConnection,
    account_id: Uuid,
    refresh: &OpaqueToken,
) -> Result<Uuid, sqlx::Error> {
    let session_id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO session (session_id, account_id) VALUES ($1, $2)",
        session_id,
        account_id,
    )
    .execute(&mut *conn)
    .await?;
    insert_refresh_token(conn, session_id, refresh).await?;
    Ok(session_id)
}

async fn insert_refresh_token(
    conn: &mut PgConnection,
    session_id: Uuid,
    token: &OpaqueToken,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO refresh_token (token_hash, session_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(secs => $3))",
        &token.hash,
        session_id,
        REFRESH_TOKEN_TTL.as_secs_f64(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The company a refresh token's session acts on, asked about before the token is spent.
pub(crate) struct SessionCompany {
    pub(crate) account_id: Uuid,
    pub(crate) company_id: Uuid,
}

/// The company the session of the refresh token hashed as `presented` acts on, if the
/// token is still unspent, unexpired and its session live; None otherwise (then
/// [`lock_refresh_token`] tells what is wrong). Reads without a lock: the trade checks
/// the token again.
pub(crate) async fn refreshable_company(
    pool: &PgPool,
    presented: &[u8],
) -> Result<Option<SessionCompany>, sqlx::Error> {
    // `!`: the column is nullable, but the WHERE keeps only the rows where it is set.
    sqlx::query_as!(
        SessionCompany,
        r#"SELECT s.account_id, s.active_company_id AS "company_id!"
             FROM refresh_token r JOIN session s USING (session_id)
            WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now()
              AND s.revoked_at IS NULL AND s.active_company_id IS NOT NULL"#,
        presented,
    )
    .fetch_optional(pool)
    .await
}

/// A presented refresh token and its session, read under the token row's lock.
pub(crate) struct PresentedRefresh {
    pub(crate) session_id: Uuid,
    pub(crate) account_id: Uuid,
    pub(crate) used: bool,
    pub(crate) expired: bool,
    /// Its session has ended.
    pub(crate) revoked: bool,
    /// The company the session last switched to, if any.
    pub(crate) active_company_id: Option<Uuid>,
}

/// The refresh token hashed as `presented` and its session, the token's row locked until
/// the transaction ends, so two concurrent trades of one token count as a reuse; None when
/// there is no such token.
pub(crate) async fn lock_refresh_token(
    conn: &mut PgConnection,
    presented: &[u8],
) -> Result<Option<PresentedRefresh>, sqlx::Error> {
    // `!`: the macros take an expression's result as nullable; `IS NOT NULL` never is, nor
    // is a comparison of the NOT NULL expires_at with now().
    sqlx::query_as!(
        PresentedRefresh,
        r#"SELECT s.session_id, s.account_id,
                  r.used_at IS NOT NULL AS "used!", r.expires_at <= now() AS "expired!",
                  s.revoked_at IS NOT NULL AS "revoked!", s.active_company_id
             FROM refresh_token r JOIN session s USING (session_id)
            WHERE r.token_hash = $1
              FOR UPDATE OF r"#,
        presented,
    )
    .fetch_optional(conn)
    .await
}

/// Trades the refresh token hashed as `presented`, of `session_id`, for `next`.
pub(crate) async fn trade_refresh_token(
    conn: &mut PgConnection,
    presented: &[u8],
    session_id: Uuid,
    next: &OpaqueToken,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE refresh_token SET used_at = now() WHERE token_hash = $1",
        presented,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE session SET updated_at = now() WHERE session_id = $1",
        session_id,
    )
    .execute(&mut *conn)
    .await?;
    insert_refresh_token(conn, session_id, next).await
}

/// Ends `session_id` because one of its refresh tokens was presented twice; returns its
/// account, or None if it had already ended.
pub(crate) async fn revoke_reused(
    conn: &mut PgConnection,
    session_id: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'refresh_token_reused', \
                updated_at = now() \
         WHERE session_id = $1 AND revoked_at IS NULL RETURNING account_id",
        session_id,
    )
    .fetch_optional(conn)
    .await
}

/// Ends one session of `account_id` on logout; false if it had already ended.
pub(crate) async fn end_session(
    conn: &mut PgConnection,
    account_id: Uuid,
    session_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let ended = sqlx::query!(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'logout', updated_at = now() \
         WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL",
        session_id,
        account_id,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(ended > 0)
}

/// Ends every session of `account_id` but `keep`, its password changed; returns those
/// it ended.
pub(crate) async fn end_other_sessions(
    conn: &mut PgConnection,
    account_id: Uuid,
    keep: Uuid,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'password_changed', \
                updated_at = now() \
         WHERE account_id = $1 AND session_id <> $2 AND revoked_at IS NULL \
         RETURNING session_id",
        account_id,
        keep,
    )
    .fetch_all(conn)
    .await
}

/// Ends every session of `account_id`, its password reset.
pub(crate) async fn end_all_sessions(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'password_reset', \
                updated_at = now() \
         WHERE account_id = $1 AND revoked_at IS NULL",
        account_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the company a live session acts on (None: no company). False if the session
/// has ended or is not the account's.
///
/// One statement, one round trip: switching sits on a hot path, and the former
/// BEGIN / SET LOCAL / UPDATE / COMMIT cost four. The row is written only when the company
/// changes, so switching again to the same company writes no WAL at all; the session is
/// read every time, so a revoked one fails as before.
///
/// `live` reads the statement's snapshot. When it shows another company, the update joins
/// it rather than testing the company again: a concurrent commit makes Postgres re-check
/// only the updated row's own conditions, so a logout in between leaves `changed` empty
/// (false), while a concurrent switch to the same company does not (true).
///
/// The write skips the wait for the WAL flush: `set_config(…, true)` turns
/// `synchronous_commit` off for the statement's own implicit transaction, and Postgres
/// reads the setting at commit, before resetting it (a `SET LOCAL` would need an explicit
/// transaction, hence more round trips). It sits in the select list, which is always
/// evaluated. The active company is a convenience, not a right (every refresh asks
/// tenancy again), so losing the last switch in a crash costs a user one more
/// SwitchCompany, while waiting for the disk would make switching as slow as an fsync.
pub(crate) async fn set_active_company(
    pool: &PgPool,
    account_id: Uuid,
    session_id: Uuid,
    company_id: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    // `!`: the macros take an expression's result as nullable; EXISTS OR EXISTS never is.
    let row = sqlx::query!(
        r#"WITH live AS (
               SELECT active_company_id IS NOT DISTINCT FROM $3 AS unchanged FROM session
                WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL
           ), changed AS (
               UPDATE session SET active_company_id = $3, updated_at = now() FROM live
                WHERE NOT live.unchanged
                  AND session_id = $1 AND account_id = $2 AND revoked_at IS NULL
               RETURNING 1
           )
           SELECT set_config('synchronous_commit', 'off', true),
                  EXISTS (SELECT 1 FROM live WHERE unchanged)
                  OR EXISTS (SELECT 1 FROM changed) AS "live!""#,
        session_id,
        account_id,
        company_id,
    )
    .fetch_one(pool)
    .await?;
    Ok(row.live)
}

/// Takes `company_id` away from every session of `account_id` that acts on it.
pub(crate) async fn drop_company_from_sessions(
    conn: &mut sqlx::PgConnection,
    account_id: Uuid,
    company_id: Uuid,
) -> Result<u64, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE session SET active_company_id = NULL, updated_at = now() \
         WHERE account_id = $1 AND active_company_id = $2",
        account_id,
        company_id,
    )
    .execute(conn)
    .await?;
    Ok(updated.rows_affected())
}

/// The company a live session of `account_id` acts on (`Some(None)`: none yet), or None
/// when the session has ended or is not the account's.
pub(crate) async fn session_company(
    pool: &PgPool,
    account_id: Uuid,
    session_id: Uuid,
) -> Result<Option<Option<Uuid>>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT active_company_id FROM session \
         WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL",
        session_id,
        account_id,
    )
    .fetch_optional(pool)
    .await
}

/// True if the session exists, belongs to `account_id` and has not ended.
pub(crate) async fn session_is_live(
    pool: &PgPool,
    account_id: Uuid,
    session_id: Uuid,
) -> Result<bool, sqlx::Error> {
    // `!`: the macros take an expression's result as nullable; EXISTS never is.
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM session
            WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL) AS "live!""#,
        session_id,
        account_id,
    )
    .fetch_one(pool)
    .await
}
