//! The firm's clients: the projection of tenancy's companies and firm grants (kept by
//! the consumers in `events.rs`) and the queries of the client list.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A directory entry.
#[derive(Debug, Clone)]
pub(crate) struct DirectoryRow {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) siren: String,
    pub(crate) is_firm: bool,
    pub(crate) created_at: DateTime<Utc>,
}

/// A company as `company.created` or `company.updated` announce it (both carry the whole
/// identity the directory keeps).
#[derive(Debug, Clone)]
pub(crate) struct Announced<'a> {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: &'a str,
    pub(crate) siren: &'a str,
    pub(crate) is_firm: bool,
    /// The company's version after the announced change.
    pub(crate) version: i64,
}

/// Keeps a company in the directory at its announced version, adding it when unknown
/// (an update may come first). An announcement older than the version held changes
/// nothing; the same version again rewrites the same values (the inbox keeps
/// redeliveries out). False when an older announcement was set aside.
pub(crate) async fn keep_company(
    conn: &mut PgConnection,
    company: &Announced<'_>,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        "INSERT INTO directory_company AS d (company_id, legal_name, siren, is_firm, version) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (company_id) DO UPDATE SET legal_name = EXCLUDED.legal_name, \
             siren = EXCLUDED.siren, is_firm = EXCLUDED.is_firm, version = EXCLUDED.version, \
             updated_at = now() \
         WHERE d.version <= EXCLUDED.version",
        company.company_id,
        company.legal_name,
        company.siren,
        company.is_firm,
        company.version,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// Records that `firm` holds (or no longer holds) a grant on `company`, as of the event
/// `event_id` (a UUIDv7: later events sort after). An event older than the one last
/// applied to the pair changes nothing, so a late grant cannot undo a revocation. False
/// when it was set aside.
pub(crate) async fn keep_grant(
    conn: &mut PgConnection,
    firm: Uuid,
    company: Uuid,
    granted: bool,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let kept = sqlx::query!(
        "INSERT INTO firm_client AS f (firm_id, company_id, granted, event_id) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (firm_id, company_id) DO UPDATE SET granted = EXCLUDED.granted, \
             event_id = EXCLUDED.event_id, updated_at = now() \
         WHERE f.event_id < EXCLUDED.event_id",
        firm,
        company,
        granted,
        event_id,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// A page of the companies `firm` holds a grant on, in arrival order, after the
/// `(created_at, company_id)` cursor. Any other company sees nothing: only a firm holds
/// grants.
pub(crate) async fn directory(
    conn: &mut PgConnection,
    firm: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<DirectoryRow>, sqlx::Error> {
    let (after_at, after_id) = after.unzip();
    // The cursor is optional but the statement is one: a NULL `$2` keeps every row.
    sqlx::query_as!(
        DirectoryRow,
        "SELECT d.company_id, d.legal_name, d.siren, d.is_firm, d.created_at \
         FROM directory_company d \
         JOIN firm_client f ON f.company_id = d.company_id AND f.firm_id = $1 AND f.granted \
         WHERE ($2::timestamptz IS NULL OR (d.created_at, d.company_id) > ($2, $3)) \
         ORDER BY d.created_at, d.company_id LIMIT $4",
        firm,
        after_at,
        after_id,
        limit,
    )
    .fetch_all(conn)
    .await
}
