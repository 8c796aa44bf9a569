//! VAT rates: which rates a sale may use. French sales use the French rates (0 only with
//! an exemption or reverse-charge mention); a sale to a private person living in another
//! EU country is a distance sale taxed at that country's rates (the One-Stop Shop, OSS).
//! The rates are data, kept in this one table. Each line of an invoice also has a VAT
//! category ([`VatCategory`]), what its e-invoice states (EN 16931 BT-151) and what the
//! rules checked at issuance depend on.

use std::str::FromStr;

use rust_decimal::Decimal;

/// The French rates, in percent.
pub const FRENCH_RATES: [&str; 5] = ["20", "10", "5.5", "2.1", "0"];

/// Standard and reduced rates of the other EU member states (ISO country codes), in
/// percent, for OSS sales.
const EU_RATES: [(&str, &[&str]); 26] = [
    ("AT", &["20", "13", "10"]),
    ("BE", &["21", "12", "6"]),
    ("BG", &["20", "9"]),
    ("CY", &["19", "9", "5", "3"]),
    ("CZ", &["21", "12"]),
    ("DE", &["19", "7"]),
    ("DK", &["25"]),
    ("EE", &["24", "13", "9"]),
    ("ES", &["21", "10", "4"]),
    ("FI", &["25.5", "14", "13.5", "10"]),
    ("GR", &["24", "13", "6"]),
    ("HR", &["25", "13", "5"]),
    ("HU", &["27", "18", "5"]),
    ("IE", &["23", "13.5", "9", "4.8"]),
    ("IT", &["22", "10", "5", "4"]),
    ("LT", &["21", "12", "9", "5"]),
    ("LU", &["17", "14", "8", "3"]),
    ("LV", &["21", "12", "5"]),
    ("MT", &["18", "7", "5"]),
    ("NL", &["21", "9"]),
    ("PL", &["23", "8", "5"]),
    ("PT", &["23", "13", "6"]),
    ("RO", &["21", "11"]),
    ("SE", &["25", "12", "6"]),
    ("SI", &["22", "9.5", "5"]),
    ("SK", &["23", "19", "5"]),
];

/// Which rates apply to a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regime {
    /// French VAT: the French rates.
    Domestic,
    /// A B2C distance sale to another EU country: that country's rates.
    Oss {
        /// The customer's country.
        country: &'static str,
    },
}

impl Regime {
    /// The regime of a sale to a customer of this kind in this country.
    pub fn of_sale(private_customer: bool, country_code: &str) -> Self {
        if private_customer
            && let Some((country, _)) = EU_RATES.iter().find(|(c, _)| *c == country_code)
        {
            return Regime::Oss { country };
        }
        Regime::Domestic
    }

    /// Whether the regime is an OSS sale.
    pub fn is_oss(&self) -> bool {
        matches!(self, Regime::Oss { .. })
    }

    /// The rates this regime allows.
    pub fn rates(&self) -> &'static [&'static str] {
        match self {
            Regime::Domestic => &FRENCH_RATES,
            Regime::Oss { country } => EU_RATES
                .iter()
                .find(|(c, _)| c == country)
                .map(|(_, rates)| *rates)
                .unwrap_or(&FRENCH_RATES),
        }
    }

    /// Checks a rate; the error completes "`vat_rate` …".
    pub fn check(&self, rate: Decimal) -> Result<(), String> {
        let allowed = self.rates();
        if allowed
            .iter()
            .any(|r| Decimal::from_str(r).is_ok_and(|r| r == rate))
        {
            return Ok(());
        }
        Err(match self {
            Regime::Domestic => format!("must be a French VAT rate: one of {}", allowed.join(", ")),
            Regime::Oss { country } => format!(
                "must be a VAT rate of {country}, the private customer's country (OSS sale): one of {}",
                allowed.join(", ")
            ),
        })
    }
}

/// Whether `country_code` is an EU member state other than France, where billing's
/// sellers are.
pub fn other_member_state(country_code: &str) -> bool {
    EU_RATES.iter().any(|(c, _)| *c == country_code)
}

