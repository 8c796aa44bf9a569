//! Accounting firms' grants on client companies, the firm members assigned to each
//! client, and the clients a firm creates and owns: created with the firm's
//! "administrator" grant, their director invited as Administrator, and disconnected
//! (handed over to one of their Administrators, or kept owned). A grant is the client's
//! row: its transactions act as the client, and as the firm only to read or assign the
//! firm's members.

use comptoir_domain_types::permissions::ADMINISTRATOR;
use comptoir_runtime::{Deps, FieldViolations, idempotency};
use sqlx::PgConnection;
use uuid::Uuid;

use super::invitations::{Invite, Sending, send_again, send_invitation};
use super::members::{hand_over, may_grant};
use super::{Ctx, in_company};
use crate::domain::access::Access;
use crate::domain::firms::{Owner, may_hand_over};
use crate::domain::members::{InvitationKind, normalise_email};
use crate::domain::{CompanyKind, NewCompany};
use crate::error::Error;
use crate::events;
use crate::store::companies::{CompanyRow, Locked};
use crate::store::invitations::InvitationRow;
use crate::store::{self, act_as, audit, companies, firms, members};

/// `GrantFirmAccess`: `firm` may act on the caller's company with `role` (created, or
/// re-roled if it already could).
pub(crate) async fn grant_firm_access(
    deps: &Deps,
    ctx: &Ctx,
    firm: Uuid,
    role: &str,
) -> Result<(), Error> {
    let (company, user) = (ctx.company, ctx.user);
    in_company(deps, company, user, async |tx, _| {
        let firm_row = companies::lock_company(tx, firm)
            .await
            .map_err(|_| Error::FirmNotFound(firm.to_string()))?;
        require_firm(firm, &firm_row)?;
        record_grant(tx, firm, company, user, role).await
    })
    .await
}

/// Refused with NOT_A_FIRM unless the locked company `firm` is an accounting firm.
pub(crate) fn require_firm(firm: Uuid, locked: &Locked) -> Result<(), Error> {
    if CompanyKind::from_stored(&locked.kind) == Some(CompanyKind::Firm) {
        Ok(())
    } else {
        Err(Error::NotAFirm(firm.to_string()))
    }
}

/// In a transaction acting for the client `company`: `firm` may act on it with `role`
/// (created, or re-roled), announced (`firm_grant.created`) and audited on the client's
/// trail as done by `user`.
pub(crate) async fn record_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    user: Uuid,
    role: &str,
) -> Result<(), Error> {
    firms::upsert_grant(conn, firm, company, role).await?;
    events::firm_grant_created(company, user, firm, role)
        .enqueue(&mut *conn)
        .await?;
    audit::audit(
        conn,
        company,
        &user.to_string(),
        "firm_grant.created",
        serde_json::json!({"firm_id": firm, "role": role}),
    )
    .await?;
    Ok(())
}

/// `RevokeFirmAccess`: ends `firm`'s grant on `company`, from either end (the caller's
/// active company is the firm or the client).
pub(crate) async fn revoke_firm_access(
    deps: &Deps,
    ctx: &Ctx,
    firm: Uuid,
    company: Uuid,
) -> Result<(), Error> {
    let (active, user) = (ctx.company, ctx.user);
    if active != firm && active != company {
        return Err(Error::GrantNotFound);
    }
    in_company(deps, company, user, async |tx, _| {
        end_grant(tx, firm, company, user).await
    })
    .await
}

/// In a transaction acting for the client `company` with its row locked: ends `firm`'s
/// grant on it (GrantNotFound when there is none), announced (`firm_grant.revoked`, naming
/// the firm's people who reach the client no more) and audited on the client's trail,
/// whichever end revokes.
async fn end_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    user: Uuid,
) -> Result<(), Error> {
    let Some(reached) = firms::delete_grant(conn, firm, company, user).await? else {
        return Err(Error::GrantNotFound);
    };
    let lost: Vec<Uuid> = store::access::lost(conn, &reached, (company, user))
        .await?
        .into_iter()
        .map(|(person, _)| person)
        .collect();
    events::firm_grant_revoked(company, user, firm, &lost)
        .enqueue(&mut *conn)
        .await?;
    audit::audit(
        conn,
        company,
        &user.to_string(),
        "firm_grant.revoked",
        serde_json::json!({"firm_id": firm}),
    )
    .await?;
    Ok(())
}

