//! The UN/CEFACT Cross Industry Invoice D16B of an [`EInvoice`], as Factur-X 1.07
//! carries it: elements in the order of the D16B schema, the profile's specification
//! identifier in the document context, dates in format 102 (YYYYMMDD), amounts with two
//! decimals, the VAT total in the invoice currency.

use std::io;

use chrono::NaiveDate;

use super::xml::{self, Xml, leaf, leaf_with, node, node_with};
use super::{EInvoice, Party, Profile, WriteError, amount, plain};

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

/// `invoice` as CII XML for `profile`.
pub(crate) fn write(invoice: &EInvoice, profile: Profile) -> Result<Vec<u8>, WriteError> {
    let mut w = xml::start()?;
    node_with(
        &mut w,
        "rsm:CrossIndustryInvoice",
        &[
            ("xmlns:rsm", RSM),
            ("xmlns:ram", RAM),
            ("xmlns:qdt", QDT),
            ("xmlns:udt", UDT),
        ],
        |w| {
            node(w, "rsm:ExchangedDocumentContext", |w| {
                node(w, "ram:GuidelineSpecifiedDocumentContextParameter", |w| {
                    leaf(w, "ram:ID", profile.guideline())
                })
            })?;
            exchanged_document(w, invoice)?;
            node(w, "rsm:SupplyChainTradeTransaction", |w| {
                for line in &invoice.lines {
                    line_item(w, line)?;
                }
                agreement(w, invoice)?;
                delivery(w, invoice)?;
                settlement(w, invoice, profile)
            })
        },
    )?;
    Ok(w.into_inner())
}

fn date_102(w: &mut Xml, name: &str, prefix: &str, date: NaiveDate) -> io::Result<()> {
    node(w, name, |w| {
        leaf_with(
            w,
            &format!("{prefix}:DateTimeString"),
            &[("format", "102")],
            &date.format("%Y%m%d").to_string(),
        )
    })
}

