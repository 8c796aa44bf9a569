//! Unit tests of the e-invoice reader: small CII and UBL documents written by hand, a
//! PDF with one embedded, and each refusal.

use std::str::FromStr;

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A CII EN 16931 invoice from Fournil SAS (SIREN 552100554) to Boulangerie Dupont
/// (SIREN 732829320): 2 h at 50 (20 %) and 3 kg at 4.10 (5.5 %).
fn cii(line_total: &str, guideline: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
  <ram:ID>{guideline}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument><ram:ID>FA-2026-118</ram:ID><ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20260310</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct><ram:Name>Maintenance du four &amp; réglages</ram:Name></ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>50.00</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="HUR">2.0000</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>100.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
  <ram:IncludedSupplyChainTradeLineItem>
   <ram:AssociatedDocumentLineDocument><ram:LineID>2</ram:LineID></ram:AssociatedDocumentLineDocument>
   <ram:SpecifiedTradeProduct><ram:Name>Farine T65</ram:Name></ram:SpecifiedTradeProduct>
   <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>4.10</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
   <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="KGM">3</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
   <ram:SpecifiedLineTradeSettlement>
    <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>5.5</ram:RateApplicablePercent></ram:ApplicableTradeTax>
    <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>12.30</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
   </ram:SpecifiedLineTradeSettlement>
  </ram:IncludedSupplyChainTradeLineItem>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Fournil SAS</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">552100554</ram:ID></ram:SpecifiedLegalOrganization>
    <ram:PostalTradeAddress><ram:PostcodeCode>75011</ram:PostcodeCode><ram:LineOne>12 rue Oberkampf</ram:LineOne><ram:CityName>Paris</ram:CityName><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR96552100554</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Boulangerie Dupont</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">732829320</ram:ID></ram:SpecifiedLegalOrganization>
   </ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:ApplicableTradeTax><ram:CalculatedAmount>20.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20.00</ram:RateApplicablePercent></ram:ApplicableTradeTax>
   <ram:ApplicableTradeTax><ram:CalculatedAmount>0.68</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>12.30</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>5.50</ram:RateApplicablePercent></ram:ApplicableTradeTax>
   <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20260409</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:LineTotalAmount>{line_total}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>112.30</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">20.68</ram:TaxTotalAmount><ram:GrandTotalAmount>132.98</ram:GrandTotalAmount>
    <ram:DuePayableAmount>132.98</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"#
    )
}

const EN16931: &str = "urn:cen.eu:en16931:2017";

fn good_cii() -> String {
    cii("112.30", EN16931)
}

/// The same invoice as UBL.
fn ubl(vat_at_20: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
 <cbc:ID>U-77</cbc:ID><cbc:IssueDate>2026-03-10</cbc:IssueDate><cbc:DueDate>2026-04-09</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode><cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party>
  <cac:PostalAddress><cbc:StreetName>12 rue Oberkampf</cbc:StreetName><cbc:CityName>Paris</cbc:CityName><cbc:PostalZone>75011</cbc:PostalZone><cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>FR96552100554</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Fournil SAS</cbc:RegistrationName></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cac:PartyTaxScheme><cbc:CompanyID>FR44732829320</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Boulangerie Dupont</cbc:RegistrationName></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{total}</cbc:TaxAmount>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">{vat_at_20}</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">12.30</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">0.68</cbc:TaxAmount><cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>5.5</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
 </cac:TaxTotal>
 <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">112.30</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">112.30</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">{grand}</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">{grand}</cbc:PayableAmount></cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="HUR">2</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Maintenance du four</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
 <cac:InvoiceLine><cbc:ID>2</cbc:ID><cbc:InvoicedQuantity unitCode="KGM">3</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">12.30</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Farine T65</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>5.5</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">4.10</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>"#,
        total = d(vat_at_20) + d("0.68"),
        grand = d("112.30") + d(vat_at_20) + d("0.68"),
    )
}

fn refusal(bytes: &[u8]) -> Refusal {
    read(bytes, DEFAULT_MAX_BYTES).unwrap_err()
}

