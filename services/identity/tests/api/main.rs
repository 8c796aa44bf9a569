//! Identity's integration tests: the real service on port 0 against real Postgres and
//! NATS, one database and NATS prefix per test.

mod accounts;
mod runtime;

use comptoir_test_support::{Running, TestDb, TestNats, common_config, spawn};

/// A running identity service with its own database.
pub(crate) async fn start() -> (TestDb, Running) {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let nats = TestNats::shared().await;
    let app = comptoir_identity::build(comptoir_identity::Config {
        common: common_config(&db, &comptoir_identity::SPEC, &nats),
    })
    .await
    .expect("identity builds");
    (db, spawn(app).await)
}
