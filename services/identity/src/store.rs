//! Identity's queries on accounts, sessions, reset tokens and failed logins. The only
//! module that sees SQL, with `keys`.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{
    Email, LOGIN_THROTTLE, MAX_RESETS_PER_WINDOW, OpaqueToken, REFRESH_TOKEN_TTL, RESET_TOKEN_TTL,
    Throttle,
};
use crate::error::{Error, ResetTokenProblem};
use crate::events::{self, Ended};
use comptoir_proto::events::v1::SessionRevokedReason;

/// Creates an account and announces it (`user.registered`, in the same transaction);
/// returns its id, or None when the e-mail already has one (its unique constraint says
/// so, which also settles two concurrent sign-ups) and nothing was written.
pub(crate) async fn insert_account(
    pool: &PgPool,
    email: &Email,
    name: &str,
    password_hash: &str,
) -> Result<Option<Uuid>, Error> {
    let account_id = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO account (account_id, email, name, password_hash) VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(email.as_str())
    .bind(name)
    .bind(password_hash)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(db)) if db.constraint() == Some("account_email_key") => {
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    }
    events::user_registered(&mut tx, account_id, email).await?;
    tx.commit().await?;
    Ok(Some(account_id))
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

/// The e-mail and password hash of an account.
pub(crate) async fn account(
    pool: &PgPool,
    account_id: Uuid,
) -> Result<Option<(String, String)>, Error> {
    Ok(
        sqlx::query_as("SELECT email, password_hash FROM account WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await?,
    )
}

/// How long logins for `email` or from `client_addr` are refused, if they are: the time
/// until the window holds fewer failures than the limit. Concurrent attempts may each
/// pass this check before any records its failure, so a burst can overshoot the limit by
/// the number of attempts in flight; argon2's cost keeps that small.
pub(crate) async fn throttled_for(
    pool: &PgPool,
    email: &str,
    client_addr: &str,
    throttle: Throttle,
) -> Result<Option<Duration>, Error> {
    // The n-th most recent failure inside the window is the one whose expiry brings the
    // count back under the limit; GREATEST ignores the NULL of a counter under its limit.
    let seconds: Option<f64> = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM GREATEST(\
            (SELECT failed_at FROM login_failure \
              WHERE email = $1 AND failed_at > now() - make_interval(secs => $3) \
              ORDER BY failed_at DESC OFFSET $4 - 1 LIMIT 1), \
            (SELECT failed_at FROM login_failure \
              WHERE client_addr = $2 AND failed_at > now() - make_interval(secs => $3) \
              ORDER BY failed_at DESC OFFSET $5 - 1 LIMIT 1)\
         ) + make_interval(secs => $3) - now())::float8",
    )
    .bind(email)
    .bind(client_addr)
    .bind(throttle.window.as_secs_f64())
    .bind(i64::from(throttle.per_account))
    .bind(i64::from(throttle.per_address))
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
) -> Result<(), Error> {
    sqlx::query("INSERT INTO login_failure (email, client_addr) VALUES ($1, $2)")
        .bind(email)
        .bind(client_addr)
        .execute(pool)
        .await?;
    Ok(())
}

/// Resets the account's failure counter after a success; the rows keep counting for
/// their addresses.
pub(crate) async fn clear_login_failures(pool: &PgPool, email: &str) -> Result<(), Error> {
    sqlx::query("UPDATE login_failure SET email = NULL WHERE email = $1")
        .bind(email)
        .execute(pool)
        .await?;
    Ok(())
}

/// Starts a session for `account_id` with its first refresh token; returns its id.
pub(crate) async fn start_session(
    pool: &PgPool,
    account_id: Uuid,
    refresh: &OpaqueToken,
) -> Result<Uuid, Error> {
    let session_id = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO session (session_id, account_id) VALUES ($1, $2)")
        .bind(session_id)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    insert_refresh_token(&mut tx, session_id, refresh).await?;
    tx.commit().await?;
    Ok(session_id)
}

