//! E-invoices of the year of activity: every invoice and credit note of a company with its
//! whole legal identity (all French rates, the 293 B exemption, a credit note, OSS sales
//! to Germany and Spain, an intra-community supply, an export and a reverse charge)
//! rendered as Factur-X, its `factur-x.xml` extracted back with `lopdf` and checked by
//! the EN 16931 checker of these tests and by the Python `factur-x` package (the
//! profile's XSD, its own extraction from the PDF); the same document as CII and UBL
//! through RenderInvoiceXml; every total equal to the document's, and their sum per rate
//! to the VAT register's, to the cent. A document that cannot be made valid is refused
//! naming the rule.

use std::collections::BTreeMap;

use comptoir_proto::events::v1 as pb;
use comptoir_proto::export::v1::{
    EInvoiceProfile, EInvoiceSyntax, Period, RenderInvoicePdfRequest, RenderInvoiceXmlRequest,
    VatRegisterRequest, export_service_client::ExportServiceClient,
};
use comptoir_proto::types::v1::BankAccount;
use comptoir_test_support::{Harness, bearer, eventually, python};
use rust_decimal::Decimal;
use tonic::Code;
use tonic::transport::Channel;

use crate::books::{Books, d, document, line, party};
use crate::documents::a_year_with_oss_sales_in;
use crate::en16931_checker::{self, Node, assert_catches, check};
use crate::fec::{Received, receive};
use crate::pdf::{open_company, update_bank_account};
use crate::start;

async fn render_pdf(
    client: &ExportServiceClient<Channel>,
    books: &Books,
    document_id: &str,
    profile: EInvoiceProfile,
) -> Result<Received, tonic::Status> {
    let stream = client
        .clone()
        .render_invoice_pdf(bearer(
            RenderInvoicePdfRequest {
                company_id: books.company_id.to_string(),
                document_id: document_id.to_owned(),
                profile: profile as i32,
            },
            &books.token,
        ))
        .await?
        .into_inner();
    receive(stream, |response| response.chunk).await
}

async fn render_xml(
    client: &ExportServiceClient<Channel>,
    books: &Books,
    document_id: &str,
    format: EInvoiceSyntax,
    profile: EInvoiceProfile,
) -> Result<Vec<u8>, tonic::Status> {
    let response = client
        .clone()
        .render_invoice_xml(bearer(
            RenderInvoiceXmlRequest {
                company_id: books.company_id.to_string(),
                document_id: document_id.to_owned(),
                format: format as i32,
                profile: profile as i32,
            },
            &books.token,
        ))
        .await?
        .into_inner();
    assert_eq!(response.content_type, "application/xml");
    assert!(response.file_name.ends_with(".xml"));
    Ok(response.xml)
}

/// What a Factur-X PDF carries, read with `lopdf`.
struct Embedded {
    name: String,
    relationship: String,
    subtype: String,
    xml: Vec<u8>,
    /// The catalog's /AF names the file spec.
    in_af: bool,
    xmp: Node,
    output_intent: String,
}

