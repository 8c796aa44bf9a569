//! Suppliers' e-invoices (EN 16931) read into a purchase invoice: which of the three
//! formats a file is ([`Format`]: a Factur-X / ZUGFeRD PDF with its CII XML embedded, a
//! UN/CEFACT CII XML, a UBL 2.1 Invoice or CreditNote), the invoice it carries
//! ([`ReceivedInvoice`], read by [`cii`] and [`ubl`], the PDF opened by [`pdf`]), the
//! EN 16931 arithmetic it must satisfy ([`ReceivedInvoice::check`]: BR-16, BR-CO-10,
//! BR-CO-13 to BR-CO-15, BR-CO-17 and the per-category basis rules) and agreement with
//! billing's own computation of the VAT from the lines ([`ReceivedInvoice::lines`]), and
//! whether it is addressed to the importing company ([`check_buyer`]).
//!
//! No I/O: bytes in, a received invoice or a [`Refusal`] out. Every refusal reads as the
//! end of a sentence about the file ("the file …") and names the EN 16931 rule it breaks
//! when one does.

pub(crate) mod cii;
pub(crate) mod pdf;
pub(crate) mod ubl;
pub(crate) mod xml;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use comptoir_domain_types::amount::round_half_up;
use comptoir_domain_types::fields::Violations;
use comptoir_domain_types::legal::{Siren, VatNumber};
use comptoir_domain_types::party::PostalAddress;
use rust_decimal::Decimal;

use super::document::{Line, Totals};
use super::party::PartyInput;
use super::{PartyKind, PartyRole};

/// The default limit on an imported file's size: 10 MiB.
pub(crate) const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Quantities are stored with 3 decimals, unit prices with 4.
const QUANTITY_SCALE: u32 = 3;
const PRICE_SCALE: u32 = 4;

/// The format a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A Factur-X (or ZUGFeRD 2, XRechnung) PDF with its CII XML embedded.
    FacturX,
    /// A UN/CEFACT Cross Industry Invoice XML.
    Cii,
    /// An OASIS UBL 2.1 Invoice or CreditNote XML.
    Ubl,
}

impl Format {
    /// The stored form.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::FacturX => "facturx",
            Format::Cii => "cii",
            Format::Ubl => "ubl",
        }
    }

    /// Reads the stored form.
    pub(crate) fn from_stored(value: &str) -> Option<Self> {
        [Format::FacturX, Format::Cii, Format::Ubl]
            .into_iter()
            .find(|f| f.as_str() == value)
    }

    /// The file's media type.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::FacturX => "application/pdf",
            Format::Cii | Format::Ubl => "application/xml",
        }
    }
}

/// Invoice or credit note (BT-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvoiceKind {
    /// 380, commercial invoice.
    Invoice,
    /// 381, credit note.
    CreditNote,
}

/// A party of the file: the seller (the supplier) or the buyer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReceivedParty {
    /// Its name (BT-27 / BT-44).
    pub(crate) name: String,
    /// The SIREN: from a legal registration id of scheme 0002 (or a SIRET, 0009), else
    /// from a French VAT number.
    pub(crate) siren: Option<Siren>,
    /// Its VAT number (BT-31 / BT-48).
    pub(crate) vat_number: Option<VatNumber>,
    /// Its address as the file gives it (country upper case).
    pub(crate) address: PostalAddress,
}

/// One invoice line (BG-25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceivedLine {
    /// Item name or description (BT-153 / BT-154).
    pub(crate) description: String,
    /// Invoiced quantity (BT-129).
    pub(crate) quantity: Decimal,
    /// UN/ECE Rec 20 unit code (BT-130).
    pub(crate) unit_code: String,
    /// Net price of one unit (BT-146 over the base quantity BT-149).
    pub(crate) net_price: Decimal,
    /// Line net amount (BT-131).
    pub(crate) line_net: Decimal,
    /// VAT category code (BT-151).
    pub(crate) vat_category: String,
    /// VAT rate in percent (BT-152; 0 when absent).
    pub(crate) vat_rate: Decimal,
}

