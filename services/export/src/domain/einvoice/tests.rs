//! The e-invoice's mapping and refusals, on printed invoices built here.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::domain::documents::{DocumentDetails, PrintedDocument, PrintedLine};
use crate::domain::ledger::VatAmount;
use crate::domain::profile::SellerIdentity;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn line(number: i32, rate: &str, quantity: &str, price: &str, unit: &str) -> PrintedLine {
    PrintedLine {
        line_number: number,
        description: format!("Article {number}"),
        quantity: d(quantity),
        unit_price: d(price),
        discount: Decimal::ZERO,
        vat_rate: d(rate),
        net_amount: (d(quantity) * d(price)).round_dp(2),
        unit: unit.to_owned(),
    }
}

/// A printed invoice of `lines`, its VAT per rate and totals as billing computes them.
pub(crate) fn invoice(lines: Vec<PrintedLine>) -> PrintedInvoice {
    let mut rates: Vec<(Decimal, Decimal)> = Vec::new();
    for line in &lines {
        match rates.iter_mut().find(|(rate, _)| *rate == line.vat_rate) {
            Some((_, base)) => *base += line.net_amount,
            None => rates.push((line.vat_rate, line.net_amount)),
        }
    }
    rates.sort_by_key(|rate| std::cmp::Reverse(rate.0));
    let vat: Vec<VatAmount> = rates
        .iter()
        .map(|(rate, base)| VatAmount {
            rate: *rate,
            taxable_amount: *base,
            vat_amount: cents(base * rate / Decimal::ONE_HUNDRED),
        })
        .collect();
    let net_total: Decimal = rates.iter().map(|(_, base)| *base).sum();
    let vat_total: Decimal = vat.iter().map(|v| v.vat_amount).sum();
    PrintedInvoice {
        seller: SellerIdentity {
            legal_name: "Boulangerie Dupont & Fils".to_owned(),
            siren: "732829320".to_owned(),
            siret: "73282932000074".to_owned(),
            legal_form: "SAS".to_owned(),
            vat_number: "FR44732829320".to_owned(),
            rcs_city: "Lyon".to_owned(),
            share_capital_amount: "10000.00".to_owned(),
            share_capital_currency: "EUR".to_owned(),
            address: PostalAddress {
                line1: "12 rue des Fours".to_owned(),
                line2: String::new(),
                postal_code: "69002".to_owned(),
                city: "Lyon".to_owned(),
                country_code: "FR".to_owned(),
            },
            bank_account: None,
        },
        document: PrintedDocument {
            kind: DocumentKind::Invoice,
            number: "F-2026-0001".to_owned(),
            date: day("2026-01-15"),
            due_date: Some(day("2026-02-14")),
            party_name: "Épicerie <Martin> SARL".to_owned(),
            party_kind: PartyKind::Professional,
            party_vat_number: "FR40542051180".to_owned(),
            party_country: "FR".to_owned(),
            oss: false,
            details: DocumentDetails {
                currency_code: "EUR".to_owned(),
                party_siren: "542051180".to_owned(),
                party_address: PostalAddress {
                    line1: "3 avenue des Halles".to_owned(),
                    line2: String::new(),
                    postal_code: "75001".to_owned(),
                    city: "Paris".to_owned(),
                    country_code: "FR".to_owned(),
                },
                vat_exemption: String::new(),
                late_penalty_rate: None,
                recovery_fee: true,
                credited_number: String::new(),
                credited_date: None,
                lines,
            },
            vat,
            net_total,
            vat_total,
            gross_total: net_total + vat_total,
        },
    }
}

fn cii(invoice: &PrintedInvoice, profile: Profile) -> String {
    String::from_utf8(write(invoice, Syntax::Cii, profile).expect("a CII")).unwrap()
}

fn rules(invoice: &PrintedInvoice) -> Vec<(&'static str, String)> {
    prepare(invoice)
        .expect_err("refused")
        .0
        .into_iter()
        .map(|broken| (broken.rule, broken.field))
        .collect()
}

#[test]
fn free_text_units_map_to_recommendation_20_codes() {
    let codes: Vec<&str> = ["h", "Heures", "jour", "kg", "L", "m²", "forfait", "", "sac"]
        .into_iter()
        .map(unit_code)
        .collect();
    assert_eq!(
        codes,
        ["HUR", "HUR", "DAY", "KGM", "LTR", "MTK", "LS", "C62", "C62"]
    );
}

