//! A firm's workspace: whether the company is a firm (from the directory tenancy's events
//! keep) and whether it enabled its accounting module.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::clients::Reach;

/// An enabled firm workspace.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The firm.
    pub(crate) firm_id: Uuid,
    /// When the module was first enabled.
    pub(crate) enabled_at: DateTime<Utc>,
}

/// Whether `company_id` is a firm, as the directory knows it; None when the directory
/// has not heard of the company yet.
pub(crate) async fn is_firm(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT is_firm FROM directory_company WHERE company_id = $1",
        company_id,
    )
    .fetch_optional(conn)
    .await
}

/// Enables `firm_id`'s workspace, by `actor`, unless it already is; the workspace as it
/// is either way.
pub(crate) async fn enable(
    conn: &mut PgConnection,
    firm_id: Uuid,
    actor: &str,
) -> Result<Workspace, sqlx::Error> {
    sqlx::query!(
        "INSERT INTO firm_workspace (firm_id, enabled_by) VALUES ($1, $2) \
         ON CONFLICT (firm_id) DO NOTHING",
        firm_id,
        actor,
    )
    .execute(&mut *conn)
    .await?;
    let enabled_at = sqlx::query_scalar!(
        "SELECT enabled_at FROM firm_workspace WHERE firm_id = $1",
        firm_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(Workspace {
        firm_id,
        enabled_at,
    })
}

/// Whether `firm_id` enabled its accounting module.
pub(crate) async fn enabled(conn: &mut PgConnection, firm_id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM firm_workspace WHERE firm_id = $1)",
        firm_id,
    )
    .fetch_one(conn)
    .await?
    .unwrap_or(false))
}

/// Whether `company_id` is a client in `firm_id`'s portfolio (connected or not) that
/// `reach` reaches.
pub(crate) async fn reaches_client(
    conn: &mut PgConnection,
    firm_id: Uuid,
    company_id: Uuid,
    reach: Reach,
) -> Result<bool, sqlx::Error> {
    let assigned_to = match reach {
        Reach::AllClients => None,
        Reach::AssignedTo(member) => Some(member),
    };
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM firm_client f \
             WHERE f.firm_id = $1 AND f.company_id = $2 \
               AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM client_manager m \
                   WHERE m.firm_id = f.firm_id AND m.company_id = f.company_id \
                     AND m.user_id = $3)))",
        firm_id,
        company_id,
        assigned_to,
    )
    .fetch_one(conn)
    .await?
    .unwrap_or(false))
}

/// Waits for any other creation of a client with `file_code` in `firm_id` to end (a lock
/// held until the transaction ends), so that two at once cannot both pass the check of
/// [`file_code_taken`] and have tenancy create two companies.
pub(crate) async fn lock_file_code(
    conn: &mut PgConnection,
    firm_id: Uuid,
    file_code: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        format!("firm_client_file_code:{firm_id}:{file_code}"),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether another client of `firm_id` has `file_code` as its code dossier.
pub(crate) async fn file_code_taken(
    conn: &mut PgConnection,
    firm_id: Uuid,
    file_code: &str,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM firm_client WHERE firm_id = $1 AND file_code = $2)",
        firm_id,
        file_code,
    )
    .fetch_one(conn)
    .await?
    .unwrap_or(false))
}
