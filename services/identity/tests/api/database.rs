//! The database guards identity's schema against identity's own runtime role: whatever a bug
//! in the service runs, the schema, its tables, triggers and row-level security stay as
//! the migrations made them.

use comptoir_test_support::{TestDb, assert_schema_guarded};

#[tokio::test]
async fn the_runtime_role_can_neither_become_the_owner_nor_change_the_schema() {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    assert_schema_guarded(&db, &comptoir_identity::SPEC).await;
}