#[test]
fn an_invoice_at_every_rate_is_written_with_its_profile_parties_lines_and_totals() {
    let invoice = invoice(vec![
        line(1, "20", "3", "400", "kg"),
        line(2, "10", "1.5", "66.66", "h"),
        line(3, "5.5", "1", "45.10", ""),
        line(4, "2.1", "2", "6.17", "jour"),
    ]);
    let xml = cii(&invoice, Profile::En16931);
    for expected in [
        "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
        "<ram:TypeCode>380</ram:TypeCode>",
        "<udt:DateTimeString format=\"102\">20260115</udt:DateTimeString>",
        "<ram:Name>Boulangerie Dupont &amp; Fils</ram:Name>",
        "<ram:Name>Épicerie &lt;Martin&gt; SARL</ram:Name>",
        "<ram:ID schemeID=\"0002\">542051180</ram:ID>",
        "<ram:ID schemeID=\"VA\">FR44732829320</ram:ID>",
        "<ram:BilledQuantity unitCode=\"KGM\">3</ram:BilledQuantity>",
        "<ram:BilledQuantity unitCode=\"HUR\">1.5</ram:BilledQuantity>",
        "<ram:BilledQuantity unitCode=\"C62\">1</ram:BilledQuantity>",
        "<ram:BilledQuantity unitCode=\"DAY\">2</ram:BilledQuantity>",
        "<ram:RateApplicablePercent>5.5</ram:RateApplicablePercent>",
        // 99.99 at 10 %: 9.999 rounds to 10.00.
        "<ram:CalculatedAmount>10.00</ram:CalculatedAmount>",
        "<ram:LineTotalAmount>1357.43</ram:LineTotalAmount>",
        "<ram:TaxTotalAmount currencyID=\"EUR\">252.74</ram:TaxTotalAmount>",
        "<ram:GrandTotalAmount>1610.17</ram:GrandTotalAmount>",
        "<ram:Description>Paiement au plus tard le 14/02/2026</ram:Description>",
        "<ram:SubjectCode>PMT</ram:SubjectCode>",
    ] {
        assert!(xml.contains(expected), "`{expected}` missing from\n{xml}");
    }
    assert!(!xml.contains("InvoiceReferencedDocument"));
    assert!(!xml.contains("ExemptionReason"));
    assert!(
        cii(&invoice, Profile::Basic).contains(
            "<ram:ID>urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic</ram:ID>"
        )
    );
    assert!(cii(&invoice, Profile::Extended).contains(
        "<ram:ID>urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended</ram:ID>"
    ));
}

