//! Who may act on which company, and with what: a direct membership, or an accounting
//! firm's grant reaching a firm Administrator or one of the client's portfolio managers.
//! This is the one place that answers; `AccessService.CheckAccess` exposes it to identity,
//! and tenancy's own calls use it live (not the token's copy), so a removal takes effect
//! in tenancy at once.

use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::{Caller, Deps, FieldViolations};
use sqlx::{PgExecutor, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

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

/// The caller's active company and their live access to it, with `permission` checked.
/// No active company, or no access, answers NOT_FOUND (a foreign id reveals nothing);
/// access without the permission answers PERMISSION_DENIED.
pub(crate) async fn authorize<T>(
    pool: &PgPool,
    request: &Request<T>,
    permission: Option<&str>,
) -> Result<(Uuid, Uuid, Access), Status> {
    let Caller::User {
        user_id,
        company_id,
        ..
    } = Caller::of(request)?
    else {
        return Err(Error::UserRequired.into());
    };
    let company = company_id.ok_or(Error::NoActiveCompany)?;
    let access = check(pool, *user_id, company)
        .await
        .map_err(Error::from)?
        .ok_or_else(|| Error::CompanyNotFound(company.to_string()))?;
    if let Some(permission) = permission {
        access.require(permission)?;
    }
    Ok((company, *user_id, access))
}

pub(crate) fn server(deps: Deps) -> pb::access_service_server::AccessServiceServer<AccessGrpc> {
    pb::access_service_server::AccessServiceServer::new(AccessGrpc { deps })
}

pub(crate) struct AccessGrpc {
    deps: Deps,
}

#[tonic::async_trait]
impl pb::access_service_server::AccessService for AccessGrpc {
    async fn check_access(
        &self,
        request: Request<pb::CheckAccessRequest>,
    ) -> Result<Response<pb::CheckAccessResponse>, Status> {
        Caller::of(&request)?.require_service()?;
        let mut violations = FieldViolations::new();
        let user = violations.uuid("user_id", &request.get_ref().user_id);
        let company = violations.uuid("company_id", &request.get_ref().company_id);
        violations.into_result()?;
        let (Some(user), Some(company)) = (user, company) else {
            unreachable!("validated above")
        };
        let access = check(&self.deps.pool, user, company)
            .await
            .map_err(Error::from)?
            .ok_or(Error::NoAccess)?;
        Ok(Response::new(pb::CheckAccessResponse {
            role: access.role,
            permissions: access.permissions,
            through_firm: access.through_firm,
        }))
    }
}