fn embedded(pdf: &[u8]) -> Embedded {
    let document = lopdf::Document::load_mem(pdf).expect("a PDF lopdf reads");
    assert!(
        document.version.starts_with("1.7"),
        "PDF {}",
        document.version
    );
    let catalog = document.catalog().unwrap();
    let names = document
        .get_dict_in_dict(catalog, b"Names")
        .and_then(|names| document.get_dict_in_dict(names, b"EmbeddedFiles"))
        .expect("an embedded files name tree");
    let pairs = names.get(b"Names").unwrap().as_array().unwrap();
    assert_eq!(pairs.len(), 2, "one embedded file");
    let spec_id = pairs[1].as_reference().unwrap();
    let spec = document.get_dictionary(spec_id).unwrap();
    let text = |dict: &lopdf::Dictionary, key: &[u8]| {
        let object = dict.get(key).unwrap();
        match object {
            lopdf::Object::Name(name) => String::from_utf8_lossy(name).into_owned(),
            lopdf::Object::String(bytes, _) => String::from_utf8_lossy(bytes).into_owned(),
            other => panic!("{other:?}"),
        }
    };
    let stream_id = spec
        .get(b"EF")
        .and_then(lopdf::Object::as_dict)
        .and_then(|ef| ef.get(b"F"))
        .and_then(lopdf::Object::as_reference)
        .unwrap();
    let stream = document
        .get_object(stream_id)
        .and_then(lopdf::Object::as_stream)
        .unwrap();
    let xml = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    let in_af = catalog
        .get(b"AF")
        .and_then(|af| match af {
            lopdf::Object::Reference(id) => {
                document.get_object(*id).and_then(lopdf::Object::as_array)
            }
            other => other.as_array(),
        })
        .is_ok_and(|af| {
            af.iter()
                .any(|item| item.as_reference().ok() == Some(spec_id))
        });
    let metadata = document
        .get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap())
        .and_then(lopdf::Object::as_stream)
        .unwrap();
    let intents = catalog.get(b"OutputIntents").unwrap();
    let intents = match intents {
        lopdf::Object::Reference(id) => document.get_object(*id).unwrap(),
        other => other,
    }
    .as_array()
    .unwrap();
    let intent = match &intents[0] {
        lopdf::Object::Reference(id) => document.get_dictionary(*id).unwrap(),
        other => other.as_dict().unwrap(),
    };
    Embedded {
        name: text(spec, b"F"),
        relationship: text(spec, b"AFRelationship"),
        subtype: text(&stream.dict, b"Subtype"),
        xml,
        in_af,
        xmp: en16931_checker::parse(&metadata.content).expect("well-formed XMP"),
        output_intent: text(intent, b"S"),
    }
}

/// Every text of the elements named `name` (local name) under `node`.
fn texts(node: &Node, name: &str) -> Vec<String> {
    let mut found = Vec::new();
    if node.name == name {
        found.push(node.text.trim().to_owned());
    }
    for child in &node.children {
        found.extend(texts(child, name));
    }
    found
}

/// The intra-community supply, export and reverse charge of the year, beside the OSS
/// sales: a German business (0 %, K), an American one (0 %, G) and a Belgian one billed
/// under reverse charge (AE); lines with units and a discount.
async fn foreign_sales(harness: &Harness, books: &mut Books) -> Vec<pb::BillingDocument> {
    let business = |name: &str, country: &str, vat: &str| pb::BillingParty {
        vat_number: vat.to_owned(),
        address_line1: "1 Hauptstraße".to_owned(),
        address_postal_code: "10115".to_owned(),
        address_city: "Berlin".to_owned(),
        ..party(name, "", country)
    };
    let mut hours = line("0", "services", "475.00");
    hours.quantity = "10".to_owned();
    hours.unit_price = "50".to_owned();
    hours.discount = "25.00".to_owned();
    hours.unit = "h".to_owned();
    let mut flour = line("0", "goods", "500.00");
    flour.quantity = "250".to_owned();
    flour.unit_price = "2".to_owned();
    flour.unit = "kg".to_owned();
    let mut intra = document(
        "invoice",
        "F-2026-0006",
        "2026-07-01",
        &business("Müller & Söhne GmbH", "DE", "DE123456789"),
        vec![flour, hours],
    );
    intra.vat_exemption = "Exonération de TVA, article 262 ter I du CGI".to_owned();
    intra.due_date = "2026-07-31".to_owned();
    let mut export = document(
        "invoice",
        "F-2026-0007",
        "2026-07-02",
        &business("Acme <Bakery> Inc.", "US", ""),
        vec![line("0", "goods", "1200.00")],
    );
    export.vat_exemption = "Exonération de TVA, article 262 I du CGI".to_owned();
    let mut reverse = document(
        "invoice",
        "F-2026-0008",
        "2026-07-03",
        &business("Boulangerie Bruxelloise SPRL", "BE", "BE0123456749"),
        vec![line("0", "services", "300.00")],
    );
    reverse.vat_exemption = "Autoliquidation".to_owned();
    for sale in [&intra, &export, &reverse] {
        books.issue(harness, sale).await;
    }
    vec![intra, export, reverse]
}

