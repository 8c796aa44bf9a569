//! Billing fixtures shared by billing's tests and its benchmark: a company whose books
//! billing has opened with a complete seller identity, and customers written straight
//! into billing's table.

use comptoir_proto::events::v1::{CompanyCreated, EventMeta};
use comptoir_runtime::events::names;
use prost::Message;
use uuid::Uuid;

use crate::{TestDb, TestNats, eventually, publish};

/// Publishes tenancy's `company.created` for a new company with a complete legal identity
/// and waits until billing (running on `db` and `nats`) has opened its books.
pub async fn company_with_open_books(db: &TestDb, nats: &TestNats) -> Uuid {
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
        nats,
        "tenancy",
        &names::COMPANY_CREATED.subject(),
        &event_id.to_string(),
        event.encode_to_vec(),
    )
    .await;
    eventually("billing to open the books", || async {
        let mut conn = db.admin().await;
        let open: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM billing.book WHERE company_id = $1)")
                .bind(company_id)
                .fetch_one(&mut conn)
                .await
                .expect("reading books");
        open.then_some(())
    })
    .await;
    company_id
}

/// A customer of `company` written straight into billing's table (as superuser): a
/// French professional (SIREN and VAT number) or a private person, in `country`.
pub async fn insert_customer(
    db: &TestDb,
    company: Uuid,
    professional: bool,
    country: &str,
) -> Uuid {
    let party_id = Uuid::now_v7();
    let mut conn = db.admin().await;
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