/// After a change to a firm's members, roles or assignments, in its transaction: each of
/// the people the firm brought to a client (`reached`, as [`firms::reach`] read them
/// before the change) who no longer reaches that client at all gets a `membership.revoked`
/// for the client. Their tokens name the client, not the firm, so this is what makes every
/// service refuse them at once. The transaction acts for `acting` (company, user), the
/// caller, before and after.
pub(crate) async fn revoke_lost_clients(
    conn: &mut PgConnection,
    reached: &[(Uuid, Uuid)],
    acting: (Uuid, Uuid),
) -> Result<(), Error> {
    for (person, client) in store::access::lost(conn, reached, acting).await? {
        events::membership_revoked(client, acting.1, person)
            .enqueue(conn)
            .await?;
    }
    Ok(())
}

/// `SetPortfolioManagers`: the members of the caller's firm (`users`, in the request's
/// order) assigned to its client `company`, replacing the previous ones.
pub(crate) async fn set_portfolio_managers(
    deps: &Deps,
    ctx: &Ctx,
    company: Uuid,
    users: &[Uuid],
) -> Result<(), Error> {
    let (firm, user) = (ctx.company, ctx.user);
    in_company(deps, firm, user, async |tx, _| {
        if firms::grant_role(tx, firm, company).await?.is_none() {
            return Err(Error::GrantNotFound);
        }
        firm_members_only(tx, firm, users, "user_ids").await?;
        let reached = firms::reach(tx, firm, Some(company), None).await?;
        firms::set_portfolio_managers(tx, firm, company, users).await?;
        revoke_lost_clients(tx, &reached, (firm, user)).await?;
        ctx.audit(
            tx,
            "portfolio_managers.set",
            serde_json::json!({"company_id": company, "user_ids": users}),
        )
        .await?;
        Ok(())
    })
    .await
}

/// Refused with INVALID_ARGUMENT on `field[i]` for each of `users` who is not a member of
/// `firm`, in a transaction acting for the firm.
async fn firm_members_only(
    conn: &mut PgConnection,
    firm: Uuid,
    users: &[Uuid],
    field: &str,
) -> Result<(), Error> {
    let strangers = firms::non_members(conn, firm, users).await?;
    if strangers.is_empty() {
        return Ok(());
    }
    let mut violations = FieldViolations::new();
    for (i, id) in users
        .iter()
        .enumerate()
        .filter(|(_, id)| strangers.contains(id))
    {
        violations.add(
            format!("{field}[{i}]"),
            format!("{id} is not a member of the firm"),
        );
    }
    Err(Error::InvalidArgument(violations))
}

/// A client company for the caller's firm to create and own.
#[derive(Debug, Clone)]
pub(crate) struct NewClient {
    /// Its legal identity (kind company).
    pub(crate) company: NewCompany,
    /// The firm's members assigned to it, in the request's order.
    pub(crate) portfolio_managers: Vec<Uuid>,
    /// The director's address (normalised) to invite as Administrator now; `None` to
    /// invite later, with [`invite_director`].
    pub(crate) invite_director: Option<String>,
}

/// `CreateClientCompany`: the caller's firm creates `client`, and owns it, once per
/// idempotency `key`; a replay answers what the first call answered, as `answer` encoded
/// it (from the company and the director's invitation, if sent). In the firm's transaction
/// (its row locked, so its members cannot change meanwhile): the portfolio managers are
/// checked to be the firm's members, then, acting as the new client, the company (owned by
/// the firm, with no member), the firm's "administrator" grant and the director's
/// invitation; then, acting as the firm again, the portfolio assignment.
pub(crate) async fn create_client_company<R>(
    deps: &Deps,
    sending: &Sending,
    ctx: &Ctx,
    client: NewClient,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&CompanyRow, Option<&InvitationRow>) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let (firm, user) = (ctx.company, ctx.user);
    let scope = format!("{user}/{firm}/CreateClientCompany");
    let company_id = Uuid::now_v7();
    let owner = Owner::Firm(firm);
    in_company(deps, firm, user, async |tx, locked| {
        require_firm(firm, &locked)?;
        idempotency::once(tx, &scope, key, request, async |tx| {
            let NewClient {
                company: new,
                portfolio_managers,
                invite_director,
            } = client;
            firm_members_only(tx, firm, &portfolio_managers, "portfolio_manager_ids").await?;
            act_as(tx, Some(company_id), Some(user)).await?;
            let company = companies::insert_company(tx, company_id, owner, user, &new).await?;
            audit::audit(
                tx,
                company_id,
                &user.to_string(),
                "company.created",
                serde_json::json!({
                    "siret": new.identity.siret.to_string(),
                    "legal_name": company.legal_name,
                    "owner_firm_id": firm,
                }),
            )
            .await?;
            events::company_created(&company, user, owner)
                .enqueue(&mut *tx)
                .await?;
            record_grant(tx, firm, company_id, user, ADMINISTRATOR.key).await?;
            let invitation = match invite_director {
                Some(email) => {
                    Some(send_invitation(tx, sending, company_id, user, director(email)).await?)
                }
                None => None,
            };
            act_as(tx, Some(firm), Some(user)).await?;
            firms::set_portfolio_managers(tx, firm, company_id, &portfolio_managers).await?;
            ctx.audit(
                tx,
                "client_company.created",
                serde_json::json!({
                    "company_id": company_id,
                    "portfolio_manager_ids": portfolio_managers,
                }),
            )
            .await?;
            Ok::<_, Error>(answer(&company, invitation.as_ref()))
        })
        .await
    })
    .await
}

