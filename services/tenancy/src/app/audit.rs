//! The company's audit trail, read newest first.

use sqlx::PgPool;

use super::Ctx;
use crate::error::Error;
use crate::store::{self, audit::AuditRow};

/// `ListAuditEvents`: up to `limit` events of the caller's company, older than `before`
/// when given.
pub(crate) async fn list_audit_events(
    pool: &PgPool,
    ctx: &Ctx,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, Error> {
    ctx.read(pool, async |tx, company| {
        store::audit::audit_events(tx, company, before, limit).await
    })
    .await
}