/// The XMLs' amounts per rate (credit notes deducted): (net, VAT).
type PerRate = BTreeMap<Decimal, (Decimal, Decimal)>;

#[tokio::test]
async fn every_invoice_of_the_year_is_a_factur_x_both_checkers_accept_and_agrees_with_the_vat_register()
 {
    let (harness, export) = start().await;
    let books = open_company(&harness).await;
    // The account invoices are paid into: every e-invoice's payment means.
    update_bank_account(
        &harness,
        &books,
        2,
        Some(BankAccount {
            iban: "FR7630006000011234567890189".to_owned(),
            bic: "BNPAFRPP".to_owned(),
        }),
    )
    .await;
    let mut books = a_year_with_oss_sales_in(&harness, books).await;
    let foreign = foreign_sales(&harness, &mut books).await;
    let client = ExportServiceClient::new(export.channel().await);
    let last = foreign.last().unwrap().document_id.clone();
    eventually(
        "export to keep the foreign sales and the bank account",
        || async {
            let xml = render_xml(
                &client,
                &books,
                &last,
                EInvoiceSyntax::Cii,
                EInvoiceProfile::En16931,
            )
            .await
            .ok()?;
            String::from_utf8(xml)
                .ok()?
                .contains("FR7630006000011234567890189")
                .then_some(())
        },
    )
    .await;

    let sales: Vec<pb::BillingDocument> = books
        .documents
        .iter()
        .filter(|doc| doc.document_type != "purchase_invoice")
        .filter(|doc| doc.document_date.starts_with("2026"))
        .cloned()
        .collect();
    assert_eq!(sales.len(), 9, "F-0001 to F-0008 and the credit note");
    let directory = std::env::temp_dir().join(format!("factur-x-{}", books.company_id));
    std::fs::create_dir_all(&directory).unwrap();
    let mut paths = Vec::new();
    let mut per_rate = PerRate::new();
    let mut categories = Vec::new();
    for sale in &sales {
        let pdf = render_pdf(
            &client,
            &books,
            &sale.document_id,
            EInvoiceProfile::Unspecified,
        )
        .await
        .unwrap_or_else(|status| panic!("{}: {status:?}", sale.number));
        assert_eq!(pdf.name, format!("{}.pdf", sale.number));
        let carried = embedded(&pdf.bytes);
        assert_eq!(
            (
                carried.name.as_str(),
                carried.relationship.as_str(),
                carried.subtype.as_str(),
                carried.in_af,
                carried.output_intent.as_str()
            ),
            ("factur-x.xml", "Data", "text/xml", true, "GTS_PDFA1"),
            "{}",
            sale.number
        );
        assert_eq!(texts(&carried.xmp, "part"), ["3"]);
        assert_eq!(texts(&carried.xmp, "conformance"), ["B"]);
        assert_eq!(texts(&carried.xmp, "DocumentType"), ["INVOICE"]);
        assert_eq!(texts(&carried.xmp, "DocumentFileName"), ["factur-x.xml"]);
        assert_eq!(texts(&carried.xmp, "Version"), ["1.0"]);
        assert_eq!(texts(&carried.xmp, "ConformanceLevel"), ["EN 16931"]);
        assert!(
            texts(&carried.xmp, "namespaceURI")
                .contains(&"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#".to_owned()),
            "the fx: schema is described"
        );

        let read = check(&carried.xml).unwrap_or_else(|broken| {
            panic!(
                "{} breaks {broken:#?}\n{}",
                sale.number,
                String::from_utf8_lossy(&carried.xml)
            )
        });
        assert_eq!(read.specification, "urn:cen.eu:en16931:2017");
        assert_eq!(read.number, sale.number);
        let credit = sale.document_type == "credit_note";
        assert_eq!(read.type_code, if credit { "381" } else { "380" });
        // The year's credit note names no invoice.
        assert_eq!(read.preceding_number, "");
        assert_eq!(
            (read.payment_means.as_str(), read.iban.as_str()),
            ("58", "FR7630006000011234567890189")
        );
        // The document's totals, to the cent.
        assert_eq!(
            (
                read.tax_basis,
                read.vat_total,
                read.grand_total,
                read.due_payable
            ),
            (
                Some(d(&sale.net_total)),
                Some(d(&sale.vat_total)),
                Some(d(&sale.gross_total)),
                Some(d(&sale.gross_total))
            ),
            "{}",
            sale.number
        );
        let sign = if credit { -Decimal::ONE } else { Decimal::ONE };
        for b in &read.breakdown {
            let entry = per_rate.entry(b.rate.normalize()).or_default();
            entry.0 += sign * b.taxable;
            entry.1 += sign * b.vat;
            categories.push((
                sale.number.clone(),
                b.category.clone(),
                b.exemption_code.clone(),
            ));
        }

        // RenderInvoiceXml answers the very XML the PDF carries; UBL the same totals.
        let cii = render_xml(
            &client,
            &books,
            &sale.document_id,
            EInvoiceSyntax::Unspecified,
            EInvoiceProfile::Unspecified,
        )
        .await
        .unwrap();
        assert_eq!(cii, carried.xml);
        let ubl = render_xml(
            &client,
            &books,
            &sale.document_id,
            EInvoiceSyntax::Ubl,
            EInvoiceProfile::Unspecified,
        )
        .await
        .unwrap();
        let ubl_read = check(&ubl).unwrap_or_else(|broken| {
            panic!(
                "UBL {} breaks {broken:#?}\n{}",
                sale.number,
                String::from_utf8_lossy(&ubl)
            )
        });
        assert_eq!(
            (
                ubl_read.type_code.as_str(),
                ubl_read.tax_basis,
                ubl_read.vat_total,
                ubl_read.grand_total,
                ubl_read.breakdown.clone()
            ),
            (
                read.type_code.as_str(),
                read.tax_basis,
                read.vat_total,
                read.grand_total,
                read.breakdown.clone()
            )
        );
        let path = directory.join(&pdf.name);
        std::fs::write(&path, &pdf.bytes).unwrap();
        paths.push(path.display().to_string());
    }

    // The categories: standard rates, the franchise, the OSS sales at their rates, and
    // the three foreign zero-rated sales.
    let category_of = |number: &str| {
        categories
            .iter()
            .filter(|(n, _, _)| n == number)
            .map(|(_, category, code)| format!("{category}{code}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(category_of("F-2026-0001"), ["S", "S", "S", "S"]);
    assert_eq!(category_of("F-2026-0002"), ["EVATEX-FR-FRANCHISE"]);
    assert_eq!(category_of("F-2026-0004"), ["S"]);
    assert_eq!(category_of("F-2026-0006"), ["KVATEX-EU-IC"]);
    assert_eq!(category_of("F-2026-0007"), ["GVATEX-EU-G"]);
    assert_eq!(category_of("F-2026-0008"), ["AEVATEX-EU-AE"]);

    // The sum of the e-invoices per rate is the VAT register's, to the cent.
    let register = client
        .clone()
        .vat_register(bearer(
            VatRegisterRequest {
                company_id: books.company_id.to_string(),
                period: Some(Period {
                    start_date: "2026-01-01".to_owned(),
                    end_date: "2026-12-31".to_owned(),
                }),
            },
            &books.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let registered: PerRate = register
        .collected
        .iter()
        .map(|r| {
            (
                d(&r.vat_rate).normalize(),
                (d(&r.net_amount), d(&r.vat_amount)),
            )
        })
        .collect();
    assert_eq!(per_rate, registered);
    let xml_vat: Decimal = per_rate.values().map(|(_, vat)| *vat).sum();
    assert_eq!(xml_vat, d(&register.collected_vat_total));

    // The factur-x package: its own extraction from each PDF, and the profile's XSD.
    let script = r#"
import sys
import facturx
from lxml import etree
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        pdf = f.read()
    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    root = etree.fromstring(xml)
    level = facturx.get_level(root)
    facturx.xml_check_xsd(xml, flavor="factur-x", level=level)
    print("|".join([path.rsplit("/", 1)[-1], name, level, facturx.get_flavor(root)]))
"#;
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let output = python::run_ok(script, &args, b"").await;
    let output = String::from_utf8(output).unwrap();
    let results: Vec<&str> = output.lines().collect();
    let expected: Vec<String> = sales
        .iter()
        .map(|sale| format!("{}.pdf|factur-x.xml|en16931|factur-x", sale.number))
        .collect();
    assert_eq!(results, expected);
    std::fs::remove_dir_all(&directory).ok();

    // BASIC and EXTENDED: the profile's identifier, XMP level and XSD.
    let first = &sales[0];
    for (profile, level, conformance) in [
        (EInvoiceProfile::Basic, "basic", "BASIC"),
        (EInvoiceProfile::Extended, "extended", "EXTENDED"),
    ] {
        let pdf = render_pdf(&client, &books, &first.document_id, profile)
            .await
            .unwrap();
        let carried = embedded(&pdf.bytes);
        assert_eq!(texts(&carried.xmp, "ConformanceLevel"), [conformance]);
        let read = check(&carried.xml).unwrap();
        assert!(
            read.specification.ends_with(level),
            "{}",
            read.specification
        );
        let checked = python::run_ok(
            r#"
import sys
import facturx
name, xml = facturx.get_facturx_xml_from_pdf(sys.stdin.buffer.read(), check_xsd=True)
from lxml import etree
print(facturx.get_level(etree.fromstring(xml)))
"#,
            &[],
            &pdf.bytes,
        )
        .await;
        assert_eq!(String::from_utf8_lossy(&checked).trim(), level);
    }
}

#[tokio::test]
async fn the_checker_catches_a_changed_total_and_a_missing_exemption_reason() {
    let (harness, export) = start().await;
    let mut books = open_company(&harness).await;
    let martin = pb::BillingParty {
        vat_number: "FR40542051180".to_owned(),
        ..party("Épicerie Martin SARL", "", "FR")
    };
    let invoice = document(
        "invoice",
        "F-2026-0001",
        "2026-03-02",
        &martin,
        vec![
            line("20", "goods", "100.00"),
            line("0", "services", "50.00"),
        ],
    );
    books.issue(&harness, &invoice).await;
    let client = ExportServiceClient::new(export.channel().await);
    let xml = eventually("export to keep the invoice", || async {
        render_xml(
            &client,
            &books,
            &invoice.document_id,
            EInvoiceSyntax::Cii,
            EInvoiceProfile::En16931,
        )
        .await
        .ok()
    })
    .await;
    let xml = String::from_utf8(xml).unwrap();
    check(xml.as_bytes()).expect("the checker accepts the XML as written");
    assert_catches(
        &xml,
        "<ram:GrandTotalAmount>170.00</ram:GrandTotalAmount>",
        "<ram:GrandTotalAmount>170.01</ram:GrandTotalAmount>",
        "BR-CO-15",
    );
    assert_catches(
        &xml,
        "<ram:CalculatedAmount>20.00</ram:CalculatedAmount>",
        "<ram:CalculatedAmount>20.01</ram:CalculatedAmount>",
        "BR-CO-14",
    );
    assert_catches(
        &xml,
        "<ram:LineTotalAmount>100.00</ram:LineTotalAmount>",
        "<ram:LineTotalAmount>100.10</ram:LineTotalAmount>",
        "BR-CO-10",
    );
    // An exempt breakdown without its reason, text and code, breaks BR-E-10.
    let without_code = xml.replacen(
        "<ram:ExemptionReasonCode>VATEX-FR-FRANCHISE</ram:ExemptionReasonCode>",
        "",
        1,
    );
    check(without_code.as_bytes()).expect("a reason text is enough");
    assert_catches(
        &without_code,
        "<ram:ExemptionReason>TVA non applicable, art. 293 B du CGI</ram:ExemptionReason>",
        "",
        "BR-E-10",
    );
    let ubl = render_xml(
        &client,
        &books,
        &invoice.document_id,
        EInvoiceSyntax::Ubl,
        EInvoiceProfile::Unspecified,
    )
    .await
    .unwrap();
    let ubl = String::from_utf8(ubl).unwrap();
    check(ubl.as_bytes()).expect("the checker accepts the UBL as written");
    assert_catches(
        &ubl,
        "<cbc:PayableAmount currencyID=\"EUR\">170.00</cbc:PayableAmount>",
        "<cbc:PayableAmount currencyID=\"EUR\">169.00</cbc:PayableAmount>",
        "BR-CO-16",
    );
}

#[tokio::test]
async fn a_document_that_cannot_be_a_valid_e_invoice_is_refused_naming_the_rule() {
    let (harness, export) = start().await;
    // A seller without a VAT number, billing at 20 %.
    let mut books = Books::open(&harness, "732829320").await;
    let customer = pb::BillingParty {
        address_line1: "3 avenue des Halles".to_owned(),
        ..party("Épicerie Martin SARL", "", "FR")
    };
    let invoice = document(
        "invoice",
        "F-2026-0001",
        "2026-03-02",
        &customer,
        vec![line("20", "goods", "100.00")],
    );
    books.issue(&harness, &invoice).await;
    let client = ExportServiceClient::new(export.channel().await);
    // The plain PDF is still there.
    eventually("export to keep the invoice", || async {
        render_pdf(&client, &books, &invoice.document_id, EInvoiceProfile::None)
            .await
            .ok()
    })
    .await;
    for refused in [
        render_pdf(
            &client,
            &books,
            &invoice.document_id,
            EInvoiceProfile::Unspecified,
        )
        .await
        .err(),
        render_xml(
            &client,
            &books,
            &invoice.document_id,
            EInvoiceSyntax::Ubl,
            EInvoiceProfile::Unspecified,
        )
        .await
        .err(),
    ] {
        let status = refused.expect("refused");
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
        assert_eq!(
            comptoir_test_support::bad_fields(&status),
            ["seller.vat_number"]
        );
        assert_eq!(
            comptoir_test_support::reason(&status),
            "NOT_AN_EN16931_INVOICE"
        );
        assert!(
            status.message().contains("seller.vat_number: BR-S-02: "),
            "{status:?}"
        );
    }
    // NONE has no XML; an unknown profile or syntax is refused by field.
    let none = render_xml(
        &client,
        &books,
        &invoice.document_id,
        EInvoiceSyntax::Cii,
        EInvoiceProfile::None,
    )
    .await
    .unwrap_err();
    assert_eq!(none.code(), Code::InvalidArgument);
    assert_eq!(comptoir_test_support::bad_fields(&none), ["profile"]);
    let response = client
        .clone()
        .render_invoice_xml(bearer(
            RenderInvoiceXmlRequest {
                company_id: books.company_id.to_string(),
                document_id: invoice.document_id.clone(),
                format: 9,
                profile: 9,
            },
            &books.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        comptoir_test_support::bad_fields(&response),
        ["format", "profile"]
    );
}
