//! An OASIS UBL 2.1 Invoice or CreditNote read into a [`ReceivedInvoice`]: each business
//! term at its path of the EN 16931 UBL binding (the one Peppol BIS Billing 3 uses).

use comptoir_domain_types::party::PostalAddress;
use rust_decimal::Decimal;

use super::read::{self, amount};
use super::xml::Element;
use super::{ReceivedInvoice, ReceivedLine, ReceivedParty, ReceivedVat, Refusal};

/// The namespace of a UBL `Invoice`.
pub(crate) const INVOICE_NAMESPACE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// The namespace of a UBL `CreditNote`.
pub(crate) const CREDIT_NOTE_NAMESPACE: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

/// Reads a UBL invoice or credit note (its arithmetic is checked by
/// [`ReceivedInvoice::check`]).
pub(crate) fn read(root: &Element) -> Result<ReceivedInvoice, Refusal> {
    let credit_note = root.name == "CreditNote";
    let specification = read::specification(root.text_at(&["CustomizationID"]))?;
    let number = root.text_at(&["ID"]).to_owned();
    if number.is_empty() {
        return Err(Refusal::Missing {
            term: "the invoice number (BT-1)",
            rule: "BR-02",
        });
    }
    let type_code = if credit_note {
        root.text_at(&["CreditNoteTypeCode"])
    } else {
        root.text_at(&["InvoiceTypeCode"])
    };
    let kind = read::kind(type_code)?;
    let issue_date = read::date(
        "the issue date (BT-2)",
        root.text_at(&["IssueDate"]),
        "%Y-%m-%d",
    )?
    .ok_or(Refusal::Missing {
        term: "the issue date (BT-2)",
        rule: "BR-03",
    })?;
    let due_text = match root.text_at(&["DueDate"]) {
        "" => root.text_at(&["PaymentMeans", "PaymentDueDate"]),
        given => given,
    };
    let due_date = read::date("the due date (BT-9)", due_text, "%Y-%m-%d")?;
    let currency = root.text_at(&["DocumentCurrencyCode"]).to_owned();
    if currency.is_empty() {
        return Err(Refusal::Missing {
            term: "the invoice currency code (BT-5)",
            rule: "BR-05",
        });
    }
    let seller = root
        .at(&["AccountingSupplierParty", "Party"])
        .ok_or(Refusal::Missing {
            term: "the seller (BG-4)",
            rule: "BR-06",
        })?;
    let buyer = root
        .at(&["AccountingCustomerParty", "Party"])
        .ok_or(Refusal::Missing {
            term: "the buyer (BG-7)",
            rule: "BR-07",
        })?;
    let line_name = if credit_note {
        "CreditNoteLine"
    } else {
        "InvoiceLine"
    };
    let mut lines = Vec::new();
    for (index, element) in root.children_named(line_name).enumerate() {
        lines.push(line(index + 1, element, credit_note)?);
    }
    // BT-110 in the invoice's currency: a second TaxTotal may give it in the accounting
    // currency (BT-111), without subtotals.
    let tax_total = root.children_named("TaxTotal").find(|t| {
        t.child("TaxAmount")
            .and_then(|a| a.attribute("currencyID"))
            .is_none_or(|c| c == currency)
    });
    let mut vat_breakdown = Vec::new();
    for subtotal in tax_total
        .into_iter()
        .flat_map(|t| t.children_named("TaxSubtotal"))
    {
        let category = subtotal.child("TaxCategory");
        let text = |name: &str| category.map(|c| c.text_at(&[name])).unwrap_or("");
        vat_breakdown.push(ReceivedVat {
            category: text("ID").to_owned(),
            rate: read::decimal("the VAT rate (BT-119)", text("Percent"))?.unwrap_or_default(),
            basis: amount(
                "the VAT category taxable amount (BT-116)",
                "BR-45",
                subtotal.text_at(&["TaxableAmount"]),
            )?,
            vat: amount(
                "the VAT category tax amount (BT-117)",
                "BR-46",
                subtotal.text_at(&["TaxAmount"]),
            )?,
            exemption_reason: text("TaxExemptionReason").to_owned(),
        });
    }
    if root.child("AllowanceCharge").is_some() {
        return Err(Refusal::AllowancesCharges);
    }
    let sums = root.child("LegalMonetaryTotal").ok_or(Refusal::Missing {
        term: "the document totals (BG-22)",
        rule: "BR-12",
    })?;
    let totals = read::totals(
        sums,
        &read::TotalNames {
            line_total: "LineExtensionAmount",
            tax_basis: "TaxExclusiveAmount",
            grand_total: "TaxInclusiveAmount",
        },
        tax_total.map(|t| t.text_at(&["TaxAmount"])).unwrap_or(""),
    )?;
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

/// One `InvoiceLine` or `CreditNoteLine`.
fn line(number: usize, element: &Element, credit_note: bool) -> Result<ReceivedLine, Refusal> {
    let term = |what: &str| format!("line {number}'s {what}");
    let quantity_element = element.child(if credit_note {
        "CreditedQuantity"
    } else {
        "InvoicedQuantity"
    });
    let quantity = read::decimal(
        &term("quantity (BT-129)"),
        quantity_element.map(|q| q.text.as_str()).unwrap_or(""),
    )?
    .ok_or(Refusal::Missing {
        term: "a line's invoiced quantity (BT-129)",
        rule: "BR-22",
    })?;
    let line_net = read::decimal(
        &term("net amount (BT-131)"),
        element.text_at(&["LineExtensionAmount"]),
    )?
    .ok_or(Refusal::Missing {
        term: "a line's net amount (BT-131)",
        rule: "BR-24",
    })?;
    let net_price = read::decimal(
        &term("net price (BT-146)"),
        element.text_at(&["Price", "PriceAmount"]),
    )?
    .ok_or(Refusal::Missing {
        term: "a line's net price (BT-146)",
        rule: "BR-26",
    })?;
    let base = read::decimal(
        &term("base quantity (BT-149)"),
        element.text_at(&["Price", "BaseQuantity"]),
    )?
    .filter(|b| !b.is_zero())
    .unwrap_or(Decimal::ONE);
    let item = element.child("Item");
    let name = item.map(|i| i.text_at(&["Name"])).unwrap_or("");
    let description = item.map(|i| i.text_at(&["Description"])).unwrap_or("");
    let category = item.and_then(|i| i.child("ClassifiedTaxCategory"));
    let category_code = category.map(|c| c.text_at(&["ID"])).unwrap_or("");
    if category_code.is_empty() {
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
        vat_category: category_code.to_owned(),
        vat_rate: read::decimal(
            &term("VAT rate (BT-152)"),
            category.map(|c| c.text_at(&["Percent"])).unwrap_or(""),
        )?
        .unwrap_or_default(),
    })
}

