//! The UN/CEFACT Cross Industry Invoice (D16B, the syntax of Factur-X, ZUGFeRD 2 and
//! XRechnung's CII flavour) read into a [`ReceivedInvoice`]: each business term at its
//! path of the Factur-X 1.07 / EN 16931 CII binding.

use super::read::{self, amount};
use super::xml::Element;
use super::{ReceivedInvoice, ReceivedLine, ReceivedParty, ReceivedVat, Refusal};
use comptoir_domain_types::party::PostalAddress;

/// The namespace of `rsm:CrossIndustryInvoice`.
pub(crate) const NAMESPACE: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// Reads a CII invoice (its arithmetic is checked by [`ReceivedInvoice::check`]).
pub(crate) fn read(root: &Element) -> Result<ReceivedInvoice, Refusal> {
    let specification = read::specification(root.text_at(&[
        "ExchangedDocumentContext",
        "GuidelineSpecifiedDocumentContextParameter",
        "ID",
    ]))?;
    let document = root.child("ExchangedDocument");
    let text = |path: &[&str]| document.map(|d| d.text_at(path)).unwrap_or("");
    let number = text(&["ID"]).to_owned();
    if number.is_empty() {
        return Err(Refusal::Missing {
            term: "the invoice number (BT-1)",
            rule: "BR-02",
        });
    }
    let kind = read::kind(text(&["TypeCode"]))?;
    let issue_date =
        date("the issue date (BT-2)", document, &["IssueDateTime"])?.ok_or(Refusal::Missing {
            term: "the issue date (BT-2)",
            rule: "BR-03",
        })?;
    let transaction = root
        .child("SupplyChainTradeTransaction")
        .ok_or(Refusal::Missing {
            term: "the trade transaction (SupplyChainTradeTransaction)",
            rule: "BR-16",
        })?;
    let agreement = transaction.child("ApplicableHeaderTradeAgreement");
    let seller = agreement
        .and_then(|a| a.child("SellerTradeParty"))
        .ok_or(Refusal::Missing {
            term: "the seller (BG-4)",
            rule: "BR-06",
        })?;
    let buyer = agreement
        .and_then(|a| a.child("BuyerTradeParty"))
        .ok_or(Refusal::Missing {
            term: "the buyer (BG-7)",
            rule: "BR-07",
        })?;
    let settlement =
        transaction
            .child("ApplicableHeaderTradeSettlement")
            .ok_or(Refusal::Missing {
                term: "the settlement (ApplicableHeaderTradeSettlement)",
                rule: "BR-05",
            })?;
    let currency = settlement.text_at(&["InvoiceCurrencyCode"]).to_owned();
    if currency.is_empty() {
        return Err(Refusal::Missing {
            term: "the invoice currency code (BT-5)",
            rule: "BR-05",
        });
    }
    let due_date = date(
        "the due date (BT-9)",
        settlement.child("SpecifiedTradePaymentTerms"),
        &["DueDateDateTime"],
    )?;
    let mut lines = Vec::new();
    for (index, item) in transaction
        .children_named("IncludedSupplyChainTradeLineItem")
        .enumerate()
    {
        lines.push(line(index + 1, item)?);
    }
    let mut vat_breakdown = Vec::new();
    for tax in settlement.children_named("ApplicableTradeTax") {
        vat_breakdown.push(ReceivedVat {
            category: tax.text_at(&["CategoryCode"]).to_owned(),
            rate: read::decimal(
                "the VAT rate (BT-119)",
                tax.text_at(&["RateApplicablePercent"]),
            )?
            .unwrap_or_default(),
            basis: amount(
                "the VAT category taxable amount (BT-116)",
                "BR-45",
                tax.text_at(&["BasisAmount"]),
            )?,
            vat: amount(
                "the VAT category tax amount (BT-117)",
                "BR-46",
                tax.text_at(&["CalculatedAmount"]),
            )?,
            exemption_reason: tax.text_at(&["ExemptionReason"]).to_owned(),
        });
    }
    let has_allowance_or_charge = settlement
        .children_named("SpecifiedTradeAllowanceCharge")
        .next()
        .is_some();
    let sums = settlement
        .child("SpecifiedTradeSettlementHeaderMonetarySummation")
        .ok_or(Refusal::Missing {
            term: "the document totals (BG-22)",
            rule: "BR-12",
        })?;
    // BT-110 in the invoice's currency: a second TaxTotalAmount may give it in the
    // accounting currency (BT-111).
    let vat_total = sums
        .children_named("TaxTotalAmount")
        .find(|t| t.attribute("currencyID").is_none_or(|c| c == currency))
        .map(|t| t.text.as_str())
        .unwrap_or("");
    let totals = read::totals(
        sums,
        &read::TotalNames {
            line_total: "LineTotalAmount",
            tax_basis: "TaxBasisTotalAmount",
            grand_total: "GrandTotalAmount",
        },
        vat_total,
    )?;
    if has_allowance_or_charge && totals.allowances.is_zero() && totals.charges.is_zero() {
        // Allowances or charges given without their sums still cannot be recorded.
        return Err(Refusal::AllowancesCharges);
    }
    Ok(ReceivedInvoice {
        specification,
        kind,
        number,
        issue_date,
        due_date,
        currency,
        seller: party("seller", seller)?,
        buyer: party("buyer", buyer)?,
        lines,
        vat_breakdown,
        totals,
    })
}

