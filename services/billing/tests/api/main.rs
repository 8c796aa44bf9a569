//! Billing's integration tests: the real service (and a real identity for tokens) on
//! port 0 against real Postgres and NATS, one database and NATS prefix per test. Events
//! are published straight onto NATS, as tenancy would.

mod books;

use comptoir_proto::billing::v1::billing_service_client::BillingServiceClient;
use comptoir_test_support::{
    Running, TestDb, TestNats, common_config, identity_config, spawn, user_token,
};
use tonic::transport::Channel;

pub(crate) struct Env {
    pub(crate) db: TestDb,
    pub(crate) nats: TestNats,
    pub(crate) token: String,
    pub(crate) billing: Running,
    _identity: Running,
}

impl Env {
    pub(crate) async fn start() -> Self {
        let db = TestDb::new(&[comptoir_identity::SPEC, comptoir_billing::SPEC]).await;
        let nats = TestNats::shared().await;
        let identity = spawn(
            comptoir_identity::build(comptoir_identity::Config {
                common: common_config(&db, &comptoir_identity::SPEC, &nats),
            })
            .await
            .expect("identity builds"),
        )
        .await;
        let billing = spawn(
            comptoir_billing::build(comptoir_billing::Config {
                common: common_config(&db, &comptoir_billing::SPEC, &nats),
                identity: identity_config(&identity),
            })
            .await
            .expect("billing builds"),
        )
        .await;
        let token = user_token(&identity, "compta@example.fr").await;
        Self {
            db,
            nats,
            token,
            billing,
            _identity: identity,
        }
    }

    pub(crate) async fn client(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(self.billing.channel().await)
    }

    pub(crate) async fn count(&self, sql: &'static str) -> i64 {
        let mut conn = self.db.admin().await;
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect(sql)
    }
}
