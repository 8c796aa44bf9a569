//! Who may act on which company, and with what: a direct membership, or an accounting
//! firm's grant reaching a firm Administrator or one of the client's portfolio managers.
//! This is the one place that answers; `AccessService.CheckAccess` exposes it to identity,
//! and tenancy's own calls use it live (not the token's copy), so a removal takes effect
//! in tenancy at once.

use comptoir_domain_types::permissions::Permission;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::Ctx;
use crate::domain::access::{self, Access};
use crate::error::Error;
use crate::store;

/// The user's access to the company, if any, read in a transaction acting for both. A
/// direct membership wins over a firm grant.
pub(crate) async fn check(
    pool: &PgPool,
    user: Uuid,
    company: Uuid,
) -> Result<Option<Access>, sqlx::Error> {
    store::read(
        pool,
        Some(company),
        Some(user),
        async |tx| match store::access::way_in(tx, user, company).await? {
            Some((role, through_firm)) => {
                access_of(tx, company, role, through_firm).await.map(Some)
            }
            None => Ok(None),
        },
    )
    .await
}

/// The access `role` gives on the company, with the role's permissions resolved as
/// [`role_permissions`] does; `conn` may be a transaction that already locked the company.
pub(crate) async fn access_of(
    conn: impl PgExecutor<'_>,
    company: Uuid,
    role: String,
    through_firm: bool,
) -> Result<Access, sqlx::Error> {
    let permissions = role_permissions(conn, company, &role)
        .await?
        .unwrap_or_default();
    Ok(Access {
        role,
        permissions,
        through_firm,
    })
}

/// The permissions of a role of the company: built-in, or one of its custom roles.
pub(crate) async fn role_permissions(
    conn: impl PgExecutor<'_>,
    company: Uuid,
    role: &str,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    if let Some(built_in) = access::built_in_permissions(role) {
        return Ok(Some(built_in));
    }
    store::roles::custom_role_permissions(conn, company, role).await
}

/// The user acting on their active `company` (`None` when the token has none), with
/// their live access checked for `permission`. No active company, or no access, answers
/// NOT_FOUND (a foreign id reveals nothing); access without the permission answers
/// PERMISSION_DENIED.
pub(crate) async fn authorize(
    pool: &PgPool,
    user: Uuid,
    company: Option<Uuid>,
    permission: Option<Permission>,
) -> Result<Ctx, Error> {
    let company = company.ok_or(Error::NoActiveCompany)?;
    let access = check(pool, user, company)
        .await?
        .ok_or_else(|| Error::CompanyNotFound(company.to_string()))?;
    if let Some(permission) = permission {
        access.require(permission)?;
    }
    Ok(Ctx {
        company,
        user,
        access,
    })
}

/// `CheckAccess`: what `user` may do on `company`; NO_ACCESS when nothing.
pub(crate) async fn check_access(
    pool: &PgPool,
    user: Uuid,
    company: Uuid,
) -> Result<Access, Error> {
    check(pool, user, company).await?.ok_or(Error::NoAccess)
}
