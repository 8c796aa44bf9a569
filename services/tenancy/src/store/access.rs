//! Who reaches a company: the `company_access` view joins direct memberships and the
//! firm grants that reach a firm Administrator or one of the client's portfolio managers;
//! and, after a change, who of those a firm brought to a client reaches it no more.

use sqlx::PgConnection;
use uuid::Uuid;

/// The user's role on the company and whether it comes through a firm, in a transaction
/// acting for `company` and `user` (row-level security shows the rows that answer). A
/// direct membership wins over a firm grant.
pub(crate) async fn way_in(
    conn: &mut PgConnection,
    user: Uuid,
    company: Uuid,
) -> Result<Option<(String, bool)>, sqlx::Error> {
    // `!`: a view's columns are described as nullable; both sides of company_access's
    // UNION take them from NOT NULL columns or literals.
    let row = sqlx::query!(
        r#"SELECT role AS "role!", through_firm AS "through_firm!" FROM company_access
            WHERE user_id = $1 AND company_id = $2 ORDER BY through_firm, role LIMIT 1"#,
        user,
        company,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| (row.role, row.through_firm)))
}

/// Which of the `(person, company)` pairs no longer reach the company at all, each asked
/// as `CheckAccess` asks ([`way_in`], in the transaction acting for that company and
/// person): a direct membership, or another firm's grant or role, keeps access. Called
/// after a change that may have cut people off, in its transaction, so the answer sees
/// the change; the transaction acts for `acting` (company, user) again afterwards.
pub(crate) async fn lost(
    conn: &mut PgConnection,
    reached: &[(Uuid, Uuid)],
    acting: (Uuid, Uuid),
) -> Result<Vec<(Uuid, Uuid)>, sqlx::Error> {
    let mut lost = Vec::new();
    for &(person, company) in reached {
        super::act_as(conn, Some(company), Some(person)).await?;
        if way_in(conn, person, company).await?.is_none() {
            lost.push((person, company));
        }
    }
    super::act_as(conn, Some(acting.0), Some(acting.1)).await?;
    Ok(lost)
}