/// One VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceivedVat {
    /// Category code (BT-118).
    pub(crate) category: String,
    /// Rate in percent (BT-119).
    pub(crate) rate: Decimal,
    /// Taxable amount (BT-116).
    pub(crate) basis: Decimal,
    /// VAT amount (BT-117).
    pub(crate) vat: Decimal,
    /// Exemption reason text (BT-120).
    pub(crate) exemption_reason: String,
}

/// The document totals (BG-22).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReceivedTotals {
    /// Sum of line net amounts (BT-106).
    pub(crate) line_total: Decimal,
    /// Sum of document-level allowances (BT-107).
    pub(crate) allowances: Decimal,
    /// Sum of document-level charges (BT-108).
    pub(crate) charges: Decimal,
    /// Total without VAT (BT-109).
    pub(crate) tax_basis: Decimal,
    /// Total VAT (BT-110).
    pub(crate) vat_total: Decimal,
    /// Total with VAT (BT-112).
    pub(crate) grand_total: Decimal,
}

/// An invoice as a supplier's file states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceivedInvoice {
    /// The specification identifier (BT-24).
    pub(crate) specification: String,
    /// Invoice or credit note (BT-3).
    pub(crate) kind: InvoiceKind,
    /// The supplier's number (BT-1).
    pub(crate) number: String,
    /// Issue date (BT-2).
    pub(crate) issue_date: NaiveDate,
    /// Due date (BT-9).
    pub(crate) due_date: Option<NaiveDate>,
    /// Currency (BT-5).
    pub(crate) currency: String,
    /// The seller: the supplier (BG-4).
    pub(crate) seller: ReceivedParty,
    /// The buyer (BG-7).
    pub(crate) buyer: ReceivedParty,
    /// The lines.
    pub(crate) lines: Vec<ReceivedLine>,
    /// VAT per category and rate.
    pub(crate) vat_breakdown: Vec<ReceivedVat>,
    /// Totals.
    pub(crate) totals: ReceivedTotals,
}

