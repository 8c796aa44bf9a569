//! What a bulk import reads of the firm's portfolio before it creates anything: the codes
//! dossier already used, so that a row repeating one is refused up front (and a second
//! run of a file creates nothing).

use std::collections::HashSet;

use sqlx::PgConnection;
use uuid::Uuid;

/// Every code dossier of `firm_id`'s clients (a client that invited the firm has none).
pub(crate) async fn file_codes(
    conn: &mut PgConnection,
    firm_id: Uuid,
) -> Result<HashSet<String>, sqlx::Error> {
    let codes = sqlx::query_scalar!(
        "SELECT file_code FROM firm_client WHERE firm_id = $1 AND file_code <> ''",
        firm_id,
    )
    .fetch_all(conn)
    .await?;
    Ok(codes.into_iter().collect())
}
