//! Suppliers' e-invoices imported as purchase invoices (ImportPurchaseInvoice,
//! GetPurchaseInvoiceAttachment), with files made by other tools than billing
//! (`einvoice_files.py`: drafthorse and factur-x for CII and Factur-X, a UBL template):
//! the purchase invoice recorded as a hand-entered one would be (supplier identity,
//! lines, VAT per rate, totals, due date, `purchase_invoice.recorded` published), the
//! supplier created once then matched, the file kept byte for byte, a second import of
//! the same invoice answering the first, and bad files refused with their reason while
//! nothing is written.

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::billing::v1::{
    Document, DocumentStatus, DocumentType, EInvoiceFormat, GetPartyRequest,
    GetPurchaseInvoiceAttachmentRequest, ImportPurchaseInvoiceRequest,
    ImportPurchaseInvoiceResponse,
};
use comptoir_proto::events::v1::PurchaseInvoiceRecorded;
use comptoir_test_support::{bad_fields, bearer, eventually, python};
use prost::Message;
use serde_json::{Value, json};
use tonic::Code;
use uuid::Uuid;

use crate::Env;
use crate::quotes::count;

/// The script that makes the files.
const FILES: &str = include_str!("einvoice_files.py");

const PURCHASE_INVOICES: &str = "SELECT count(*) FROM billing.document \
     WHERE company_id = $1 AND document_type = 'purchase_invoice'";
const SUPPLIERS: &str =
    "SELECT count(*) FROM billing.party WHERE company_id = $1 AND role = 'supplier'";
const ATTACHMENTS: &str = "SELECT count(*) FROM billing.purchase_attachment WHERE company_id = $1";
const EVENTS: &str = "SELECT count(*) FROM billing.outbox WHERE company_id = $1";
const PUBLISHED: &str = "SELECT count(*) FROM billing.outbox WHERE company_id = $1 \
     AND subject = 'comptoir.billing.purchase_invoice.recorded' AND sent_at IS NOT NULL";

/// The file `spec` describes, made by `einvoice_files.py` in the tests' Python
/// environment.
async fn file(spec: &Value) -> Vec<u8> {
    python::run_ok(FILES, &[&spec.to_string()], b"").await
}

/// Fournil SAS, the supplier.
fn fournil() -> Value {
    json!({
        "name": "Fournil SAS", "siren": "552100554", "vat": "FR96552100554",
        "line1": "12 rue Oberkampf", "postal_code": "75011", "city": "Paris", "country": "FR",
    })
}

/// The test company as the files name it (see `company_with_open_books`).
fn dupont() -> Value {
    json!({ "name": "Boulangerie Dupont", "siren": "732829320", "vat": "FR44732829320",
            "country": "FR" })
}

/// An invoice of `kind` numbered `number` from Fournil to Dupont: 2 h at 50.00 (20 %),
/// 3 kg at 4.10 (5.5 %) and 7 at 1.333 (20 %).
fn invoice(kind: &str, number: &str) -> Value {
    json!({
        "kind": kind, "number": number, "issue_date": "2026-03-10", "due_date": "2026-04-09",
        "seller": fournil(), "buyer": dupont(),
        "lines": [
            ["Maintenance du four", "2", "HUR", "50.00", "20"],
            ["Farine T65", "3", "KGM", "4.10", "5.5"],
            ["Sachets kraft", "7", "C62", "1.333", "20"],
        ],
    })
}

