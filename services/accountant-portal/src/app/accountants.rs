//! The client company's side of the portal: its Administrator invites its accounting
//! firm, sees which firms keep its books, and ends their access. Tenancy owns the
//! invitations and the firm grants, so each call is tenancy's, made with the caller's own
//! token; the portal adds one thing, `portfolio.client_added`, once a firm accepted.

use comptoir_domain_types::legal::Email;
use comptoir_runtime::Deps;
use uuid::Uuid;

use crate::app::Ctx;
use crate::app::firm::ThroughTenancy;
use crate::error::Error;
use crate::events;
use crate::tenancy::{GrantedFirm, PendingFirmInvitation, SentInvitation};

/// Has tenancy invite the accountant at `email` to keep the books of the caller's active
/// company.
pub(crate) async fn invite_accountant(
    through: ThroughTenancy<'_>,
    email: &Email,
) -> Result<SentInvitation, Error> {
    through
        .tenancy
        .invite_firm(through.authorization, email.as_str())
        .await
}

/// Has tenancy accept the invitation `token` opens for the caller's firm (`ctx`), then,
/// when the firm got a new grant, publishes `portfolio.client_added` (a client the firm
/// neither created nor owns, with no code dossier yet). The firm's client list follows
/// tenancy's `firm_grant.created` by itself; the event tells the other services that the
/// client entered the portfolio. Tenancy has committed before the portal's transaction
/// opens: a fault in between loses the event, never the grant. Answers the client.
pub(crate) async fn accept_accountant_invitation(
    ctx: &Ctx,
    deps: &Deps,
    through: ThroughTenancy<'_>,
    token: &str,
) -> Result<Uuid, Error> {
    let accepted = through
        .tenancy
        .accept_firm_invitation(through.authorization, token)
        .await?;
    if accepted.granted {
        let mut tx = ctx.begin(&deps.pool, "portfolio.client_added").await?;
        events::portfolio_client_added(ctx.firm_id, accepted.company_id, "", false, &ctx.actor)
            .enqueue(&mut tx)
            .await?;
        tx.commit().await?;
        deps.outbox.wake();
    }
    Ok(accepted.company_id)
}

/// The firms holding a grant on the caller's active company and its pending firm
/// invitations, as tenancy lists them.
pub(crate) async fn list_accountants(
    through: ThroughTenancy<'_>,
) -> Result<(Vec<GrantedFirm>, Vec<PendingFirmInvitation>), Error> {
    through.tenancy.firm_grants(through.authorization).await
}

/// Has tenancy end `firm_id`'s grant on `company_id`, the caller's active company.
pub(crate) async fn revoke_accountant(
    through: ThroughTenancy<'_>,
    company_id: Uuid,
    firm_id: Uuid,
) -> Result<(), Error> {
    through
        .tenancy
        .revoke_firm_access(through.authorization, firm_id, company_id)
        .await
}
