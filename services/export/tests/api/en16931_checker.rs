//! An EN 16931 business-rule checker, written from the norm (EN 16931-1:2017 and its
//! syntax bindings) apart from the generator: it parses a CII or UBL invoice itself
//! (`quick-xml` into a small tree) and checks the rules the e-invoices rely on: BR-01 to
//! BR-16 (what must be present), the line fields (BR-21 to BR-26), BR-CO-10 to BR-CO-18
//! (totals and the VAT breakdown), BR-CO-25 (due date or terms), and the VAT categories'
//! rules BR-S-*, BR-E-*, BR-K-* (with BR-IC-11/12), BR-AE-* and BR-G-*. Amounts are
//! compared to the cent. It answers what it read (for the tests to compare with the VAT
//! register) or every rule broken.

use std::collections::BTreeMap;
use std::str::FromStr;

use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::{Decimal, RoundingStrategy};

/// An element: its local name (prefix dropped), attributes, text and children.
#[derive(Debug, Default, Clone)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) attributes: BTreeMap<String, String>,
    pub(crate) text: String,
    pub(crate) children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The node at `path` (local names separated by '/').
    fn at(&self, path: &str) -> Option<&Node> {
        path.split('/')
            .try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at `path`, empty when absent.
    fn text_at(&self, path: &str) -> String {
        self.at(path)
            .map(|n| n.text.trim().to_owned())
            .unwrap_or_default()
    }
}

/// `xml` as a tree, or why it is not well-formed.
pub(crate) fn parse(xml: &[u8]) -> Result<Node, String> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut buffer = Vec::new();
    let local = |name: &str| name.rsplit(':').next().unwrap_or_default().to_owned();
    loop {
        match reader
            .read_event_into(&mut buffer)
            .map_err(|e| format!("not well-formed XML: {e}"))?
        {
            Event::Start(start) => {
                let mut node = Node {
                    name: local(start.name().into_inner()),
                    ..Node::default()
                };
                for attribute in start.attributes() {
                    let attribute = attribute.map_err(|e| e.to_string())?;
                    node.attributes.insert(
                        local(attribute.key.into_inner()),
                        attribute
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| e.to_string())?
                            .into_owned(),
                    );
                }
                stack.push(node);
            }
            Event::Empty(start) => {
                let mut node = Node {
                    name: local(start.name().into_inner()),
                    ..Node::default()
                };
                for attribute in start.attributes() {
                    let attribute = attribute.map_err(|e| e.to_string())?;
                    node.attributes.insert(
                        local(attribute.key.into_inner()),
                        attribute
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| e.to_string())?
                            .into_owned(),
                    );
                }
                stack.last_mut().ok_or("no parent")?.children.push(node);
            }
            Event::Text(text) => {
                stack
                    .last_mut()
                    .ok_or("no parent")?
                    .text
                    .push_str(&text.into_inner());
            }
            Event::GeneralRef(reference) => {
                let character = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(character) => character,
                    None => match &*reference.into_inner() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("unknown entity &{other};")),
                    },
                };
                stack.last_mut().ok_or("no parent")?.text.push(character);
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced")?;
                stack.last_mut().ok_or("unbalanced")?.children.push(node);
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    let mut document = stack.pop().ok_or("empty")?;
    if !stack.is_empty() || document.children.len() != 1 {
        return Err("not one root element".to_owned());
    }
    Ok(document.children.remove(0))
}

/// A line as read.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) quantity: String,
    pub(crate) unit_code: String,
    pub(crate) price: String,
    pub(crate) net: Decimal,
    pub(crate) category: String,
    pub(crate) rate: Decimal,
}

/// A VAT breakdown as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Breakdown {
    pub(crate) category: String,
    pub(crate) rate: Decimal,
    pub(crate) taxable: Decimal,
    pub(crate) vat: Decimal,
    pub(crate) exemption_reason: String,
    pub(crate) exemption_code: String,
}

/// A party as read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Party {
    pub(crate) name: String,
    pub(crate) legal_id: String,
    pub(crate) legal_scheme: String,
    pub(crate) vat_id: String,
    pub(crate) country: String,
    pub(crate) has_address: bool,
}

