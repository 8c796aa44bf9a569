//! Who reaches a company: the `company_access` view joins direct memberships and the
//! firm grants that reach a firm Administrator or one of the client's portfolio managers.

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
    sqlx::query_as(
        "SELECT role, through_firm FROM company_access \
         WHERE user_id = $1 AND company_id = $2 ORDER BY through_firm, role LIMIT 1",
    )
    .bind(user)
    .bind(company)
    .fetch_optional(conn)
    .await
}
