//! A company's roles: the built-in ones and its own custom roles, made of the shared
//! permissions. A custom role cannot vanish while a member or a pending invitation holds
//! it.

use comptoir_runtime::{Deps, FieldViolations, idempotency};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::{Ctx, access, in_company};
use crate::domain::members::{CustomRole, Role, not_built_in};
use crate::error::Error;
use crate::store::roles;

/// The permissions of `role`, a built-in role or one of the company's custom roles;
/// INVALID_ARGUMENT on `field` otherwise.
pub(crate) async fn known_role(
    conn: impl PgExecutor<'_>,
    company: Uuid,
    field: &str,
    role: &str,
) -> Result<Vec<String>, Error> {
    match access::role_permissions(conn, company, role).await? {
        Some(permissions) => Ok(permissions),
        None => {
            let mut violations = FieldViolations::new();
            violations.add(field, format!("`{role}` is not a role of this company"));
            Err(Error::InvalidArgument(violations))
        }
    }
}

/// `ListRoles`: the built-in roles, then the company's own by key.
pub(crate) async fn list_roles(pool: &PgPool, ctx: &Ctx) -> Result<Vec<Role>, Error> {
    let custom = ctx
        .read(pool, async |tx, company| {
            roles::custom_roles(tx, company).await
        })
        .await?;
    Ok(Role::built_in()
        .chain(custom.into_iter().map(|row| {
            Role::from(CustomRole {
                key: row.role_key,
                name: row.name,
                permissions: row.permissions,
            })
        }))
        .collect())
}

/// `CreateRole`: `role` added to the company, once per idempotency `key`; a replay
/// answers what the first call answered, as `answer` encoded it.
pub(crate) async fn create_role<R>(
    deps: &Deps,
    ctx: &Ctx,
    role: &CustomRole,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&CustomRole) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let (company, user) = (ctx.company, ctx.user);
    let scope = format!("{user}/{company}/CreateRole");
    in_company(deps, company, user, async |tx, _| {
        idempotency::once(tx, &scope, key, request, async |tx| {
            roles::insert_role(tx, company, role).await?;
            ctx.audit(tx, "role.created", serde_json::json!({"role": role.key}))
                .await?;
            Ok::<_, Error>(answer(role))
        })
        .await
    })
    .await
}

/// `UpdateRole`: the custom role of `role`'s key becomes `role`.
pub(crate) async fn update_role(deps: &Deps, ctx: &Ctx, role: &CustomRole) -> Result<(), Error> {
    let (company, user) = (ctx.company, ctx.user);
    in_company(deps, company, user, async |tx, _| {
        if !roles::update_role(tx, company, role).await? {
            return Err(Error::RoleNotFound(role.key.clone()));
        }
        ctx.audit(tx, "role.updated", serde_json::json!({"role": role.key}))
            .await?;
        Ok(())
    })
    .await
}

/// `DeleteRole`: the custom role `key` goes, unless someone holds it.
pub(crate) async fn delete_role(deps: &Deps, ctx: &Ctx, key: &str) -> Result<(), Error> {
    not_built_in(key)?;
    let (company, user) = (ctx.company, ctx.user);
    in_company(deps, company, user, async |tx, _| {
        if roles::role_in_use(tx, company, key).await? {
            return Err(Error::RoleInUse(key.to_owned()));
        }
        if !roles::delete_role(tx, company, key).await? {
            return Err(Error::RoleNotFound(key.to_owned()));
        }
        ctx.audit(tx, "role.deleted", serde_json::json!({"role": key}))
            .await?;
        Ok(())
    })
    .await
}
