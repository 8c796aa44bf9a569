//! The database guards tenancy's schema against tenancy's own runtime role: whatever a
//! bug in the service runs, the schema, its tables, triggers and row-level security stay
//! as the migrations made them, and the audit trail only grows.

use comptoir_test_support::{TestDb, assert_refused, assert_schema_guarded, attempt};

#[tokio::test]
async fn the_runtime_role_can_neither_become_the_owner_nor_change_the_schema() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    assert_schema_guarded(&db, &comptoir_tenancy::SPEC).await;
}

#[tokio::test]
async fn the_audit_trail_is_append_only_even_for_the_runtime_role() {
    let db = TestDb::new(&[comptoir_tenancy::SPEC]).await;
    let company = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO tenancy.audit_event (company_id, actor, action) \
         VALUES ($1::uuid, 'user:1', 'company.created')",
    )
    .bind(&company)
    .execute(&mut db.admin().await)
    .await
    .expect("an audit entry written as superuser");

    let mut conn = db
        .runtime_tx(
            &comptoir_tenancy::SPEC,
            &[("comptoir.company_id", &company), ("comptoir.user_id", "")],
        )
        .await;
    for sql in [
        "DELETE FROM audit_event".to_owned(),
        format!("DELETE FROM audit_event WHERE company_id = '{company}'"),
        "UPDATE audit_event SET actor = 'user:2'".to_owned(),
    ] {
        assert_refused(&mut conn, &sql).await;
    }

    // The runtime role lacks the grants, so the trigger is what stops everyone else:
    // even a superuser's change is refused by it.
    let mut admin = db.admin().await;
    sqlx::query("BEGIN")
        .execute(&mut admin)
        .await
        .expect("BEGIN");
    for sql in [
        format!("DELETE FROM tenancy.audit_event WHERE company_id = '{company}'"),
        format!("UPDATE tenancy.audit_event SET actor = 'user:2' WHERE company_id = '{company}'"),
    ] {
        let refusal = attempt(&mut admin, &sql).await;
        assert_eq!(
            refusal.map(|r| r.code).as_deref(),
            Some("CT002"),
            "{sql} as superuser"
        );
    }
}