/// An invoice as read from either syntax.
#[derive(Debug, Clone, Default)]
pub(crate) struct Invoice {
    pub(crate) specification: String,
    pub(crate) number: String,
    pub(crate) type_code: String,
    pub(crate) issue_date: String,
    pub(crate) currency: String,
    pub(crate) due_date: String,
    pub(crate) payment_terms: String,
    pub(crate) delivery_date: String,
    pub(crate) ship_to_country: String,
    pub(crate) preceding_number: String,
    pub(crate) seller: Party,
    pub(crate) buyer: Party,
    pub(crate) lines: Vec<Line>,
    pub(crate) breakdown: Vec<Breakdown>,
    pub(crate) line_total: Option<Decimal>,
    pub(crate) tax_basis: Option<Decimal>,
    pub(crate) vat_total: Option<Decimal>,
    pub(crate) grand_total: Option<Decimal>,
    pub(crate) prepaid: Decimal,
    pub(crate) rounding: Decimal,
    pub(crate) due_payable: Option<Decimal>,
    /// The payment means' code and account (BT-81, BT-84).
    pub(crate) payment_means: String,
    pub(crate) iban: String,
}

fn amount(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim()).ok()
}

fn cii_party(node: Option<&Node>) -> Party {
    let Some(node) = node else {
        return Party::default();
    };
    let legal = node.at("SpecifiedLegalOrganization/ID");
    Party {
        name: node.text_at("Name"),
        legal_id: legal.map(|n| n.text.trim().to_owned()).unwrap_or_default(),
        legal_scheme: legal
            .and_then(|n| n.attributes.get("schemeID").cloned())
            .unwrap_or_default(),
        vat_id: node
            .all("SpecifiedTaxRegistration")
            .filter_map(|r| r.child("ID"))
            .find(|id| id.attributes.get("schemeID").map(String::as_str) == Some("VA"))
            .map(|id| id.text.trim().to_owned())
            .unwrap_or_default(),
        country: node.text_at("PostalTradeAddress/CountryID"),
        has_address: node.child("PostalTradeAddress").is_some(),
    }
}

