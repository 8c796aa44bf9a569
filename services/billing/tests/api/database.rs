//! The database guards billing's books against billing's own runtime role: whatever a
//! bug in the service runs, the schema, its triggers and row-level security stay as the
//! migrations made them, the audit trail is written by triggers only and never changes,
//! and the lock date moves back only the way SetLockDate moves it.

use comptoir_test_support::{TestDb, assert_refused, assert_schema_guarded, attempt};
use uuid::Uuid;

#[tokio::test]
async fn the_runtime_role_can_neither_become_the_owner_nor_change_the_schema() {
    let db = TestDb::new(&[comptoir_billing::SPEC]).await;
    assert_schema_guarded(&db, &comptoir_billing::SPEC).await;
}

/// A company's books, written as superuser, locked up to 30 June 2026, with one audit
/// entry.
async fn locked_books(db: &TestDb) -> Uuid {
    let company = Uuid::new_v4();
    let mut admin = db.admin().await;
    sqlx::query(
        "INSERT INTO billing.book (company_id, legal_name, siren, lock_date) \
         VALUES ($1, 'Cloisons SARL', '732829320', '2026-06-30')",
    )
    .bind(company)
    .execute(&mut admin)
    .await
    .expect("books written as superuser");
    sqlx::query(
        "INSERT INTO billing.audit_event (company_id, subject_type, subject_id, action, actor) \
         VALUES ($1, 'book', $1, 'lock_date.changed', 'user:1')",
    )
    .bind(company)
    .execute(&mut admin)
    .await
    .expect("an audit entry written as superuser");
    company
}

#[tokio::test]
async fn the_audit_trail_is_written_by_triggers_only_and_never_changes() {
    let db = TestDb::new(&[comptoir_billing::SPEC]).await;
    let company = locked_books(&db).await;
    let mut conn = db
        .runtime_tx(
            &comptoir_billing::SPEC,
            &[("comptoir.company_id", &company.to_string())],
        )
        .await;
    for sql in [
        format!("DELETE FROM audit_event WHERE company_id = '{company}'"),
        format!("UPDATE audit_event SET actor = 'user:2' WHERE company_id = '{company}'"),
        format!(
            "INSERT INTO audit_event (company_id, subject_type, subject_id, action, actor) \
             VALUES ('{company}', 'book', '{company}', 'lock_date.changed', 'user:2')"
        ),
    ] {
        assert_refused(&mut conn, &sql).await;
    }
}

#[tokio::test]
async fn plain_sql_cannot_move_the_lock_date_back() {
    let db = TestDb::new(&[comptoir_billing::SPEC]).await;
    let company = locked_books(&db).await;
    let mut conn = db
        .runtime_tx(
            &comptoir_billing::SPEC,
            &[
                ("comptoir.company_id", &company.to_string()),
                ("comptoir.actor", "user:1"),
            ],
        )
        .await;
    for sql in [
        format!("UPDATE book SET lock_date = NULL WHERE company_id = '{company}'"),
        format!("UPDATE book SET lock_date = '2026-01-31' WHERE company_id = '{company}'"),
        // A reason alone is not SetLockDate.
        format!(
            "UPDATE book SET lock_date = NULL, lock_date_reason = 'oops' \
             WHERE company_id = '{company}'"
        ),
    ] {
        let refusal = assert_refused(&mut conn, &sql).await;
        assert_eq!(refusal.code, "CB003", "{sql}: {refusal:?}");
    }
    // Moving it forward needs no ceremony.
    let forward =
        format!("UPDATE book SET lock_date = '2026-12-31' WHERE company_id = '{company}'");
    assert_eq!(attempt(&mut conn, &forward).await, None);
}
