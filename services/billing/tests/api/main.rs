//! Billing's integration tests: the real service (and a real identity for tokens) on
//! port 0 against real Postgres and NATS, one database and NATS prefix per test. Events
//! are published straight onto NATS, as tenancy would.

mod books;

use comptoir_proto::billing::v1::billing_service_client::BillingServiceClient;
use comptoir_test_support::{Harness, Running, spawn};
use tonic::transport::Channel;

pub(crate) struct Env {
    pub(crate) harness: Harness,
    pub(crate) token: String,
    pub(crate) billing: Running,
}

impl Env {
    pub(crate) async fn start() -> Self {
        let harness = Harness::start(
            &[comptoir_identity::SPEC, comptoir_billing::SPEC],
            |common| comptoir_identity::build(comptoir_identity::Config { common }),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_billing::SPEC);
        let billing = spawn(
            comptoir_billing::build(comptoir_billing::Config { common, identity })
                .await
                .expect("billing builds"),
        )
        .await;
        let token = harness.token("compta@example.fr").await;
        Self {
            harness,
            token,
            billing,
        }
    }

    /// A token scoped to `company` that may read its books.
    pub(crate) async fn token_for(&self, company: uuid::Uuid) -> String {
        comptoir_test_support::scoped_token(&self.harness.db, company, &["invoices.read"]).await
    }

    pub(crate) async fn client(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(self.billing.channel().await)
    }
}
