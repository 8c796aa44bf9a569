//! The EN 16931 e-invoice of an issued invoice or credit note: what the printed invoice
//! ([`PrintedInvoice`]) becomes in the norm's terms ([`EInvoice`]: parties, lines with
//! their unit codes and VAT categories, the VAT breakdown, totals, payment), the rules
//! that refuse a document no receiver could accept ([`RuleBroken`], each naming the
//! EN 16931 rule), and its two syntaxes: UN/CEFACT CII D16B as Factur-X 1.07 carries it
//! ([`cii`], profiles BASIC, EN 16931 and EXTENDED) and OASIS UBL 2.1 ([`ubl`]).
//! Both are written with `quick-xml`, every text escaped by the writer.
//!
//! # Mapping
//!
//! - Type code (BT-3): 380 for an invoice, 381 for a credit note, which names the credited
//!   invoice's number and date (BG-3) when billing knows them. Amounts of a credit note
//!   are positive, as printed.
//! - Dates: issue date (BT-2); due date (BT-9) when billing set one; the payment terms
//!   (BT-20) say it in words ("Paiement à réception" without one, so BR-CO-25 holds); the
//!   delivery date (BT-72) is the issue date, billing keeping no separate date of sale.
//! - Seller (BG-4) and buyer (BG-7): name, SIREN as the legal registration identifier
//!   (BT-30 / BT-47, scheme `0002`), VAT number (BT-31 / BT-48, scheme `VA`), postal
//!   address with its country code. A seller with a SIREN and no country is French.
//! - Lines (BG-25): quantity (BT-129) with a UN/ECE Recommendation 20 unit code (BT-130)
//!   mapped from billing's free-text unit ([`unit_code`]: h/heure → HUR, jour → DAY,
//!   kg → KGM, …, C62 "one" when unknown), net price (BT-146), line net (BT-131), a
//!   discount as a line allowance (BG-27, reason code 95), VAT category (BT-151) and rate
//!   (BT-152).
//! - VAT category of a line ([`Category`]): `S` for a rate above 0, including an OSS
//!   distance sale to a consumer in another member state at that state's rate. At 0 %:
//!   `AE` reverse charge when the exemption mention says so ("autoliquidation", article
//!   283 or 196), `K` intra-community supply to a business of another member state that
//!   has a VAT number, `G` export to a customer outside the EU, else `E` exempt. `E`, `K`,
//!   `G` and `AE` carry the exemption text (BT-120: the printed mention, or a default
//!   per category) and a VATEX code (BT-121: VATEX-FR-FRANCHISE for article 293 B,
//!   VATEX-EU-IC, VATEX-EU-G, VATEX-EU-AE, VATEX-EU-132 otherwise).
//! - VAT breakdown (BG-23): one per category and rate, billing's own taxable amount and
//!   VAT of the rate (one rounding per rate, half-up), so the XML, the PDF and the VAT
//!   register agree to the cent.
//! - Totals (BG-22): sum of line nets, tax basis, VAT total, grand total and amount due,
//!   nothing prepaid, no document-level allowance or charge.
//! - Payment means (BG-16): code 58 (SEPA credit transfer) with the seller's IBAN and BIC
//!   when the seller's identity carries a bank account (the BIC left out of BASIC, which
//!   has no BT-86); left out otherwise.
//! - Notes (BG-1): the printed mentions, with their subject codes: PMD for the
//!   late-payment penalty, PMT for the 40 € recovery fee, AAB for no early-payment
//!   discount, and the exemption text without code.
//!
//! A document breaking a rule the generator relies on (BR-6/BR-7 names, BR-9/BR-11
//! countries, BR-10 the buyer's address, BR-16 a line, BR-S-02/BR-E-02/BR-G-02 the seller's
//! VAT number, BR-AE-02/BR-K-02 the buyer's VAT number, BR-S-08/BR-CO-10/BR-CO-14/BR-CO-15
//! the amounts adding up) is refused with every rule it breaks.

pub(crate) mod cii;
pub(crate) mod facturx;
pub(crate) mod ubl;
mod xml;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::documents::{PartyKind, PostalAddress};
use super::ledger::DocumentKind;
use super::pdf::{PrintedInvoice, mentions};

/// How much of EN 16931 a Factur-X XML carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Basic,
    En16931,
    Extended,
}

