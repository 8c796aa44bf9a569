//! Invitations: e-mailed with a single-use token stored hashed, valid for a limited time,
//! revocable, and accepted by a logged-in user: the account of the invited address, or
//! anyone holding an open link. The plan's limit counts pending member invitations, so it
//! cannot be overrun by inviting first. A company's invitation of its accounting firm
//! (`app::accountants`) goes out and is opened through the same functions, with its own
//! kind.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use comptoir_runtime::mail::{Mail, Mailer};
use comptoir_runtime::{Deps, idempotency};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::members::may_grant;
use super::{Ctx, in_company};
use crate::domain::members::{InvitationKind, PLAN_MEMBER_LIMIT};
use crate::error::Error;
use crate::events;
use crate::store::companies::Locked;
use crate::store::invitations::{self, InvitationRow};
use crate::store::{self, accounts, act_as, audit, companies, members};

fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How invitations go out: the mailer, and how long one stays valid.
pub(crate) struct Sending {
    /// Sends the invitation e-mail.
    pub(crate) mailer: Mailer,
    /// Validity of a new invitation.
    pub(crate) ttl: chrono::Duration,
}

/// An invitation to send.
#[derive(Debug, Clone)]
pub(crate) struct Invite {
    /// The invited address, normalised.
    pub(crate) email: String,
    /// The role the invitation gives.
    pub(crate) role: String,
    /// True when any account may accept it, not only the invited address's.
    pub(crate) open_link: bool,
    /// What accepting it gives: membership, or a firm grant.
    pub(crate) kind: InvitationKind,
}

/// `InviteMember`: an invitation stored and e-mailed, once per idempotency `key`. The
/// e-mail goes inside the transaction: if it cannot go, nothing is kept.
pub(crate) async fn invite_member<R>(
    deps: &Deps,
    sending: &Sending,
    ctx: &Ctx,
    invite: Invite,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&InvitationRow) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let (company, user) = (ctx.company, ctx.user);
    let scope = format!("{user}/{company}/InviteMember");
    in_company(deps, company, user, async |tx, locked| {
        may_grant(tx, company, &locked, user, &ctx.access, &invite.role).await?;
        idempotency::once(tx, &scope, key, request, async |tx| {
            let invitation = send_invitation(tx, sending, company, user, invite).await?;
            Ok(answer(&invitation))
        })
        .await
    })
    .await
}

/// Stores `invite` to `company`, sent by `user`, announces it (`invitation.created`),
/// audits it and e-mails its single-use token, in a transaction acting for `company` with
/// its row locked; the caller has checked that `user` may give the role. The plan's limit
/// counts pending member invitations, so it cannot be overrun by inviting first. Every
/// invitation goes out this way: a member's, a firm client's director's, or a company's
/// accounting firm's.
pub(crate) async fn send_invitation(
    conn: &mut PgConnection,
    sending: &Sending,
    company: Uuid,
    user: Uuid,
    invite: Invite,
) -> Result<InvitationRow, Error> {
    let Invite {
        email,
        role,
        open_link,
        kind,
    } = invite;
    if kind == InvitationKind::Member {
        let taken = members::seats_taken(conn, company).await?;
        if taken >= PLAN_MEMBER_LIMIT {
            return Err(Error::PlanLimit(PLAN_MEMBER_LIMIT));
        }
    }
    let now = Utc::now();
    let invitation = InvitationRow {
        invitation_id: Uuid::now_v7(),
        company_id: company,
        email,
        role,
        created_at: now,
        expires_at: now + sending.ttl,
        accepted_at: None,
        revoked_at: None,
        open_link,
        kind: kind.key().to_owned(),
    };
    let token = new_token();
    invitations::insert_invitation(conn, &invitation, &hash_token(&token), user).await?;
    events::invitation_created(
        company,
        user,
        invitation.invitation_id,
        &invitation.email,
        &invitation.role,
        kind,
    )
    .enqueue(&mut *conn)
    .await?;
    audit::audit(
        conn,
        company,
        &user.to_string(),
        "invitation.created",
        serde_json::json!({
            "email": invitation.email,
            "role": invitation.role,
            "kind": kind.key(),
        }),
    )
    .await?;
    sending
        .mailer
        .send(&invitation_mail(sending, &invitation, kind, &token))
        .await
        .map_err(|err| Error::Mail(err.to_string()))?;
    Ok(invitation)
}

/// Sends `invite` as [`send_invitation`] does, after revoking (and auditing) the
/// company's invitations of its kind to its address still open, pending or expired: so
/// sending again works, only the newest link does, and the one-open-per-address rule
/// holds.
pub(crate) async fn send_again(
    conn: &mut PgConnection,
    sending: &Sending,
    company: Uuid,
    user: Uuid,
    invite: Invite,
) -> Result<InvitationRow, Error> {
    for revoked in invitations::revoke_open(conn, company, invite.kind, &invite.email).await? {
        audit::audit(
            conn,
            company,
            &user.to_string(),
            "invitation.revoked",
            serde_json::json!({"invitation_id": revoked}),
        )
        .await?;
    }
    send_invitation(conn, sending, company, user, invite).await
}