async fn insert_refresh_token(
    conn: &mut sqlx::PgConnection,
    session_id: Uuid,
    token: &OpaqueToken,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO refresh_token (token_hash, session_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(secs => $3))",
    )
    .bind(&token.hash)
    .bind(session_id)
    .bind(REFRESH_TOKEN_TTL.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

/// The session a refresh token was traded in.
pub(crate) struct RefreshedSession {
    pub(crate) session_id: Uuid,
    pub(crate) account_id: Uuid,
    /// The company the session last switched to, if any.
    pub(crate) active_company_id: Option<Uuid>,
}

/// The company a refresh token's session acts on, asked about before the token is spent.
pub(crate) struct SessionCompany {
    pub(crate) account_id: Uuid,
    pub(crate) company_id: Uuid,
}

/// The company the session of the refresh token hashed as `presented` acts on, if the
/// token is still unspent, unexpired and its session live; None otherwise (then
/// [`rotate_refresh_token`] tells what is wrong). Reads without a lock: the rotation
/// checks the token again.
pub(crate) async fn refreshable_company(
    pool: &PgPool,
    presented: &[u8],
) -> Result<Option<SessionCompany>, Error> {
    let row: Option<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT s.account_id, s.active_company_id \
           FROM refresh_token r JOIN session s USING (session_id) \
          WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now() \
            AND s.revoked_at IS NULL AND s.active_company_id IS NOT NULL",
    )
    .bind(presented)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(account_id, company_id)| SessionCompany {
        account_id,
        company_id,
    }))
}

/// Trades the refresh token hashed as `presented` for `next`, in one transaction that
/// locks the presented token's row, so two concurrent trades of one token count as a
/// reuse. A reuse revokes the session and commits that before answering.
pub(crate) async fn rotate_refresh_token(
    pool: &PgPool,
    presented: &[u8],
    next: &OpaqueToken,
) -> Result<RefreshedSession, Error> {
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, Uuid, bool, bool, bool, Option<Uuid>)> = sqlx::query_as(
        "SELECT s.session_id, s.account_id, \
                r.used_at IS NOT NULL, r.expires_at <= now(), s.revoked_at IS NOT NULL, \
                s.active_company_id \
           FROM refresh_token r JOIN session s USING (session_id) \
          WHERE r.token_hash = $1 \
            FOR UPDATE OF r",
    )
    .bind(presented)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((session_id, account_id, used, expired, revoked, active_company_id)) = row else {
        return Err(Error::RefreshTokenInvalid);
    };
    if revoked || expired {
        return Err(Error::RefreshTokenInvalid);
    }
    if used {
        revoke_reused(&mut tx, session_id).await?;
        tx.commit().await?;
        tracing::warn!(%session_id, "refresh token reused: session revoked");
        return Err(Error::RefreshTokenReused);
    }
    sqlx::query("UPDATE refresh_token SET used_at = now() WHERE token_hash = $1")
        .bind(presented)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE session SET updated_at = now() WHERE session_id = $1")
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    insert_refresh_token(&mut tx, session_id, next).await?;
    tx.commit().await?;
    Ok(RefreshedSession {
        session_id,
        account_id,
        active_company_id,
    })
}

/// Ends `session_id` because one of its refresh tokens was presented twice, and says so
/// to every service (a no-op if it already ended).
async fn revoke_reused(conn: &mut sqlx::PgConnection, session_id: Uuid) -> Result<(), Error> {
    let ended: Option<Uuid> = sqlx::query_scalar(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'refresh_token_reused', \
                updated_at = now() \
         WHERE session_id = $1 AND revoked_at IS NULL RETURNING account_id",
    )
    .bind(session_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(account_id) = ended {
        events::session_revoked(
            conn,
            account_id,
            Ended::Session(session_id),
            SessionRevokedReason::RefreshTokenReused,
        )
        .await?;
    }
    Ok(())
}

/// Ends one session of `account_id` (a no-op if it already ended), and says so to every
/// service.
pub(crate) async fn end_session(
    pool: &PgPool,
    account_id: Uuid,
    session_id: Uuid,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let ended = sqlx::query(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'logout', updated_at = now() \
         WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(account_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if ended > 0 {
        events::session_revoked(
            &mut tx,
            account_id,
            Ended::Session(session_id),
            SessionRevokedReason::Logout,
        )
        .await?;
    }
    tx.commit().await?;
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
) -> Result<bool, Error> {
    let (_, live): (String, bool) = sqlx::query_as(
        "WITH live AS ( \
             SELECT active_company_id IS NOT DISTINCT FROM $3 AS unchanged FROM session \
              WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL \
         ), changed AS ( \
             UPDATE session SET active_company_id = $3, updated_at = now() FROM live \
              WHERE NOT live.unchanged \
                AND session_id = $1 AND account_id = $2 AND revoked_at IS NULL \
             RETURNING 1 \
         ) \
         SELECT set_config('synchronous_commit', 'off', true), \
                EXISTS (SELECT 1 FROM live WHERE unchanged) \
                OR EXISTS (SELECT 1 FROM changed)",
    )
    .bind(session_id)
    .bind(account_id)
    .bind(company_id)
    .fetch_one(pool)
    .await?;
    Ok(live)
}

/// Takes `company_id` away from every session of `account_id` that acts on it.
pub(crate) async fn drop_company_from_sessions(
    conn: &mut sqlx::PgConnection,
    account_id: Uuid,
    company_id: Uuid,
) -> Result<u64, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE session SET active_company_id = NULL, updated_at = now() \
         WHERE account_id = $1 AND active_company_id = $2",
    )
    .bind(account_id)
    .bind(company_id)
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
) -> Result<Option<Option<Uuid>>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT active_company_id FROM session \
         WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?)
}

