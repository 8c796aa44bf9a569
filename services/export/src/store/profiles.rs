//! The `seller_profile` table: each company's legal identity, kept from tenancy's events.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::profile::SellerProfile;

/// Keeps a company's seller profile at `version` (from `company.created` or
/// `company.updated`, which both carry the whole identity), adding it when unknown. A
/// profile older than the one held changes nothing; the same version again rewrites the
/// same values (the inbox keeps redeliveries out). False when it was set aside.
pub(crate) async fn keep_profile(
    conn: &mut PgConnection,
    company_id: Uuid,
    legal_name: &str,
    siren: &str,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        "INSERT INTO seller_profile AS p (company_id, legal_name, siren, version) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (company_id) DO UPDATE SET legal_name = EXCLUDED.legal_name, \
             siren = EXCLUDED.siren, version = EXCLUDED.version, updated_at = now() \
         WHERE p.version <= EXCLUDED.version",
        company_id,
        legal_name,
        siren,
        version,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// The profile of a company, if known.
pub(crate) async fn profile(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<SellerProfile>, sqlx::Error> {
    sqlx::query_as!(
        SellerProfile,
        "SELECT company_id, legal_name, siren FROM seller_profile WHERE company_id = $1",
        company_id,
    )
    .fetch_optional(conn)
    .await
}
