//! An e-invoice from one company of the platform to another: the seller issues an
//! invoice in billing, export renders it as a Factur-X PDF, and the buyer imports that
//! file in its own books as a purchase invoice. What the buyer records must be what the
//! seller issued: the supplier's legal identity, the number, the totals and the VAT of
//! every rate, to the cent.

use comptoir_proto::billing::v1::{
    CreateInvoiceRequest, CreatePartyRequest, Document, DraftInput, EInvoiceFormat,
    ImportPurchaseInvoiceRequest, IssueInvoiceRequest, LineInput, PartyInput, PartyKind, PartyRole,
    invoice_service_client::InvoiceServiceClient, party_service_client::PartyServiceClient,
    purchase_service_client::PurchaseServiceClient,
};
use comptoir_proto::export::v1::{
    RenderInvoicePdfRequest, export_service_client::ExportServiceClient,
};
use comptoir_proto::types::v1::PostalAddress;
use comptoir_test_support::{bearer, eventually};

use crate::platform::{Platform, company_request};

const SELLER_SIREN: &str = "732829320";
const SELLER_VAT: &str = "FR44732829320";
const BUYER_SIREN: &str = "552100554";
const BUYER_VAT: &str = "FR96552100554";

/// A company of its own user, with its VAT number; returns a token scoped to it and its
/// id.
async fn company(
    platform: &Platform,
    email: &str,
    name: &str,
    siren: &str,
    vat: &str,
) -> (String, String) {
    let token = platform.user_token(email).await;
    let mut request = company_request(name, siren);
    request.vat_number = vat.to_owned();
    let company_id = platform.create_company_with(&token, request).await;
    let token = platform
        .switch(&token, &company_id)
        .await
        .expect("the owner may switch");
    (token, company_id)
}

/// The seller's invoice to the buyer, at three rates, issued.
async fn issued_invoice(platform: &Platform, token: &str) -> Document {
    let buyer = PartyInput {
        role: PartyRole::Customer as i32,
        kind: PartyKind::Professional as i32,
        name: "Atelier Martin".to_owned(),
        siren: BUYER_SIREN.to_owned(),
        vat_number: BUYER_VAT.to_owned(),
        address: Some(PostalAddress {
            line1: "8 quai des Chartrons".to_owned(),
            postal_code: "33000".to_owned(),
            city: "Bordeaux".to_owned(),
            country_code: "FR".to_owned(),
            ..Default::default()
        }),
        payment_terms_days: 30,
        ..Default::default()
    };
    let party_id = PartyServiceClient::new(platform.billing.channel().await)
        .create_party(bearer(
            CreatePartyRequest {
                party: Some(buyer),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .expect("creating the buyer as a customer")
        .into_inner()
        .party
        .expect("a party")
        .party_id;
    let line = |description: &str, quantity: &str, unit: &str, price: &str, rate: &str| LineInput {
        description: description.to_owned(),
        quantity: quantity.to_owned(),
        unit: unit.to_owned(),
        unit_price: price.to_owned(),
        vat_rate: rate.to_owned(),
        ..Default::default()
    };
    let draft = DraftInput {
        party_id,
        lines: vec![
            line("Conseil en organisation", "7.5", "h", "95", "20"),
            line("Formation sur site", "2", "jour", "640.33", "20"),
            line("Repas des stagiaires", "14", "", "17.27", "10"),
            line("Manuels", "3", "", "24.90", "5.5"),
        ],
        late_penalty_rate: "12.15".to_owned(),
        recovery_fee: true,
        ..Default::default()
    };
    let mut invoices = InvoiceServiceClient::new(platform.billing.channel().await);
    let invoice_id = invoices
        .create_invoice(bearer(
            CreateInvoiceRequest {
                invoice: Some(draft),
                idempotency_key: String::new(),
            },
            token,
        ))
        .await
        .expect("creating the draft")
        .into_inner()
        .invoice
        .expect("an invoice")
        .document_id;
    invoices
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id,
                ..Default::default()
            },
            token,
        ))
        .await
        .expect("issuing the invoice")
        .into_inner()
        .invoice
        .expect("the issued invoice")
}