/// True if the session exists, belongs to `account_id` and has not ended.
pub(crate) async fn session_is_live(
    pool: &PgPool,
    account_id: Uuid,
    session_id: Uuid,
) -> Result<bool, Error> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM session \
         WHERE session_id = $1 AND account_id = $2 AND revoked_at IS NULL)",
    )
    .bind(session_id)
    .bind(account_id)
    .fetch_one(pool)
    .await?)
}

/// Stores a new password hash and ends every session of the account but `keep`, and
/// every pending reset link (it would set a password the person no longer expects).
pub(crate) async fn change_password(
    pool: &PgPool,
    account_id: Uuid,
    password_hash: &str,
    keep: Uuid,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    set_password(&mut tx, account_id, password_hash).await?;
    let ended: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'password_changed', \
                updated_at = now() \
         WHERE account_id = $1 AND session_id <> $2 AND revoked_at IS NULL \
         RETURNING session_id",
    )
    .bind(account_id)
    .bind(keep)
    .fetch_all(&mut *tx)
    .await?;
    for session_id in ended {
        events::session_revoked(
            &mut tx,
            account_id,
            Ended::Session(session_id),
            SessionRevokedReason::PasswordChanged,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn set_password(
    conn: &mut sqlx::PgConnection,
    account_id: Uuid,
    password_hash: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE account SET password_hash = $2, updated_at = now() WHERE account_id = $1")
        .bind(account_id)
        .bind(password_hash)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE password_reset SET used_at = now() WHERE account_id = $1 AND used_at IS NULL",
    )
    .bind(account_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a reset token for `account_id`, unless [`MAX_RESETS_PER_WINDOW`] were made
/// within the last [`RESET_TOKEN_TTL`]; returns whether it did. The account row is locked
/// so concurrent requests count each other.
pub(crate) async fn create_password_reset(
    pool: &PgPool,
    account_id: Uuid,
    token: &OpaqueToken,
) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT 1 FROM account WHERE account_id = $1 FOR UPDATE")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM password_reset \
         WHERE account_id = $1 AND created_at > now() - make_interval(secs => $2)",
    )
    .bind(account_id)
    .bind(RESET_TOKEN_TTL.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    if recent >= MAX_RESETS_PER_WINDOW {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO password_reset (token_hash, account_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(secs => $3))",
    )
    .bind(&token.hash)
    .bind(account_id)
    .bind(RESET_TOKEN_TTL.as_secs_f64())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Uses the reset token hashed as `presented`: sets the password, ends every session of
/// the account and clears its failed logins (the person proved they own the mailbox).
/// Returns the account id.
pub(crate) async fn reset_password(
    pool: &PgPool,
    presented: &[u8],
    password_hash: &str,
) -> Result<Uuid, Error> {
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, bool, bool)> = sqlx::query_as(
        "SELECT account_id, used_at IS NOT NULL, expires_at <= now() \
           FROM password_reset WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(presented)
    .fetch_optional(&mut *tx)
    .await?;
    let account_id = match row {
        None => return Err(Error::ResetToken(ResetTokenProblem::Unknown)),
        Some((_, true, _)) => return Err(Error::ResetToken(ResetTokenProblem::Used)),
        Some((_, false, true)) => return Err(Error::ResetToken(ResetTokenProblem::Expired)),
        Some((account_id, false, false)) => account_id,
    };
    set_password(&mut tx, account_id, password_hash).await?;
    sqlx::query(
        "UPDATE session SET revoked_at = now(), revoked_reason = 'password_reset', \
                updated_at = now() \
         WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    events::session_revoked(
        &mut tx,
        account_id,
        Ended::All,
        SessionRevokedReason::PasswordReset,
    )
    .await?;
    sqlx::query(
        "UPDATE login_failure SET email = NULL \
         WHERE email = (SELECT email FROM account WHERE account_id = $1)",
    )
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(account_id)
}

/// Deletes what can no longer matter: failures older than the throttle window, refresh
/// tokens past their expiry, reset tokens expired a day ago.
pub(crate) async fn sweep(pool: &PgPool) -> Result<(), Error> {
    sqlx::query("DELETE FROM login_failure WHERE failed_at < now() - make_interval(secs => $1)")
        .bind(LOGIN_THROTTLE.window.as_secs_f64())
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM refresh_token WHERE expires_at < now()")
        .execute(pool)
        .await?;
    sqlx::query("DELETE FROM password_reset WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(())
}