/// Why a file is refused. Each reads after "the file": "the file has no invoice line".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    /// Larger than the configured limit.
    #[error("is {size} bytes, more than the {max}-byte limit on imported files")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Sent in a request larger than the limit allows, refused before it is read.
    #[error("comes in a request of {size} bytes, more than the {max}-byte limit on imported files")]
    RequestTooLarge {
        /// The request's size as its header declares it.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Neither a PDF nor an XML document.
    #[error("is neither a PDF nor an XML document: import a Factur-X PDF, a CII XML or a UBL XML")]
    UnknownFormat,
    /// A PDF that cannot be read.
    #[error("is a PDF that cannot be read: {0}")]
    UnreadablePdf(String),
    /// A PDF with no invoice XML inside.
    #[error(
        "is a PDF without an embedded factur-x.xml, zugferd-invoice.xml or xrechnung.xml: \
         not a Factur-X invoice"
    )]
    NoEmbeddedInvoice,
    /// XML not in UTF-8.
    #[error("is an XML document not encoded in UTF-8")]
    NotUtf8,
    /// XML that is not well-formed.
    #[error("is not well-formed XML: {0}")]
    MalformedXml(String),
    /// XML of another kind.
    #[error(
        "is an XML document whose root is <{root}> ({namespace}), neither a CII \
         CrossIndustryInvoice nor a UBL Invoice or CreditNote: not an invoice"
    )]
    NotAnInvoice {
        /// The root's local name.
        root: String,
        /// Its namespace.
        namespace: String,
    },
    /// A specification identifier other than EN 16931's.
    #[error(
        "declares the specification {specification:?}, which is not EN 16931 (EN 16931 \
         BR-01; Factur-X MINIMUM and BASIC WL profiles carry no lines and are not invoices)"
    )]
    NotEn16931 {
        /// BT-24 as given (empty when absent).
        specification: String,
    },
    /// A required term missing.
    #[error("lacks {term} (EN 16931 {rule})")]
    Missing {
        /// The business term, e.g. "the invoice number (BT-1)".
        term: &'static str,
        /// The rule requiring it.
        rule: &'static str,
    },
    /// A term that does not parse.
    #[error("has {term} {value:?}, which is not {expected}")]
    BadValue {
        /// The business term.
        term: String,
        /// The value as given.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A document type other than invoice and credit note.
    #[error(
        "has the document type code {code} (BT-3); only 380 (invoice) and 381 (credit note) \
         are read"
    )]
    UnsupportedType {
        /// The code.
        code: String,
    },
    /// A credit note, which no purchase document records yet.
    #[error(
        "is a credit note (type code 381); a supplier's credit note cannot be recorded as a \
         purchase invoice"
    )]
    CreditNote,
    /// Another currency than the euro.
    #[error("is in {code} (BT-5); only invoices in EUR are recorded")]
    Currency {
        /// The currency code.
        code: String,
    },
    /// No line.
    #[error("has no invoice line (EN 16931 BR-16)")]
    NoLines,
    /// Σ line nets ≠ line total.
    #[error(
        "does not add up: the line net amounts sum to {lines} but the sum of line net \
         amounts (BT-106) says {stated} (EN 16931 BR-CO-10)"
    )]
    LineTotal {
        /// The sum of the lines.
        lines: Decimal,
        /// BT-106.
        stated: Decimal,
    },
    /// Tax basis ≠ lines − allowances + charges.
    #[error(
        "does not add up: the total without VAT (BT-109) is {stated} but the lines less \
         allowances plus charges make {expected} (EN 16931 BR-CO-13)"
    )]
    TaxBasis {
        /// What the lines make.
        expected: Decimal,
        /// BT-109.
        stated: Decimal,
    },
    /// VAT total ≠ Σ breakdown.
    #[error(
        "does not add up: the VAT total (BT-110) is {stated} but the VAT breakdown sums to \
         {breakdown} (EN 16931 BR-CO-14)"
    )]
    VatTotal {
        /// The breakdown's sum.
        breakdown: Decimal,
        /// BT-110.
        stated: Decimal,
    },
    /// Grand total ≠ basis + VAT.
    #[error(
        "does not add up: the total with VAT (BT-112) is {stated} but the total without VAT \
         plus the VAT make {expected} (EN 16931 BR-CO-15)"
    )]
    GrandTotal {
        /// Basis + VAT.
        expected: Decimal,
        /// BT-112.
        stated: Decimal,
    },
    /// A breakdown's VAT ≠ basis × rate.
    #[error(
        "does not add up: the VAT at {rate} % is {stated} but {basis} × {rate} % is \
         {expected} (EN 16931 BR-CO-17)"
    )]
    BreakdownVat {
        /// The rate.
        rate: Decimal,
        /// BT-116.
        basis: Decimal,
        /// BT-117.
        stated: Decimal,
        /// basis × rate, rounded to the cent.
        expected: Decimal,
    },
    /// A breakdown's basis ≠ the lines at its category and rate.
    #[error(
        "does not add up: the taxable amount at {rate} % (category {category}) is {stated} \
         but its lines sum to {lines} (EN 16931 BR-{category}-08)"
    )]
    BreakdownBasis {
        /// The category.
        category: String,
        /// The rate.
        rate: Decimal,
        /// The lines' sum.
        lines: Decimal,
        /// BT-116 (0 when the breakdown is missing).
        stated: Decimal,
    },
    /// Document-level allowances or charges.
    #[error(
        "carries document-level allowances or charges (BG-20, BG-21), which a purchase \
         invoice cannot record"
    )]
    AllowancesCharges,
    /// A line whose net exceeds quantity × price.
    #[error(
        "has line {line} whose net amount {net} is more than its quantity × net price \
         {gross}: line charges cannot be recorded"
    )]
    LineCharge {
        /// 1-based line.
        line: usize,
        /// BT-131.
        net: Decimal,
        /// quantity × price.
        gross: Decimal,
    },
    /// A quantity or price with too many decimals.
    #[error("has line {line} whose {term} {value} has more than {max} decimals")]
    Precision {
        /// 1-based line.
        line: usize,
        /// "quantity" or "net price".
        term: &'static str,
        /// The value.
        value: Decimal,
        /// Decimals kept.
        max: u32,
    },
    /// Billing's computation differs from the breakdown.
    #[error(
        "has a VAT breakdown billing does not find from its lines: at {rate} % billing \
         computes {basis} taxed {vat}, the file says {stated_basis} taxed {stated_vat}"
    )]
    Disagrees {
        /// The rate.
        rate: Decimal,
        /// Billing's basis.
        basis: Decimal,
        /// Billing's VAT.
        vat: Decimal,
        /// The file's basis.
        stated_basis: Decimal,
        /// The file's VAT.
        stated_vat: Decimal,
    },
    /// Addressed to someone else.
    #[error("is addressed to another buyer ({named}), not to this company")]
    OtherBuyer {
        /// What the file names.
        named: String,
    },
    /// A seller identity that cannot make a supplier.
    #[error("names a seller that cannot be recorded as a supplier: {0}")]
    Supplier(String),
}

