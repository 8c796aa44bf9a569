//! Fixtures for billing's own tests and benchmark, compiled only with the `fixtures`
//! feature (which billing's dev-dependency on itself turns on, so no release build
//! carries it): drafts copied in SQL, for measurements and tests of issuing that need
//! thousands of drafts and should not wait for as many `CreateInvoice` calls.
//!
//! It writes as the service does, as billing's runtime role in a transaction acting for
//! the company, so row-level security, the lock date and the audit trail apply to the
//! copies as to any draft.

use sqlx::PgPool;
use uuid::Uuid;

use crate::store::{self, Acting};

/// A pool on billing's schema as the role `url` names (billing's runtime role, for these
/// fixtures), with the search path and time zone the service itself connects with.
pub fn pool(url: &comptoir_runtime::config::Secret) -> Result<PgPool, sqlx::Error> {
    comptoir_runtime::db::lazy_pool(url, &comptoir_runtime::db::schema_of(crate::SPEC.name), 2)
}

/// `n - 1` copies of `company`'s draft `template`, its lines and VAT amounts included,
/// each under a random id (so a list sorted by id interleaves companies); returns the
/// template followed by the copies. A template the company cannot see is `RowNotFound`.
pub async fn clone_drafts(
    pool: &PgPool,
    company: Uuid,
    template: Uuid,
    n: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let acting = Acting {
        company_id: company,
        actor: "fixtures",
        action: "invoice.created",
    };
    let mut tx = store::begin(pool, &acting).await?;
    let found: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM document WHERE document_id = $1 AND status = 'draft')",
    )
    .bind(template)
    .fetch_one(&mut *tx)
    .await?;
    if !found {
        return Err(sqlx::Error::RowNotFound);
    }
    let copies: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO document \
         SELECT (jsonb_populate_record(d, jsonb_build_object('document_id', gen_random_uuid()))).* \
         FROM document d, generate_series(1, $2) WHERE d.document_id = $1 \
         RETURNING document_id",
    )
    .bind(template)
    .bind(n - 1)
    .fetch_all(&mut *tx)
    .await?;
    for table in ["document_line", "document_vat"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} \
             SELECT (jsonb_populate_record(t, jsonb_build_object('document_id', n.id))).* \
             FROM {table} t, unnest($2::uuid[]) AS n(id) WHERE t.document_id = $1"
        )))
        .bind(template)
        .bind(&copies)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(std::iter::once(template).chain(copies).collect())
}