fn exchanged_document(w: &mut Xml, invoice: &EInvoice) -> io::Result<()> {
    node(w, "rsm:ExchangedDocument", |w| {
        leaf(w, "ram:ID", &invoice.number)?;
        leaf(
            w,
            "ram:TypeCode",
            if invoice.credit_note { "381" } else { "380" },
        )?;
        date_102(w, "ram:IssueDateTime", "udt", invoice.issue_date)?;
        for note in &invoice.notes {
            node(w, "ram:IncludedNote", |w| {
                leaf(w, "ram:Content", &note.text)?;
                if !note.subject.is_empty() {
                    leaf(w, "ram:SubjectCode", note.subject)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}

fn line_item(w: &mut Xml, line: &super::Line) -> io::Result<()> {
    node(w, "ram:IncludedSupplyChainTradeLineItem", |w| {
        node(w, "ram:AssociatedDocumentLineDocument", |w| {
            leaf(w, "ram:LineID", &line.id)
        })?;
        node(w, "ram:SpecifiedTradeProduct", |w| {
            leaf(w, "ram:Name", &line.name)
        })?;
        node(w, "ram:SpecifiedLineTradeAgreement", |w| {
            node(w, "ram:NetPriceProductTradePrice", |w| {
                leaf(w, "ram:ChargeAmount", &plain(line.net_price))
            })
        })?;
        node(w, "ram:SpecifiedLineTradeDelivery", |w| {
            leaf_with(
                w,
                "ram:BilledQuantity",
                &[("unitCode", line.unit_code)],
                &plain(line.quantity),
            )
        })?;
        node(w, "ram:SpecifiedLineTradeSettlement", |w| {
            node(w, "ram:ApplicableTradeTax", |w| {
                leaf(w, "ram:TypeCode", "VAT")?;
                leaf(w, "ram:CategoryCode", line.category.code())?;
                leaf(w, "ram:RateApplicablePercent", &plain(line.rate))
            })?;
            if !line.allowance.is_zero() {
                node(w, "ram:SpecifiedTradeAllowanceCharge", |w| {
                    node(w, "ram:ChargeIndicator", |w| {
                        leaf(w, "udt:Indicator", "false")
                    })?;
                    leaf(w, "ram:ActualAmount", &amount(line.allowance))?;
                    leaf(w, "ram:ReasonCode", "95")?;
                    leaf(w, "ram:Reason", "Remise")
                })?;
            }
            node(
                w,
                "ram:SpecifiedTradeSettlementLineMonetarySummation",
                |w| leaf(w, "ram:LineTotalAmount", &amount(line.net_amount)),
            )
        })
    })
}

fn party(w: &mut Xml, name: &str, party: &Party) -> io::Result<()> {
    node(w, name, |w| {
        leaf(w, "ram:Name", &party.name)?;
        if !party.siren.is_empty() {
            node(w, "ram:SpecifiedLegalOrganization", |w| {
                leaf_with(w, "ram:ID", &[("schemeID", "0002")], &party.siren)
            })?;
        }
        node(w, "ram:PostalTradeAddress", |w| {
            let address = &party.address;
            if !address.postal_code.is_empty() {
                leaf(w, "ram:PostcodeCode", &address.postal_code)?;
            }
            if !address.line1.is_empty() {
                leaf(w, "ram:LineOne", &address.line1)?;
            }
            if !address.line2.is_empty() {
                leaf(w, "ram:LineTwo", &address.line2)?;
            }
            if !address.city.is_empty() {
                leaf(w, "ram:CityName", &address.city)?;
            }
            leaf(w, "ram:CountryID", &address.country_code)
        })?;
        if !party.vat_number.is_empty() {
            node(w, "ram:SpecifiedTaxRegistration", |w| {
                leaf_with(w, "ram:ID", &[("schemeID", "VA")], &party.vat_number)
            })?;
        }
        Ok(())
    })
}

fn agreement(w: &mut Xml, invoice: &EInvoice) -> io::Result<()> {
    node(w, "ram:ApplicableHeaderTradeAgreement", |w| {
        party(w, "ram:SellerTradeParty", &invoice.seller)?;
        party(w, "ram:BuyerTradeParty", &invoice.buyer)
    })
}

fn delivery(w: &mut Xml, invoice: &EInvoice) -> io::Result<()> {
    node(w, "ram:ApplicableHeaderTradeDelivery", |w| {
        if let Some(country) = &invoice.ship_to_country {
            node(w, "ram:ShipToTradeParty", |w| {
                node(w, "ram:PostalTradeAddress", |w| {
                    leaf(w, "ram:CountryID", country)
                })
            })?;
        }
        node(w, "ram:ActualDeliverySupplyChainEvent", |w| {
            date_102(w, "ram:OccurrenceDateTime", "udt", invoice.delivery_date)
        })
    })
}

fn settlement(w: &mut Xml, invoice: &EInvoice, profile: Profile) -> io::Result<()> {
    node(w, "ram:ApplicableHeaderTradeSettlement", |w| {
        leaf(w, "ram:InvoiceCurrencyCode", &invoice.currency)?;
        if let Some(payee) = &invoice.payee {
            node(w, "ram:SpecifiedTradeSettlementPaymentMeans", |w| {
                leaf(w, "ram:TypeCode", "58")?;
                node(w, "ram:PayeePartyCreditorFinancialAccount", |w| {
                    leaf(w, "ram:IBANID", &payee.iban)
                })?;
                // The BASIC profile has no payment service provider (BT-86).
                if !payee.bic.is_empty() && profile != Profile::Basic {
                    node(w, "ram:PayeeSpecifiedCreditorFinancialInstitution", |w| {
                        leaf(w, "ram:BICID", &payee.bic)
                    })?;
                }
                Ok(())
            })?;
        }
        for breakdown in &invoice.breakdown {
            node(w, "ram:ApplicableTradeTax", |w| {
                leaf(w, "ram:CalculatedAmount", &amount(breakdown.vat))?;
                leaf(w, "ram:TypeCode", "VAT")?;
                if let Some((text, _)) = &breakdown.exemption {
                    leaf(w, "ram:ExemptionReason", text)?;
                }
                leaf(w, "ram:BasisAmount", &amount(breakdown.taxable))?;
                leaf(w, "ram:CategoryCode", breakdown.category.code())?;
                if let Some((_, code)) = &breakdown.exemption {
                    leaf(w, "ram:ExemptionReasonCode", code)?;
                }
                leaf(w, "ram:RateApplicablePercent", &plain(breakdown.rate))
            })?;
        }
        node(w, "ram:SpecifiedTradePaymentTerms", |w| {
            leaf(w, "ram:Description", &invoice.payment_terms)?;
            if let Some(due) = invoice.due_date {
                date_102(w, "ram:DueDateDateTime", "udt", due)?;
            }
            Ok(())
        })?;
        node(
            w,
            "ram:SpecifiedTradeSettlementHeaderMonetarySummation",
            |w| {
                leaf(w, "ram:LineTotalAmount", &amount(invoice.line_total))?;
                leaf(w, "ram:TaxBasisTotalAmount", &amount(invoice.tax_basis))?;
                leaf_with(
                    w,
                    "ram:TaxTotalAmount",
                    &[("currencyID", invoice.currency.as_str())],
                    &amount(invoice.vat_total),
                )?;
                leaf(w, "ram:GrandTotalAmount", &amount(invoice.grand_total))?;
                leaf(w, "ram:DuePayableAmount", &amount(invoice.due_payable))
            },
        )?;
        if let Some((number, date)) = &invoice.preceding {
            node(w, "ram:InvoiceReferencedDocument", |w| {
                leaf(w, "ram:IssuerAssignedID", number)?;
                if let Some(date) = date {
                    date_102(w, "ram:FormattedIssueDateTime", "qdt", *date)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}