/// Reads `bytes` as a supplier's e-invoice no larger than `max_bytes`: recognises the
/// format, extracts the XML from a PDF, reads and checks the invoice.
pub(crate) fn read(bytes: &[u8], max_bytes: usize) -> Result<(Format, ReceivedInvoice), Refusal> {
    if bytes.len() > max_bytes {
        return Err(Refusal::TooLarge {
            size: bytes.len(),
            max: max_bytes,
        });
    }
    let (format, xml) = if bytes.starts_with(b"%PDF-") {
        (Format::FacturX, pdf::embedded_invoice(bytes, max_bytes)?)
    } else if looks_like_xml(bytes) {
        (Format::Cii, bytes.to_vec())
    } else {
        return Err(Refusal::UnknownFormat);
    };
    let text = std::str::from_utf8(xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&xml))
        .map_err(|_| Refusal::NotUtf8)?;
    let root = xml::parse(text).map_err(|err| Refusal::MalformedXml(err.to_string()))?;
    let (format, invoice) = match (root.namespace.as_str(), root.name.as_str()) {
        (cii::NAMESPACE, "CrossIndustryInvoice") => (format, cii::read(&root)?),
        (ubl::INVOICE_NAMESPACE, "Invoice") | (ubl::CREDIT_NOTE_NAMESPACE, "CreditNote")
            if format != Format::FacturX =>
        {
            (Format::Ubl, ubl::read(&root)?)
        }
        _ => {
            return Err(Refusal::NotAnInvoice {
                root: root.name.clone(),
                namespace: root.namespace.clone(),
            });
        }
    };
    invoice.check()?;
    Ok((format, invoice))
}

/// Whether `bytes` start like an XML document (after a BOM and whitespace).
fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

