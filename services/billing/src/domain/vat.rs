//! VAT rates: which rates a sale may use. French sales use the French rates (0 only with
//! an exemption or reverse-charge mention); a sale to a private person living in another
//! EU country is a distance sale taxed at that country's rates (the One-Stop Shop, OSS).
//! The rates are data, kept in this one table.

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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
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
