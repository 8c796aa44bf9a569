//! Tenancy's integration tests: the real service (and a real identity for tokens) on
//! port 0 against real Postgres and NATS, one database and NATS prefix per test.

mod auth;
mod companies;

use comptoir_proto::tenancy::v1::tenancy_service_client::TenancyServiceClient;
use comptoir_test_support::{
    Running, TestDb, TestNats, common_config, identity_config, spawn, user_token,
};
use tonic::transport::Channel;

pub(crate) struct Env {
    pub(crate) db: TestDb,
    pub(crate) nats: TestNats,
    pub(crate) identity: Running,
    pub(crate) tenancy: Running,
}

impl Env {
    pub(crate) async fn start() -> Self {
        let db = TestDb::new(&[comptoir_identity::SPEC, comptoir_tenancy::SPEC]).await;
        let nats = TestNats::shared().await;
        let identity = spawn(
            comptoir_identity::build(comptoir_identity::Config {
                common: common_config(&db, &comptoir_identity::SPEC, &nats),
            })
            .await
            .expect("identity builds"),
        )
        .await;
        let tenancy = spawn(
            comptoir_tenancy::build(comptoir_tenancy::Config {
                common: common_config(&db, &comptoir_tenancy::SPEC, &nats),
                identity: identity_config(&identity),
            })
            .await
            .expect("tenancy builds"),
        )
        .await;
        Self {
            db,
            nats,
            identity,
            tenancy,
        }
    }

    pub(crate) async fn client(&self) -> TenancyServiceClient<Channel> {
        TenancyServiceClient::new(self.tenancy.channel().await)
    }

    pub(crate) async fn token(&self, email: &str) -> String {
        user_token(&self.identity, email).await
    }

    pub(crate) async fn count(&self, sql: &'static str) -> i64 {
        let mut conn = self.db.admin().await;
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect(sql)
    }
}
