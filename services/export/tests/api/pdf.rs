//! The invoice PDF and the zip of a period's documents: an invoice, a credit note and a
//! 0 % invoice published as billing does, rendered by export, parsed back with `lopdf`,
//! and checked for every mandatory mention; the seller's bank account, kept from the
//! newest company event, in an invoice's payment terms.

use std::io::{Cursor, Read};

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::events::v1::{self as pb, CompanyCreated, CompanyUpdated};
use comptoir_proto::export::v1::{
    EInvoiceProfile, ExportDocumentsRequest, Period, RenderInvoicePdfRequest,
    export_service_client::ExportServiceClient,
};
use comptoir_proto::types::v1::{BankAccount, LegalIdentity, PostalAddress};
use comptoir_runtime::events::names;
use comptoir_test_support::{Harness, bearer, eventually, publish, scoped_token};
use prost::Message as _;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::books::{Books, document, line, party};
use crate::fec::{Received, receive};
use crate::start;

/// A company created with its whole legal identity, as tenancy publishes it.
pub(crate) async fn open_company(harness: &Harness) -> Books {
    let company_id = Uuid::now_v7();
    let event = CompanyCreated {
        meta: Some(pb::EventMeta {
            event_id: Uuid::now_v7().to_string(),
            occur_time: None,
            company_id: company_id.to_string(),
            actor: "test".to_owned(),
        }),
        owner_user_id: Uuid::now_v7().to_string(),
        version: 1,
        ..Default::default()
    }
    .with_legal_identity(identity());
    publish(
        &harness.nats,
        "tenancy",
        &names::COMPANY_CREATED.subject(),
        &Uuid::now_v7().to_string(),
        event.encode_to_vec(),
    )
    .await;
    let token = scoped_token(&harness.db, company_id, &[Permission::ExportsRead]).await;
    Books {
        company_id,
        token,
        published: Vec::new(),
        documents: Vec::new(),
    }
}

/// The legal identity of the company `open_company` opens.
fn identity() -> LegalIdentity {
    LegalIdentity {
        legal_name: "Boulangerie Dupont".to_owned(),
        siren: "732829320".to_owned(),
        nic: "00074".to_owned(),
        siret: "73282932000074".to_owned(),
        legal_form: "SAS".to_owned(),
        ape_code: "1071C".to_owned(),
        vat_number: "FR44732829320".to_owned(),
        rcs_city: "Lyon".to_owned(),
        share_capital_amount: "10000.00".to_owned(),
        share_capital_currency_code: "EUR".to_owned(),
        address: Some(PostalAddress {
            line1: "12 rue des Fours".to_owned(),
            line2: String::new(),
            postal_code: "69002".to_owned(),
            city: "Lyon".to_owned(),
            country_code: "FR".to_owned(),
        }),
    }
}

/// A business customer with its SIREN and address.
pub(crate) fn customer() -> pb::BillingParty {
    pb::BillingParty {
        siren: "542051180".to_owned(),
        vat_number: "FR40542051180".to_owned(),
        address_line1: "3 avenue des Halles".to_owned(),
        address_postal_code: "75001".to_owned(),
        address_city: "Paris".to_owned(),
        ..party("Épicerie Martin SARL", "", "FR")
    }
}

/// RenderInvoicePdf of `document_id`.
pub(crate) async fn render(
    client: &ExportServiceClient<Channel>,
    books: &Books,
    document_id: &str,
) -> Result<Received, tonic::Status> {
    let stream = client
        .clone()
        .render_invoice_pdf(bearer(
            RenderInvoicePdfRequest {
                company_id: books.company_id.to_string(),
                document_id: document_id.to_owned(),
                profile: EInvoiceProfile::Unspecified as i32,
            },
            &books.token,
        ))
        .await?
        .into_inner();
    receive(stream, |response| response.chunk).await
}

