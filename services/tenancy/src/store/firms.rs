//! Firm grants and portfolio managers. A grant is the client's row; the firm's members
//! are read acting as the firm.

use chrono::{DateTime, Utc};
use comptoir_domain_types::permissions::ADMINISTRATOR;
use sqlx::PgConnection;
use uuid::Uuid;

/// A firm's grant on a client, as the client sees it.
#[derive(Debug, Clone)]
pub(crate) struct GrantRow {
    pub(crate) firm_id: Uuid,
    /// The firm's legal name.
    pub(crate) legal_name: String,
    pub(crate) role: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// Creates or re-roles a firm grant.
pub(crate) async fn upsert_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO firm_grant (firm_id, company_id, role) VALUES ($1, $2, $3) \
         ON CONFLICT (firm_id, company_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()",
        firm,
        company,
        role,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Who the firm's grants bring to which client, as `(person, client)` pairs: the firm's
/// Administrators reach every client it holds a grant on, a portfolio manager the clients
/// assigned to them. `client` and `person`, when given, narrow the answer. Read acting as
/// the firm, whose grants, members and assignments these are (the same join as the
/// `company_access` view, which does not name the firm).
pub(crate) async fn reach(
    conn: &mut PgConnection,
    firm: Uuid,
    client: Option<Uuid>,
    person: Option<Uuid>,
) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT fm.user_id, g.company_id FROM firm_grant g \
           JOIN membership fm ON fm.company_id = g.firm_id \
          WHERE g.firm_id = $1 \
            AND ($2::uuid IS NULL OR g.company_id = $2) \
            AND ($3::uuid IS NULL OR fm.user_id = $3) \
            AND (fm.role = $4 \
                 OR EXISTS (SELECT 1 FROM portfolio_manager p \
                             WHERE p.firm_id = g.firm_id AND p.company_id = g.company_id \
                               AND p.user_id = fm.user_id))",
        firm,
        client,
        person,
        ADMINISTRATOR.key,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.user_id, row.company_id))
        .collect())
}

/// Deletes a grant (and its portfolio managers) in a transaction acting for the client
/// `company` and `user`; None if there was none, else who could act on the client
/// through it (see [`reach`]). The firm's members are read acting as the firm, the only
/// company whose members they are.
pub(crate) async fn delete_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    user: Uuid,
) -> Result<Option<Vec<(Uuid, Uuid)>>, sqlx::Error> {
    super::act_as(conn, Some(firm), Some(user)).await?;
    let reached = reach(conn, firm, Some(company), None).await?;
    super::act_as(conn, Some(company), Some(user)).await?;
    let deleted = sqlx::query!(
        "DELETE FROM firm_grant WHERE firm_id = $1 AND company_id = $2",
        firm,
        company,
    )
    .execute(&mut *conn)
    .await?;
    Ok((deleted.rows_affected() == 1).then_some(reached))
}

/// The role of `firm`'s grant on `company`, locked; `None` when it holds none.
pub(crate) async fn grant_role(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT role FROM firm_grant WHERE firm_id = $1 AND company_id = $2 FOR UPDATE",
        firm,
        company,
    )
    .fetch_optional(conn)
    .await
}

/// Which of `users` are not members of the firm.
pub(crate) async fn non_members(
    conn: &mut PgConnection,
    firm: Uuid,
    users: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    // `!`: unnest's elements are described as nullable; the ids passed are never null.
    sqlx::query_scalar!(
        r#"SELECT u AS "u!" FROM unnest($2::uuid[]) AS u
            WHERE NOT EXISTS (SELECT 1 FROM membership WHERE company_id = $1 AND user_id = u)"#,
        firm,
        users,
    )
    .fetch_all(conn)
    .await
}

pub(crate) async fn set_portfolio_managers(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    users: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM portfolio_manager WHERE firm_id = $1 AND company_id = $2",
        firm,
        company,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO portfolio_manager (firm_id, company_id, user_id) \
         SELECT $1, $2, u FROM unnest($3::uuid[]) AS u ON CONFLICT DO NOTHING",
        firm,
        company,
        users,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The grants firms hold on `company`, oldest first, each with its firm's legal name; read
/// acting as the client, whose rows the grants are.
pub(crate) async fn grants_on(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<Vec<GrantRow>, sqlx::Error> {
    sqlx::query_as!(
        GrantRow,
        "SELECT g.firm_id, f.legal_name, g.role, g.created_at FROM firm_grant g \
           JOIN company f ON f.company_id = g.firm_id \
          WHERE g.company_id = $1 \
          ORDER BY g.created_at, g.firm_id",
        company,
    )
    .fetch_all(conn)
    .await
}
