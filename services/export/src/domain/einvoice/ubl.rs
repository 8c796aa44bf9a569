//! The OASIS UBL 2.1 Invoice or CreditNote of an [`EInvoice`], customized for
//! EN 16931 (`urn:cen.eu:en16931:2017`): elements in the order of the UBL 2.1 schemas,
//! dates as YYYY-MM-DD, amounts with two decimals and their currency. A credit note has
//! no root due date in UBL 2.1: its due date is the payment means' (or the terms').

use std::io;

use super::xml::{self, Xml, leaf, leaf_with, node, node_with};
use super::{Category, EInvoice, Party, WriteError, amount, plain};

const INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// `invoice` as UBL 2.1 XML: an Invoice, or a CreditNote.
pub(crate) fn write(invoice: &EInvoice) -> Result<Vec<u8>, WriteError> {
    let mut w = xml::start()?;
    let (root, namespace) = if invoice.credit_note {
        ("CreditNote", CREDIT_NOTE)
    } else {
        ("Invoice", INVOICE)
    };
    let currency = invoice.currency.as_str();
    let money = [("currencyID", currency)];
    node_with(
        &mut w,
        root,
        &[("xmlns", namespace), ("xmlns:cac", CAC), ("xmlns:cbc", CBC)],
        |w| {
            leaf(w, "cbc:CustomizationID", "urn:cen.eu:en16931:2017")?;
            leaf(w, "cbc:ID", &invoice.number)?;
            leaf(w, "cbc:IssueDate", &invoice.issue_date.to_string())?;
            if invoice.credit_note {
                leaf(w, "cbc:CreditNoteTypeCode", "381")?;
            } else {
                if let Some(due) = invoice.due_date {
                    leaf(w, "cbc:DueDate", &due.to_string())?;
                }
                leaf(w, "cbc:InvoiceTypeCode", "380")?;
            }
            for note in &invoice.notes {
                let text = if note.subject.is_empty() {
                    note.text.clone()
                } else {
                    // UBL has no subject element: EN 16931 writes it before the text.
                    format!("#{}#{}", note.subject, note.text)
                };
                leaf(w, "cbc:Note", &text)?;
            }
            leaf(w, "cbc:DocumentCurrencyCode", currency)?;
            if let Some((number, date)) = &invoice.preceding {
                node(w, "cac:BillingReference", |w| {
                    node(w, "cac:InvoiceDocumentReference", |w| {
                        leaf(w, "cbc:ID", number)?;
                        if let Some(date) = date {
                            leaf(w, "cbc:IssueDate", &date.to_string())?;
                        }
                        Ok(())
                    })
                })?;
            }
            node(w, "cac:AccountingSupplierParty", |w| {
                party(w, &invoice.seller)
            })?;
            node(w, "cac:AccountingCustomerParty", |w| {
                party(w, &invoice.buyer)
            })?;
            node(w, "cac:Delivery", |w| {
                leaf(
                    w,
                    "cbc:ActualDeliveryDate",
                    &invoice.delivery_date.to_string(),
                )?;
                if let Some(country) = &invoice.ship_to_country {
                    node(w, "cac:DeliveryLocation", |w| {
                        node(w, "cac:Address", |w| {
                            node(w, "cac:Country", |w| {
                                leaf(w, "cbc:IdentificationCode", country)
                            })
                        })
                    })?;
                }
                Ok(())
            })?;
            if let Some(payee) = &invoice.payee {
                node(w, "cac:PaymentMeans", |w| {
                    leaf(w, "cbc:PaymentMeansCode", "58")?;
                    if invoice.credit_note
                        && let Some(due) = invoice.due_date
                    {
                        leaf(w, "cbc:PaymentDueDate", &due.to_string())?;
                    }
                    node(w, "cac:PayeeFinancialAccount", |w| {
                        leaf(w, "cbc:ID", &payee.iban)?;
                        if !payee.bic.is_empty() {
                            node(w, "cac:FinancialInstitutionBranch", |w| {
                                leaf(w, "cbc:ID", &payee.bic)
                            })?;
                        }
                        Ok(())
                    })
                })?;
            }
            node(w, "cac:PaymentTerms", |w| {
                leaf(w, "cbc:Note", &invoice.payment_terms)
            })?;
            node(w, "cac:TaxTotal", |w| {
                leaf_with(w, "cbc:TaxAmount", &money, &amount(invoice.vat_total))?;
                for breakdown in &invoice.breakdown {
                    node(w, "cac:TaxSubtotal", |w| {
                        leaf_with(w, "cbc:TaxableAmount", &money, &amount(breakdown.taxable))?;
                        leaf_with(w, "cbc:TaxAmount", &money, &amount(breakdown.vat))?;
                        tax_category(
                            w,
                            "cac:TaxCategory",
                            breakdown.category,
                            breakdown.rate,
                            breakdown.exemption.as_ref(),
                        )
                    })?;
                }
                Ok(())
            })?;
            node(w, "cac:LegalMonetaryTotal", |w| {
                leaf_with(
                    w,
                    "cbc:LineExtensionAmount",
                    &money,
                    &amount(invoice.line_total),
                )?;
                leaf_with(
                    w,
                    "cbc:TaxExclusiveAmount",
                    &money,
                    &amount(invoice.tax_basis),
                )?;
                leaf_with(
                    w,
                    "cbc:TaxInclusiveAmount",
                    &money,
                    &amount(invoice.grand_total),
                )?;
                leaf_with(w, "cbc:PayableAmount", &money, &amount(invoice.due_payable))
            })?;
            let (line_name, quantity_name) = if invoice.credit_note {
                ("cac:CreditNoteLine", "cbc:CreditedQuantity")
            } else {
                ("cac:InvoiceLine", "cbc:InvoicedQuantity")
            };
            for line in &invoice.lines {
                node(w, line_name, |w| {
                    leaf(w, "cbc:ID", &line.id)?;
                    leaf_with(
                        w,
                        quantity_name,
                        &[("unitCode", line.unit_code)],
                        &plain(line.quantity),
                    )?;
                    leaf_with(
                        w,
                        "cbc:LineExtensionAmount",
                        &money,
                        &amount(line.net_amount),
                    )?;
                    if !line.allowance.is_zero() {
                        node(w, "cac:AllowanceCharge", |w| {
                            leaf(w, "cbc:ChargeIndicator", "false")?;
                            leaf(w, "cbc:AllowanceChargeReasonCode", "95")?;
                            leaf(w, "cbc:AllowanceChargeReason", "Remise")?;
                            leaf_with(w, "cbc:Amount", &money, &amount(line.allowance))
                        })?;
                    }
                    node(w, "cac:Item", |w| {
                        leaf(w, "cbc:Name", &line.name)?;
                        tax_category(
                            w,
                            "cac:ClassifiedTaxCategory",
                            line.category,
                            line.rate,
                            None,
                        )
                    })?;
                    node(w, "cac:Price", |w| {
                        leaf_with(w, "cbc:PriceAmount", &money, &plain(line.net_price))
                    })
                })?;
            }
            Ok(())
        },
    )?;
    Ok(w.into_inner())
}

