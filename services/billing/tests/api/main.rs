//! Billing's integration tests: the real service (and a real identity for tokens) on
//! port 0 against real Postgres and NATS, one database and NATS prefix per test. Events
//! are published straight onto NATS, as tenancy would.

mod books;
mod payments;
mod purchases;
mod items;
mod quotes;
mod parties;
mod invoices;
mod numbering;

use comptoir_proto::billing::v1::billing_service_client::BillingServiceClient;
use comptoir_proto::billing::v1::invoice_service_client::InvoiceServiceClient;
use comptoir_proto::billing::v1::item_service_client::ItemServiceClient;
use comptoir_proto::billing::v1::party_service_client::PartyServiceClient;
use comptoir_proto::billing::v1::payment_service_client::PaymentServiceClient;
use comptoir_proto::billing::v1::purchase_service_client::PurchaseServiceClient;
use comptoir_proto::billing::v1::quote_service_client::QuoteServiceClient;
use comptoir_proto::events::v1::{CompanyCreated, EventMeta};
use comptoir_runtime::events::names;
use comptoir_test_support::{
    Harness, Running, TestDb, TestNats, common_config, eventually, publish, spawn,
};
use prost::Message;
use tonic::transport::Channel;
use uuid::Uuid;

pub(crate) struct Env {
    pub(crate) harness: Harness,
    pub(crate) token: String,
    pub(crate) billing: Running,
}

impl Env {
    pub(crate) async fn start() -> Self {
        Self::start_on(TestNats::shared().await).await
    }

    /// The platform on a NATS of the test's choosing (a private one it may restart).
    pub(crate) async fn start_on(nats: TestNats) -> Self {
        let specs = [comptoir_identity::SPEC, comptoir_billing::SPEC];
        let db = TestDb::new(&specs).await;
        let identity = spawn(
            comptoir_identity::build(comptoir_identity::Config {
                common: common_config(&db, &comptoir_identity::SPEC, &nats),
            })
            .await
            .expect("identity builds"),
        )
        .await;
        let harness = Harness { db, nats, identity };
        let billing = spawn(Self::billing_app(&harness).await).await;
        let token = harness.token("compta@example.fr").await;
        Self {
            harness,
            token,
            billing,
        }
    }

    /// Another billing instance on the test's database and NATS.
    pub(crate) async fn billing_app(harness: &Harness) -> comptoir_runtime::App {
        let (common, identity) = harness.config(&comptoir_billing::SPEC);
        comptoir_billing::build(comptoir_billing::Config { common, identity })
            .await
            .expect("billing builds")
    }

    /// A token scoped to `company` that may read its books.
    pub(crate) async fn token_for(&self, company: uuid::Uuid) -> String {
        comptoir_test_support::scoped_token(&self.harness.db, company, &["invoices.read"]).await
    }

    pub(crate) async fn client(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(self.billing.channel().await)
    }

    /// A company with a complete legal identity whose books are open: tenancy's
    /// `company.created` is published and applied.
    pub(crate) async fn company(&self) -> Uuid {
        let company_id = Uuid::now_v7();
        let event_id = Uuid::now_v7();
        let event = CompanyCreated {
            meta: Some(EventMeta {
                event_id: event_id.to_string(),
                occur_time: None,
                company_id: company_id.to_string(),
                actor: "test".to_owned(),
            }),
            legal_name: "Boulangerie Dupont".to_owned(),
            siren: "732829320".to_owned(),
            nic: "00074".to_owned(),
            siret: "73282932000074".to_owned(),
            legal_form: "SARL".to_owned(),
            ape_code: "1071C".to_owned(),
            vat_number: "FR44732829320".to_owned(),
            rcs_city: "Lyon".to_owned(),
            share_capital_amount: "10000.00".to_owned(),
            share_capital_currency_code: "EUR".to_owned(),
            address_line1: "1 rue de la République".to_owned(),
            address_postal_code: "69001".to_owned(),
            address_city: "Lyon".to_owned(),
            address_country_code: "FR".to_owned(),
            owner_user_id: Uuid::now_v7().to_string(),
            ..Default::default()
        };
        publish(
            &self.harness.nats,
            "tenancy",
            &names::COMPANY_CREATED.subject(),
            &event_id.to_string(),
            event.encode_to_vec(),
        )
        .await;
        let db = self.harness.db.clone();
        eventually("billing to open the books", || {
            let db = db.clone();
            async move {
                let mut conn = db.admin().await;
                let open: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM billing.book WHERE company_id = $1)",
                )
                .bind(company_id)
                .fetch_one(&mut conn)
                .await
                .expect("reading books");
                open.then_some(())
            }
        })
        .await;
        company_id
    }

    /// A token scoped to `company` with exactly `permissions`.
    pub(crate) async fn token_with(&self, company: Uuid, permissions: &[&str]) -> String {
        comptoir_test_support::scoped_token(&self.harness.db, company, permissions).await
    }

    /// A token of an Administrator of `company`: every permission.
    pub(crate) async fn admin_token(&self, company: Uuid) -> String {
        self.token_with(company, &comptoir_runtime::permissions::ALL)
            .await
    }

    /// A customer of `company` written straight into the table (as superuser): for tests
    /// of documents that should not depend on PartyService.
    pub(crate) async fn customer(&self, company: Uuid, professional: bool, country: &str) -> Uuid {
        let party_id = Uuid::now_v7();
        let mut conn = self.harness.db.admin().await;
        sqlx::query(
            "INSERT INTO billing.party (party_id, company_id, role, kind, name, siren, vat_number, \
                 address_line1, address_postal_code, address_city, address_country_code, \
                 payment_terms_days, created_by, updated_by) \
             VALUES ($1, $2, 'customer', $3, $4, $5, $6, '2 avenue Foch', '75016', 'Paris', $7, \
                     30, 'test', 'test')",
        )
        .bind(party_id)
        .bind(company)
        .bind(if professional {
            "professional"
        } else {
            "private"
        })
        .bind(if professional {
            "Garage Martin SAS"
        } else {
            "Anna Schmidt"
        })
        .bind(if professional && country == "FR" {
            "552100554"
        } else {
            ""
        })
        .bind(if professional { "FR74552100554" } else { "" })
        .bind(country)
        .execute(&mut conn)
        .await
        .expect("inserting a customer");
        party_id
    }

    pub(crate) async fn parties(&self) -> PartyServiceClient<Channel> {
        PartyServiceClient::new(self.billing.channel().await)
    }

    pub(crate) async fn items(&self) -> ItemServiceClient<Channel> {
        ItemServiceClient::new(self.billing.channel().await)
    }

    pub(crate) async fn invoices(&self) -> InvoiceServiceClient<Channel> {
        InvoiceServiceClient::new(self.billing.channel().await)
    }

    pub(crate) async fn quotes(&self) -> QuoteServiceClient<Channel> {
        QuoteServiceClient::new(self.billing.channel().await)
    }

    pub(crate) async fn purchases(&self) -> PurchaseServiceClient<Channel> {
        PurchaseServiceClient::new(self.billing.channel().await)
    }

    pub(crate) async fn payments(&self) -> PaymentServiceClient<Channel> {
        PaymentServiceClient::new(self.billing.channel().await)
    }
}