#[test]
fn a_credit_note_is_381_and_names_the_credited_invoice() {
    let mut credit = invoice(vec![line(1, "20", "1", "200", "")]);
    credit.document.kind = DocumentKind::CreditNote;
    credit.document.number = "A-2026-0001".to_owned();
    credit.document.details.credited_number = "F-2026-0001".to_owned();
    credit.document.details.credited_date = Some(day("2026-01-15"));
    let xml = cii(&credit, Profile::En16931);
    assert!(xml.contains("<ram:TypeCode>381</ram:TypeCode>"));
    assert!(xml.contains("<ram:IssuerAssignedID>F-2026-0001</ram:IssuerAssignedID>"));
    assert!(xml.contains("<qdt:DateTimeString format=\"102\">20260115</qdt:DateTimeString>"));
    let ubl = String::from_utf8(write(&credit, Syntax::Ubl, Profile::En16931).unwrap()).unwrap();
    assert!(ubl.contains(
        "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\""
    ));
    assert!(ubl.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
    assert!(ubl.contains("<cbc:CreditedQuantity unitCode=\"C62\">1</cbc:CreditedQuantity>"));
    assert!(ubl.contains("<cbc:PayableAmount currencyID=\"EUR\">240.00</cbc:PayableAmount>"));
}

#[test]
fn zero_rated_lines_take_the_category_of_their_customer_and_mention() {
    let category = |customize: &dyn Fn(&mut PrintedInvoice)| {
        let mut invoice = invoice(vec![line(1, "0", "1", "800", "")]);
        customize(&mut invoice);
        let einvoice = prepare(&invoice).expect("valid");
        let breakdown = &einvoice.breakdown[0];
        (
            einvoice.lines[0].category,
            breakdown.exemption.clone().map(|(_, code)| code),
            einvoice.ship_to_country,
        )
    };
    let franchise = category(&|i| {
        i.document.details.vat_exemption = "TVA non applicable, art. 293 B du CGI".to_owned();
    });
    assert_eq!(franchise, (Category::E, Some("VATEX-FR-FRANCHISE"), None));
    let intra = category(&|i| {
        i.document.party_country = "DE".to_owned();
        i.document.party_vat_number = "DE123456789".to_owned();
    });
    assert_eq!(
        intra,
        (Category::K, Some("VATEX-EU-IC"), Some("DE".to_owned()))
    );
    let export = category(&|i| {
        i.document.party_country = "US".to_owned();
        i.document.party_vat_number = String::new();
    });
    assert_eq!(export, (Category::G, Some("VATEX-EU-G"), None));
    let reverse = category(&|i| {
        i.document.details.vat_exemption = "Autoliquidation, article 283-2 du CGI".to_owned();
    });
    assert_eq!(reverse, (Category::Ae, Some("VATEX-EU-AE"), None));
    let mut oss = invoice(vec![line(1, "19", "1", "100", "")]);
    oss.document.oss = true;
    oss.document.party_kind = PartyKind::Private;
    oss.document.party_country = "DE".to_owned();
    oss.document.party_vat_number = String::new();
    let einvoice = prepare(&oss).unwrap();
    assert_eq!(
        (einvoice.lines[0].category, einvoice.breakdown[0].vat),
        (Category::S, d("19.00"))
    );
}

#[test]
fn a_document_that_cannot_be_valid_is_refused_naming_each_rule() {
    let mut no_vat_number = invoice(vec![line(1, "20", "1", "10", "")]);
    no_vat_number.seller.vat_number = String::new();
    assert_eq!(
        rules(&no_vat_number),
        [("BR-S-02", "seller.vat_number".to_owned())]
    );
    let mut nowhere = invoice(vec![line(1, "20", "1", "10", "")]);
    nowhere.document.party_country = String::new();
    nowhere.document.details.party_address = PostalAddress::default();
    assert_eq!(rules(&nowhere), [("BR-10", "buyer.address".to_owned())]);
    let mut intra = invoice(vec![line(1, "0", "1", "10", "")]);
    intra.document.party_country = "US".to_owned();
    intra.document.details.vat_exemption = "Autoliquidation".to_owned();
    intra.document.party_vat_number = String::new();
    intra.document.details.party_siren = String::new();
    assert_eq!(rules(&intra), [("BR-AE-02", "buyer.vat_number".to_owned())]);
    let mut empty = invoice(vec![]);
    empty.document.vat.clear();
    assert_eq!(rules(&empty), [("BR-16", "lines".to_owned())]);
    let mut wrong = invoice(vec![line(1, "20", "1", "10", "")]);
    wrong.document.vat[0].vat_amount = d("2.01");
    wrong.document.vat_total = d("2.01");
    wrong.document.gross_total = d("12.01");
    assert_eq!(
        rules(&wrong),
        [("BR-CO-17", "vat[0].vat_amount".to_owned())]
    );
}

#[test]
fn a_discount_is_a_line_allowance_and_the_ubl_invoice_carries_the_same_totals() {
    let mut discounted = line(1, "20", "2", "50", "pièce");
    discounted.discount = d("10");
    discounted.net_amount = d("90");
    let invoice = invoice(vec![discounted]);
    let xml = cii(&invoice, Profile::En16931);
    assert!(xml.contains("<ram:ActualAmount>10.00</ram:ActualAmount>"));
    assert!(xml.contains("<ram:LineTotalAmount>90.00</ram:LineTotalAmount>"));
    let ubl = String::from_utf8(write(&invoice, Syntax::Ubl, Profile::En16931).unwrap()).unwrap();
    for expected in [
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"",
        "<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>",
        "<cbc:DueDate>2026-02-14</cbc:DueDate>",
        "<cbc:InvoicedQuantity unitCode=\"H87\">2</cbc:InvoicedQuantity>",
        "<cbc:Amount currencyID=\"EUR\">10.00</cbc:Amount>",
        "<cbc:TaxAmount currencyID=\"EUR\">18.00</cbc:TaxAmount>",
        "<cbc:CompanyID schemeID=\"0002\">542051180</cbc:CompanyID>",
        "<cbc:TaxInclusiveAmount currencyID=\"EUR\">108.00</cbc:TaxInclusiveAmount>",
    ] {
        assert!(ubl.contains(expected), "`{expected}` missing from\n{ubl}");
    }
}

#[test]
fn a_known_bank_account_is_the_sepa_transfer_payment_means() {
    use comptoir_domain_types::bank::{BankAccount, Bic, Iban};
    let mut invoice = invoice(vec![line(1, "20", "1", "10", "")]);
    assert!(!cii(&invoice, Profile::En16931).contains("PaymentMeans"));
    invoice.seller.bank_account = Some(BankAccount {
        iban: Iban::parse("FR76 3000 6000 0112 3456 7890 189").unwrap(),
        bic: Some(Bic::parse("AGRIFRPP").unwrap()),
    });
    let xml = cii(&invoice, Profile::En16931);
    for expected in [
        "<ram:TypeCode>58</ram:TypeCode>",
        "<ram:IBANID>FR7630006000011234567890189</ram:IBANID>",
        "<ram:BICID>AGRIFRPP</ram:BICID>",
    ] {
        assert!(xml.contains(expected), "`{expected}` missing from\n{xml}");
    }
    let basic = cii(&invoice, Profile::Basic);
    assert!(basic.contains("<ram:IBANID>FR7630006000011234567890189</ram:IBANID>"));
    assert!(!basic.contains("BICID"), "BASIC has no BIC");
    let ubl = String::from_utf8(write(&invoice, Syntax::Ubl, Profile::En16931).unwrap()).unwrap();
    assert!(ubl.contains("<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>"));
    assert!(ubl.contains("<cbc:ID>FR7630006000011234567890189</cbc:ID>"));
}
