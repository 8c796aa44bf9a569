//! The audit trail: appended to by every change, read newest first.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored audit event.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub(crate) audit_event_id: i64,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) details: serde_json::Value,
    pub(crate) created_at: DateTime<Utc>,
}

/// Appends to the audit trail.
pub(crate) async fn audit(
    conn: &mut PgConnection,
    company: Uuid,
    actor: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_event (company_id, actor, action, details) VALUES ($1, $2, $3, $4)",
        company,
        actor,
        action,
        details,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The company's audit events, newest first, older than `before` when given.
pub(crate) async fn audit_events(
    conn: &mut PgConnection,
    company: Uuid,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        "SELECT audit_event_id, actor, action, details, created_at FROM audit_event \
         WHERE company_id = $1 AND ($2::bigint IS NULL OR audit_event_id < $2) \
         ORDER BY audit_event_id DESC LIMIT $3",
        company,
        before,
        limit,
    )
    .fetch_all(conn)
    .await
}
