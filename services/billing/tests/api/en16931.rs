//! Issuing refuses an invoice to a business customer that could not be a valid EN 16931
//! e-invoice, naming the rule in each violation: BR-S-02 (a standard rate without the seller's VAT number),
//! BR-AE-02 (reverse charge without the seller's and the buyer's identifiers), BR-K-02
//! (an intra-community supply without both VAT numbers), BR-10 and BR-11 (the buyer's
//! postal address and country). Each refusal takes no number and publishes nothing; the
//! same invoice with what the rule asks for is issued.

use comptoir_proto::billing::v1::{PartyInput, PartyKind, PartyRole, PostalAddress};
use comptoir_test_support::{company_with_open_books_as, french_business, reason, violations};
use tonic::Code;
use uuid::Uuid;

use crate::Env;
use crate::invoices::{create, draft, issue, line};

/// A company whose announced identity has no VAT number.
async fn seller_without_vat_number(env: &Env) -> Uuid {
    company_with_open_books_as(
        &env.harness.db,
        &env.harness.nats,
        env.billing.channel().await,
        |event| event.vat_number.clear(),
    )
    .await
}

/// A business customer in `country` (no SIREN: it is not French), with `vat_number`.
fn foreign_business(country: &str, postal_code: &str, city: &str, vat_number: &str) -> PartyInput {
    PartyInput {
        kind: PartyKind::Professional as i32,
        name: format!("Kunde {country}"),
        siren: String::new(),
        vat_number: vat_number.to_owned(),
        address: Some(PostalAddress {
            line1: "Hauptstraße 1".to_owned(),
            line2: String::new(),
            postal_code: postal_code.to_owned(),
            city: city.to_owned(),
            country_code: country.to_owned(),
        }),
        ..french_business(PartyRole::Customer, "")
    }
}

/// The number of issued invoices of `company` and of its `invoice.issued` events.
async fn issued(env: &Env, company: Uuid) -> (i64, i64) {
    let mut conn = env.harness.db.admin().await;
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM billing.document WHERE company_id = $1 \
                 AND number IS NOT NULL), \
                (SELECT count(*) FROM billing.outbox WHERE company_id = $1 \
                 AND subject = 'comptoir.billing.invoice.issued')",
    )
    .bind(company)
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

/// Issues a fresh draft for `customer` with `lines` and the exemption mention
/// `vat_exemption`; the refusal's `(field, rule)` pairs (the rule being what the
/// description says before its colon), or the number given.
async fn try_issue(
    env: &Env,
    company: Uuid,
    customer: Uuid,
    lines: Vec<comptoir_proto::billing::v1::LineInput>,
    vat_exemption: &str,
) -> Result<String, Vec<(String, String)>> {
    let token = env.admin_token(company).await;
    let mut input = draft(customer, lines);
    input.vat_exemption = vat_exemption.to_owned();
    let created = create(env, &token, input)
        .await
        .expect("the draft is created");
    match issue(env, &token, &created.document_id, "").await {
        Ok(issued) => Ok(issued.number),
        Err(status) => {
            assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
            assert_eq!(reason(&status), "MANDATORY_MENTIONS_MISSING");
            Err(violations(&status))
        }
    }
}