/// The invitation of a client's director: Administrator, for their own address only.
fn director(email: String) -> Invite {
    Invite {
        email,
        role: ADMINISTRATOR.key.to_owned(),
        open_link: false,
        kind: InvitationKind::Member,
    }
}

/// Runs `change` on the caller's firm's client `company` in a transaction acting for the
/// client, with its row locked, given the role of the firm's grant on it (locked too).
/// A company the firm holds no grant on answers GrantNotFound, whether it exists or not,
/// so a firm learns nothing of companies that are not its clients.
async fn on_client<R>(
    deps: &Deps,
    ctx: &Ctx,
    company: Uuid,
    change: impl AsyncFnOnce(&mut PgConnection, Locked, String) -> Result<R, Error>,
) -> Result<R, Error> {
    let firm = ctx.company;
    in_company(deps, company, ctx.user, async |tx, locked| {
        let role = firms::grant_role(tx, firm, company)
            .await?
            .ok_or(Error::GrantNotFound)?;
        change(tx, locked, role).await
    })
    .await
    .map_err(|err| match err {
        // Only the lock of `company` itself, before `change`, answers this.
        Error::CompanyNotFound(id) if id == company.to_string() => Error::GrantNotFound,
        err => err,
    })
}

/// `InviteDirector`: the director of the caller's firm's client `company` is invited as its
/// Administrator, at `email`, or at the director's address the company's identity records
/// when `email` is `None` (INVALID_ARGUMENT on `email` when it records none). The firm's
/// grant must carry the Administrator role, as an invitation to Administrator needs
/// ([`may_grant`]). Sending again revokes the address's invitations still open (pending or
/// expired), so only the newest link works and the one-pending-per-address rule holds.
pub(crate) async fn invite_director(
    deps: &Deps,
    sending: &Sending,
    ctx: &Ctx,
    company: Uuid,
    email: Option<String>,
) -> Result<InvitationRow, Error> {
    let user = ctx.user;
    on_client(deps, ctx, company, async |tx, locked, role| {
        let through_grant = Access {
            role,
            permissions: Vec::new(),
            through_firm: true,
        };
        may_grant(
            tx,
            company,
            &locked,
            user,
            &through_grant,
            ADMINISTRATOR.key,
        )
        .await?;
        let email = match email {
            Some(email) => email,
            None => stored_director_email(tx, company).await?,
        };
        send_again(tx, sending, company, user, director(email)).await
    })
    .await
}

/// The director's address the company's identity records, normalised as an invitation's;
/// INVALID_ARGUMENT on `email` when it records none.
async fn stored_director_email(conn: &mut PgConnection, company: Uuid) -> Result<String, Error> {
    let stored = companies::director_email(conn, company).await?;
    match stored.as_deref().map(normalise_email) {
        Some(Ok(email)) => Ok(email),
        _ => {
            let mut violations = FieldViolations::new();
            violations.add(
                "email",
                "is required: the company records no director's e-mail",
            );
            Err(Error::InvalidArgument(violations))
        }
    }
}

/// `DisconnectClient`: the caller's firm's grant on its client `company` ends, as
/// [`revoke_firm_access`] ends it. With `transfer_to`, the firm, which must own the client,
/// hands it over to that member of the client, who must be its Administrator; the checks
/// come first, so a refusal changes nothing. Without it, a firm that owns the client stays
/// its owner.
pub(crate) async fn disconnect_client(
    deps: &Deps,
    ctx: &Ctx,
    company: Uuid,
    transfer_to: Option<Uuid>,
) -> Result<(), Error> {
    let (firm, user) = (ctx.company, ctx.user);
    on_client(deps, ctx, company, async |tx, locked, _| {
        if let Some(target) = transfer_to {
            let member = members::member(tx, company, target).await?;
            may_hand_over(locked.owner, firm, member.as_ref().map(|m| m.role.as_str()))?;
        }
        end_grant(tx, firm, company, user).await?;
        if let Some(target) = transfer_to {
            hand_over(tx, company, user, Owner::Firm(firm), target).await?;
        }
        Ok(())
    })
    .await
}
