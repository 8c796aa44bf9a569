//! A company's members: who belongs, their roles and the company's ownership. Nobody
//! grants a permission they do not hold, nobody changes their own role, only the owner or
//! an Administrator makes an Administrator, and a company always keeps its owner and an
//! Administrator.

use chrono::{DateTime, Utc};
use comptoir_runtime::Deps;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{Ctx, access, firms::revoke_lost_clients, in_company, roles::known_role};
use crate::domain::access::{Access, is_administrator};
use crate::domain::firms::Owner;
use crate::domain::members::{self as rules, Granter};
use crate::error::Error;
use crate::events;
use crate::store::audit;
use crate::store::companies::Locked;
use crate::store::firms;
use crate::store::members::{self, MemberRow};

/// Checks that the caller, with `access` (its permissions resolved again in `conn`, under
/// the company's lock), may give `role`; returns the permissions `role` carries.
pub(crate) async fn may_grant(
    conn: &mut PgConnection,
    company: Uuid,
    locked: &Locked,
    user: Uuid,
    access: &Access,
    role: &str,
) -> Result<Vec<String>, Error> {
    let granted = known_role(&mut *conn, company, "role", role).await?;
    let caller = access::access_of(
        &mut *conn,
        company,
        access.role.clone(),
        access.through_firm,
    )
    .await?;
    rules::may_grant(granter(&caller, locked, user), role, &granted)?;
    Ok(granted)
}

fn granter<'a>(access: &'a Access, locked: &Locked, user: Uuid) -> Granter<'a> {
    Granter {
        role: &access.role,
        permissions: &access.permissions,
        owner: locked.owned_by(user),
    }
}

/// `ListMembers`: up to `limit` members of the caller's company, in joining order, after
/// the `(created_at, user_id)` cursor.
pub(crate) async fn list_members(
    pool: &PgPool,
    ctx: &Ctx,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<MemberRow>, Error> {
    ctx.read(pool, async |tx, company| {
        members::members(tx, company, after, limit).await
    })
    .await
}

/// `ChangeMemberRole`: `target` now holds `role` (a firm's Administrator demoted loses the
/// clients only that role brought them to).
pub(crate) async fn change_member_role(
    deps: &Deps,
    ctx: &Ctx,
    target: Uuid,
    role: &str,
) -> Result<MemberRow, Error> {
    let (company, user) = (ctx.company, ctx.user);
    in_company(deps, company, user, async |tx, locked| {
        let member = members::member(tx, company, target)
            .await?
            .ok_or(Error::MemberNotFound)?;
        let demoted = is_administrator(&member.role) && !is_administrator(role);
        if demoted && locked.owned_by(target) {
            return Err(Error::OwnerMustStayAdministrator);
        }
        if demoted && members::administrators(tx, company).await? <= 1 {
            return Err(Error::LastAdministrator);
        }
        rules::may_change(
            granter(&ctx.access, &locked, user),
            user,
            target,
            &member.role,
        )?;
        let permissions = may_grant(tx, company, &locked, user, &ctx.access, role).await?;
        // A firm's Administrator reaches all its clients: demoted, they keep only those
        // another way in still brings them to.
        let reached = if demoted {
            firms::reach(tx, company, None, Some(target)).await?
        } else {
            Vec::new()
        };
        members::set_member_role(tx, company, target, role).await?;
        events::membership_changed(company, user, target, role, permissions)
            .enqueue(tx)
            .await?;
        revoke_lost_clients(tx, &reached, (company, user)).await?;
        ctx.audit(
            tx,
            "membership.changed",
            serde_json::json!({"user_id": target, "from": member.role, "to": role}),
        )
        .await?;
        Ok(MemberRow {
            role: role.to_owned(),
            ..member
        })
    })
    .await
}

/// `RemoveMember`: `target` leaves the company (and, in a firm, their portfolios and the
/// clients they reached through it).
pub(crate) async fn remove_member(deps: &Deps, ctx: &Ctx, target: Uuid) -> Result<(), Error> {
    let (company, user) = (ctx.company, ctx.user);
    in_company(deps, company, user, async |tx, locked| {
        let member = members::member(tx, company, target)
            .await?
            .ok_or(Error::MemberNotFound)?;
        if locked.owned_by(target) {
            return Err(Error::OwnerCannotBeRemoved);
        }
        if is_administrator(&member.role) && members::administrators(tx, company).await? <= 1 {
            return Err(Error::LastAdministrator);
        }
        // Leaving a firm ends the clients it brought them to, unless another way in remains.
        let reached = firms::reach(tx, company, None, Some(target)).await?;
        members::remove_member(tx, company, target).await?;
        events::membership_revoked(company, user, target)
            .enqueue(tx)
            .await?;
        revoke_lost_clients(tx, &reached, (company, user)).await?;
        ctx.audit(
            tx,
            "membership.revoked",
            serde_json::json!({"user_id": target}),
        )
        .await?;
        Ok(())
    })
    .await
}

/// `TransferOwnership`: the owner hands the company to `target`, an Administrator. A
/// company its firm owns has no owning account, so this always refuses there: the firm
/// hands its client over as it disconnects (`app::firms::disconnect_client`).
pub(crate) async fn transfer_ownership(deps: &Deps, ctx: &Ctx, target: Uuid) -> Result<(), Error> {
    let (company, user) = (ctx.company, ctx.user);
    in_company(deps, company, user, async |tx, locked| {
        if !locked.owned_by(user) {
            return Err(Error::OwnerOnly);
        }
        let member = members::member(tx, company, target)
            .await?
            .ok_or(Error::MemberNotFound)?;
        if !is_administrator(&member.role) {
            return Err(Error::NewOwnerMustBeAdministrator);
        }
        hand_over(tx, company, user, Owner::User(user), target).await
    })
    .await
}

/// In a transaction acting for `company` with its row locked: `target` (a member the
/// caller checked to be an Administrator) owns the company instead of `from`, done by
/// `actor`; announced (`ownership.transferred`) and audited.
pub(crate) async fn hand_over(
    conn: &mut PgConnection,
    company: Uuid,
    actor: Uuid,
    from: Owner,
    target: Uuid,
) -> Result<(), Error> {
    members::set_owner(conn, company, target).await?;
    events::ownership_transferred(company, actor, from, target)
        .enqueue(&mut *conn)
        .await?;
    let details = match from {
        Owner::User(user) => serde_json::json!({"from": user, "to": target}),
        Owner::Firm(firm) => serde_json::json!({"from_firm": firm, "to": target}),
    };
    audit::audit(
        conn,
        company,
        &actor.to_string(),
        "ownership.transferred",
        details,
    )
    .await?;
    Ok(())
}