fn rules(violations: &[(String, String)]) -> Vec<(&str, &str)> {
    violations
        .iter()
        .map(|(field, why)| (field.as_str(), why.split(':').next().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn a_line_at_a_standard_rate_from_a_seller_without_vat_number_is_refused_by_br_s_02() {
    let env = Env::start().await;
    let company = seller_without_vat_number(&env).await;
    let customer = env.customer(company, true, "FR").await;
    let refused = try_issue(&env, company, customer, vec![line("1", "100", "20")], "")
        .await
        .unwrap_err();
    assert_eq!(rules(&refused), [("seller.vat_number", "BR-S-02")]);
    assert!(
        refused[0].1.contains("the seller's VAT number"),
        "{}",
        refused[0].1
    );
    assert_eq!(issued(&env, company).await, (0, 0), "nothing numbered");

    // An exempt sale (0 %, with its mention) needs no VAT number and is issued.
    let number = try_issue(
        &env,
        company,
        customer,
        vec![line("1", "100", "0")],
        "TVA non applicable, art. 293 B du CGI",
    )
    .await
    .unwrap();
    assert!(!number.is_empty());
    // So is a sale to a private person, who receives no e-invoice.
    let private = env.customer(company, false, "FR").await;
    try_issue(&env, company, private, vec![line("1", "100", "20")], "")
        .await
        .unwrap();
    assert_eq!(issued(&env, company).await, (2, 2));
}

#[tokio::test]
async fn a_reverse_charge_needs_the_seller_vat_number_and_the_buyers_identifier_br_ae_02() {
    let env = Env::start().await;
    let mention = "Autoliquidation (article 283-2 du CGI)";
    let no_vat = seller_without_vat_number(&env).await;
    let belgian = env
        .create_party(no_vat, foreign_business("BE", "1000", "Bruxelles", ""))
        .await;
    let refused = try_issue(&env, no_vat, belgian, vec![line("3", "50", "0")], mention)
        .await
        .unwrap_err();
    assert_eq!(
        rules(&refused),
        [
            ("seller.vat_number", "BR-AE-02"),
            ("customer.vat_number", "BR-AE-02")
        ]
    );
    assert_eq!(issued(&env, no_vat).await, (0, 0));

    // A seller with its VAT number and a buyer with its own: issued.
    let company = env.company().await;
    let belgian = env
        .create_party(
            company,
            foreign_business("BE", "1000", "Bruxelles", "BE0403170701"),
        )
        .await;
    try_issue(&env, company, belgian, vec![line("3", "50", "0")], mention)
        .await
        .unwrap();
    assert_eq!(issued(&env, company).await, (1, 1));
}

#[tokio::test]
async fn an_intra_community_supply_needs_the_buyers_vat_number_br_k_02() {
    let env = Env::start().await;
    let mention = "Exonération de TVA, article 262 ter I du CGI";
    let company = env.company().await;
    let without = env
        .create_party(company, foreign_business("DE", "10115", "Berlin", ""))
        .await;
    let refused = try_issue(&env, company, without, vec![line("2", "400", "0")], mention)
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        [(
            "customer.vat_number".to_owned(),
            "BR-K-02: an intra-community supply needs the buyer's VAT number".to_owned()
        )]
    );

    // A seller without a VAT number breaks the rule on its side too.
    let no_vat = seller_without_vat_number(&env).await;
    let customer = env
        .create_party(
            no_vat,
            foreign_business("DE", "10115", "Berlin", "DE136695976"),
        )
        .await;
    let refused = try_issue(&env, no_vat, customer, vec![line("2", "400", "0")], mention)
        .await
        .unwrap_err();
    assert_eq!(rules(&refused), [("seller.vat_number", "BR-K-02")]);
    assert_eq!(issued(&env, company).await, (0, 0));
    assert_eq!(issued(&env, no_vat).await, (0, 0));

    let with = env
        .create_party(
            company,
            foreign_business("DE", "10115", "Berlin", "DE136695976"),
        )
        .await;
    try_issue(&env, company, with, vec![line("2", "400", "0")], mention)
        .await
        .unwrap();
    assert_eq!(issued(&env, company).await, (1, 1));
}

#[tokio::test]
async fn a_buyer_address_without_country_or_city_is_refused_by_br_10_and_br_11() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = env.customer(company, true, "FR").await;
    let created = create(&env, &token, draft(customer, vec![line("1", "100", "20")]))
        .await
        .unwrap();
    // A party copy written before parties needed a country (PartyService refuses one
    // without, so the draft's copy is emptied directly).
    let mut conn = env.harness.db.admin().await;
    sqlx::query(
        "UPDATE billing.document SET party_country_code = '', party_city = '' \
         WHERE document_id = $1",
    )
    .bind(Uuid::parse_str(&created.document_id).unwrap())
    .execute(&mut conn)
    .await
    .unwrap();
    let refused = issue(&env, &token, &created.document_id, "")
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "MANDATORY_MENTIONS_MISSING");
    let refused = violations(&refused);
    assert_eq!(
        rules(&refused),
        [
            ("customer.address", "BR-10"),
            ("customer.address.country_code", "BR-11")
        ]
    );
    assert!(
        refused[0]
            .1
            .starts_with("BR-10: the buyer's postal address is required")
    );
    assert_eq!(issued(&env, company).await, (0, 0));
}
