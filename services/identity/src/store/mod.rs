//! Every SQL statement of identity: accounts, credentials and failed logins, sessions
//! and refresh tokens, password resets, and the signing keys' rows. Functions return rows
//! or domain values and `sqlx::Error`; what a row means is decided by the domain, and
//! transactions are opened by `app`, which passes its connection to the statements that
//! must commit together (and enqueues their events). Every statement is compile-checked
//! against identity's schema: `sqlx.toml` names its variable, `.sqlx/` holds the offline
//! data, and `cargo xtask sqlx-prepare` rewrites it after a query or a migration changes.

mod accounts;
pub(crate) mod keys;
mod login_failures;
mod password_resets;
mod sessions;

pub(crate) use accounts::{account, credentials, insert_account, set_password};
pub(crate) use login_failures::{
    clear_account_login_failures, clear_login_failures, record_login_failure, throttled_for,
};
pub(crate) use password_resets::{insert_password_reset, lock_password_reset, lock_recent_resets};
pub(crate) use sessions::{
    PresentedRefresh, drop_company_from_sessions, end_all_sessions, end_other_sessions,
    end_session, lock_refresh_token, refreshable_company, revoke_reused, session_company,
    session_is_live, set_active_company, start_session, trade_refresh_token,
};

use sqlx::PgPool;

use crate::domain::LOGIN_THROTTLE;

/// Deletes what can no longer matter: failures older than the throttle window, refresh
/// tokens past their expiry, reset tokens expired a day ago.
pub(crate) async fn sweep(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM login_failure WHERE failed_at < now() - make_interval(secs => $1)",
        LOGIN_THROTTLE.window.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    sqlx::query!("DELETE FROM refresh_token WHERE expires_at < now()")
        .execute(pool)
        .await?;
    sqlx::query!("DELETE FROM password_reset WHERE expires_at < now() - interval '1 day'")
        .execute(pool)
        .await?;
    Ok(())
}
