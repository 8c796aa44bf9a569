//! Billing's integration tests: the real service (and a real identity for tokens) on
//! port 0 against real Postgres and NATS, one database and NATS prefix per test. Events
//! are published straight onto NATS, as tenancy would.

mod books;
mod credit_notes;
mod database;
mod einvoice_import;
mod en16931;
mod invoices;
mod items;
mod lock_date;
mod numbering;
mod outbox;
mod parties;
mod payments;
mod purchases;
mod quotes;

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::billing::v1::billing_service_client::BillingServiceClient;
use comptoir_proto::billing::v1::invoice_service_client::InvoiceServiceClient;
use comptoir_proto::billing::v1::item_service_client::ItemServiceClient;
use comptoir_proto::billing::v1::party_service_client::PartyServiceClient;
use comptoir_proto::billing::v1::payment_service_client::PaymentServiceClient;
use comptoir_proto::billing::v1::purchase_service_client::PurchaseServiceClient;
use comptoir_proto::billing::v1::quote_service_client::QuoteServiceClient;
use comptoir_proto::billing::v1::{
    CreatePartyRequest, PartyInput, PartyKind, PartyRole, PostalAddress,
};
use comptoir_test_support::{
    Harness, Running, ScopedToken, TestDb, TestNats, bearer, common_config, french_business, spawn,
};
use tonic::transport::Channel;
use uuid::Uuid;

/// The claims of an Administrator of `company`: the role and every permission.
fn administrator(company: Uuid) -> ScopedToken {
    let administrator = comptoir_domain_types::permissions::ADMINISTRATOR;
    ScopedToken::new(company)
        .role(administrator.key)
        .permissions(administrator.permissions)
}

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
            comptoir_identity::build(comptoir_identity::Config::new(common_config(
                &db,
                &comptoir_identity::SPEC,
                &nats,
            )))
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
        comptoir_test_support::scoped_token(
            &self.harness.db,
            company,
            &[comptoir_domain_types::permissions::Permission::InvoicesRead],
        )
        .await
    }

    pub(crate) async fn client(&self) -> BillingServiceClient<Channel> {
        BillingServiceClient::new(self.billing.channel().await)
    }

    /// A company with a complete legal identity whose books are open: tenancy's
    /// `company.created` is published and billing's API answers for the company.
    pub(crate) async fn company(&self) -> Uuid {
        comptoir_test_support::company_with_open_books(
            &self.harness.db,
            &self.harness.nats,
            self.billing.channel().await,
        )
        .await
    }

    /// A token scoped to `company` with exactly `permissions`.
    pub(crate) async fn token_with(&self, company: Uuid, permissions: &[Permission]) -> String {
        comptoir_test_support::scoped_token(&self.harness.db, company, permissions).await
    }

    /// A token of an Administrator of `company`: the role and every permission.
    pub(crate) async fn admin_token(&self, company: Uuid) -> String {
        administrator(company).sign(&self.harness.db).await
    }

    /// A token of an Administrator of `company` by an accounting firm's grant: a firm
    /// member's, who reaches the client without a membership of their own.
    pub(crate) async fn firm_admin_token(&self, company: Uuid) -> String {
        administrator(company)
            .through_firm()
            .sign(&self.harness.db)
            .await
    }

    /// A token scoped to `company` of a user holding the role `role` (its key, as
    /// identity writes it into tokens) with exactly `permissions`.
    pub(crate) async fn token_as(
        &self,
        company: Uuid,
        role: &str,
        permissions: &[Permission],
    ) -> String {
        ScopedToken::new(company)
            .role(role)
            .permissions(permissions)
            .sign(&self.harness.db)
            .await
    }

    /// A customer of `company` created through PartyService by an Administrator: a
    /// French business, or a private person living in `country`.
    pub(crate) async fn customer(&self, company: Uuid, professional: bool, country: &str) -> Uuid {
        let business = french_business(PartyRole::Customer, "Garage Martin SAS");
        let party = match (professional, country) {
            (true, "FR") => business,
            (false, _) => PartyInput {
                kind: PartyKind::Private as i32,
                name: "Anna Schmidt".to_owned(),
                siren: String::new(),
                vat_number: String::new(),
                address: business.address.map(|address| PostalAddress {
                    country_code: country.to_owned(),
                    ..address
                }),
                ..business
            },
            (true, _) => panic!("no fixture for a business customer outside France"),
        };
        self.create_party(company, party).await
    }

    /// `party` created in `company` through PartyService by an Administrator.
    pub(crate) async fn create_party(&self, company: Uuid, party: PartyInput) -> Uuid {
        let request = CreatePartyRequest {
            party: Some(party),
            idempotency_key: String::new(),
        };
        let created = self
            .parties()
            .await
            .create_party(bearer(request, &self.admin_token(company).await))
            .await
            .expect("creating a party")
            .into_inner()
            .party
            .expect("a party");
        created.party_id.parse().expect("a party id")
    }

    /// `n` drafts of `company`: `template` and `n - 1` copies of it written by billing's
    /// fixtures, for tests of issuing that need more drafts than is worth creating one
    /// by one.
    pub(crate) async fn clone_drafts(&self, company: Uuid, template: Uuid, n: i64) -> Vec<Uuid> {
        let pool =
            comptoir_billing::fixtures::pool(&self.harness.db.service_url(&comptoir_billing::SPEC))
                .expect("a pool as billing's role");
        comptoir_billing::fixtures::clone_drafts(&pool, company, template, n)
            .await
            .expect("cloning drafts")
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

    /// The events of `company` on `subject` (e.g.
    /// `comptoir.billing.payment.recorded`) in the outbox, oldest first.
    pub(crate) async fn outbox<M: prost::Message + Default>(
        &self,
        company: Uuid,
        subject: &str,
    ) -> Vec<M> {
        let mut conn = self.harness.db.admin().await;
        let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT payload FROM billing.outbox \
             WHERE company_id = $1 AND subject = $2 ORDER BY outbox_id",
        )
        .bind(company)
        .bind(subject)
        .fetch_all(&mut conn)
        .await
        .expect("reading the outbox");
        payloads
            .iter()
            .map(|p| M::decode(p.as_slice()).expect("an event of the subject's type"))
            .collect()
    }

    /// A connection as billing's runtime role, inside a transaction acting for `company`:
    /// what a bug in the service could do. Dropping it rolls back.
    pub(crate) async fn runtime_tx(&self, company: Uuid) -> sqlx::PgConnection {
        self.harness
            .db
            .runtime_tx(
                &comptoir_billing::SPEC,
                &[("comptoir.company_id", &company.to_string())],
            )
            .await
    }
}
