//! Passwords: changing one, asking for a reset link, and resetting with it.

use comptoir_runtime::mail::Mail;

use super::{Ctx, UserSession, hash_password, verify_password};
use crate::domain::{self, Email, LOGIN_THROTTLE, OpaqueToken, ResetTokenProblem};
use crate::error::Error;
use crate::events::{self, Ended};
use crate::store;
use comptoir_proto::events::v1::SessionRevokedReason;

/// A password change, its fields valid.
pub(crate) struct ChangePassword {
    pub(crate) current_password: String,
    pub(crate) new_password: String,
    /// The client address a wrong current password counts against.
    pub(crate) client_addr: String,
}

/// Sets a new password once the current one is proved, and ends every other session of
/// the account (announcing each) and every pending reset link.
pub(crate) async fn change_password(
    ctx: &Ctx,
    session: UserSession,
    change: ChangePassword,
) -> Result<(), Error> {
    let UserSession {
        user_id,
        session_id,
    } = session;
    let ChangePassword {
        current_password,
        new_password,
        client_addr: addr,
    } = change;
    let pool = ctx.pool();
    if !store::session_is_live(pool, user_id, session_id).await? {
        return Err(Error::SessionEnded);
    }
    let Some((email, hash)) = store::account(pool, user_id).await? else {
        return Err(Error::SessionEnded);
    };
    // A stolen access token must not become a way to guess the password.
    if let Some(retry_after) = store::throttled_for(pool, &email, &addr, LOGIN_THROTTLE).await? {
        return Err(Error::Throttled { retry_after });
    }
    if !verify_password(current_password, hash).await? {
        store::record_login_failure(pool, &email, &addr).await?;
        return Err(Error::WrongCurrentPassword);
    }
    let new_hash = hash_password(new_password).await?;
    let mut tx = pool.begin().await?;
    store::set_password(&mut tx, user_id, &new_hash).await?;
    for ended in store::end_other_sessions(&mut tx, user_id, session_id).await? {
        events::session_revoked(
            &mut tx,
            user_id,
            Ended::Session(ended),
            SessionRevokedReason::PasswordChanged,
        )
        .await?;
    }
    tx.commit().await?;
    ctx.outbox().wake();
    store::clear_login_failures(pool, &email).await?;
    tracing::info!(%user_id, %session_id, "password changed; other sessions ended");
    Ok(())
}

/// Mails a reset link to the account of `email`, if there is one and it did not get too
/// many lately; the answer is the same either way.
pub(crate) async fn request_password_reset(ctx: &Ctx, email: Email) -> Result<(), Error> {
    let pool = ctx.pool();
    if let Some((user_id, _)) = store::credentials(pool, &email).await? {
        let token = OpaqueToken::generate();
        if create_password_reset(ctx, user_id, &token).await? {
            let link = ctx
                .mailer
                .link(&format!("/reset-password?token={}", token.secret));
            ctx.send_later(reset_mail(email.as_str(), &link), "a password reset mail");
            tracing::info!(%user_id, "password reset requested");
        } else {
            tracing::warn!(%user_id, "password reset requested too often; no mail sent");
        }
    }
    Ok(())
}

/// Records a reset token for `account_id`, unless it got as many as the domain allows
/// within the token's lifetime; returns whether it did. The account row is locked so
/// concurrent requests count each other.
async fn create_password_reset(
    ctx: &Ctx,
    account_id: uuid::Uuid,
    token: &OpaqueToken,
) -> Result<bool, Error> {
    let mut tx = ctx.pool().begin().await?;
    let recent = store::lock_recent_resets(&mut tx, account_id).await?;
    if !domain::may_send_reset(recent) {
        return Ok(false);
    }
    store::insert_password_reset(&mut tx, account_id, token).await?;
    tx.commit().await?;
    Ok(true)
}

/// The reset mail. The link carries the token: this text is never logged.
fn reset_mail(to: &str, link: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Reset your Comptoir password".to_owned(),
        body: format!(
            "Hello,\n\nSomeone, hopefully you, asked to reset the password of the Comptoir \
             account of {to}. Open this link within one hour to choose a new password:\n\n\
             {link}\n\nThe link works once. If you did not ask, ignore this mail: your \
             password stays as it is.\n"
        ),
    }
}

/// A password reset, its fields valid.
pub(crate) struct ResetPassword {
    /// The token of the reset link.
    pub(crate) token: String,
    pub(crate) new_password: String,
}

/// Uses a reset token: sets the password, ends every session of the account (announcing
/// it) and clears its failed logins (the person proved they own the mailbox).
pub(crate) async fn reset_password(ctx: &Ctx, reset: ResetPassword) -> Result<(), Error> {
    let new_hash = hash_password(reset.new_password).await?;
    let presented = domain::hash_token(&reset.token);
    let mut tx = ctx.pool().begin().await?;
    let Some(stored) = store::lock_password_reset(&mut tx, &presented).await? else {
        return Err(ResetTokenProblem::Unknown.into());
    };
    domain::check_reset(stored.used, stored.expired)?;
    let account_id = stored.account_id;
    store::set_password(&mut tx, account_id, &new_hash).await?;
    store::end_all_sessions(&mut tx, account_id).await?;
    events::session_revoked(
        &mut tx,
        account_id,
        Ended::All,
        SessionRevokedReason::PasswordReset,
    )
    .await?;
    store::clear_account_login_failures(&mut tx, account_id).await?;
    tx.commit().await?;
    ctx.outbox().wake();
    tracing::info!(user_id = %account_id, "password reset; every session ended");
    Ok(())
}