/// The VAT category of an invoice line (UNTDID 5305, EN 16931 BT-151), derived as export's
/// e-invoice writer derives it: a rate above 0 is standard (`S`, an OSS sale included);
/// at 0 %, reverse charge (`AE`) when the exemption mention says so, an intra-community
/// supply (`K`) to a business in another member state, an export (`G`) to a customer
/// outside the EU, exempt (`E`) otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VatCategory {
    /// `S`: standard rated.
    Standard,
    /// `E`: exempt from VAT.
    Exempt,
    /// `AE`: VAT reverse charge, the buyer accounts for it.
    ReverseCharge,
    /// `K`: intra-community supply, exempt in France and taxed where the buyer is.
    IntraCommunity,
    /// `G`: export outside the EU.
    Export,
}

impl VatCategory {
    /// The category of a line at `rate` sold to a customer (a business when
    /// `professional`) in `country_code`, on a document whose exemption mention is
    /// `vat_exemption`.
    pub fn of_line(
        rate: Decimal,
        professional: bool,
        country_code: &str,
        vat_exemption: &str,
    ) -> Self {
        if !rate.is_zero() {
            return VatCategory::Standard;
        }
        let mention = vat_exemption.to_lowercase();
        if [
            "autoliquidation",
            "reverse charge",
            "283",
            "196 de la directive",
        ]
        .iter()
        .any(|words| mention.contains(words))
        {
            VatCategory::ReverseCharge
        } else if professional && other_member_state(country_code) {
            VatCategory::IntraCommunity
        } else if !country_code.is_empty()
            && country_code != "FR"
            && !other_member_state(country_code)
        {
            VatCategory::Export
        } else {
            VatCategory::Exempt
        }
    }

    /// Its UNTDID 5305 code.
    pub fn code(self) -> &'static str {
        match self {
            VatCategory::Standard => "S",
            VatCategory::Exempt => "E",
            VatCategory::ReverseCharge => "AE",
            VatCategory::IntraCommunity => "K",
            VatCategory::Export => "G",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn a_zero_rated_line_is_reverse_charge_intra_community_export_or_exempt() {
        let category = |rate, professional, country, mention| {
            VatCategory::of_line(d(rate), professional, country, mention)
        };
        assert_eq!(category("20", true, "DE", ""), VatCategory::Standard);
        assert_eq!(category("19", false, "DE", ""), VatCategory::Standard);
        assert_eq!(
            category("0", true, "FR", "Autoliquidation, article 283-2 du CGI"),
            VatCategory::ReverseCharge
        );
        assert_eq!(
            category(
                "0",
                true,
                "DE",
                "Exonération de TVA, article 262 ter I du CGI"
            ),
            VatCategory::IntraCommunity
        );
        assert_eq!(
            category("0", false, "DE", "Exonération"),
            VatCategory::Exempt
        );
        assert_eq!(
            category("0", true, "US", "Exonération, article 262 I du CGI"),
            VatCategory::Export
        );
        assert_eq!(
            category("0", false, "FR", "TVA non applicable, art. 293 B du CGI"),
            VatCategory::Exempt
        );
        assert_eq!(
            [
                VatCategory::Standard,
                VatCategory::Exempt,
                VatCategory::ReverseCharge,
                VatCategory::IntraCommunity,
                VatCategory::Export
            ]
            .map(VatCategory::code),
            ["S", "E", "AE", "K", "G"]
        );
    }

    #[test]
    fn a_private_customer_in_germany_is_taxed_at_german_rates() {
        let regime = Regime::of_sale(true, "DE");
        assert_eq!(regime, Regime::Oss { country: "DE" });
        assert!(regime.check(d("19")).is_ok());
        assert!(regime.check(d("7")).is_ok());
        assert!(regime.check(d("20")).unwrap_err().contains("DE"));
    }

    #[test]
    fn french_and_professional_sales_use_french_rates() {
        for regime in [
            Regime::of_sale(true, "FR"),
            Regime::of_sale(false, "DE"),
            Regime::of_sale(true, "US"),
        ] {
            assert_eq!(regime, Regime::Domestic);
            for rate in FRENCH_RATES {
                assert!(regime.check(d(rate)).is_ok(), "{rate}");
            }
            assert!(regime.check(d("5.50")).is_ok());
            assert!(regime.check(d("19")).is_err());
            assert!(regime.check(d("7")).is_err());
        }
    }
}
