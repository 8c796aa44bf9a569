//! Accounting firms' grants on client companies, and the firm members assigned to each
//! client. A grant is the client's row: its transactions act as the client, and as the
//! firm only to read or assign the firm's members.

use comptoir_runtime::{Deps, FieldViolations};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Ctx, in_company};
use crate::domain::CompanyKind;
use crate::error::Error;
use crate::events;
use crate::store::{self, audit, companies, firms};

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
        if CompanyKind::from_stored(&firm_row.kind) != Some(CompanyKind::Firm) {
            return Err(Error::NotAFirm(firm.to_string()));
        }
        firms::upsert_grant(tx, firm, company, role).await?;
        events::firm_grant_created(company, user, firm, role)
            .enqueue(tx)
            .await?;
        ctx.audit(
            tx,
            "firm_grant.created",
            serde_json::json!({"firm_id": firm, "role": role}),
        )
        .await?;
        Ok(())
    })
    .await
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
        let Some(reached) = firms::delete_grant(tx, firm, company, user).await? else {
            return Err(Error::GrantNotFound);
        };
        let lost: Vec<Uuid> = store::access::lost(tx, &reached, (company, user))
            .await?
            .into_iter()
            .map(|(person, _)| person)
            .collect();
        events::firm_grant_revoked(company, user, firm, &lost)
            .enqueue(tx)
            .await?;
        // On the client's trail, whichever end revokes.
        audit::audit(
            tx,
            company,
            &user.to_string(),
            "firm_grant.revoked",
            serde_json::json!({"firm_id": firm}),
        )
        .await?;
        Ok(())
    })
    .await
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
        if !firms::grant_exists(tx, firm, company).await? {
            return Err(Error::GrantNotFound);
        }
        let strangers = firms::non_members(tx, firm, users).await?;
        if !strangers.is_empty() {
            let mut violations = FieldViolations::new();
            for (i, id) in users
                .iter()
                .enumerate()
                .filter(|(_, id)| strangers.contains(id))
            {
                violations.add(
                    format!("user_ids[{i}]"),
                    format!("{id} is not a member of the firm"),
                );
            }
            return Err(Error::InvalidArgument(violations));
        }
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