/// The e-mail carrying `invitation`'s single-use `token`, in a link to the page that
/// accepts its `kind`.
fn invitation_mail(
    sending: &Sending,
    invitation: &InvitationRow,
    kind: InvitationKind,
    token: &str,
) -> Mail {
    let until = invitation.expires_at.format("%Y-%m-%d %H:%M UTC");
    let (subject, invited, page) = match kind {
        InvitationKind::Member => (
            "You are invited to join a company on Comptoir",
            format!(
                "You have been invited to join a company on Comptoir as {}.",
                invitation.role
            ),
            "invitations",
        ),
        InvitationKind::Firm => (
            "A company invites your accounting firm on Comptoir",
            "A company invites your accounting firm to keep its books on Comptoir. Sign in \
             with this address, with your firm as active company, to accept."
                .to_owned(),
            "firm-invitations",
        ),
    };
    let link = sending
        .mailer
        .link(&format!("/{page}/accept?token={token}"));
    Mail {
        to: invitation.email.clone(),
        subject: subject.to_owned(),
        body: format!("{invited}\n\nAccept the invitation (valid until {until}):\n{link}\n"),
    }
}

/// `ListInvitations`: up to `limit` pending invitations of the caller's company, oldest
/// first, after the `(created_at, invitation_id)` cursor.
pub(crate) async fn list_invitations(
    pool: &PgPool,
    ctx: &Ctx,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<InvitationRow>, Error> {
    ctx.read(pool, async |tx, company| {
        invitations::pending_invitations(tx, company, InvitationKind::Member, after, Some(limit))
            .await
    })
    .await
}

/// `RevokeInvitation`: a pending invitation of the caller's company, of either kind, can no
/// longer be accepted.
pub(crate) async fn revoke_invitation(
    deps: &Deps,
    ctx: &Ctx,
    invitation_id: Uuid,
) -> Result<(), Error> {
    let (company, user) = (ctx.company, ctx.user);
    in_company(deps, company, user, async |tx, _| {
        let invitation = invitations::invitation_of(tx, company, invitation_id)
            .await?
            .ok_or_else(|| Error::InvitationNotFound)?;
        invitation.state(Utc::now()).require_pending()?;
        invitations::mark_invitation(tx, invitation_id, None).await?;
        ctx.audit(
            tx,
            "invitation.revoked",
            serde_json::json!({"invitation_id": invitation_id}),
        )
        .await?;
        Ok(())
    })
    .await
}

/// What accepting an invitation gave.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    /// The company joined.
    pub(crate) company_id: Uuid,
    /// The role held there.
    pub(crate) role: String,
}

/// `AcceptInvitation`: `user` joins the company of the invitation `token` opens, if it is
/// pending and is theirs (an open link, or sent to their account's address).
pub(crate) async fn accept_invitation(
    deps: &Deps,
    user: Uuid,
    token: &str,
) -> Result<Accepted, Error> {
    let mut tx = store::begin(&deps.pool, None, Some(user)).await?;
    let (invitation, _) = open_invitation(&mut tx, user, token, InvitationKind::Member).await?;
    let company = invitation.company_id;
    members::add_member(&mut tx, company, user, &invitation.role).await?;
    invitations::mark_invitation(&mut tx, invitation.invitation_id, Some(user)).await?;
    for event in
        events::invitation_accepted(company, user, invitation.invitation_id, &invitation.role)
    {
        event.enqueue(&mut tx).await?;
    }
    audit::audit(
        &mut tx,
        company,
        &user.to_string(),
        "invitation.accepted",
        serde_json::json!({"invitation_id": invitation.invitation_id, "role": invitation.role}),
    )
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(Accepted {
        company_id: company,
        role: invitation.role,
    })
}

/// The pending invitation of `kind` that `token` opens for `user`, in `tx` (opened acting
/// for `user` alone), which then acts for the invitation's company, locked (returned with
/// the invitation, locked too). Refused when the token opens no invitation of that kind
/// (NOT_FOUND: a member's link accepted as a firm's, or the other way round, reveals
/// nothing), when it is no longer pending, or when it is not an open link and was sent to
/// another address than `user`'s account's.
pub(crate) async fn open_invitation(
    tx: &mut PgConnection,
    user: Uuid,
    token: &str,
    kind: InvitationKind,
) -> Result<(InvitationRow, Locked), Error> {
    let opened = invitations::invitation_by_token(tx, &hash_token(token))
        .await?
        .filter(|invitation| invitation.is(kind))
        .ok_or(Error::InvitationNotFound)?;
    // The token proves the invitation: from here on, act for its company.
    let company = opened.company_id;
    act_as(tx, Some(company), Some(user)).await?;
    let locked = companies::lock_company(tx, company).await?;
    let invitation = invitations::invitation_of(tx, company, opened.invitation_id)
        .await?
        .ok_or(Error::InvitationNotFound)?;
    invitation.state(Utc::now()).require_pending()?;
    if !invitation.open_link {
        let email = accounts::account_email(tx, user)
            .await?
            .ok_or(Error::AccountUnknown)?;
        if email != invitation.email {
            return Err(Error::InvitationEmailMismatch(invitation.email));
        }
    }
    Ok((invitation, locked))
}