impl Profile {
    /// The specification identifier (BT-24) of the profile.
    pub(crate) fn guideline(self) -> &'static str {
        match self {
            Profile::Basic => "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
            Profile::En16931 => "urn:cen.eu:en16931:2017",
            Profile::Extended => "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
        }
    }

    /// The `fx:ConformanceLevel` of a Factur-X PDF's XMP metadata.
    pub(crate) fn conformance_level(self) -> &'static str {
        match self {
            Profile::Basic => "BASIC",
            Profile::En16931 => "EN 16931",
            Profile::Extended => "EXTENDED",
        }
    }
}

/// The XML syntax of an e-invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Cii,
    Ubl,
}

/// An EN 16931 rule a document breaks: the rule, the part of the document at fault and
/// why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {reason}")]
pub(crate) struct RuleBroken {
    pub(crate) rule: &'static str,
    /// Where in the document, e.g. `buyer.address.country_code`, `lines[2].vat_rate`.
    pub(crate) field: String,
    pub(crate) reason: String,
}

/// Every rule a document breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the document cannot be a valid EN 16931 e-invoice: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub(crate) struct NotAnEInvoice(pub(crate) Vec<RuleBroken>);

/// The XML could not be written (never expected: the writer writes to memory).
#[derive(Debug, thiserror::Error)]
#[error("the e-invoice XML could not be written: {0}")]
pub(crate) struct WriteError(#[from] std::io::Error);

/// The VAT category of a line or a breakdown (UNTDID 5305).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Category {
    /// Standard rate.
    S,
    /// Exempt from VAT.
    E,
    /// Intra-community supply.
    K,
    /// Export outside the EU.
    G,
    /// Reverse charge.
    Ae,
}

impl Category {
    /// Its code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Category::S => "S",
            Category::E => "E",
            Category::K => "K",
            Category::G => "G",
            Category::Ae => "AE",
        }
    }
}

/// A party of the e-invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Party {
    pub(crate) name: String,
    /// SIREN (scheme 0002); empty when unknown.
    pub(crate) siren: String,
    /// VAT number; empty when none.
    pub(crate) vat_number: String,
    pub(crate) address: PostalAddress,
}

/// A bank account to pay into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PayeeAccount {
    pub(crate) iban: String,
    /// Empty when unknown.
    pub(crate) bic: String,
}

/// A line of the e-invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) quantity: Decimal,
    /// UN/ECE Recommendation 20.
    pub(crate) unit_code: &'static str,
    pub(crate) net_price: Decimal,
    /// A discount in currency, positive; zero when none.
    pub(crate) allowance: Decimal,
    pub(crate) net_amount: Decimal,
    pub(crate) category: Category,
    pub(crate) rate: Decimal,
}

/// One VAT breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Breakdown {
    pub(crate) category: Category,
    pub(crate) rate: Decimal,
    pub(crate) taxable: Decimal,
    pub(crate) vat: Decimal,
    /// For a category other than `S`: the exemption text and VATEX code.
    pub(crate) exemption: Option<(String, &'static str)>,
}

/// A note and its subject code (UNTDID 4451), empty when none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    pub(crate) text: String,
    pub(crate) subject: &'static str,
}

/// An issued invoice or credit note in EN 16931's terms, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EInvoice {
    pub(crate) number: String,
    pub(crate) credit_note: bool,
    pub(crate) issue_date: NaiveDate,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) payment_terms: String,
    pub(crate) delivery_date: NaiveDate,
    pub(crate) currency: String,
    pub(crate) notes: Vec<Note>,
    /// The credited invoice's number and date, for a credit note naming one.
    pub(crate) preceding: Option<(String, Option<NaiveDate>)>,
    pub(crate) seller: Party,
    pub(crate) buyer: Party,
    /// The delivery country (BT-80), for an intra-community supply.
    pub(crate) ship_to_country: Option<String>,
    pub(crate) payee: Option<PayeeAccount>,
    pub(crate) lines: Vec<Line>,
    pub(crate) breakdown: Vec<Breakdown>,
    pub(crate) line_total: Decimal,
    pub(crate) tax_basis: Decimal,
    pub(crate) vat_total: Decimal,
    pub(crate) grand_total: Decimal,
    pub(crate) due_payable: Decimal,
}

/// The ISO 3166 codes of the EU member states, sorted.
const EU: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

