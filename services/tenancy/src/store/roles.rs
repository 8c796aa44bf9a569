//! Custom roles: a company's own roles, made of the shared permissions.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::members::CustomRole;
use crate::error::Error;

/// A custom role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RoleRow {
    pub(crate) role_key: String,
    pub(crate) name: String,
    pub(crate) permissions: Vec<String>,
}

pub(crate) async fn custom_roles(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<Vec<RoleRow>, sqlx::Error> {
    sqlx::query_as!(
        RoleRow,
        "SELECT role_key, name, permissions FROM custom_role WHERE company_id = $1 \
         ORDER BY role_key",
        company,
    )
    .fetch_all(conn)
    .await
}

pub(crate) async fn insert_role(
    conn: &mut PgConnection,
    company: Uuid,
    role: &CustomRole,
) -> Result<(), Error> {
    sqlx::query!(
        "INSERT INTO custom_role (company_id, role_key, name, permissions) VALUES ($1, $2, $3, $4)",
        company,
        &role.key,
        &role.name,
        &role.permissions,
    )
    .execute(conn)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("custom_role_pkey") => {
            Error::RoleExists(role.key.clone())
        }
        _ => Error::Db(err),
    })?;
    Ok(())
}

/// Updates a custom role; false if it does not exist.
pub(crate) async fn update_role(
    conn: &mut PgConnection,
    company: Uuid,
    role: &CustomRole,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE custom_role SET name = $3, permissions = $4, updated_at = now() \
         WHERE company_id = $1 AND role_key = $2",
        company,
        &role.key,
        &role.name,
        &role.permissions,
    )
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Whether a member or a pending invitation holds the role.
pub(crate) async fn role_in_use(
    conn: &mut PgConnection,
    company: Uuid,
    role: &str,
) -> Result<bool, sqlx::Error> {
    // `!`: an OR of two EXISTS is never null, which the database does not infer.
    sqlx::query_scalar!(
        r#"SELECT (EXISTS (SELECT 1 FROM membership WHERE company_id = $1 AND role = $2)
               OR EXISTS (SELECT 1 FROM invitation WHERE company_id = $1 AND role = $2
                           AND accepted_at IS NULL AND revoked_at IS NULL
                           AND expires_at > now())) AS "in_use!""#,
        company,
        role,
    )
    .fetch_one(conn)
    .await
}

/// Deletes a custom role; false if it does not exist.
pub(crate) async fn delete_role(
    conn: &mut PgConnection,
    company: Uuid,
    role: &str,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query!(
        "DELETE FROM custom_role WHERE company_id = $1 AND role_key = $2",
        company,
        role,
    )
    .execute(conn)
    .await?;
    Ok(deleted.rows_affected() == 1)
}

/// The permissions of one of the company's custom roles; `None` if it has none by that
/// key.
pub(crate) async fn custom_role_permissions(
    conn: impl PgExecutor<'_>,
    company: Uuid,
    role: &str,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT permissions FROM custom_role WHERE company_id = $1 AND role_key = $2",
        company,
        role,
    )
    .fetch_optional(conn)
    .await
}