/// An `AccountingSupplierParty/Party` or `AccountingCustomerParty/Party`.
fn party(role: &str, element: &Element) -> Result<ReceivedParty, Refusal> {
    let legal = element.child("PartyLegalEntity");
    let company_id = legal.and_then(|l| l.child("CompanyID"));
    let mut registration = read::siren_of_registration(
        &format!("the {role}'s legal registration identifier"),
        company_id.and_then(|c| c.attribute("schemeID")),
        company_id.map(|c| c.text.as_str()).unwrap_or(""),
    )?;
    if registration.is_none() {
        // A SIRET given as the party identifier (BT-29 / BT-46, scheme 0009).
        for id in element
            .children_named("PartyIdentification")
            .filter_map(|p| p.child("ID"))
        {
            registration = read::siren_of_registration(
                &format!("the {role}'s identifier"),
                id.attribute("schemeID"),
                &id.text,
            )?;
            if registration.is_some() {
                break;
            }
        }
    }
    let vat_text = element
        .children_named("PartyTaxScheme")
        .find(|s| s.text_at(&["TaxScheme", "ID"]) == "VAT")
        .map(|s| s.text_at(&["CompanyID"]))
        .unwrap_or("");
    let vat_number = read::vat_number(&format!("the {role}'s VAT identifier"), vat_text)?;
    let name = match legal
        .map(|l| l.text_at(&["RegistrationName"]))
        .unwrap_or("")
    {
        "" => element.text_at(&["PartyName", "Name"]),
        given => given,
    };
    let address = element.child("PostalAddress");
    let field = |path: &[&str]| address.map(|a| a.text_at(path)).unwrap_or("").to_owned();
    Ok(ReceivedParty {
        name: name.to_owned(),
        siren: read::siren(registration, vat_number.as_ref()),
        vat_number,
        address: PostalAddress {
            line1: field(&["StreetName"]),
            line2: field(&["AdditionalStreetName"]),
            postal_code: field(&["PostalZone"]),
            city: field(&["CityName"]),
            country_code: field(&["Country", "IdentificationCode"]).to_ascii_uppercase(),
        },
    })
}