fn in_eu(country: &str) -> bool {
    EU.binary_search(&country).is_ok()
}

/// The UN/ECE Recommendation 20 code of billing's free-text unit; C62 ("one") for what
/// it does not recognise.
pub(crate) fn unit_code(unit: &str) -> &'static str {
    let unit = unit.trim().trim_end_matches('.').to_lowercase();
    match unit.as_str() {
        "h" | "hr" | "hrs" | "heure" | "heures" | "hour" | "hours" => "HUR",
        "min" | "minute" | "minutes" => "MIN",
        "j" | "jour" | "jours" | "day" | "days" | "journée" | "journées" => "DAY",
        "semaine" | "semaines" | "week" | "weeks" => "WEE",
        "mois" | "month" | "months" => "MON",
        "an" | "ans" | "année" | "années" | "year" | "years" => "ANN",
        "kg" | "kilo" | "kilos" | "kilogramme" | "kilogrammes" => "KGM",
        "g" | "gramme" | "grammes" => "GRM",
        "t" | "tonne" | "tonnes" => "TNE",
        "l" | "litre" | "litres" => "LTR",
        "cl" | "centilitre" | "centilitres" => "CLT",
        "ml" | "millilitre" | "millilitres" => "MLT",
        "m" | "mètre" | "mètres" | "metre" | "metres" => "MTR",
        "km" | "kilomètre" | "kilomètres" => "KMT",
        "m2" | "m²" | "mètre carré" | "mètres carrés" => "MTK",
        "m3" | "m³" | "mètre cube" | "mètres cubes" => "MTQ",
        "kwh" => "KWH",
        "forfait" | "forfaits" | "lot" | "lots" => "LS",
        "pièce" | "pièces" | "piece" | "pieces" | "pce" | "pc" => "H87",
        _ => "C62",
    }
}

/// The category of a zero-rated line of `invoice`, and its exemption text and code.
fn zero_rated(invoice: &PrintedInvoice, seller_country: &str) -> (Category, String, &'static str) {
    let document = &invoice.document;
    let mention = document.details.vat_exemption.trim().to_owned();
    let lower = mention.to_lowercase();
    let buyer_country = document.party_country.as_str();
    let text = |default: &str| {
        if mention.is_empty() {
            default.to_owned()
        } else {
            mention.clone()
        }
    };
    if lower.contains("autoliquidation")
        || lower.contains("reverse charge")
        || lower.contains("283")
        || lower.contains("196 de la directive")
    {
        (
            Category::Ae,
            text("Autoliquidation (article 283-2 du CGI)"),
            "VATEX-EU-AE",
        )
    } else if document.party_kind == PartyKind::Professional
        && in_eu(buyer_country)
        && buyer_country != seller_country
        && !document.party_vat_number.is_empty()
    {
        (
            Category::K,
            text("Exonération de TVA, article 262 ter I du CGI"),
            "VATEX-EU-IC",
        )
    } else if !buyer_country.is_empty() && !in_eu(buyer_country) {
        (
            Category::G,
            text("Exonération de TVA, article 262 I du CGI"),
            "VATEX-EU-G",
        )
    } else if lower.contains("293 b") {
        (Category::E, mention, "VATEX-FR-FRANCHISE")
    } else {
        (Category::E, text("Exonération de TVA"), "VATEX-EU-132")
    }
}

fn cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The note subject code of a printed mention.
fn subject_of(mention: &str) -> &'static str {
    if mention.starts_with("En cas de retard de paiement") {
        "PMD"
    } else if mention.starts_with("Indemnité forfaitaire") {
        "PMT"
    } else if mention.starts_with("Pas d'escompte") {
        "AAB"
    } else {
        ""
    }
}