#[test]
fn a_cii_invoice_reads_with_its_supplier_lines_vat_and_totals() {
    let (format, invoice) = read(good_cii().as_bytes(), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(format, Format::Cii);
    assert_eq!(invoice.number, "FA-2026-118");
    assert_eq!(invoice.kind, InvoiceKind::Invoice);
    assert_eq!(invoice.issue_date.to_string(), "2026-03-10");
    assert_eq!(invoice.due_date.unwrap().to_string(), "2026-04-09");
    assert_eq!(invoice.seller.name, "Fournil SAS");
    assert_eq!(invoice.seller.siren.as_ref().unwrap().as_str(), "552100554");
    assert_eq!(
        invoice.seller.vat_number.as_ref().unwrap().as_str(),
        "FR96552100554"
    );
    assert_eq!(invoice.seller.address.city, "Paris");
    assert_eq!(invoice.buyer.siren.as_ref().unwrap().as_str(), "732829320");
    let lines = invoice.lines().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].description, "Maintenance du four & réglages");
    assert_eq!(lines[0].unit, "h");
    assert_eq!((lines[0].quantity, lines[0].unit_price), (d("2"), d("50")));
    assert_eq!(
        (lines[1].unit.as_str(), lines[1].vat_rate),
        ("kg", d("5.5"))
    );
    let totals = Totals::of(&lines);
    assert_eq!(
        (totals.net_total, totals.vat_total, totals.gross_total),
        (d("112.30"), d("20.68"), d("132.98"))
    );
    let supplier = invoice.supplier().unwrap();
    assert_eq!(supplier.siren, "552100554");
    assert_eq!(supplier.address.postal_code, "75011");
}

