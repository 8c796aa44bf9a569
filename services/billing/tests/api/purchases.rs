//! Purchase invoices end to end: recorded frozen with their VAT per rate and published,
//! one supplier number per supplier, idempotent retries, and who may record them.

use comptoir_domain_types::permissions::PURCHASING;
use comptoir_proto::billing::v1::{
    CreateInvoiceRequest, CreateQuoteRequest, Document, DocumentStatus, DocumentType, DraftInput,
    GetPurchaseInvoiceRequest, ListPurchaseInvoicesRequest, RecordPurchaseInvoiceRequest,
};
use comptoir_test_support::{bad_fields, bearer, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;
use crate::quotes::{count, draft, line, party};

pub(crate) fn purchase(
    supplier: Uuid,
    number: &str,
    category: &str,
    input: DraftInput,
) -> RecordPurchaseInvoiceRequest {
    RecordPurchaseInvoiceRequest {
        purchase_invoice: Some(DraftInput {
            party_id: supplier.to_string(),
            ..input
        }),
        supplier_number: number.to_owned(),
        category: category.to_owned(),
        idempotency_key: String::new(),
    }
}

pub(crate) async fn record(
    env: &Env,
    token: &str,
    request: RecordPurchaseInvoiceRequest,
) -> Result<Document, tonic::Status> {
    env.purchases()
        .await
        .record_purchase_invoice(bearer(request, token))
        .await
        .map(|r| r.into_inner().purchase_invoice.expect("a purchase invoice"))
}

const RECORDED: &str = "SELECT count(*) FROM billing.outbox \
     WHERE company_id = $1 AND subject = 'comptoir.billing.purchase_invoice.recorded'";
const PURCHASE_INVOICES: &str = "SELECT count(*) FROM billing.document \
     WHERE company_id = $1 AND document_type = 'purchase_invoice'";

#[tokio::test]
async fn a_purchase_invoice_is_recorded_with_its_vat_per_rate_and_published() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let supplier = party(&env, company, "supplier", "Métro Cash & Carry").await;

    let recorded = record(
        &env,
        &token,
        purchase(
            supplier,
            "FA-2026-0042",
            "fournitures",
            DraftInput {
                document_date: "2026-01-15".to_owned(),
                due_date: "2026-02-14".to_owned(),
                ..draft(
                    supplier,
                    vec![
                        line("Farine T65", "25", "1.18", "5.5"),
                        line("Sacs kraft", "3", "12.45", "20"),
                        line("Beurre AOP", "10", "8.333", "5.5"),
                    ],
                )
            },
        ),
    )
    .await
    .unwrap();
    assert_eq!(recorded.document_type(), DocumentType::PurchaseInvoice);
    assert_eq!(recorded.status(), DocumentStatus::Issued);
    assert_eq!(recorded.number, "FA-2026-0042");
    assert_eq!(recorded.category, "fournitures");
    assert_eq!(recorded.document_date, "2026-01-15");
    assert_eq!(recorded.due_date, "2026-02-14");
    // 5.5 %: 29.50 + 83.33 = 112.83 → 6.21; 20 %: 37.35 → 7.47.
    let vat: Vec<_> = recorded
        .vat_amounts
        .iter()
        .map(|v| {
            (
                v.rate.as_str(),
                v.taxable_amount.as_str(),
                v.vat_amount.as_str(),
            )
        })
        .collect();
    assert_eq!(vat, [("20", "37.35", "7.47"), ("5.5", "112.83", "6.21")]);
    assert_eq!(recorded.net_total, "150.18");
    assert_eq!(recorded.vat_total, "13.68");
    assert_eq!(recorded.gross_total, "163.86");
    assert_eq!(recorded.balance_due, "163.86");
    assert_eq!(count(&env, RECORDED, company).await, 1);

    let read = env
        .purchases()
        .await
        .get_purchase_invoice(bearer(
            GetPurchaseInvoiceRequest {
                purchase_invoice_id: recorded.document_id.clone(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .purchase_invoice
        .unwrap();
    assert_eq!(read, recorded);

    record(
        &env,
        &token,
        purchase(
            supplier,
            "FA-2026-0043",
            "carburant",
            draft(supplier, vec![line("Gazole", "40", "1.65", "20")]),
        ),
    )
    .await
    .unwrap();
    let mut client = env.purchases().await;
    let fuel = client
        .list_purchase_invoices(bearer(
            ListPurchaseInvoicesRequest {
                category: "carburant".to_owned(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    let numbers: Vec<_> = fuel.purchase_invoices.iter().map(|d| &d.number).collect();
    assert_eq!(numbers, ["FA-2026-0043"]);
    let all = client
        .list_purchase_invoices(bearer(
            ListPurchaseInvoicesRequest {
                party_id: supplier.to_string(),
                page_size: 1,
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        all.purchase_invoices[0].number, "FA-2026-0043",
        "newest first"
    );
    let rest = client
        .list_purchase_invoices(bearer(
            ListPurchaseInvoicesRequest {
                party_id: supplier.to_string(),
                page_size: 1,
                page_token: all.next_page_token,
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.purchase_invoices[0].number, "FA-2026-0042");
    assert!(rest.next_page_token.is_empty());
}

#[tokio::test]
async fn the_same_supplier_number_twice_for_one_supplier_is_already_exists() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let supplier = party(&env, company, "supplier", "Métro Cash & Carry").await;
    let other = party(&env, company, "supplier", "EDF").await;
    let input = || draft(supplier, vec![line("Farine", "25", "1.18", "5.5")]);

    record(&env, &token, purchase(supplier, "FA-1", "", input()))
        .await
        .unwrap();
    let twice = record(&env, &token, purchase(supplier, "FA-1", "", input()))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    assert_eq!(reason(&twice), "SUPPLIER_NUMBER_TAKEN");
    record(&env, &token, purchase(other, "FA-1", "", input()))
        .await
        .expect("another supplier may use the same number");
    assert_eq!(count(&env, PURCHASE_INVOICES, company).await, 2);
    assert_eq!(count(&env, RECORDED, company).await, 2);
}

#[tokio::test]
async fn a_retried_recording_returns_the_same_purchase_invoice_and_records_one() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let supplier = party(&env, company, "supplier", "Métro Cash & Carry").await;
    let request = RecordPurchaseInvoiceRequest {
        idempotency_key: "scan-0042".to_owned(),
        ..purchase(
            supplier,
            "FA-1",
            "",
            draft(supplier, vec![line("Farine", "25", "1.18", "5.5")]),
        )
    };

    let first = record(&env, &token, request.clone()).await.unwrap();
    let retry = record(&env, &token, request).await.unwrap();
    assert_eq!(retry, first);
    assert_eq!(count(&env, PURCHASE_INVOICES, company).await, 1);
    assert_eq!(count(&env, RECORDED, company).await, 1);
}

#[tokio::test]
async fn a_purchase_invoice_needs_a_supplier_and_its_number() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;
    let supplier = party(&env, company, "supplier", "Métro Cash & Carry").await;

    let unnumbered = record(
        &env,
        &token,
        purchase(
            supplier,
            "  ",
            &"x".repeat(101),
            draft(supplier, vec![line("Farine", "25", "1.18", "5.5")]),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(unnumbered.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&unnumbered), ["supplier_number", "category"]);

    let from_customer = record(
        &env,
        &token,
        purchase(
            customer,
            "FA-1",
            "",
            draft(customer, vec![line("Farine", "25", "1.18", "5.5")]),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(from_customer.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&from_customer), ["purchase_invoice.party_id"]);
    assert_eq!(count(&env, PURCHASE_INVOICES, company).await, 0);
}

#[tokio::test]
async fn a_purchasing_token_records_purchase_invoices_but_cannot_create_invoices_or_quotes() {
    let env = Env::start().await;
    let company = env.company().await;
    let purchasing = env.token_with(company, PURCHASING.permissions).await;
    let supplier = party(&env, company, "supplier", "Métro Cash & Carry").await;
    let customer = party(&env, company, "customer", "Garage Martin SAS").await;

    let recorded = record(
        &env,
        &purchasing,
        purchase(
            supplier,
            "FA-1",
            "",
            draft(supplier, vec![line("Farine", "25", "1.18", "5.5")]),
        ),
    )
    .await
    .unwrap();
    env.purchases()
        .await
        .get_purchase_invoice(bearer(
            GetPurchaseInvoiceRequest {
                purchase_invoice_id: recorded.document_id,
            },
            &purchasing,
        ))
        .await
        .expect("purchasing reads what it records");

    let invoice = env
        .invoices()
        .await
        .create_invoice(bearer(
            CreateInvoiceRequest {
                invoice: Some(draft(customer, vec![line("Audit", "1", "900", "20")])),
                idempotency_key: String::new(),
            },
            &purchasing,
        ))
        .await
        .unwrap_err();
    assert_eq!(invoice.code(), Code::PermissionDenied);
    let quote = env
        .quotes()
        .await
        .create_quote(bearer(
            CreateQuoteRequest {
                quote: Some(draft(customer, vec![line("Audit", "1", "900", "20")])),
                idempotency_key: String::new(),
            },
            &purchasing,
        ))
        .await
        .unwrap_err();
    assert_eq!(quote.code(), Code::PermissionDenied);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM billing.document WHERE company_id = $1 \
             AND document_type <> 'purchase_invoice'",
            company
        )
        .await,
        0
    );
}
