//! Sessions: logging in, trading a refresh token, logging out, switching the company a
//! session acts on, and issuing a token for another company without switching.

use uuid::Uuid;

use super::{Ctx, UserSession, verify_password};
use crate::domain::{
    self, DUMMY_HASH, Email, LOGIN_THROTTLE, OpaqueToken, RefreshRefusal, RefreshedScope, Rights,
};
use crate::error::Error;
use crate::events::{self, Ended};
use crate::store;
use comptoir_proto::events::v1::SessionRevokedReason;

/// A login attempt.
pub(crate) struct Login {
    /// The e-mail as typed: one that does not parse is refused like a wrong password.
    pub(crate) email: String,
    pub(crate) password: String,
    /// The client address the attempt counts against.
    pub(crate) client_addr: String,
}

/// A started session and its first tokens.
pub(crate) struct LoginAnswer {
    pub(crate) user_id: Uuid,
    pub(crate) session_id: Uuid,
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
}

/// Checks the credentials, unless the e-mail or the address is throttled, and starts a
/// session.
pub(crate) async fn login(ctx: &Ctx, login: Login) -> Result<LoginAnswer, Error> {
    let Login {
        email,
        password,
        client_addr: addr,
    } = login;
    let Ok(email) = Email::parse(&email) else {
        return Err(Error::BadCredentials);
    };
    let pool = ctx.pool();
    // Checked before the password, so a refused attempt costs no argon2 and teaches
    // nothing; keyed by the e-mail as typed, so unknown ones are refused alike.
    if let Some(retry_after) =
        store::throttled_for(pool, email.as_str(), &addr, LOGIN_THROTTLE).await?
    {
        return Err(Error::Throttled { retry_after });
    }
    let (user_id, hash) = match store::credentials(pool, &email).await? {
        Some((user_id, hash)) => (Some(user_id), hash),
        None => (None, DUMMY_HASH.clone()),
    };
    let matches = verify_password(password, hash).await?;
    let user_id = match (user_id, matches) {
        (Some(user_id), true) => user_id,
        _ => {
            store::record_login_failure(pool, email.as_str(), &addr).await?;
            return Err(Error::BadCredentials);
        }
    };
    store::clear_login_failures(pool, email.as_str()).await?;
    let refresh = OpaqueToken::generate();
    let mut tx = pool.begin().await?;
    let session_id = store::start_session(&mut tx, user_id, &refresh).await?;
    tx.commit().await?;
    let access_token = ctx.access_token(user_id, session_id, None).await?;
    tracing::info!(%user_id, %session_id, "session started");
    Ok(LoginAnswer {
        user_id,
        session_id,
        access_token,
        refresh_token: refresh.secret,
    })
}

/// The tokens a refresh gives.
pub(crate) struct Refreshed {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
}

/// Trades a refresh token for a new one and a fresh access token, scoped to the session's
/// company while the user may still act on it.
pub(crate) async fn refresh(ctx: &Ctx, refresh_token: &str) -> Result<Refreshed, Error> {
    if refresh_token.trim().is_empty() {
        return Err(Error::RefreshTokenInvalid);
    }
    let presented = domain::hash_token(refresh_token);
    // Tenancy is asked before the token is spent: when it cannot answer, the client's
    // retry presents a token still unused, instead of one that looks stolen and ends
    // the session.
    let checked = match store::refreshable_company(ctx.pool(), &presented).await? {
        Some(company) => {
            let rights = ctx.rights(company.account_id, company.company_id).await?;
            Some((company.company_id, rights))
        }
        None => None,
    };
    let next = OpaqueToken::generate();
    let session = trade_refresh_token(ctx, &presented, &next)
        .await
        // A reuse ended the session: its revocation goes out at once.
        .inspect_err(|_| ctx.outbox().wake())?;
    let rights = match domain::refreshed_scope(checked, session.active_company_id) {
        RefreshedScope::Company(rights) => Some(rights),
        RefreshedScope::DropCompany => {
            store::set_active_company(ctx.pool(), session.account_id, session.session_id, None)
                .await?;
            None
        }
        RefreshedScope::Unscoped => None,
    };
    let access_token = ctx
        .access_token(session.account_id, session.session_id, rights.as_ref())
        .await?;
    Ok(Refreshed {
        access_token,
        refresh_token: next.secret,
    })
}