/// Reads a CII `CrossIndustryInvoice`.
fn read_cii(root: &Node) -> Invoice {
    let transaction = root.child("SupplyChainTradeTransaction");
    let agreement = transaction.and_then(|t| t.child("ApplicableHeaderTradeAgreement"));
    let delivery = transaction.and_then(|t| t.child("ApplicableHeaderTradeDelivery"));
    let settlement = transaction.and_then(|t| t.child("ApplicableHeaderTradeSettlement"));
    let totals =
        settlement.and_then(|s| s.child("SpecifiedTradeSettlementHeaderMonetarySummation"));
    let total = |name: &str| totals.and_then(|t| amount(&t.text_at(name)));
    let lines = transaction
        .map(|t| {
            t.all("IncludedSupplyChainTradeLineItem")
                .map(|item| {
                    let quantity = item.at("SpecifiedLineTradeDelivery/BilledQuantity");
                    Line {
                        id: item.text_at("AssociatedDocumentLineDocument/LineID"),
                        name: item.text_at("SpecifiedTradeProduct/Name"),
                        quantity: quantity.map(|q| q.text.trim().to_owned()).unwrap_or_default(),
                        unit_code: quantity
                            .and_then(|q| q.attributes.get("unitCode").cloned())
                            .unwrap_or_default(),
                        price: item.text_at(
                            "SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount",
                        ),
                        net: amount(&item.text_at(
                            "SpecifiedLineTradeSettlement/SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount",
                        ))
                        .unwrap_or_default(),
                        category: item
                            .text_at("SpecifiedLineTradeSettlement/ApplicableTradeTax/CategoryCode"),
                        rate: amount(&item.text_at(
                            "SpecifiedLineTradeSettlement/ApplicableTradeTax/RateApplicablePercent",
                        ))
                        .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let breakdown = settlement
        .map(|s| {
            s.all("ApplicableTradeTax")
                .map(|tax| Breakdown {
                    category: tax.text_at("CategoryCode"),
                    rate: amount(&tax.text_at("RateApplicablePercent")).unwrap_or_default(),
                    taxable: amount(&tax.text_at("BasisAmount")).unwrap_or_default(),
                    vat: amount(&tax.text_at("CalculatedAmount")).unwrap_or_default(),
                    exemption_reason: tax.text_at("ExemptionReason"),
                    exemption_code: tax.text_at("ExemptionReasonCode"),
                })
                .collect()
        })
        .unwrap_or_default();
    Invoice {
        specification: root
            .text_at("ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID"),
        number: root.text_at("ExchangedDocument/ID"),
        type_code: root.text_at("ExchangedDocument/TypeCode"),
        issue_date: root.text_at("ExchangedDocument/IssueDateTime/DateTimeString"),
        currency: settlement
            .map(|s| s.text_at("InvoiceCurrencyCode"))
            .unwrap_or_default(),
        due_date: settlement
            .map(|s| s.text_at("SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString"))
            .unwrap_or_default(),
        payment_terms: settlement
            .map(|s| s.text_at("SpecifiedTradePaymentTerms/Description"))
            .unwrap_or_default(),
        delivery_date: delivery
            .map(|d| d.text_at("ActualDeliverySupplyChainEvent/OccurrenceDateTime/DateTimeString"))
            .unwrap_or_default(),
        ship_to_country: delivery
            .map(|d| d.text_at("ShipToTradeParty/PostalTradeAddress/CountryID"))
            .unwrap_or_default(),
        preceding_number: settlement
            .map(|s| s.text_at("InvoiceReferencedDocument/IssuerAssignedID"))
            .unwrap_or_default(),
        seller: cii_party(agreement.and_then(|a| a.child("SellerTradeParty"))),
        buyer: cii_party(agreement.and_then(|a| a.child("BuyerTradeParty"))),
        lines,
        breakdown,
        line_total: total("LineTotalAmount"),
        tax_basis: total("TaxBasisTotalAmount"),
        vat_total: total("TaxTotalAmount"),
        grand_total: total("GrandTotalAmount"),
        prepaid: total("TotalPrepaidAmount").unwrap_or_default(),
        rounding: total("RoundingAmount").unwrap_or_default(),
        due_payable: total("DuePayableAmount"),
        payment_means: settlement
            .map(|s| s.text_at("SpecifiedTradeSettlementPaymentMeans/TypeCode"))
            .unwrap_or_default(),
        iban: settlement
            .map(|s| {
                s.text_at(
                    "SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID",
                )
            })
            .unwrap_or_default(),
    }
}

fn ubl_party(node: Option<&Node>) -> Party {
    let Some(party) = node.and_then(|n| n.child("Party")) else {
        return Party::default();
    };
    let legal = party.at("PartyLegalEntity/CompanyID");
    Party {
        name: {
            let name = party.text_at("PartyLegalEntity/RegistrationName");
            if name.is_empty() {
                party.text_at("PartyName/Name")
            } else {
                name
            }
        },
        legal_id: legal.map(|n| n.text.trim().to_owned()).unwrap_or_default(),
        legal_scheme: legal
            .and_then(|n| n.attributes.get("schemeID").cloned())
            .unwrap_or_default(),
        vat_id: party
            .all("PartyTaxScheme")
            .find(|s| s.text_at("TaxScheme/ID") == "VAT")
            .map(|s| s.text_at("CompanyID"))
            .unwrap_or_default(),
        country: party.text_at("PostalAddress/Country/IdentificationCode"),
        has_address: party.child("PostalAddress").is_some(),
    }
}

/// Reads a UBL `Invoice` or `CreditNote`.
fn read_ubl(root: &Node) -> Invoice {
    let credit = root.name == "CreditNote";
    let totals = root.child("LegalMonetaryTotal");
    let total = |name: &str| totals.and_then(|t| amount(&t.text_at(name)));
    let (line_name, quantity_name) = if credit {
        ("CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceLine", "InvoicedQuantity")
    };
    let tax_total = root.child("TaxTotal");
    Invoice {
        specification: root.text_at("CustomizationID"),
        number: root.text_at("ID"),
        type_code: root.text_at(if credit {
            "CreditNoteTypeCode"
        } else {
            "InvoiceTypeCode"
        }),
        issue_date: root.text_at("IssueDate"),
        currency: root.text_at("DocumentCurrencyCode"),
        due_date: {
            let due = root.text_at("DueDate");
            if due.is_empty() {
                root.text_at("PaymentMeans/PaymentDueDate")
            } else {
                due
            }
        },
        payment_terms: root.text_at("PaymentTerms/Note"),
        delivery_date: root.text_at("Delivery/ActualDeliveryDate"),
        ship_to_country: root
            .text_at("Delivery/DeliveryLocation/Address/Country/IdentificationCode"),
        preceding_number: root.text_at("BillingReference/InvoiceDocumentReference/ID"),
        seller: ubl_party(root.child("AccountingSupplierParty")),
        buyer: ubl_party(root.child("AccountingCustomerParty")),
        lines: root
            .all(line_name)
            .map(|line| {
                let quantity = line.child(quantity_name);
                Line {
                    id: line.text_at("ID"),
                    name: line.text_at("Item/Name"),
                    quantity: quantity
                        .map(|q| q.text.trim().to_owned())
                        .unwrap_or_default(),
                    unit_code: quantity
                        .and_then(|q| q.attributes.get("unitCode").cloned())
                        .unwrap_or_default(),
                    price: line.text_at("Price/PriceAmount"),
                    net: amount(&line.text_at("LineExtensionAmount")).unwrap_or_default(),
                    category: line.text_at("Item/ClassifiedTaxCategory/ID"),
                    rate: amount(&line.text_at("Item/ClassifiedTaxCategory/Percent"))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        breakdown: tax_total
            .map(|t| {
                t.all("TaxSubtotal")
                    .map(|sub| Breakdown {
                        category: sub.text_at("TaxCategory/ID"),
                        rate: amount(&sub.text_at("TaxCategory/Percent")).unwrap_or_default(),
                        taxable: amount(&sub.text_at("TaxableAmount")).unwrap_or_default(),
                        vat: amount(&sub.text_at("TaxAmount")).unwrap_or_default(),
                        exemption_reason: sub.text_at("TaxCategory/TaxExemptionReason"),
                        exemption_code: sub.text_at("TaxCategory/TaxExemptionReasonCode"),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        line_total: total("LineExtensionAmount"),
        tax_basis: total("TaxExclusiveAmount"),
        vat_total: tax_total.and_then(|t| amount(&t.text_at("TaxAmount"))),
        grand_total: total("TaxInclusiveAmount"),
        prepaid: total("PrepaidAmount").unwrap_or_default(),
        rounding: total("PayableRoundingAmount").unwrap_or_default(),
        due_payable: total("PayableAmount"),
        payment_means: root.text_at("PaymentMeans/PaymentMeansCode"),
        iban: root.text_at("PaymentMeans/PayeeFinancialAccount/ID"),
    }
}

fn cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Reads `xml` (CII or UBL) and checks it: what it read, or every broken rule.
pub(crate) fn check(xml: &[u8]) -> Result<Invoice, Vec<String>> {
    let root = parse(xml).map_err(|e| vec![e])?;
    let invoice = match root.name.as_str() {
        "CrossIndustryInvoice" => read_cii(&root),
        "Invoice" | "CreditNote" => read_ubl(&root),
        other => return Err(vec![format!("{other} is not an invoice")]),
    };
    let broken = rules(&invoice);
    if broken.is_empty() {
        Ok(invoice)
    } else {
        Err(broken)
    }
}

fn rules(invoice: &Invoice) -> Vec<String> {
    let mut broken = Vec::new();
    let mut require = |ok: bool, rule: &str, what: String| {
        if !ok {
            broken.push(format!("{rule}: {what}"));
        }
    };
    // Presence.
    require(
        !invoice.specification.is_empty(),
        "BR-01",
        "no specification identifier".into(),
    );
    require(
        !invoice.number.is_empty(),
        "BR-02",
        "no invoice number".into(),
    );
    require(
        !invoice.issue_date.is_empty(),
        "BR-03",
        "no issue date".into(),
    );
    require(
        ["380", "381", "384", "389", "751"].contains(&invoice.type_code.as_str()),
        "BR-04",
        format!("type code `{}`", invoice.type_code),
    );
    require(
        invoice.currency.len() == 3,
        "BR-05",
        "no invoice currency".into(),
    );
    require(
        !invoice.seller.name.is_empty(),
        "BR-06",
        "no seller name".into(),
    );
    require(
        !invoice.buyer.name.is_empty(),
        "BR-07",
        "no buyer name".into(),
    );
    require(
        invoice.seller.has_address,
        "BR-08",
        "no seller postal address".into(),
    );
    require(
        invoice.seller.country.len() == 2,
        "BR-09",
        "no seller country code".into(),
    );
    require(
        invoice.buyer.has_address,
        "BR-10",
        "no buyer postal address".into(),
    );
    require(
        invoice.buyer.country.len() == 2,
        "BR-11",
        "no buyer country code".into(),
    );
    require(
        invoice.line_total.is_some(),
        "BR-12",
        "no sum of line net amounts".into(),
    );
    require(
        invoice.tax_basis.is_some(),
        "BR-13",
        "no total without VAT".into(),
    );
    require(
        invoice.grand_total.is_some(),
        "BR-14",
        "no total with VAT".into(),
    );
    require(
        invoice.due_payable.is_some(),
        "BR-15",
        "no amount due".into(),
    );
    require(!invoice.lines.is_empty(), "BR-16", "no line".into());
    for line in &invoice.lines {
        let id = &line.id;
        require(!id.is_empty(), "BR-21", "a line without identifier".into());
        require(
            Decimal::from_str(&line.quantity).is_ok(),
            "BR-22",
            format!("line {id}: no quantity"),
        );
        require(
            !line.unit_code.is_empty(),
            "BR-23",
            format!("line {id}: no unit code"),
        );
        require(
            !line.name.is_empty(),
            "BR-25",
            format!("line {id}: no item name"),
        );
        require(
            Decimal::from_str(&line.price).is_ok_and(|p| p >= Decimal::ZERO),
            "BR-26/27",
            format!("line {id}: no net price, or a negative one"),
        );
        require(
            !line.category.is_empty(),
            "BR-CO-04",
            format!("line {id}: no VAT category"),
        );
    }
    if !invoice.seller.legal_id.is_empty() && invoice.seller.country == "FR" {
        require(
            invoice.seller.legal_scheme == "0002" && invoice.seller.legal_id.len() == 9,
            "BR-FR SIREN",
            format!("seller legal id `{}`", invoice.seller.legal_id),
        );
    }

    // Totals, to the cent.
    let zero = Decimal::ZERO;
    let line_sum: Decimal = invoice.lines.iter().map(|l| l.net).sum();
    let line_total = invoice.line_total.unwrap_or(zero);
    let tax_basis = invoice.tax_basis.unwrap_or(zero);
    let vat_total = invoice.vat_total.unwrap_or(zero);
    let grand = invoice.grand_total.unwrap_or(zero);
    require(
        line_sum == line_total,
        "BR-CO-10",
        format!("lines sum to {line_sum}, line total {line_total}"),
    );
    require(
        tax_basis == line_total,
        "BR-CO-13",
        format!("total without VAT {tax_basis} is not the line total {line_total}"),
    );
    let breakdown_vat: Decimal = invoice.breakdown.iter().map(|b| b.vat).sum();
    require(
        vat_total == breakdown_vat,
        "BR-CO-14",
        format!("VAT total {vat_total}, breakdown sums to {breakdown_vat}"),
    );
    require(
        grand == tax_basis + vat_total,
        "BR-CO-15",
        format!("grand total {grand} is not {tax_basis} + {vat_total}"),
    );
    let due = invoice.due_payable.unwrap_or(zero);
    require(
        due == grand - invoice.prepaid + invoice.rounding,
        "BR-CO-16",
        format!(
            "amount due {due} is not {grand} - {} + {}",
            invoice.prepaid, invoice.rounding
        ),
    );
    for b in &invoice.breakdown {
        let expected = cents(b.taxable * b.rate / Decimal::ONE_HUNDRED);
        require(
            b.vat == expected,
            "BR-CO-17",
            format!(
                "{} {} %: VAT {} is not {} × rate = {expected}",
                b.category, b.rate, b.vat, b.taxable
            ),
        );
    }
    require(
        !invoice.breakdown.is_empty(),
        "BR-CO-18",
        "no VAT breakdown".into(),
    );
    require(
        due <= zero || !invoice.due_date.is_empty() || !invoice.payment_terms.is_empty(),
        "BR-CO-25",
        "an amount due without due date or payment terms".into(),
    );

    require(
        !["30", "58"].contains(&invoice.payment_means.as_str()) || !invoice.iban.is_empty(),
        "BR-61",
        "a credit transfer without the account to pay into".into(),
    );

    // Per category.
    let seller_vat = !invoice.seller.vat_id.is_empty();
    let buyer_vat = !invoice.buyer.vat_id.is_empty();
    let categories: Vec<&str> = {
        let mut all: Vec<&str> = invoice.lines.iter().map(|l| l.category.as_str()).collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    for category in categories {
        let lines: Vec<&Line> = invoice
            .lines
            .iter()
            .filter(|l| l.category == category)
            .collect();
        let breakdowns: Vec<&Breakdown> = invoice
            .breakdown
            .iter()
            .filter(|b| b.category == category)
            .collect();
        let prefix = match category {
            "S" => "BR-S",
            "E" => "BR-E",
            "K" => "BR-K",
            "G" => "BR-G",
            "AE" => "BR-AE",
            other => {
                broken.push(format!("unexpected VAT category {other}"));
                continue;
            }
        };
        let mut require = |ok: bool, rule: &str, what: String| {
            if !ok {
                broken.push(format!("{prefix}-{rule}: {what}"));
            }
        };
        require(
            !breakdowns.is_empty(),
            "01",
            format!("no {category} breakdown"),
        );
        require(seller_vat, "02", "no seller VAT identifier".into());
        if category == "K" {
            require(buyer_vat, "02", "no buyer VAT identifier".into());
        }
        if category == "AE" {
            require(
                buyer_vat || !invoice.buyer.legal_id.is_empty(),
                "02",
                "no buyer VAT or legal identifier".into(),
            );
        }
        for line in &lines {
            let ok = if category == "S" {
                line.rate > zero
            } else {
                line.rate.is_zero()
            };
            require(ok, "05", format!("line {} at {} %", line.id, line.rate));
        }
        for b in &breakdowns {
            let nets: Decimal = lines
                .iter()
                .filter(|l| category != "S" || l.rate == b.rate)
                .map(|l| l.net)
                .sum();
            require(
                b.taxable == nets,
                "08",
                format!(
                    "{} % taxable {} is not the lines' {nets}",
                    b.rate, b.taxable
                ),
            );
            if category == "S" {
                let expected = cents(b.taxable * b.rate / Decimal::ONE_HUNDRED);
                require(
                    b.vat == expected,
                    "09",
                    format!("VAT {} not {expected}", b.vat),
                );
                require(
                    b.exemption_reason.is_empty() && b.exemption_code.is_empty(),
                    "10",
                    "an exemption reason on a standard rate".into(),
                );
            } else {
                require(
                    b.vat.is_zero(),
                    "09",
                    format!("VAT {} on {category}", b.vat),
                );
                require(
                    !b.exemption_reason.is_empty() || !b.exemption_code.is_empty(),
                    "10",
                    "no exemption reason".into(),
                );
                require(
                    b.exemption_code.is_empty() || b.exemption_code.starts_with("VATEX-"),
                    "10",
                    format!("exemption code `{}`", b.exemption_code),
                );
            }
        }
        if category == "K" {
            if invoice.delivery_date.is_empty() {
                broken.push("BR-IC-11: no actual delivery date".into());
            }
            if invoice.ship_to_country.is_empty() {
                broken.push("BR-IC-12: no deliver-to country".into());
            }
        }
    }
    broken
}

/// Checks a checker that accepts `xml` refuses it once `from` is replaced by `to`, naming
/// `rule`.
pub(crate) fn assert_catches(xml: &str, from: &str, to: &str, rule: &str) {
    assert!(xml.contains(from), "`{from}` is not in the XML");
    let broken = check(xml.replacen(from, to, 1).as_bytes())
        .expect_err("the checker refuses the changed XML");
    assert!(
        broken.iter().any(|b| b.starts_with(rule)),
        "{rule} is not among {broken:?}"
    );
}
