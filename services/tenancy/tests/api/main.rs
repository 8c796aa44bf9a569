//! Tenancy's integration tests: the real service (and a real identity for tokens) on
//! port 0 against real Postgres and NATS, one database and NATS prefix per test.

mod auth;
mod companies;

use comptoir_proto::tenancy::v1::tenancy_service_client::TenancyServiceClient;
use comptoir_test_support::{Harness, Running, spawn};
use tonic::transport::Channel;

pub(crate) struct Env {
    pub(crate) harness: Harness,
    pub(crate) tenancy: Running,
}

impl Env {
    pub(crate) async fn start() -> Self {
        let harness = Harness::start(
            &[comptoir_identity::SPEC, comptoir_tenancy::SPEC],
            |common| comptoir_identity::build(comptoir_identity::Config { common }),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_tenancy::SPEC);
        let tenancy = spawn(
            comptoir_tenancy::build(comptoir_tenancy::Config { common, identity })
                .await
                .expect("tenancy builds"),
        )
        .await;
        Self { harness, tenancy }
    }

    pub(crate) async fn client(&self) -> TenancyServiceClient<Channel> {
        TenancyServiceClient::new(self.tenancy.channel().await)
    }

    pub(crate) async fn token(&self, email: &str) -> String {
        self.harness.token(email).await
    }

    pub(crate) async fn count(&self, sql: &'static str) -> i64 {
        self.harness.count(sql).await
    }
}
