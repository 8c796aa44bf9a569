//! Billing's fixtures for its tests and its benchmark, made only through public
//! contracts, never by reading or writing billing's tables: a company whose books billing
//! has opened (announced as tenancy would announce it, with a complete legal identity,
//! and awaited through `ListNumberingSeries`, which answers NOT_FOUND until the books are
//! open), and the parties they create through PartyService.

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::billing::v1::billing_service_client::BillingServiceClient;
use comptoir_proto::billing::v1::{
    ListNumberingSeriesRequest, PartyInput, PartyKind, PartyRole, PostalAddress,
};
use comptoir_proto::events::v1::{CompanyCreated, EventMeta};
use comptoir_runtime::events::names;
use prost::Message;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::{TestDb, TestNats, bearer, eventually, publish, scoped_token};

/// Publishes tenancy's `company.created` for a new company with a complete legal identity
/// on `nats`, and waits until `billing` has opened its books; `db` is where identity
/// keeps the key the token asking billing is signed with.
pub async fn company_with_open_books(db: &TestDb, nats: &TestNats, billing: Channel) -> Uuid {
    company_with_open_books_as(db, nats, billing, |_| {}).await
}

/// [`company_with_open_books`] for a company whose announced identity `edit` changes
/// first (e.g. a seller without a VAT number).
pub async fn company_with_open_books_as(
    db: &TestDb,
    nats: &TestNats,
    billing: Channel,
    edit: impl FnOnce(&mut CompanyCreated),
) -> Uuid {
    let company_id = Uuid::now_v7();
    let event_id = Uuid::now_v7();
    let mut event = CompanyCreated {
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
    edit(&mut event);
    publish(
        nats,
        "tenancy",
        &names::COMPANY_CREATED.subject(),
        &event_id.to_string(),
        event.encode_to_vec(),
    )
    .await;
    let token = scoped_token(db, company_id, &[Permission::InvoicesRead]).await;
    let client = BillingServiceClient::new(billing);
    eventually("billing to open the books", || {
        let mut client = client.clone();
        let request = bearer(
            ListNumberingSeriesRequest {
                company_id: company_id.to_string(),
                ..Default::default()
            },
            &token,
        );
        async move {
            match client.list_numbering_series(request).await {
                Ok(_) => Some(()),
                Err(status) if status.code() == tonic::Code::NotFound => None,
                Err(status) => panic!("ListNumberingSeries: {status:?}"),
            }
        }
    })
    .await;
    company_id
}

/// A French business as PartyService takes it, in `role`: SIREN 552 100 554 with its VAT
/// number (key 96, as billing checks it), an address in Paris, 30-day payment terms.
pub fn french_business(role: PartyRole, name: &str) -> PartyInput {
    PartyInput {
        role: role as i32,
        kind: PartyKind::Professional as i32,
        name: name.to_owned(),
        siren: "552100554".to_owned(),
        vat_number: "FR96552100554".to_owned(),
        address: Some(PostalAddress {
            line1: "2 avenue Foch".to_owned(),
            line2: String::new(),
            postal_code: "75016".to_owned(),
            city: "Paris".to_owned(),
            country_code: "FR".to_owned(),
        }),
        payment_terms_days: 30,
        ..Default::default()
    }
}