impl ReceivedInvoice {
    /// The EN 16931 arithmetic the file must satisfy, and what billing can record.
    pub(crate) fn check(&self) -> Result<(), Refusal> {
        if self.kind == InvoiceKind::CreditNote {
            return Err(Refusal::CreditNote);
        }
        if self.currency != "EUR" {
            return Err(Refusal::Currency {
                code: self.currency.clone(),
            });
        }
        if self.lines.is_empty() {
            return Err(Refusal::NoLines);
        }
        let totals = &self.totals;
        let lines: Decimal = self.lines.iter().map(|l| l.line_net).sum();
        if lines != totals.line_total {
            return Err(Refusal::LineTotal {
                lines,
                stated: totals.line_total,
            });
        }
        let expected = totals.line_total - totals.allowances + totals.charges;
        if expected != totals.tax_basis {
            return Err(Refusal::TaxBasis {
                expected,
                stated: totals.tax_basis,
            });
        }
        let breakdown: Decimal = self.vat_breakdown.iter().map(|v| v.vat).sum();
        if breakdown != totals.vat_total {
            return Err(Refusal::VatTotal {
                breakdown,
                stated: totals.vat_total,
            });
        }
        let expected = totals.tax_basis + totals.vat_total;
        if expected != totals.grand_total {
            return Err(Refusal::GrandTotal {
                expected,
                stated: totals.grand_total,
            });
        }
        for vat in &self.vat_breakdown {
            let expected = round_half_up(vat.basis * vat.rate / Decimal::ONE_HUNDRED, 2);
            if expected != vat.vat {
                return Err(Refusal::BreakdownVat {
                    rate: vat.rate.normalize(),
                    basis: vat.basis,
                    stated: vat.vat,
                    expected,
                });
            }
        }
        if !totals.allowances.is_zero() || !totals.charges.is_zero() {
            return Err(Refusal::AllowancesCharges);
        }
        // Each breakdown's basis is the sum of its lines (BR-S-08, BR-E-08, …: true
        // without document-level allowances and charges, refused above).
        let mut per_key: BTreeMap<(String, Decimal), Decimal> = BTreeMap::new();
        for line in &self.lines {
            *per_key
                .entry((line.vat_category.clone(), line.vat_rate.normalize()))
                .or_default() += line.line_net;
        }
        for ((category, rate), lines) in &per_key {
            let stated = self
                .vat_breakdown
                .iter()
                .filter(|v| &v.category == category && v.rate.normalize() == *rate)
                .map(|v| v.basis)
                .sum::<Decimal>();
            if stated != *lines {
                return Err(Refusal::BreakdownBasis {
                    category: category.clone(),
                    rate: *rate,
                    lines: *lines,
                    stated,
                });
            }
        }
        if let Some(extra) = self.vat_breakdown.iter().find(|v| {
            !per_key.contains_key(&(v.category.clone(), v.rate.normalize())) && !v.basis.is_zero()
        }) {
            return Err(Refusal::BreakdownBasis {
                category: extra.category.clone(),
                rate: extra.rate.normalize(),
                lines: Decimal::ZERO,
                stated: extra.basis,
            });
        }
        let lines = self.lines()?;
        self.agrees_with(&Totals::of(&lines))
    }

    /// The lines as billing records them: the net price as unit price and whatever the
    /// line net leaves off quantity × price as a discount, so billing's own line net
    /// (quantity × price − discount, rounded once) is the file's.
    pub(crate) fn lines(&self) -> Result<Vec<Line>, Refusal> {
        let mut lines = Vec::with_capacity(self.lines.len());
        for (index, received) in self.lines.iter().enumerate() {
            let number = index + 1;
            let quantity = received.quantity.normalize();
            let price = received.net_price.normalize();
            if quantity.scale() > QUANTITY_SCALE {
                return Err(Refusal::Precision {
                    line: number,
                    term: "quantity",
                    value: quantity,
                    max: QUANTITY_SCALE,
                });
            }
            if price.scale() > PRICE_SCALE {
                return Err(Refusal::Precision {
                    line: number,
                    term: "net price",
                    value: price,
                    max: PRICE_SCALE,
                });
            }
            let gross = round_half_up(quantity * price, 2);
            let discount = gross - received.line_net;
            if discount.is_sign_negative() && !discount.is_zero() {
                return Err(Refusal::LineCharge {
                    line: number,
                    net: received.line_net,
                    gross,
                });
            }
            lines.push(Line {
                item_id: None,
                description: received.description.clone(),
                quantity,
                unit: unit_of(&received.unit_code).to_owned(),
                unit_price: price,
                discount: discount.max(Decimal::ZERO),
                vat_rate: received.vat_rate.normalize(),
            });
        }
        Ok(lines)
    }

    /// Refused unless billing's VAT per rate from the lines is the file's breakdown.
    fn agrees_with(&self, totals: &Totals) -> Result<(), Refusal> {
        for ours in &totals.vat_amounts {
            let (stated_basis, stated_vat) = self
                .vat_breakdown
                .iter()
                .filter(|v| v.rate.normalize() == ours.rate)
                .fold((Decimal::ZERO, Decimal::ZERO), |(b, t), v| {
                    (b + v.basis, t + v.vat)
                });
            if stated_basis != ours.taxable_amount || stated_vat != ours.vat_amount {
                return Err(Refusal::Disagrees {
                    rate: ours.rate,
                    basis: ours.taxable_amount,
                    vat: ours.vat_amount,
                    stated_basis,
                    stated_vat,
                });
            }
        }
        Ok(())
    }

