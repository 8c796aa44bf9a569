//! Tenancy's queries. The only module that sees SQL.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{CompanyKind, NewCompany, OWNER_ROLE};
use crate::error::Error;

/// A stored company.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CompanyRow {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) siren: String,
    pub(crate) kind: String,
    pub(crate) created_at: DateTime<Utc>,
}

impl CompanyRow {
    pub(crate) fn kind(&self) -> CompanyKind {
        CompanyKind::from_stored(&self.kind).unwrap_or(CompanyKind::Company)
    }
}

/// A company with the caller's role in it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MembershipRow {
    #[sqlx(flatten)]
    pub(crate) company: CompanyRow,
    pub(crate) role: String,
    pub(crate) joined_at: DateTime<Utc>,
}

/// Inserts the company and its owner's membership.
pub(crate) async fn insert_company(
    conn: &mut PgConnection,
    owner: Uuid,
    new: &NewCompany,
) -> Result<CompanyRow, Error> {
    let company = sqlx::query_as::<_, CompanyRow>(
        "INSERT INTO company (company_id, legal_name, siren, kind, owner_id, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING company_id, legal_name, siren, kind, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(new.legal_name.as_str())
    .bind(new.siren.as_str())
    .bind(new.kind.as_str())
    .bind(owner)
    .bind(owner.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("company_siren_key") => {
            Error::SirenTaken(new.siren.to_string())
        }
        _ => Error::Db(err),
    })?;
    sqlx::query("INSERT INTO membership (company_id, user_id, role) VALUES ($1, $2, $3)")
        .bind(company.company_id)
        .bind(owner)
        .bind(OWNER_ROLE)
        .execute(&mut *conn)
        .await?;
    Ok(company)
}

/// The company, if `user` is a member of it.
pub(crate) async fn company_of_member(
    pool: &PgPool,
    user: Uuid,
    company_id: Uuid,
) -> Result<Option<CompanyRow>, Error> {
    Ok(sqlx::query_as::<_, CompanyRow>(
        "SELECT c.company_id, c.legal_name, c.siren, c.kind, c.created_at \
         FROM company c JOIN membership m USING (company_id) \
         WHERE c.company_id = $1 AND m.user_id = $2",
    )
    .bind(company_id)
    .bind(user)
    .fetch_optional(pool)
    .await?)
}

/// `user`'s memberships in joining order, after the `(joined_at, company_id)` cursor.
pub(crate) async fn memberships(
    pool: &PgPool,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<MembershipRow>, Error> {
    let (after_at, after_id) = after.unzip();
    Ok(sqlx::query_as::<_, MembershipRow>(
        "SELECT c.company_id, c.legal_name, c.siren, c.kind, c.created_at, \
                m.role, m.created_at AS joined_at \
         FROM membership m JOIN company c USING (company_id) \
         WHERE m.user_id = $1 \
           AND ($2::timestamptz IS NULL OR (m.created_at, m.company_id) > ($2, $3)) \
         ORDER BY m.created_at, m.company_id LIMIT $4",
    )
    .bind(user)
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