#[test]
fn a_ubl_invoice_reads_as_the_same_invoice() {
    let (format, invoice) = read(ubl("20.00").as_bytes(), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(format, Format::Ubl);
    assert_eq!(invoice.number, "U-77");
    // The SIREN comes from the French VAT number when no registration id is given.
    assert_eq!(invoice.seller.siren.as_ref().unwrap().as_str(), "552100554");
    assert_eq!(invoice.buyer.siren.as_ref().unwrap().as_str(), "732829320");
    assert_eq!(invoice.lines().unwrap(), {
        let (_, cii) = read(good_cii().as_bytes(), DEFAULT_MAX_BYTES).unwrap();
        let mut lines = cii.lines().unwrap();
        lines[0].description = "Maintenance du four".to_owned();
        lines
    });
}

#[test]
fn totals_that_do_not_add_up_are_refused_naming_the_rule() {
    let broken = refusal(cii("112.31", EN16931).as_bytes());
    assert!(matches!(broken, Refusal::LineTotal { .. }), "{broken:?}");
    assert!(broken.to_string().contains("BR-CO-10"), "{broken}");
    let vat = refusal(ubl("20.01").as_bytes());
    assert!(matches!(vat, Refusal::BreakdownVat { .. }), "{vat:?}");
    assert!(vat.to_string().contains("BR-CO-17"), "{vat}");
    let grand = refusal(
        good_cii()
            .replace(
                "<ram:GrandTotalAmount>132.98",
                "<ram:GrandTotalAmount>133.98",
            )
            .as_bytes(),
    );
    assert!(grand.to_string().contains("BR-CO-15"), "{grand}");
    let vat_total = refusal(
        good_cii()
            .replace(
                r#"<ram:TaxTotalAmount currencyID="EUR">20.68"#,
                r#"<ram:TaxTotalAmount currencyID="EUR">20.69"#,
            )
            .as_bytes(),
    );
    assert!(vat_total.to_string().contains("BR-CO-14"), "{vat_total}");
}

#[test]
fn minimum_profiles_other_xml_and_other_files_are_refused() {
    let minimum = refusal(cii("112.30", "urn:factur-x.eu:1p0:minimum").as_bytes());
    assert!(matches!(minimum, Refusal::NotEn16931 { .. }), "{minimum:?}");
    assert!(minimum.to_string().contains("BR-01"));
    let order = refusal(b"<?xml version='1.0'?><Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'><ID>1</ID></Order>");
    assert!(matches!(order, Refusal::NotAnInvoice { .. }), "{order:?}");
    assert_eq!(refusal(b"PK\x03\x04 a zip"), Refusal::UnknownFormat);
    assert!(matches!(refusal(b"<a><b></a>"), Refusal::MalformedXml(_)));
    assert!(matches!(
        refusal(b"%PDF-1.7 broken"),
        Refusal::UnreadablePdf(_)
    ));
    assert_eq!(
        read(good_cii().as_bytes(), 100).unwrap_err(),
        Refusal::TooLarge {
            size: good_cii().len(),
            max: 100
        }
    );
}

#[test]
fn an_invoice_without_lines_or_in_another_currency_or_a_credit_note_is_refused() {
    let xml = good_cii();
    let start = xml.find("<ram:IncludedSupplyChainTradeLineItem>").unwrap();
    let end = xml
        .rfind("</ram:IncludedSupplyChainTradeLineItem>")
        .unwrap()
        + "</ram:IncludedSupplyChainTradeLineItem>".len();
    let no_lines = format!("{}{}", &xml[..start], &xml[end..]);
    assert_eq!(refusal(no_lines.as_bytes()), Refusal::NoLines);
    assert!(Refusal::NoLines.to_string().contains("BR-16"));
    let dollars = xml.replace(">EUR<", ">USD<");
    assert!(matches!(
        refusal(dollars.as_bytes()),
        Refusal::Currency { .. }
    ));
    let credit = xml.replace("<ram:TypeCode>380", "<ram:TypeCode>381");
    assert_eq!(refusal(credit.as_bytes()), Refusal::CreditNote);
}

#[test]
fn the_buyer_must_be_the_importing_company_when_the_file_names_one() {
    let (_, invoice) = read(good_cii().as_bytes(), DEFAULT_MAX_BYTES).unwrap();
    assert!(check_buyer(&invoice.buyer, "732829320", "FR44732829320").is_ok());
    let other = check_buyer(&invoice.buyer, "552100554", "FR96552100554").unwrap_err();
    assert!(other.to_string().contains("SIREN 732829320"), "{other}");
    assert!(check_buyer(&ReceivedParty::default(), "552100554", "").is_ok());
}

#[test]
fn a_line_net_below_quantity_times_price_is_a_discount_and_above_it_is_refused() {
    let mut invoice = read(good_cii().as_bytes(), DEFAULT_MAX_BYTES).unwrap().1;
    invoice.lines[0].line_net = d("90.00");
    let lines = invoice.lines().unwrap();
    assert_eq!(lines[0].discount, d("10.00"));
    assert_eq!(lines[0].net_amount(), d("90.00"));
    invoice.lines[0].line_net = d("110.00");
    assert!(matches!(
        invoice.lines().unwrap_err(),
        Refusal::LineCharge { line: 1, .. }
    ));
}

#[test]
fn the_invoice_embedded_in_a_factur_x_pdf_is_found_by_its_name() {
    use lopdf::{Dictionary, Document, Object, Stream, dictionary};
    let xml = good_cii().into_bytes();
    let mut doc = Document::with_version("1.7");
    let file = doc.add_object(Stream::new(
        dictionary! { "Type" => "EmbeddedFile", "Subtype" => "text/xml" },
        xml.clone(),
    ));
    let spec = doc.add_object(dictionary! {
        "Type" => "Filespec",
        "F" => Object::string_literal("factur-x.xml"),
        "UF" => Object::string_literal("factur-x.xml"),
        "AFRelationship" => "Data",
        "EF" => dictionary! { "F" => file },
    });
    let pages = doc.add_object(dictionary! { "Type" => "Pages", "Kids" => vec![], "Count" => 0 });
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages,
        "Names" => dictionary! {
            "EmbeddedFiles" => dictionary! {
                "Names" => vec![Object::string_literal("factur-x.xml"), spec.into()],
            },
        },
    });
    doc.trailer.set("Root", catalog);
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).unwrap();
    let (format, invoice) = read(&pdf, DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(
        (format, invoice.number.as_str()),
        (Format::FacturX, "FA-2026-118")
    );

    // The same PDF with the file under another name carries no invoice.
    let mut other = Document::load_mem(&pdf).unwrap();
    let spec_dict: &mut Dictionary = other
        .get_object_mut(spec)
        .and_then(Object::as_dict_mut)
        .unwrap();
    spec_dict.set("F", Object::string_literal("notes.xml"));
    spec_dict.set("UF", Object::string_literal("notes.xml"));
    let mut pdf = Vec::new();
    other.save_to(&mut pdf).unwrap();
    assert_eq!(refusal(&pdf), Refusal::NoEmbeddedInvoice);
}