    /// The exemption texts of the 0 % breakdowns, for the purchase invoice's mention.
    pub(crate) fn exemption(&self) -> String {
        let mut texts: Vec<&str> = self
            .vat_breakdown
            .iter()
            .map(|v| v.exemption_reason.as_str())
            .filter(|t| !t.is_empty())
            .collect();
        texts.dedup();
        texts.join("; ")
    }

    /// The supplier to create from the seller: a business with the file's identity.
    pub(crate) fn supplier(&self) -> Result<PartyInput, Refusal> {
        let seller = &self.seller;
        let input = PartyInput {
            kind: Some(PartyKind::Professional),
            name: seller.name.clone(),
            siren: seller
                .siren
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            vat_number: seller
                .vat_number
                .as_ref()
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            address: seller.address.clone(),
            ..PartyInput::default()
        };
        let mut violations = Violations::new();
        if input.parse(PartyRole::Supplier, &mut violations).is_none() {
            let reasons: Vec<String> = violations
                .into_iter()
                .map(|(field, reason)| format!("{field} {reason}"))
                .collect();
            return Err(Refusal::Supplier(reasons.join("; ")));
        }
        Ok(input)
    }
}

/// Refused when the file names a buyer (by SIREN or VAT number) that is not the company
/// with `siren` and `vat_number` (empty when unknown).
pub(crate) fn check_buyer(
    buyer: &ReceivedParty,
    siren: &str,
    vat_number: &str,
) -> Result<(), Refusal> {
    let named_siren = buyer.siren.as_ref().map(Siren::as_str);
    let named_vat = buyer.vat_number.as_ref().map(VatNumber::as_str);
    let siren_differs = named_siren.is_some_and(|named| named != siren);
    let vat_differs = named_vat.is_some_and(|named| !named.eq_ignore_ascii_case(vat_number));
    // A buyer named by both must be this company by one of them at least and contradict
    // it by neither that billing knows.
    if siren_differs || vat_differs {
        let named = [
            named_siren.map(|s| format!("SIREN {s}")),
            named_vat.map(|v| format!("VAT number {v}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        return Err(Refusal::OtherBuyer {
            named: format!("{} {named}", buyer.name).trim().to_owned(),
        });
    }
    Ok(())
}

/// Billing's unit for a UN/ECE Rec 20 code: the common ones in words, others as given.
fn unit_of(code: &str) -> &str {
    match code {
        "" | "C62" | "H87" | "EA" | "XPP" => "",
        "HUR" => "h",
        "DAY" => "jour",
        "MIN" => "min",
        "KGM" => "kg",
        "MTR" => "m",
        "LTR" => "l",
        "MTK" => "m²",
        "MON" => "mois",
        other => other,
    }
}

/// Reading helpers shared by the CII and UBL readers.
pub(crate) mod read {
    use std::str::FromStr;

    use chrono::NaiveDate;
    use comptoir_domain_types::legal::{Siren, Siret, VatNumber};
    use rust_decimal::Decimal;

    use super::Refusal;

    /// A decimal term; `Ok(None)` when empty.
    pub(crate) fn decimal(term: &str, text: &str) -> Result<Option<Decimal>, Refusal> {
        if text.is_empty() {
            return Ok(None);
        }
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map(Some)
            .map_err(|_| Refusal::BadValue {
                term: term.to_owned(),
                value: text.to_owned(),
                expected: "a decimal number",
            })
    }

    /// A required amount.
    pub(crate) fn amount(
        term: &'static str,
        rule: &'static str,
        text: &str,
    ) -> Result<Decimal, Refusal> {
        decimal(term, text)?.ok_or(Refusal::Missing { term, rule })
    }

    /// An optional amount, zero when absent.
    pub(crate) fn amount_or_zero(term: &str, text: &str) -> Result<Decimal, Refusal> {
        Ok(decimal(term, text)?.unwrap_or_default())
    }

    /// The element names of the document totals (BG-22) in one syntax; the sums of
    /// allowances and charges are named alike in both.
    pub(crate) struct TotalNames {
        /// BT-106.
        pub(crate) line_total: &'static str,
        /// BT-109.
        pub(crate) tax_basis: &'static str,
        /// BT-112.
        pub(crate) grand_total: &'static str,
    }

    /// The document totals under `sums`, named as `names` says, with the VAT total
    /// (BT-110) as each syntax finds it.
    pub(crate) fn totals(
        sums: &super::xml::Element,
        names: &TotalNames,
        vat_total: &str,
    ) -> Result<super::ReceivedTotals, Refusal> {
        Ok(super::ReceivedTotals {
            line_total: amount(
                "the sum of line net amounts (BT-106)",
                "BR-12",
                sums.text_at(&[names.line_total]),
            )?,
            allowances: amount_or_zero(
                "the sum of allowances (BT-107)",
                sums.text_at(&["AllowanceTotalAmount"]),
            )?,
            charges: amount_or_zero(
                "the sum of charges (BT-108)",
                sums.text_at(&["ChargeTotalAmount"]),
            )?,
            tax_basis: amount(
                "the total without VAT (BT-109)",
                "BR-13",
                sums.text_at(&[names.tax_basis]),
            )?,
            vat_total: amount_or_zero("the VAT total (BT-110)", vat_total)?,
            grand_total: amount(
                "the total with VAT (BT-112)",
                "BR-14",
                sums.text_at(&[names.grand_total]),
            )?,
        })
    }

    /// A date written `format` (chrono's), `Ok(None)` when empty.
    pub(crate) fn date(term: &str, text: &str, format: &str) -> Result<Option<NaiveDate>, Refusal> {
        if text.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(text, format)
            .map(Some)
            .map_err(|_| Refusal::BadValue {
                term: term.to_owned(),
                value: text.to_owned(),
                expected: "a date",
            })
    }

    /// The SIREN of a legal registration identifier: scheme 0002 is a SIREN, 0009 a SIRET;
    /// other schemes name none.
    pub(crate) fn siren_of_registration(
        term: &str,
        scheme: Option<&str>,
        id: &str,
    ) -> Result<Option<Siren>, Refusal> {
        let bad = |expected| Refusal::BadValue {
            term: term.to_owned(),
            value: id.to_owned(),
            expected,
        };
        match scheme {
            _ if id.is_empty() => Ok(None),
            Some("0002") => Siren::parse(id).map(Some).map_err(|_| bad("a valid SIREN")),
            Some("0009") => Siret::parse(id)
                .map(|s| Some(s.siren().clone()))
                .map_err(|_| bad("a valid SIRET")),
            _ => Ok(None),
        }
    }

    /// A VAT number, `Ok(None)` when empty.
    pub(crate) fn vat_number(term: &str, text: &str) -> Result<Option<VatNumber>, Refusal> {
        if text.is_empty() {
            return Ok(None);
        }
        VatNumber::parse(text)
            .map(Some)
            .map_err(|_| Refusal::BadValue {
                term: term.to_owned(),
                value: text.to_owned(),
                expected: "a valid intra-EU VAT number",
            })
    }

    /// The SIREN from the registration, else from a French VAT number.
    pub(crate) fn siren(registration: Option<Siren>, vat: Option<&VatNumber>) -> Option<Siren> {
        registration.or_else(|| {
            vat.and_then(|v| v.french_siren())
                .and_then(|s| Siren::parse(s).ok())
        })
    }

    /// The invoice type: 380 (and its commercial variants) or 381.
    pub(crate) fn kind(code: &str) -> Result<super::InvoiceKind, Refusal> {
        match code {
            "380" | "384" | "389" | "751" => Ok(super::InvoiceKind::Invoice),
            "381" => Ok(super::InvoiceKind::CreditNote),
            "" => Err(Refusal::Missing {
                term: "the invoice type code (BT-3)",
                rule: "BR-04",
            }),
            other => Err(Refusal::UnsupportedType {
                code: other.to_owned(),
            }),
        }
    }

    /// Refused unless BT-24 names EN 16931 (any CIUS or extension of it).
    pub(crate) fn specification(id: &str) -> Result<String, Refusal> {
        if id.starts_with("urn:cen.eu:en16931:2017") {
            Ok(id.to_owned())
        } else {
            Err(Refusal::NotEn16931 {
                specification: id.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests;