/// `invoice` in EN 16931's terms, or every rule it breaks.
pub(crate) fn prepare(invoice: &PrintedInvoice) -> Result<EInvoice, NotAnEInvoice> {
    let document = &invoice.document;
    let seller = &invoice.seller;
    let mut broken = Vec::new();
    let mut rule = |rule: &'static str, field: &str, reason: &str| {
        broken.push(RuleBroken {
            rule,
            field: field.to_owned(),
            reason: reason.to_owned(),
        });
    };

    let mut seller_address = seller.address.clone();
    if seller_address.country_code.is_empty() && !seller.siren.is_empty() {
        seller_address.country_code = "FR".to_owned();
    }
    let seller_country = seller_address.country_code.clone();
    if seller.legal_name.trim().is_empty() {
        rule("BR-6", "seller.legal_name", "the seller's name is required");
    }
    if seller_country.is_empty() {
        rule(
            "BR-9",
            "seller.address.country_code",
            "the seller's country code is required",
        );
    }
    let mut buyer_address = document.details.party_address.clone();
    buyer_address
        .country_code
        .clone_from(&document.party_country);
    if document.party_name.trim().is_empty() {
        rule("BR-7", "buyer.name", "the buyer's name is required");
    }
    if buyer_address == PostalAddress::default() {
        rule(
            "BR-10",
            "buyer.address",
            "the buyer's postal address is required",
        );
    } else if buyer_address.country_code.is_empty() {
        rule(
            "BR-11",
            "buyer.address.country_code",
            "the buyer's country code is required",
        );
    }
    if document.details.lines.is_empty() {
        rule("BR-16", "lines", "an invoice needs at least one line");
    }

    let zero = zero_rated(invoice, &seller_country);
    let mut lines = Vec::new();
    for (index, printed) in document.details.lines.iter().enumerate() {
        let category = if printed.vat_rate.is_zero() {
            zero.0
        } else {
            Category::S
        };
        if printed.vat_rate < Decimal::ZERO {
            rule(
                "BR-S-05",
                &format!("lines[{index}].vat_rate"),
                "a VAT rate cannot be negative",
            );
        }
        lines.push(Line {
            id: printed.line_number.to_string(),
            name: printed.description.clone(),
            quantity: printed.quantity,
            unit_code: unit_code(&printed.unit),
            net_price: printed.unit_price,
            allowance: printed.discount,
            net_amount: printed.net_amount,
            category,
            rate: printed.vat_rate,
        });
    }

    // The seller's and buyer's VAT numbers each category needs.
    let categories: Vec<Category> = {
        let mut all: Vec<Category> = lines.iter().map(|line| line.category).collect();
        all.sort();
        all.dedup();
        all
    };
    if seller.vat_number.is_empty() {
        for category in &categories {
            let rule_name = match category {
                Category::S => "BR-S-02",
                Category::E => "BR-E-02",
                Category::K => "BR-K-02",
                Category::G => "BR-G-02",
                Category::Ae => "BR-AE-02",
            };
            rule(
                rule_name,
                "seller.vat_number",
                &format!(
                    "the seller's VAT number is required on an invoice with VAT category {}",
                    category.code()
                ),
            );
        }
    }
    if document.party_vat_number.is_empty() {
        if categories.contains(&Category::K) {
            rule(
                "BR-K-02",
                "buyer.vat_number",
                "the buyer's VAT number is required for an intra-community supply",
            );
        }
        if categories.contains(&Category::Ae) && document.details.party_siren.is_empty() {
            rule(
                "BR-AE-02",
                "buyer.vat_number",
                "the buyer's VAT number or legal registration is required for a reverse charge",
            );
        }
    }

    // The breakdown: billing's VAT per rate, checked against the lines.
    let mut breakdown = Vec::new();
    for (index, vat) in document.vat.iter().enumerate() {
        let at_rate: Vec<&Line> = lines.iter().filter(|l| l.rate == vat.rate).collect();
        let category = if vat.rate.is_zero() {
            zero.0
        } else {
            Category::S
        };
        let nets: Decimal = at_rate.iter().map(|l| l.net_amount).sum();
        if nets != vat.taxable_amount {
            rule(
                "BR-S-08",
                &format!("vat[{index}].taxable_amount"),
                &format!(
                    "the taxable amount at {} % ({}) is not the sum of its lines ({nets})",
                    vat.rate, vat.taxable_amount
                ),
            );
        }
        let expected = cents(vat.taxable_amount * vat.rate / Decimal::ONE_HUNDRED);
        if expected != vat.vat_amount {
            rule(
                "BR-CO-17",
                &format!("vat[{index}].vat_amount"),
                &format!(
                    "the VAT at {} % ({}) is not its taxable amount times the rate ({expected})",
                    vat.rate, vat.vat_amount
                ),
            );
        }
        breakdown.push(Breakdown {
            category,
            rate: vat.rate,
            taxable: vat.taxable_amount,
            vat: vat.vat_amount,
            exemption: (category != Category::S).then(|| (zero.1.clone(), zero.2)),
        });
    }
    for line in &lines {
        if !breakdown.iter().any(|b| b.rate == line.rate) {
            rule(
                "BR-CO-18",
                "vat",
                &format!("no VAT breakdown for the lines at {} %", line.rate),
            );
            break;
        }
    }

    let line_total: Decimal = lines.iter().map(|l| l.net_amount).sum();
    let vat_total: Decimal = breakdown.iter().map(|b| b.vat).sum();
    if line_total != document.net_total {
        rule(
            "BR-CO-10",
            "net_total",
            &format!(
                "the net total ({}) is not the sum of the lines ({line_total})",
                document.net_total
            ),
        );
    }
    if vat_total != document.vat_total {
        rule(
            "BR-CO-14",
            "vat_total",
            &format!(
                "the VAT total ({}) is not the sum of the VAT per rate ({vat_total})",
                document.vat_total
            ),
        );
    }
    if document.net_total + document.vat_total != document.gross_total {
        rule(
            "BR-CO-15",
            "gross_total",
            &format!(
                "the gross total ({}) is not the net total plus VAT ({})",
                document.gross_total,
                document.net_total + document.vat_total
            ),
        );
    }
    if !broken.is_empty() {
        return Err(NotAnEInvoice(broken));
    }

    let payment_terms = match document.due_date {
        Some(due) => format!("Paiement au plus tard le {}", due.format("%d/%m/%Y")),
        None => "Paiement à réception".to_owned(),
    };
    let notes = mentions(invoice)
        .into_iter()
        .map(|text| Note {
            subject: subject_of(&text),
            text,
        })
        .collect();
    let credit_note = document.kind == DocumentKind::CreditNote;
    let preceding = (credit_note && !document.details.credited_number.is_empty()).then(|| {
        (
            document.details.credited_number.clone(),
            document.details.credited_date,
        )
    });
    Ok(EInvoice {
        number: document.number.clone(),
        credit_note,
        issue_date: document.date,
        due_date: document.due_date,
        payment_terms,
        delivery_date: document.date,
        currency: if document.details.currency_code.is_empty() {
            "EUR".to_owned()
        } else {
            document.details.currency_code.clone()
        },
        notes,
        preceding,
        seller: Party {
            name: seller.legal_name.clone(),
            siren: seller.siren.clone(),
            vat_number: seller.vat_number.clone(),
            address: seller_address,
        },
        ship_to_country: categories
            .contains(&Category::K)
            .then(|| buyer_address.country_code.clone()),
        buyer: Party {
            name: document.party_name.clone(),
            siren: document.details.party_siren.clone(),
            vat_number: document.party_vat_number.clone(),
            address: buyer_address,
        },
        payee: seller.bank_account.as_ref().map(|account| PayeeAccount {
            iban: account.iban.as_str().to_owned(),
            bic: account
                .bic
                .as_ref()
                .map(|bic| bic.as_str().to_owned())
                .unwrap_or_default(),
        }),
        lines,
        breakdown,
        line_total,
        tax_basis: document.net_total,
        vat_total: document.vat_total,
        grand_total: document.gross_total,
        due_payable: document.gross_total,
    })
}

/// An amount with two decimals, as both syntaxes write it: "1234.50".
pub(crate) fn amount(value: Decimal) -> String {
    comptoir_domain_types::amount::format(value, 2)
}

/// A quantity, price or rate without trailing zeros: "1", "12.5".
pub(crate) fn plain(value: Decimal) -> String {
    comptoir_domain_types::amount::format_plain(value)
}

/// `invoice` as an e-invoice in `syntax` (the profile counts for CII only).
pub(crate) fn write(
    invoice: &PrintedInvoice,
    syntax: Syntax,
    profile: Profile,
) -> Result<Vec<u8>, EInvoiceError> {
    let einvoice = prepare(invoice)?;
    Ok(match syntax {
        Syntax::Cii => cii::write(&einvoice, profile)?,
        Syntax::Ubl => ubl::write(&einvoice)?,
    })
}

/// Why an e-invoice could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EInvoiceError {
    #[error(transparent)]
    Invalid(#[from] NotAnEInvoice),
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<std::io::Error> for EInvoiceError {
    fn from(err: std::io::Error) -> Self {
        EInvoiceError::Write(WriteError(err))
    }
}

#[cfg(test)]
pub(crate) mod tests;
