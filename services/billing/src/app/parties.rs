//! A company's customers and suppliers, one function per call of `PartyService`. Who may
//! act depends on the party's role (customers belong to sales, suppliers to purchasing):
//! the gRPC layer authorises for any party, and these functions again for the role once
//! it is known. A customer's creation, change or archiving is announced as
//! `customer.changed` in the transaction that makes it; suppliers publish nothing.

use comptoir_domain_types::fields::Violations;
use comptoir_domain_types::permissions::{self, Permission};
use comptoir_runtime::{Deps, FieldViolations};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Ctx, idempotent, violations_under};
use crate::domain::PartyRole;
use crate::domain::party::{Party, PartyFields, PartyInput};
use crate::error::{Error, books_or};
use crate::events;
use crate::store::parties::{self, PartyFilter, PartyRow};

/// Who may read parties of any role: the union of [`readers`].
pub(crate) const ANY_READER: [Permission; 3] = [
    permissions::Permission::InvoicesRead,
    permissions::Permission::QuotesWrite,
    permissions::Permission::PurchasesWrite,
];
/// Who may write parties of any role: the union of [`writers`].
pub(crate) const ANY_WRITER: [Permission; 3] = [
    permissions::Permission::InvoicesWrite,
    permissions::Permission::QuotesWrite,
    permissions::Permission::PurchasesWrite,
];

/// The permissions, one of which reads parties of `role`: customers are read by whoever
/// invoices or quotes them, suppliers by whoever reads the books or records purchases.
pub(crate) fn readers(role: PartyRole) -> &'static [Permission] {
    match role {
        PartyRole::Customer => &[
            permissions::Permission::InvoicesRead,
            permissions::Permission::QuotesWrite,
        ],
        PartyRole::Supplier => &[
            permissions::Permission::InvoicesRead,
            permissions::Permission::PurchasesWrite,
        ],
    }
}

/// The permissions, one of which writes parties of `role`.
pub(crate) fn writers(role: PartyRole) -> &'static [Permission] {
    match role {
        PartyRole::Customer => &[
            permissions::Permission::InvoicesWrite,
            permissions::Permission::QuotesWrite,
        ],
        PartyRole::Supplier => &[permissions::Permission::PurchasesWrite],
    }
}

/// Refused unless the caller holds one of `needed` for parties of `role`.
pub(crate) fn require(
    ctx: &Ctx,
    role: PartyRole,
    needed: &'static [Permission],
) -> Result<(), Error> {
    if needed.iter().any(|permission| ctx.may(*permission)) {
        return Ok(());
    }
    Err(Error::PartyPermissionDenied { role, needed })
}

/// Announces a customer as it now is; suppliers publish nothing.
async fn announce(conn: &mut PgConnection, ctx: &Ctx, party: &Party) -> Result<(), Error> {
    if party.role != PartyRole::Customer {
        return Ok(());
    }
    events::customer_changed(ctx.company_id, &ctx.actor, party)
        .enqueue(conn)
        .await?;
    Ok(())
}

/// A new party of `role` with checked `fields` (the caller was authorised for the role
/// at the edge, before its fields were read), once per idempotency `key`: a replay
/// answers what the first call answered, as `answer` encoded it.
pub(crate) async fn create_party<R>(
    ctx: &Ctx,
    deps: &Deps,
    (role, fields): (PartyRole, PartyFields),
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&Party) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let company_id = ctx.company_id;
    idempotent(
        ctx,
        deps,
        ("party.created", "CreateParty"),
        (key, request),
        async |conn| {
            let party = parties::insert(conn, company_id, role, &fields, &ctx.actor)
                .await
                .map_err(|err| books_or(err, company_id))?;
            announce(conn, ctx, &party).await?;
            Ok(party)
        },
        answer,
    )
    .await
}

/// One party, if the caller may read parties of its role.
pub(crate) async fn get_party(ctx: &Ctx, deps: &Deps, party_id: Uuid) -> Result<Party, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    let party = parties::get(&mut tx, ctx.company_id, party_id)
        .await?
        .ok_or_else(|| Error::not_found("party", party_id))?;
    require(ctx, party.role, readers(party.role))?;
    Ok(party)
}

/// A change to a party: the fields `paths` name, taken from `changes`.
#[derive(Debug, Clone)]
pub(crate) struct UpdateParty {
    pub(crate) party_id: Uuid,
    pub(crate) changes: PartyInput,
    pub(crate) paths: Vec<String>,
}

/// Changes the fields an update mask names; a change that changes nothing writes,
/// audits and announces nothing.
pub(crate) async fn update_party(
    ctx: &Ctx,
    deps: &Deps,
    update: UpdateParty,
) -> Result<Party, Error> {
    let mut tx = ctx.begin(&deps.pool, "party.updated").await?;
    let party = parties::get_for_update(&mut tx, ctx.company_id, update.party_id)
        .await?
        .ok_or_else(|| Error::not_found("party", update.party_id))?;
    require(ctx, party.role, writers(party.role))?;

    let mut violations = FieldViolations::new();
    let mut merged = PartyInput::of(&party.fields);
    for refusal in merged.apply_mask(&update.changes, &update.paths) {
        violations.add("update_mask", refusal);
    }
    let mut field_violations = Violations::new();
    let fields = merged.parse(party.role, &mut field_violations);
    violations_under("party", &mut violations, field_violations);
    let Some(fields) = fields.filter(|_| violations.is_empty()) else {
        return Err(Error::InvalidArgument(violations));
    };
    if party.fields == fields {
        // Nothing changes: nothing is written, audited or announced.
        return Ok(party);
    }
    let party =
        parties::update(&mut tx, ctx.company_id, party.party_id, &fields, &ctx.actor).await?;
    announce(&mut tx, ctx, &party).await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(party)
}

/// Archives a party; archiving twice is archiving once.
pub(crate) async fn archive_party(ctx: &Ctx, deps: &Deps, party_id: Uuid) -> Result<Party, Error> {
    let mut tx = ctx.begin(&deps.pool, "party.archived").await?;
    let party = parties::get_for_update(&mut tx, ctx.company_id, party_id)
        .await?
        .ok_or_else(|| Error::not_found("party", party_id))?;
    require(ctx, party.role, writers(party.role))?;
    if party.archived_at.is_some() {
        return Ok(party);
    }
    let party = parties::archive(&mut tx, ctx.company_id, party_id, &ctx.actor).await?;
    announce(&mut tx, ctx, &party).await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(party)
}

/// A page of the company's parties of one role, by name (`limit` rows: one more than
/// the page, to learn whether another follows).
pub(crate) async fn list_parties(
    ctx: &Ctx,
    deps: &Deps,
    filter: &PartyFilter,
    limit: i64,
) -> Result<Vec<PartyRow>, Error> {
    require(ctx, filter.role, readers(filter.role))?;
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    Ok(parties::list(&mut tx, ctx.company_id, filter, limit).await?)
}