/// A `udt:DateTimeString` (format 102, `YYYYMMDD`) under `path`.
fn date(
    term: &str,
    parent: Option<&Element>,
    path: &[&str],
) -> Result<Option<chrono::NaiveDate>, Refusal> {
    let Some(element) = parent.and_then(|p| p.at(path)) else {
        return Ok(None);
    };
    let string = element.child("DateTimeString").unwrap_or(element);
    read::date(term, &string.text, "%Y%m%d")
}

/// One `IncludedSupplyChainTradeLineItem`.
fn line(number: usize, item: &Element) -> Result<ReceivedLine, Refusal> {
    let term = |what: &str| format!("line {number}'s {what}");
    let product = item.child("SpecifiedTradeProduct");
    let name = product.map(|p| p.text_at(&["Name"])).unwrap_or("");
    let description = product.map(|p| p.text_at(&["Description"])).unwrap_or("");
    let quantity_element = item.at(&["SpecifiedLineTradeDelivery", "BilledQuantity"]);
    let quantity = read::decimal(
        &term("quantity (BT-129)"),
        quantity_element.map(|q| q.text.as_str()).unwrap_or(""),
    )?
    .ok_or(Refusal::Missing {
        term: "a line's invoiced quantity (BT-129)",
        rule: "BR-22",
    })?;
    let price = item.at(&["SpecifiedLineTradeAgreement", "NetPriceProductTradePrice"]);
    let net_price = read::decimal(
        &term("net price (BT-146)"),
        price.map(|p| p.text_at(&["ChargeAmount"])).unwrap_or(""),
    )?
    .ok_or(Refusal::Missing {
        term: "a line's net price (BT-146)",
        rule: "BR-26",
    })?;
    let base = read::decimal(
        &term("base quantity (BT-149)"),
        price.map(|p| p.text_at(&["BasisQuantity"])).unwrap_or(""),
    )?
    .filter(|b| !b.is_zero())
    .unwrap_or(rust_decimal::Decimal::ONE);
    let settlement = item.child("SpecifiedLineTradeSettlement");
    let tax = settlement.and_then(|s| s.child("ApplicableTradeTax"));
    let line_net = read::decimal(
        &term("net amount (BT-131)"),
        settlement
            .map(|s| {
                s.text_at(&[
                    "SpecifiedTradeSettlementLineMonetarySummation",
                    "LineTotalAmount",
                ])
            })
            .unwrap_or(""),
    )?
    .ok_or(Refusal::Missing {
        term: "a line's net amount (BT-131)",
        rule: "BR-24",
    })?;
    let category = tax.map(|t| t.text_at(&["CategoryCode"])).unwrap_or("");
    if category.is_empty() {
        return Err(Refusal::Missing {
            term: "a line's VAT category code (BT-151)",
            rule: "BR-CO-04",
        });
    }
    Ok(ReceivedLine {
        description: if name.is_empty() { description } else { name }.to_owned(),
        quantity,
        unit_code: quantity_element
            .and_then(|q| q.attribute("unitCode"))
            .unwrap_or("")
            .to_owned(),
        net_price: net_price / base,
        line_net,
        vat_category: category.to_owned(),
        vat_rate: read::decimal(
            &term("VAT rate (BT-152)"),
            tax.map(|t| t.text_at(&["RateApplicablePercent"]))
                .unwrap_or(""),
        )?
        .unwrap_or_default(),
    })
}

/// A `SellerTradeParty` or `BuyerTradeParty`.
fn party(role: &str, element: &Element) -> Result<ReceivedParty, Refusal> {
    let legal = element.at(&["SpecifiedLegalOrganization", "ID"]);
    let registration = read::siren_of_registration(
        &format!("the {role}'s legal registration identifier"),
        legal.and_then(|l| l.attribute("schemeID")),
        legal.map(|l| l.text.as_str()).unwrap_or(""),
    )?;
    let vat_text = element
        .children_named("SpecifiedTaxRegistration")
        .filter_map(|r| r.child("ID"))
        .find(|id| id.attribute("schemeID") == Some("VA"))
        .map(|id| id.text.as_str())
        .unwrap_or("");
    let vat_number = read::vat_number(&format!("the {role}'s VAT identifier"), vat_text)?;
    let address = element.child("PostalTradeAddress");
    let field = |name: &str| address.map(|a| a.text_at(&[name])).unwrap_or("").to_owned();
    Ok(ReceivedParty {
        name: element.text_at(&["Name"]).to_owned(),
        siren: read::siren(registration, vat_number.as_ref()),
        vat_number,
        address: PostalAddress {
            line1: field("LineOne"),
            line2: field("LineTwo"),
            postal_code: field("PostcodeCode"),
            city: field("CityName"),
            country_code: field("CountryID").to_ascii_uppercase(),
        },
    })
}