fn tax_category(
    w: &mut Xml,
    name: &str,
    category: Category,
    rate: rust_decimal::Decimal,
    exemption: Option<&(String, &'static str)>,
) -> io::Result<()> {
    node(w, name, |w| {
        leaf(w, "cbc:ID", category.code())?;
        leaf(w, "cbc:Percent", &plain(rate))?;
        if let Some((text, code)) = exemption {
            leaf(w, "cbc:TaxExemptionReasonCode", code)?;
            leaf(w, "cbc:TaxExemptionReason", text)?;
        }
        node(w, "cac:TaxScheme", |w| leaf(w, "cbc:ID", "VAT"))
    })
}

fn party(w: &mut Xml, party: &Party) -> io::Result<()> {
    node(w, "cac:Party", |w| {
        node(w, "cac:PartyName", |w| leaf(w, "cbc:Name", &party.name))?;
        node(w, "cac:PostalAddress", |w| {
            let address = &party.address;
            if !address.line1.is_empty() {
                leaf(w, "cbc:StreetName", &address.line1)?;
            }
            if !address.line2.is_empty() {
                leaf(w, "cbc:AdditionalStreetName", &address.line2)?;
            }
            if !address.city.is_empty() {
                leaf(w, "cbc:CityName", &address.city)?;
            }
            if !address.postal_code.is_empty() {
                leaf(w, "cbc:PostalZone", &address.postal_code)?;
            }
            node(w, "cac:Country", |w| {
                leaf(w, "cbc:IdentificationCode", &address.country_code)
            })
        })?;
        if !party.vat_number.is_empty() {
            node(w, "cac:PartyTaxScheme", |w| {
                leaf(w, "cbc:CompanyID", &party.vat_number)?;
                node(w, "cac:TaxScheme", |w| leaf(w, "cbc:ID", "VAT"))
            })?;
        }
        node(w, "cac:PartyLegalEntity", |w| {
            leaf(w, "cbc:RegistrationName", &party.name)?;
            if !party.siren.is_empty() {
                leaf_with(w, "cbc:CompanyID", &[("schemeID", "0002")], &party.siren)?;
            }
            Ok(())
        })
    })
}