/// The invoice as export renders it by default (Factur-X), once export has it.
async fn factur_x(
    platform: &Platform,
    token: &str,
    company_id: &str,
    document_id: &str,
) -> Vec<u8> {
    let export = ExportServiceClient::new(platform.export.channel().await);
    eventually("export to render the issued invoice", || {
        let mut export = export.clone();
        let request = bearer(
            RenderInvoicePdfRequest {
                company_id: company_id.to_owned(),
                document_id: document_id.to_owned(),
                ..Default::default()
            },
            token,
        );
        async move {
            let mut stream = export.render_invoice_pdf(request).await.ok()?.into_inner();
            let mut pdf = Vec::new();
            while let Some(response) = stream.message().await.ok()? {
                pdf.extend(response.chunk?.data);
            }
            Some(pdf)
        }
    })
    .await
}

/// (rate, taxable amount, VAT) of each rate, in rate order.
fn vat_of(document: &Document) -> Vec<(String, String, String)> {
    let mut vat: Vec<_> = document
        .vat_amounts
        .iter()
        .map(|v| {
            (
                v.rate.clone(),
                v.taxable_amount.clone(),
                v.vat_amount.clone(),
            )
        })
        .collect();
    vat.sort();
    vat
}

#[tokio::test]
async fn an_invoice_issued_on_the_platform_is_imported_by_its_customer_as_the_same_purchase() {
    let platform = Platform::start().await;
    let (seller, seller_id) = company(
        &platform,
        "jeanne@example.fr",
        "Conseil Dupont",
        SELLER_SIREN,
        SELLER_VAT,
    )
    .await;
    let (buyer, _) = company(
        &platform,
        "paul@example.fr",
        "Atelier Martin",
        BUYER_SIREN,
        BUYER_VAT,
    )
    .await;

    let invoice = issued_invoice(&platform, &seller).await;
    let pdf = factur_x(&platform, &seller, &seller_id, &invoice.document_id).await;
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");

    let mut purchases = PurchaseServiceClient::new(platform.billing.channel().await);
    let import = |content: Vec<u8>| ImportPurchaseInvoiceRequest {
        file_name: format!("{}.pdf", invoice.number),
        content,
        category: "conseil".to_owned(),
    };
    let imported = purchases
        .import_purchase_invoice(bearer(import(pdf.clone()), &buyer))
        .await
        .expect("the buyer imports the Factur-X")
        .into_inner();
    assert_eq!(imported.format(), EInvoiceFormat::Facturx);
    assert!(imported.created && imported.supplier_created);
    let purchase = imported.purchase_invoice.expect("a purchase invoice");

    // The supplier is the seller, by its legal identity.
    let supplier = purchase.party.clone().expect("the supplier");
    assert_eq!(
        (
            supplier.name.as_str(),
            supplier.siren.as_str(),
            supplier.vat_number.as_str()
        ),
        ("Conseil Dupont", SELLER_SIREN, SELLER_VAT)
    );
    // The same document, to the cent.
    assert_eq!(purchase.number, invoice.number);
    assert_eq!(purchase.document_date, invoice.document_date);
    assert_eq!(purchase.due_date, invoice.due_date);
    assert_eq!(
        (
            &purchase.net_total,
            &purchase.vat_total,
            &purchase.gross_total
        ),
        (&invoice.net_total, &invoice.vat_total, &invoice.gross_total)
    );
    assert_eq!(vat_of(&purchase), vat_of(&invoice));
    assert_eq!(
        vat_of(&invoice).len(),
        3,
        "three rates: {:?}",
        vat_of(&invoice)
    );
    assert_eq!(purchase.lines.len(), invoice.lines.len());

    // The same file again is the same purchase invoice.
    let again = purchases
        .import_purchase_invoice(bearer(import(pdf), &buyer))
        .await
        .expect("importing it again")
        .into_inner();
    assert!(!again.created && !again.supplier_created);
    assert_eq!(
        again.purchase_invoice.map(|p| p.document_id),
        Some(purchase.document_id)
    );
    platform.stop().await;
}