/// Trades the refresh token hashed as `presented` for `next`, in one transaction that
/// locks the presented token's row, so two concurrent trades of one token count as a
/// reuse. A reuse revokes the session (announcing it) and commits that before answering.
async fn trade_refresh_token(
    ctx: &Ctx,
    presented: &[u8],
    next: &OpaqueToken,
) -> Result<store::PresentedRefresh, Error> {
    let mut tx = ctx.pool().begin().await?;
    let Some(token) = store::lock_refresh_token(&mut tx, presented).await? else {
        return Err(Error::RefreshTokenInvalid);
    };
    match domain::check_refresh(token.used, token.expired, token.revoked) {
        Ok(()) => {}
        Err(RefreshRefusal::Reused) => {
            let session_id = token.session_id;
            if let Some(account_id) = store::revoke_reused(&mut tx, session_id).await? {
                events::session_revoked(
                    &mut tx,
                    account_id,
                    Ended::Session(session_id),
                    SessionRevokedReason::RefreshTokenReused,
                )
                .await?;
            }
            tx.commit().await?;
            tracing::warn!(%session_id, "refresh token reused: session revoked");
            return Err(RefreshRefusal::Reused.into());
        }
        Err(refusal) => return Err(refusal.into()),
    }
    store::trade_refresh_token(&mut tx, presented, token.session_id, next).await?;
    tx.commit().await?;
    Ok(token)
}

/// Ends the caller's session, and says so to every service.
pub(crate) async fn logout(ctx: &Ctx, session: UserSession) -> Result<(), Error> {
    let UserSession {
        user_id,
        session_id,
    } = session;
    let mut tx = ctx.pool().begin().await?;
    if store::end_session(&mut tx, user_id, session_id).await? {
        events::session_revoked(
            &mut tx,
            user_id,
            Ended::Session(session_id),
            SessionRevokedReason::Logout,
        )
        .await?;
    }
    tx.commit().await?;
    ctx.outbox().wake();
    tracing::info!(%user_id, %session_id, "session ended: logout");
    Ok(())
}

/// A token scoped to a company, and the rights it carries.
pub(crate) struct Switched {
    pub(crate) access_token: String,
    pub(crate) rights: Rights,
}

/// Scopes the session to `company_id`, if tenancy says the user may act on it, and gives
/// a token scoped to it.
pub(crate) async fn switch_company(
    ctx: &Ctx,
    session: UserSession,
    company_id: Uuid,
) -> Result<Switched, Error> {
    let UserSession {
        user_id,
        session_id,
    } = session;
    let pool = ctx.pool();
    // The session is read while tenancy answers: switching again to the company the
    // session acts on then costs no round trip after tenancy's. Only a change is
    // written, once tenancy has said yes.
    let (rights, current) = tokio::join!(
        ctx.rights(user_id, company_id),
        store::session_company(pool, user_id, session_id),
    );
    let rights = rights?.ok_or(Error::NoAccessToCompany)?;
    match current? {
        None => return Err(Error::SessionEnded),
        Some(active) if active == Some(company_id) => {}
        Some(_) => {
            if !store::set_active_company(pool, user_id, session_id, Some(company_id)).await? {
                return Err(Error::SessionEnded);
            }
        }
    }
    let access_token = ctx.access_token(user_id, session_id, Some(&rights)).await?;
    tracing::info!(%user_id, %session_id, %company_id, "switched company");
    Ok(Switched {
        access_token,
        rights,
    })
}

/// A token of the caller's session scoped to `company_id`, if tenancy says the user may
/// act on it (the same question as [`switch_company`] asks), without touching the
/// session's active company: a service acting on many companies for the caller must not
/// move the company the caller's own refreshes come back to.
pub(crate) async fn issue_company_token(
    ctx: &Ctx,
    session: UserSession,
    company_id: Uuid,
) -> Result<Switched, Error> {
    let UserSession {
        user_id,
        session_id,
    } = session;
    // The session is checked, not only the token's signature: an ended session buys no
    // new token, even within its last access token's lifetime.
    let (rights, live) = tokio::join!(
        ctx.rights(user_id, company_id),
        store::session_is_live(ctx.pool(), user_id, session_id),
    );
    let rights = rights?.ok_or(Error::NoAccessToCompany)?;
    if !live? {
        return Err(Error::SessionEnded);
    }
    let access_token = ctx.access_token(user_id, session_id, Some(&rights)).await?;
    Ok(Switched {
        access_token,
        rights,
    })
}