async fn import(
    env: &Env,
    token: &str,
    file_name: &str,
    content: Vec<u8>,
) -> Result<ImportPurchaseInvoiceResponse, tonic::Status> {
    env.purchases()
        .await
        .import_purchase_invoice(bearer(
            ImportPurchaseInvoiceRequest {
                file_name: file_name.to_owned(),
                content,
                category: "fournitures".to_owned(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// Checks `invoice` is the one [`invoice`] describes, numbered `number`.
fn assert_is_the_invoice(invoice: &Document, number: &str) {
    assert_eq!(invoice.document_type(), DocumentType::PurchaseInvoice);
    assert_eq!(invoice.status(), DocumentStatus::Issued);
    assert_eq!(invoice.number, number);
    assert_eq!(invoice.category, "fournitures");
    assert_eq!(invoice.document_date, "2026-03-10");
    assert_eq!(invoice.due_date, "2026-04-09");
    let party = invoice.party.as_ref().expect("the supplier");
    assert_eq!(
        (
            party.name.as_str(),
            party.siren.as_str(),
            party.vat_number.as_str()
        ),
        ("Fournil SAS", "552100554", "FR96552100554")
    );
    let lines: Vec<_> = invoice
        .lines
        .iter()
        .map(|l| {
            (
                l.description.as_str(),
                l.quantity.as_str(),
                l.unit.as_str(),
                l.unit_price.as_str(),
                l.vat_rate.as_str(),
                l.net_amount.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("Maintenance du four", "2", "h", "50", "20", "100.00"),
            ("Farine T65", "3", "kg", "4.1", "5.5", "12.30"),
            ("Sachets kraft", "7", "", "1.333", "20", "9.33"),
        ]
    );
    // 20 %: 100.00 + 9.33 = 109.33 → 21.87; 5.5 %: 12.30 → 0.68.
    let vat: Vec<_> = invoice
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
    assert_eq!(vat, [("20", "109.33", "21.87"), ("5.5", "12.30", "0.68")]);
    assert_eq!(
        (
            invoice.net_total.as_str(),
            invoice.vat_total.as_str(),
            invoice.gross_total.as_str()
        ),
        ("121.63", "22.55", "144.18")
    );
}

#[tokio::test]
async fn a_factur_x_pdf_is_recorded_as_a_purchase_invoice_with_its_file_and_once_only() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let pdf = file(&invoice("facturx", "FA-2026-118")).await;
    assert!(pdf.starts_with(b"%PDF-"), "factur-x made a PDF");

    let imported = import(&env, &token, "facture-2026-118.pdf", pdf.clone())
        .await
        .expect("the Factur-X PDF is imported");
    assert!(imported.created && imported.supplier_created);
    assert_eq!(imported.format(), EInvoiceFormat::Facturx);
    let recorded = imported.purchase_invoice.expect("the purchase invoice");
    assert_is_the_invoice(&recorded, "FA-2026-118");
    assert_eq!(recorded.balance_due, "144.18");

    // The supplier, created from the file's legal identity.
    let party_id = recorded.party.as_ref().unwrap().party_id.clone();
    let supplier = env
        .parties()
        .await
        .get_party(bearer(GetPartyRequest { party_id }, &token))
        .await
        .expect("the supplier")
        .into_inner()
        .party
        .unwrap();
    assert_eq!(supplier.siren, "552100554");
    assert_eq!(supplier.vat_number, "FR96552100554");
    let address = supplier.address.unwrap();
    assert_eq!(
        (
            address.line1.as_str(),
            address.postal_code.as_str(),
            address.city.as_str()
        ),
        ("12 rue Oberkampf", "75011", "Paris")
    );
    assert_eq!(address.country_code, "FR");

    // The file, byte for byte.
    let attachment = env
        .purchases()
        .await
        .get_purchase_invoice_attachment(bearer(
            GetPurchaseInvoiceAttachmentRequest {
                purchase_invoice_id: recorded.document_id.clone(),
            },
            &token,
        ))
        .await
        .expect("the attachment")
        .into_inner();
    assert_eq!(attachment.file_name, "facture-2026-118.pdf");
    assert_eq!(attachment.content_type, "application/pdf");
    assert_eq!(attachment.format(), EInvoiceFormat::Facturx);
    assert!(
        attachment.content == pdf,
        "the file comes back byte for byte"
    );

    // Published as a hand-entered purchase invoice is.
    eventually("purchase_invoice.recorded to be published", || {
        let env = &env;
        async move { (count(env, PUBLISHED, company).await == 1).then_some(()) }
    })
    .await;
    let mut conn = env.harness.db.admin().await;
    let payload: Vec<u8> = sqlx::query_scalar(
        "SELECT payload FROM billing.outbox WHERE company_id = $1 \
          AND subject = 'comptoir.billing.purchase_invoice.recorded'",
    )
    .bind(company)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let event = PurchaseInvoiceRecorded::decode(payload.as_slice()).unwrap();
    let published = event.purchase_invoice.unwrap();
    assert_eq!(published.document_id, recorded.document_id);
    assert_eq!(published.gross_total, "144.18");

    // The same invoice again, even as another file: the first answer, nothing written.
    let events_before = count(&env, EVENTS, company).await;
    for again in [pdf, file(&invoice("cii", "FA-2026-118")).await] {
        let second = import(&env, &token, "again.xml", again)
            .await
            .expect("a second import answers");
        assert!(!second.created && !second.supplier_created);
        assert_eq!(second.purchase_invoice.unwrap(), recorded);
    }
    assert_eq!(count(&env, PURCHASE_INVOICES, company).await, 1);
    assert_eq!(count(&env, SUPPLIERS, company).await, 1);
    assert_eq!(count(&env, ATTACHMENTS, company).await, 1);
    assert_eq!(count(&env, EVENTS, company).await, events_before);
}

#[tokio::test]
async fn cii_and_ubl_files_of_a_known_supplier_are_recorded_against_it() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;

    let cii = import(
        &env,
        &token,
        "FA-1.xml",
        file(&invoice("cii", "FA-1")).await,
    )
    .await
    .expect("the CII file is imported");
    assert_eq!(cii.format(), EInvoiceFormat::Cii);
    assert!(cii.created && cii.supplier_created);
    let cii = cii.purchase_invoice.unwrap();
    assert_is_the_invoice(&cii, "FA-1");

    let ubl_file = file(&invoice("ubl", "FA-2")).await;
    let ubl = import(&env, &token, "FA-2.xml", ubl_file.clone())
        .await
        .expect("the UBL file is imported");
    assert_eq!(ubl.format(), EInvoiceFormat::Ubl);
    assert!(ubl.created);
    assert!(
        !ubl.supplier_created,
        "the supplier is matched by its SIREN"
    );
    let ubl = ubl.purchase_invoice.unwrap();
    assert_is_the_invoice(&ubl, "FA-2");
    assert_eq!(ubl.party.unwrap().party_id, cii.party.unwrap().party_id);
    assert_eq!(count(&env, SUPPLIERS, company).await, 1);
    assert_eq!(count(&env, PURCHASE_INVOICES, company).await, 2);

    let attachment = env
        .purchases()
        .await
        .get_purchase_invoice_attachment(bearer(
            GetPurchaseInvoiceAttachmentRequest {
                purchase_invoice_id: ubl.document_id,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(attachment.content_type, "application/xml");
    assert!(attachment.content == ubl_file);

    // A supplier known only by its VAT number is matched by it as well.
    let mut by_vat = invoice("ubl", "FA-3");
    by_vat["seller"]["siren"] = Value::Null;
    let third = import(&env, &token, "FA-3.xml", file(&by_vat).await)
        .await
        .expect("the UBL file without SIREN is imported");
    assert!(!third.supplier_created);
    assert_eq!(count(&env, SUPPLIERS, company).await, 1);

    // A hand-entered purchase invoice has no file.
    let missing = env
        .purchases()
        .await
        .get_purchase_invoice_attachment(bearer(
            GetPurchaseInvoiceAttachmentRequest {
                purchase_invoice_id: Uuid::now_v7().to_string(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

/// Refused as INVALID_ARGUMENT on `content`, with a reason containing each of `words`.
fn assert_refused(result: Result<ImportPurchaseInvoiceResponse, tonic::Status>, words: &[&str]) {
    let status = result.expect_err("the file is refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(bad_fields(&status), ["content"], "{status:?}");
    for word in words {
        assert!(
            status.message().contains(word),
            "{word:?} in {:?}",
            status.message()
        );
    }
}

#[tokio::test]
async fn bad_files_are_refused_with_their_reason_and_nothing_is_written() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let events_before = count(&env, EVENTS, company).await;

    let mut broken = invoice("cii", "FA-9");
    broken["break_total"] = json!(true);
    assert_refused(
        import(&env, &token, "broken.xml", file(&broken).await).await,
        &["does not add up", "BR-CO-10"],
    );
    let mut broken_pdf = invoice("facturx", "FA-9");
    broken_pdf["break_total"] = json!(true);
    assert_refused(
        import(&env, &token, "broken.pdf", file(&broken_pdf).await).await,
        &["BR-CO-10"],
    );
    assert_refused(
        import(
            &env,
            &token,
            "minimum.pdf",
            file(&invoice("facturx-minimum", "FA-9")).await,
        )
        .await,
        &["urn:factur-x.eu:1p0:minimum", "not EN 16931", "BR-01"],
    );
    assert_refused(
        import(
            &env,
            &token,
            "order.xml",
            br#"<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>7</ID></Order>"#.to_vec(),
        )
        .await,
        &["<Order>", "not an invoice"],
    );
    assert_refused(
        import(
            &env,
            &token,
            "photo.jpg",
            b"\xFF\xD8\xFF\xE0 a JPEG".to_vec(),
        )
        .await,
        &["neither a PDF nor an XML document"],
    );
    let mut other_buyer = invoice("ubl", "FA-9");
    other_buyer["buyer"] = json!({ "name": "Someone Else SA", "siren": "356000000",
                                   "country": "FR" });
    assert_refused(
        import(&env, &token, "other.xml", file(&other_buyer).await).await,
        &["another buyer", "356000000"],
    );

    // One byte over the limit: refused by billing before it is read.
    assert_refused(
        import(&env, &token, "big.xml", vec![b' '; 10 * 1024 * 1024 + 1]).await,
        &["10485761 bytes", "more than the 10485760-byte limit"],
    );

    // 50 MB: refused at once by the server's decoding limit, never read in full.
    let started = std::time::Instant::now();
    let huge = import(&env, &token, "huge.pdf", vec![b'%'; 50 * 1024 * 1024])
        .await
        .expect_err("a 50 MB file is refused");
    println!("50 MB file refused in {:?}: {huge:?}", started.elapsed());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "refused without hanging"
    );
    assert_eq!(huge.code(), Code::InvalidArgument, "{huge:?}");
    assert_eq!(bad_fields(&huge), ["content"], "{huge:?}");
    assert!(
        huge.message()
            .contains("more than the 10485760-byte limit on imported files"),
        "{huge:?}"
    );
    assert!(
        huge.message().contains("52428"),
        "the size is named: {huge:?}"
    );

    for (what, sql) in [
        ("purchase invoices", PURCHASE_INVOICES),
        ("suppliers", SUPPLIERS),
        ("attachments", ATTACHMENTS),
    ] {
        assert_eq!(count(&env, sql, company).await, 0, "{what}");
    }
    assert_eq!(count(&env, EVENTS, company).await, events_before, "events");
}

#[tokio::test]
async fn two_imports_of_a_new_suppliers_invoice_at_once_record_it_once() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let content = file(&invoice("cii", "FA-5")).await;

    let (first, second) = tokio::join!(
        import(&env, &token, "a.xml", content.clone()),
        import(&env, &token, "b.xml", content),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.created != second.created, "exactly one records it");
    assert!(first.supplier_created != second.supplier_created);
    assert_eq!(first.purchase_invoice, second.purchase_invoice);
    assert_eq!(count(&env, SUPPLIERS, company).await, 1);
    assert_eq!(count(&env, PURCHASE_INVOICES, company).await, 1);
    assert_eq!(count(&env, ATTACHMENTS, company).await, 1);
}

#[tokio::test]
async fn importing_needs_purchases_write_and_reading_the_file_invoices_read() {
    let env = Env::start().await;
    let company = env.company().await;
    let content = file(&invoice("ubl", "FA-6")).await;

    let sales = env.token_with(company, &[Permission::QuotesWrite]).await;
    let denied = import(&env, &sales, "FA-6.xml", content.clone())
        .await
        .expect_err("a Sales token may not import");
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(count(&env, PURCHASE_INVOICES, company).await, 0);

    let purchasing = env.token_with(company, &[Permission::PurchasesWrite]).await;
    let imported = import(&env, &purchasing, "FA-6.xml", content.clone())
        .await
        .expect("purchases.write imports")
        .purchase_invoice
        .unwrap();
    let reader = env.token_with(company, &[Permission::InvoicesRead]).await;
    let read = env
        .purchases()
        .await
        .get_purchase_invoice_attachment(bearer(
            GetPurchaseInvoiceAttachmentRequest {
                purchase_invoice_id: imported.document_id.clone(),
            },
            &reader,
        ))
        .await
        .expect("invoices.read reads the file")
        .into_inner();
    assert!(read.content == content);

    // Another company sees neither the purchase invoice's file nor its existence.
    let other = env.company().await;
    let stranger = env.admin_token(other).await;
    let hidden = env
        .purchases()
        .await
        .get_purchase_invoice_attachment(bearer(
            GetPurchaseInvoiceAttachmentRequest {
                purchase_invoice_id: imported.document_id,
            },
            &stranger,
        ))
        .await
        .expect_err("another company's file");
    assert_eq!(hidden.code(), Code::NotFound);
}
