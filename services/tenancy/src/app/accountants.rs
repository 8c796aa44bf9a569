//! A company's accounting firms, from the company's side: it invites its firm by e-mail
//! (an invitation of kind firm, sent and opened as a member's is, see `app::invitations`),
//! one of the firm's Administrators accepts with the firm active, and the firm gets an
//! "accountant" grant on the company; the company lists its firms and its open firm
//! invitations. Ending a grant is `app::firms::revoke_firm_access`, from either end.

use comptoir_domain_types::permissions::ACCOUNTANT;
use comptoir_runtime::{Deps, FieldViolations};
use uuid::Uuid;

use super::firms::{record_grant, require_firm};
use super::invitations::{Invite, Sending, open_invitation, send_again};
use super::{Ctx, in_company};
use crate::domain::members::InvitationKind;
use crate::error::Error;
use crate::events;
use crate::store::firms::GrantRow;
use crate::store::invitations::InvitationRow;
use crate::store::{self, audit, companies, firms, invitations};

/// `InviteFirm`: the caller's company invites the accounting firm of the accountant at
/// `email` (normalised), for an "accountant" grant. Sending again revokes the address's
/// firm invitations still open, so only the newest link works.
pub(crate) async fn invite_firm(
    deps: &Deps,
    sending: &Sending,
    ctx: &Ctx,
    email: String,
) -> Result<InvitationRow, Error> {
    let (company, user) = (ctx.company, ctx.user);
    let invite = Invite {
        email,
        role: ACCOUNTANT.key.to_owned(),
        open_link: false,
        kind: InvitationKind::Firm,
    };
    in_company(deps, company, user, async |tx, _| {
        send_again(tx, sending, company, user, invite).await
    })
    .await
}

/// What accepting a firm invitation left in place.
#[derive(Debug, Clone)]
pub(crate) struct FirmAccepted {
    /// The client company that invited the firm.
    pub(crate) company_id: Uuid,
    /// The role of the firm's grant on it.
    pub(crate) role: String,
    /// True when the grant was made now, false when the firm already held one.
    pub(crate) granted: bool,
}

/// `AcceptFirmInvitation`: the caller's active company, an accounting firm, gets an
/// "accountant" grant on the company whose firm invitation `token` opens, if it is
/// pending and was sent to the caller's address. A firm already holding a grant there
/// keeps it unchanged (an "administrator" grant is never lowered); the invitation is used
/// all the same. The invitation's company is locked first, then the firm, in the order
/// `GrantFirmAccess` locks them.
pub(crate) async fn accept_firm_invitation(
    deps: &Deps,
    ctx: &Ctx,
    token: &str,
) -> Result<FirmAccepted, Error> {
    let (firm, user) = (ctx.company, ctx.user);
    let mut tx = store::begin(&deps.pool, None, Some(user)).await?;
    let (invitation, _) = open_invitation(&mut tx, user, token, InvitationKind::Firm).await?;
    let company = invitation.company_id;
    require_firm(firm, &companies::lock_company(&mut tx, firm).await?)?;
    if company == firm {
        let mut violations = FieldViolations::new();
        violations.add("token", "is an invitation of your own firm");
        return Err(violations.into());
    }
    let (role, granted) = match firms::grant_role(&mut tx, firm, company).await? {
        Some(held) => (held, false),
        None => {
            record_grant(&mut tx, firm, company, user, &invitation.role).await?;
            (invitation.role.clone(), true)
        }
    };
    invitations::mark_invitation(&mut tx, invitation.invitation_id, Some(user)).await?;
    events::invitation_used(company, user, invitation.invitation_id)
        .enqueue(&mut tx)
        .await?;
    audit::audit(
        &mut tx,
        company,
        &user.to_string(),
        "invitation.accepted",
        serde_json::json!({
            "invitation_id": invitation.invitation_id,
            "firm_id": firm,
            "role": role,
        }),
    )
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(FirmAccepted {
        company_id: company,
        role,
        granted,
    })
}

/// `ListFirmGrants`: the firms holding a grant on the caller's company, oldest first, and
/// its pending firm invitations, oldest first.
pub(crate) async fn list_firm_grants(
    deps: &Deps,
    ctx: &Ctx,
) -> Result<(Vec<GrantRow>, Vec<InvitationRow>), Error> {
    ctx.read(&deps.pool, async |tx, company| {
        let grants = firms::grants_on(tx, company).await?;
        let pending =
            invitations::pending_invitations(tx, company, InvitationKind::Firm, None, None).await?;
        Ok((grants, pending))
    })
    .await
}
