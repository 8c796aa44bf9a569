//! Memberships and ownership: who belongs to a company, with which role, and what the
//! plan limit counts.

use chrono::{DateTime, Utc};
use comptoir_domain_types::permissions::ADMINISTRATOR;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Error;

/// A member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MemberRow {
    pub(crate) user_id: Uuid,
    pub(crate) role: String,
    pub(crate) owner: bool,
    pub(crate) created_at: DateTime<Utc>,
}

pub(crate) async fn members(
    conn: &mut PgConnection,
    company: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    let (after_at, after_id) = after.unzip();
    // `!`: coalesce with a literal is never null, which the database does not infer;
    // `owner_id` is null when a firm owns the company, and then no member owns it.
    sqlx::query_as!(
        MemberRow,
        r#"SELECT m.user_id, m.role, coalesce(m.user_id = c.owner_id, false) AS "owner!",
                  m.created_at
             FROM membership m JOIN company c USING (company_id)
            WHERE m.company_id = $1
              AND ($2::timestamptz IS NULL OR (m.created_at, m.user_id) > ($2, $3))
            ORDER BY m.created_at, m.user_id LIMIT $4"#,
        company,
        after_at,
        after_id,
        limit,
    )
    .fetch_all(conn)
    .await
}

pub(crate) async fn member(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
) -> Result<Option<MemberRow>, sqlx::Error> {
    // `!`: as in [`members`].
    sqlx::query_as!(
        MemberRow,
        r#"SELECT m.user_id, m.role, coalesce(m.user_id = c.owner_id, false) AS "owner!",
                  m.created_at
             FROM membership m JOIN company c USING (company_id)
            WHERE m.company_id = $1 AND m.user_id = $2"#,
        company,
        user,
    )
    .fetch_optional(conn)
    .await
}

pub(crate) async fn administrators(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<i64, sqlx::Error> {
    // `!`: count(*) is never null, which the database does not infer.
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM membership WHERE company_id = $1 AND role = $2"#,
        company,
        ADMINISTRATOR.key,
    )
    .fetch_one(conn)
    .await
}

/// Members plus pending, unexpired member invitations: what the plan limit counts (a
/// firm's invitation takes no seat).
pub(crate) async fn seats_taken(
    conn: &mut PgConnection,
    company: Uuid,
) -> Result<i64, sqlx::Error> {
    // `!`: a sum of two counts is never null, which the database does not infer.
    sqlx::query_scalar!(
        r#"SELECT ((SELECT count(*) FROM membership WHERE company_id = $1)
                 + (SELECT count(*) FROM invitation WHERE company_id = $1
                     AND kind = 'member' AND accepted_at IS NULL AND revoked_at IS NULL
                     AND expires_at > now())) AS "seats!""#,
        company,
    )
    .fetch_one(conn)
    .await
}

pub(crate) async fn add_member(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
    role: &str,
) -> Result<(), Error> {
    sqlx::query!(
        "INSERT INTO membership (company_id, user_id, role) VALUES ($1, $2, $3)",
        company,
        user,
        role,
    )
    .execute(conn)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("membership_pkey") => {
            Error::AlreadyMember
        }
        _ => Error::Db(err),
    })?;
    Ok(())
}

pub(crate) async fn set_member_role(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
    role: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE membership SET role = $3, updated_at = now() \
         WHERE company_id = $1 AND user_id = $2",
        company,
        user,
        role,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a member, and their portfolio assignments when the company is a firm.
pub(crate) async fn remove_member(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM portfolio_manager WHERE firm_id = $1 AND user_id = $2",
        company,
        user,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM membership WHERE company_id = $1 AND user_id = $2",
        company,
        user,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The account `user` owns the company from now on (a firm that owned it no longer does).
pub(crate) async fn set_owner(
    conn: &mut PgConnection,
    company: Uuid,
    user: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE company SET owner_id = $2, owner_firm_id = NULL, updated_at = now() \
         WHERE company_id = $1",
        company,
        user,
    )
    .execute(conn)
    .await?;
    Ok(())
}