/// The text of every page of `pdf`, spaces of any kind made one.
pub(crate) fn text_of(pdf: &[u8]) -> String {
    let document = lopdf::Document::load_mem(pdf).expect("a PDF lopdf reads");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let text = document.extract_text(&pages).expect("its text");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_mentions(text: &str, expected: &[&str]) {
    for mention in expected {
        assert!(
            text.contains(mention),
            "`{mention}` is missing from:\n{text}"
        );
    }
}

#[tokio::test]
async fn an_invoice_pdf_carries_every_mandatory_mention_and_a_zip_holds_the_period() {
    let (harness, export) = start().await;
    let mut books = open_company(&harness).await;
    let martin = customer();
    let mut invoice = document(
        "invoice",
        "F-2026-0001",
        "2026-03-02",
        &martin,
        vec![
            line("20", "goods", "1250.00"),
            line("10", "services", "80.00"),
        ],
    );
    invoice.lines[0].description = "Pains de campagne livrés".to_owned();
    invoice.lines[0].quantity = "500".to_owned();
    invoice.lines[0].unit_price = "2.50".to_owned();
    invoice.lines[1].description = "Livraison du matin".to_owned();
    invoice.due_date = "2026-04-01".to_owned();
    invoice.late_penalty_rate = "10".to_owned();
    invoice.recovery_fee = true;
    let mut credit = document(
        "credit_note",
        "A-2026-0001",
        "2026-03-10",
        &martin,
        vec![line("20", "goods", "100.00")],
    );
    credit.credited_document_id = invoice.document_id.clone();
    credit.credited_number = invoice.number.clone();
    credit.credited_date = invoice.document_date.clone();
    let private = pb::BillingParty {
        kind: "private".to_owned(),
        address_line1: "8 place du Marché".to_owned(),
        address_postal_code: "69003".to_owned(),
        address_city: "Lyon".to_owned(),
        ..party("Jeanne Petit", "", "FR")
    };
    let exempt = document(
        "invoice",
        "F-2026-0002",
        "2026-03-15",
        &private,
        vec![line("0", "services", "45.00")],
    );
    let later = document(
        "invoice",
        "F-2026-0003",
        "2026-04-02",
        &martin,
        vec![line("20", "goods", "10.00")],
    );
    for issued in [&invoice, &credit, &exempt, &later] {
        books.issue(&harness, issued).await;
    }
    let client = ExportServiceClient::new(export.channel().await);
    let pdf = eventually("export to keep the invoices", || async {
        render(&client, &books, &later.document_id).await.ok()?;
        render(&client, &books, &invoice.document_id).await.ok()
    })
    .await;

    assert_eq!(pdf.name, "F-2026-0001.pdf");
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.chunk_sizes.iter().all(|size| *size <= 64 * 1024));
    let text = text_of(&pdf.bytes);
    assert_mentions(
        &text,
        &[
            "Facture n° F-2026-0001",
            // The seller's legal identity.
            "Boulangerie Dupont",
            "SAS au capital de 10 000,00 €",
            "SIREN 732829320",
            "SIRET 73282932000074",
            "RCS Lyon 732829320",
            "FR44732829320",
            "12 rue des Fours",
            "69002 Lyon",
            // The customer's.
            "Épicerie Martin SARL",
            "SIREN 542051180",
            "FR40542051180",
            "3 avenue des Halles",
            "75001 Paris",
            // Dates.
            "Date d'émission : 02/03/2026",
            "Date de la vente ou de la prestation : 02/03/2026",
            "Date d'échéance : 01/04/2026",
            // Every line, with its quantity, unit price and rate.
            "Pains de campagne livrés",
            "500",
            "2,50 €",
            "1 250,00 €",
            "Livraison du matin",
            "80,00 €",
            // VAT per rate and totals.
            "20 %",
            "250,00 €",
            "10 %",
            "8,00 €",
            "Total HT 1 330,00 €",
            "Total TVA 258,00 €",
            "Total TTC 1 588,00 €",
            // Mentions for a business customer.
            "au taux annuel de 10 %",
            "40 €",
        ],
    );

    let credit_pdf = render(&client, &books, &credit.document_id).await.unwrap();
    assert_eq!(credit_pdf.name, "A-2026-0001.pdf");
    assert_mentions(
        &text_of(&credit_pdf.bytes),
        &[
            "Avoir n° A-2026-0001",
            "Avoir sur la facture n° F-2026-0001 du 02/03/2026",
        ],
    );

    let exempt_text = text_of(
        &render(&client, &books, &exempt.document_id)
            .await
            .unwrap()
            .bytes,
    );
    assert_mentions(
        &exempt_text,
        &[
            "Facture n° F-2026-0002",
            "Jeanne Petit",
            "0 %",
            "TVA non applicable, art. 293 B du CGI",
        ],
    );
    assert!(
        !exempt_text.contains("40 €"),
        "no recovery fee for a consumer: {exempt_text}"
    );

    // An unknown document is not found; so is a malformed id refused by field.
    let unknown = render(&client, &books, &Uuid::now_v7().to_string())
        .await
        .err()
        .expect("an unknown document is refused");
    assert_eq!(unknown.code(), Code::NotFound);
    let malformed = render(&client, &books, "x")
        .await
        .err()
        .expect("a malformed id is refused");
    assert_eq!(malformed.code(), Code::InvalidArgument);

    // March's documents in one zip, one PDF each, named after their numbers.
    let stream = client
        .clone()
        .export_documents(bearer(
            ExportDocumentsRequest {
                company_id: books.company_id.to_string(),
                period: Some(Period {
                    start_date: "2026-03-01".to_owned(),
                    end_date: "2026-03-31".to_owned(),
                }),
                profile: EInvoiceProfile::Unspecified as i32,
            },
            &books.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let zip = receive(stream, |response| response.chunk).await.unwrap();
    assert_eq!(zip.name, "documents-20260301-20260331.zip");
    assert_eq!(zip.content_type, "application/zip");
    let mut archive = zip::ZipArchive::new(Cursor::new(zip.bytes)).expect("a zip");
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.expect("an entry name").into_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["A-2026-0001.pdf", "F-2026-0001.pdf", "F-2026-0002.pdf"]
    );
    for name in names {
        let mut bytes = Vec::new();
        archive
            .by_name(&name)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        let number = name.trim_end_matches(".pdf");
        assert!(
            text_of(&bytes).contains(number),
            "{name} names its document"
        );
    }
}

/// Publishes tenancy's `company.updated` for `books`' company at `version`, its identity
/// unchanged and its bank account `account`; returns the event's id.
pub(crate) async fn update_bank_account(
    harness: &Harness,
    books: &Books,
    version: i64,
    account: Option<BankAccount>,
) -> Uuid {
    let event_id = Uuid::now_v7();
    let event = CompanyUpdated {
        meta: Some(pb::EventMeta {
            event_id: event_id.to_string(),
            occur_time: None,
            company_id: books.company_id.to_string(),
            actor: "test".to_owned(),
        }),
        changed_fields: vec!["bank_account".to_owned()],
        version,
        bank_account: account,
        ..Default::default()
    }
    .with_legal_identity(identity());
    publish(
        &harness.nats,
        "tenancy",
        &names::COMPANY_UPDATED.subject(),
        &event_id.to_string(),
        event.encode_to_vec(),
    )
    .await;
    event_id
}

#[tokio::test]
async fn an_invoice_prints_the_bank_account_of_the_newest_company_event() {
    let (harness, export) = start().await;
    let mut books = open_company(&harness).await;
    // Version 3 arrives before version 2, which is set aside.
    update_bank_account(
        &harness,
        &books,
        3,
        Some(BankAccount {
            iban: "FR7630006000011234567890189".to_owned(),
            bic: "BNPAFRPP".to_owned(),
        }),
    )
    .await;
    let older = update_bank_account(
        &harness,
        &books,
        2,
        Some(BankAccount {
            iban: "DE89370400440532013000".to_owned(),
            bic: String::new(),
        }),
    )
    .await;
    eventually("export to apply the older update", || async {
        let applied: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM export.inbox WHERE consumer = 'companies' AND event_id = $1",
        )
        .bind(older)
        .fetch_one(&mut harness.db.admin().await)
        .await
        .unwrap();
        (applied == 1).then_some(())
    })
    .await;
    let mut admin = harness.db.admin().await;
    let stored: (Option<String>, Option<String>, i64) = sqlx::query_as(
        "SELECT iban, bic, version FROM export.seller_profile WHERE company_id = $1",
    )
    .bind(books.company_id)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        stored,
        (
            Some("FR7630006000011234567890189".to_owned()),
            Some("BNPAFRPP".to_owned()),
            3
        )
    );

    let martin = customer();
    let mut invoice = document(
        "invoice",
        "F-2026-0001",
        "2026-03-02",
        &martin,
        vec![line("20", "goods", "100.00")],
    );
    invoice.due_date = "2026-04-01".to_owned();
    let mut credit = document(
        "credit_note",
        "A-2026-0001",
        "2026-03-10",
        &martin,
        vec![line("20", "goods", "100.00")],
    );
    credit.credited_document_id = invoice.document_id.clone();
    credit.credited_number = invoice.number.clone();
    for issued in [&invoice, &credit] {
        books.issue(&harness, issued).await;
    }
    let client = ExportServiceClient::new(export.channel().await);
    let pdf = eventually("export to keep the documents", || async {
        render(&client, &books, &credit.document_id).await.ok()?;
        render(&client, &books, &invoice.document_id).await.ok()
    })
    .await;
    let text = text_of(&pdf.bytes);
    assert_mentions(
        &text,
        &["Paiement par virement : IBAN FR76 3000 6000 0112 3456 7890 189 — BIC BNPAFRPP."],
    );
    assert!(!text.contains("DE89"), "the older account is not printed");

    // A credit note is not paid by the customer: no account printed.
    let credit_text = text_of(
        &render(&client, &books, &credit.document_id)
            .await
            .unwrap()
            .bytes,
    );
    assert!(!credit_text.contains("IBAN"), "{credit_text}");

    // An update clearing the account clears it from the next invoice printed.
    update_bank_account(&harness, &books, 4, None).await;
    eventually("export to clear the account", || async {
        let text = text_of(
            &render(&client, &books, &invoice.document_id)
                .await
                .ok()?
                .bytes,
        );
        (!text.contains("IBAN")).then_some(())
    })
    .await;
}
