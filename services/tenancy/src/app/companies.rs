//! Companies: a creation (its creator becomes owner and Administrator), a read, a change
//! of legal identity, and the companies a user may act on. Creation and change are
//! audited and announced (`company.created`, `company.updated`) in their transaction.

use chrono::{DateTime, Utc};
use comptoir_domain_types::permissions;
use comptoir_runtime::{Deps, idempotency};
use sqlx::PgPool;
use uuid::Uuid;

use crate::app::access;
use crate::domain::firms::Owner;
use crate::domain::{LegalIdentity, NewCompany};
use crate::error::Error;
use crate::events;
use crate::store::{self, audit, companies, companies::CompanyRow, companies::MembershipRow};

/// `CreateCompany`: `new`, owned by `owner`, once per idempotency `key`; a replay answers
/// what the first call answered, as `answer` encoded it.
pub(crate) async fn create_company<R>(
    deps: &Deps,
    owner: Uuid,
    new: &NewCompany,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&CompanyRow) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let scope = format!("{owner}/CreateCompany");
    let company_id = Uuid::now_v7();

    let mut tx = store::begin(&deps.pool, Some(company_id), Some(owner)).await?;
    let response = idempotency::once(&mut tx, &scope, key, request, async |tx| {
        let company =
            companies::insert_company(tx, company_id, Owner::User(owner), owner, new).await?;
        audit::audit(
            tx,
            company.company_id,
            &owner.to_string(),
            "company.created",
            serde_json::json!({
                "siret": new.identity.siret.to_string(),
                "legal_name": company.legal_name,
            }),
        )
        .await?;
        events::company_created(&company, owner, Owner::User(owner))
            .enqueue(tx)
            .await?;
        Ok::<_, Error>(answer(&company))
    })
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(response)
}

/// `GetCompany`: the company, if `user` may act on it.
pub(crate) async fn get_company(
    pool: &PgPool,
    user: Uuid,
    company_id: Uuid,
) -> Result<CompanyRow, Error> {
    store::read(pool, Some(company_id), Some(user), async |tx| {
        companies::company_visible_to(tx, user, company_id).await
    })
    .await?
    .ok_or_else(|| Error::CompanyNotFound(company_id.to_string()))
}

/// A change to a company's legal identity.
#[derive(Debug, Clone)]
pub(crate) struct UpdateCompany {
    /// The company.
    pub(crate) company_id: Uuid,
    /// The fields the update mask names, as named, for the audit trail and the event.
    pub(crate) changed_fields: Vec<String>,
}

/// `UpdateCompany`: the identity `revise` makes of the stored one, read under lock so
/// concurrent updates apply one after the other, for a caller holding `settings.write`
/// on the company; once per idempotency `key`.
pub(crate) async fn update_company<R>(
    deps: &Deps,
    user: Uuid,
    update: UpdateCompany,
    (key, request): (&str, &impl prost::Message),
    revise: impl FnOnce(&CompanyRow) -> Result<LegalIdentity, Error>,
    answer: impl FnOnce(&CompanyRow) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let UpdateCompany {
        company_id,
        changed_fields,
    } = update;
    let scope = format!("{user}/UpdateCompany");

    let mut tx = store::begin(&deps.pool, Some(company_id), Some(user)).await?;
    let response = idempotency::once(&mut tx, &scope, key, request, async |tx| {
        let locked = companies::company_for_update(tx, user, company_id)
            .await?
            .ok_or_else(|| Error::CompanyNotFound(company_id.to_string()))?;
        access::access_of(&mut *tx, company_id, locked.role, locked.through_firm)
            .await?
            .require(permissions::Permission::SettingsWrite)?;
        let identity = revise(&locked.company)?;
        let company = companies::update_company(tx, company_id, &identity).await?;
        audit::audit(
            tx,
            company_id,
            &user.to_string(),
            "company.updated",
            serde_json::json!({ "changed_fields": changed_fields }),
        )
        .await?;
        events::company_updated(&company, user, changed_fields)
            .enqueue(tx)
            .await?;
        Ok::<_, Error>(answer(&company))
    })
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(response)
}

/// `ListMyCompanies`: up to `limit` companies `user` may act on, in joining order, after
/// the `(joined_at, company_id)` cursor. Across companies: no acting company, only the
/// user's own rows and the firm grants that reach them.
pub(crate) async fn list_my_companies(
    pool: &PgPool,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<MembershipRow>, Error> {
    store::read(pool, None, Some(user), async |tx| {
        companies::memberships(tx, user, after, limit).await
    })
    .await
}
