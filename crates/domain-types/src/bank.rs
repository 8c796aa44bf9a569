//! A bank account a company is paid into: its IBAN (ISO 13616: country code, check digits
//! by mod 97, the length the country's registry entry fixes) and its BIC (ISO 9362: 8 or
//! 11 characters). Tenancy parses them when a company is created or changed; export prints
//! them on invoices and carries them as the payment means (EN 16931 BG-17) of e-invoices;
//! billing may read them back. Both are kept upper case without spaces, as the contract
//! (`comptoir.types.v1.BankAccount`) carries them. Each parse error's message completes
//! "`field` …", like [`crate::legal`]'s.

use std::fmt;

use crate::fields::{Violations, add};
use crate::legal::CountryCode;

/// An IBAN, upper case without spaces, whose check digits hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);

/// Why an IBAN is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    /// Not 2 letters, 2 digits and letters or digits.
    #[error("must be an IBAN: 2 letters of country code, 2 check digits, then letters and digits")]
    Format,
    /// The first two letters name no country.
    #[error("must start with a country code; `{0}` is none")]
    Country(String),
    /// Not the length of the country's IBANs.
    #[error("must be {expected} characters long for {country}, not {actual}")]
    Length {
        /// The country of the IBAN.
        country: String,
        /// The length of that country's IBANs.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A country without a known length, and out of ISO 13616's bounds.
    #[error("must be {min} to {max} characters long, not {actual}", min = Iban::MIN_LEN, max = Iban::MAX_LEN)]
    Bounds {
        /// The length given.
        actual: usize,
    },
    /// The check digits do not hold.
    #[error("fails the ISO 13616 check digits (mod 97)")]
    CheckDigits,
}

/// The length of each country's IBANs, from the SWIFT IBAN registry, sorted by country:
/// every EU and EEA member state, and the other countries whose IBANs French businesses
/// meet most. A country not listed gets ISO 13616's bounds.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MA", 28),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

impl Iban {
    /// The shortest IBAN ISO 13616 allows.
    pub const MIN_LEN: usize = 15;
    /// The longest IBAN ISO 13616 allows.
    pub const MAX_LEN: usize = 34;

    /// Parses an IBAN, ignoring spaces and case (`fr76 3000 6000 0112 3456 7890 189`).
    pub fn parse(input: &str) -> Result<Self, IbanError> {
        let iban: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = iban.as_bytes();
        if bytes.len() < 5
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
            || !bytes[4..].iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(IbanError::Format);
        }
        let country = &iban[..2];
        match IBAN_LENGTHS.binary_search_by_key(&country, |(code, _)| code) {
            Ok(at) if IBAN_LENGTHS[at].1 != iban.len() => {
                return Err(IbanError::Length {
                    country: country.to_owned(),
                    expected: IBAN_LENGTHS[at].1,
                    actual: iban.len(),
                });
            }
            Ok(_) => {}
            Err(_) => {
                if CountryCode::parse(country).is_err() {
                    return Err(IbanError::Country(country.to_owned()));
                }
                if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&iban.len()) {
                    return Err(IbanError::Bounds { actual: iban.len() });
                }
            }
        }
        // Check digits run from 02 to 98: 00, 01 and 99 are never computed (ISO 13616).
        if matches!(&iban[2..4], "00" | "01" | "99") || mod97(&iban) != 1 {
            return Err(IbanError::CheckDigits);
        }
        Ok(Self(iban))
    }

    /// The IBAN, upper case without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country code it starts with.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The IBAN in groups of 4, as it is printed (`FR76 3000 6000 …`).
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

/// ISO 7064 MOD 97-10 of an IBAN: its first four characters moved to the end, each letter
/// read as two digits (A = 10 … Z = 35), the whole taken mod 97 piecewise.
fn mod97(iban: &str) -> u32 {
    let (head, tail) = iban.split_at(4);
    tail.bytes().chain(head.bytes()).fold(0, |rest, b| {
        if b.is_ascii_digit() {
            (rest * 10 + u32::from(b - b'0')) % 97
        } else {
            (rest * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A BIC (ISO 9362 business identifier code), upper case: 4 letters of institution, the
/// 2 letters of its country, 2 letters or digits of location and, for a branch, 3 more.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bic(String);

/// Why a BIC is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BicError {
    /// Not of the ISO 9362 shape.
    #[error(
        "must be a BIC of 8 or 11 characters: 4 letters of institution, 2 of country, 2 letters or digits of location, and optionally 3 of branch"
    )]
    Format,
    /// Letters 5 and 6 name no country.
    #[error("must name a country in its 5th and 6th letters; `{0}` is none")]
    Country(String),
}

impl Bic {
    /// Parses a BIC, ignoring spaces and case (`bnpa fr pp xxx`).
    pub fn parse(input: &str) -> Result<Self, BicError> {
        let bic: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = bic.as_bytes();
        if !matches!(bytes.len(), 8 | 11)
            || !bytes[..6].iter().all(u8::is_ascii_uppercase)
            || !bytes[6..].iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(BicError::Format);
        }
        let country = &bic[4..6];
        // Kosovo has BICs (and IBANs) under the user-assigned code XK.
        if country != "XK" && CountryCode::parse(country).is_err() {
            return Err(BicError::Country(country.to_owned()));
        }
        Ok(Self(bic))
    }

    /// The BIC, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The account a company is paid into: an IBAN, and its BIC when given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankAccount {
    /// The IBAN.
    pub iban: Iban,
    /// The BIC; optional within the SEPA area.
    pub bic: Option<Bic>,
}

impl BankAccount {
    /// Parses an account from its IBAN and BIC as sent, recording each bad one under
    /// `iban` and `bic` (a service prefixes its own path, e.g. `bank_account.`). Both
    /// blank is no account; a BIC without an IBAN is refused, since the IBAN is what an
    /// account is.
    pub fn parse(iban: &str, bic: &str, violations: &mut Violations) -> Option<Option<Self>> {
        let before = violations.len();
        let blank = |s: &str| s.trim().is_empty();
        if blank(iban) {
            if !blank(bic) {
                add(violations, "iban", "is required with a BIC");
            }
            return (violations.len() == before).then_some(None);
        }
        let iban = Iban::parse(iban)
            .map_err(|err| add(violations, "iban", err.to_string()))
            .ok();
        let bic = if blank(bic) {
            Some(None)
        } else {
            Bic::parse(bic)
                .map_err(|err| add(violations, "bic", err.to_string()))
                .ok()
                .map(Some)
        };
        Some(Some(Self {
            iban: iban?,
            bic: bic?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_ignore_spaces_and_case_and_keep_upper_case() {
        let iban = Iban::parse("fr76 3000 6000 0112 3456 7890 189").unwrap();
        assert_eq!(iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(iban.country(), "FR");
        assert_eq!(iban.grouped(), "FR76 3000 6000 0112 3456 7890 189");
        assert_eq!(iban.to_string(), "FR7630006000011234567890189");
    }

    #[test]
    fn ibans_of_several_countries_pass_their_check_digits() {
        // Examples of the SWIFT IBAN registry.
        for good in [
            "DE89370400440532013000",
            "BE68539007547034",
            "NL91ABNA0417164300",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "GB29NWBK60161331926819",
            "CH9300762011623852957",
            "NO9386011117947",
            "MT84MALT011000012345MTLCAST001S",
            "LU280019400644750000",
            "PT50000201231234567890154",
            "MC5811222000010123456789030",
        ] {
            assert!(Iban::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn an_iban_with_a_wrong_check_digit_or_a_swapped_pair_is_refused() {
        assert_eq!(
            Iban::parse("FR7630006000011234567890188"),
            Err(IbanError::CheckDigits)
        );
        assert_eq!(
            Iban::parse("FR7630006000011234567809189"),
            Err(IbanError::CheckDigits)
        );
        assert_eq!(
            Iban::parse("DE88370400440532013000"),
            Err(IbanError::CheckDigits)
        );
    }

    #[test]
    fn an_iban_has_its_country_length() {
        assert_eq!(
            Iban::parse("FR763000600001123456789018"),
            Err(IbanError::Length {
                country: "FR".to_owned(),
                expected: 27,
                actual: 26
            })
        );
        assert_eq!(
            Iban::parse("FR763000600001123456789018")
                .unwrap_err()
                .to_string(),
            "must be 27 characters long for FR, not 26"
        );
        assert!(matches!(
            Iban::parse("DE8937040044053201300"),
            Err(IbanError::Length { expected: 22, .. })
        ));
    }

    #[test]
    fn an_iban_of_an_unlisted_country_gets_the_generic_bounds() {
        // Seychelles: in ISO 3166 but not in the table. 31 characters passes the bounds
        // and then its check digits decide.
        assert_eq!(Iban::parse("SC1234"), Err(IbanError::Bounds { actual: 6 }));
        assert_eq!(
            Iban::parse(&format!("SC12{}", "1".repeat(31))),
            Err(IbanError::Bounds { actual: 35 })
        );
        assert_eq!(
            Iban::parse("SC18SSCB11010000000000001497USD"),
            Ok(Iban("SC18SSCB11010000000000001497USD".to_owned()))
        );
        assert_eq!(
            Iban::parse("ZZ7630006000011234567890189"),
            Err(IbanError::Country("ZZ".to_owned()))
        );
    }

    #[test]
    fn an_iban_out_of_shape_or_with_impossible_check_digits_is_refused() {
        for bad in [
            "",
            "FR",
            "7630006000011234567890189",
            "FRXX30006000011234567890189",
            "FR76-3000-6000-0112-3456-7890-189",
            "FR76300060000112345678901é9",
        ] {
            assert_eq!(Iban::parse(bad), Err(IbanError::Format), "{bad}");
        }
        // Where the check digits are 97, 98 or 02, "00", "01" or "99" pass the sum as well
        // (they are the same mod 97) but are never issued.
        for (issued, never) in [
            ("GB97NWBK60161331920066", "GB00NWBK60161331920066"),
            ("GB98NWBK60161331920048", "GB01NWBK60161331920048"),
            ("GB02NWBK60161331920030", "GB99NWBK60161331920030"),
        ] {
            assert_eq!(mod97(never), 1, "{never}");
            assert!(Iban::parse(issued).is_ok(), "{issued}");
            assert_eq!(Iban::parse(never), Err(IbanError::CheckDigits), "{never}");
        }
    }

    #[test]
    fn bics_have_8_or_11_characters_of_the_iso_9362_shape() {
        assert_eq!(Bic::parse("bnpa fr pp").unwrap().as_str(), "BNPAFRPP");
        assert_eq!(Bic::parse("DEUTDEFF500").unwrap().as_str(), "DEUTDEFF500");
        assert!(Bic::parse("AGRIFRPP882").is_ok());
        for bad in [
            "BNPAFRP",
            "BNPAFRPPX",
            "BNPAFRPPXXXX",
            "BNP1FRPP",
            "BNPAF1PP",
            "BNPAFRP_",
        ] {
            assert_eq!(Bic::parse(bad), Err(BicError::Format), "{bad}");
        }
        assert_eq!(
            Bic::parse("BNPAZZPP"),
            Err(BicError::Country("ZZ".to_owned()))
        );
    }

    #[test]
    fn an_account_needs_its_iban_and_records_each_bad_field() {
        let mut violations = Violations::new();
        assert_eq!(BankAccount::parse(" ", "", &mut violations), Some(None));
        let account = BankAccount::parse(
            "FR76 3000 6000 0112 3456 7890 189",
            "bnpafrpp",
            &mut violations,
        )
        .unwrap()
        .unwrap();
        assert_eq!(account.iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(account.bic.unwrap().as_str(), "BNPAFRPP");
        assert!(violations.is_empty());

        assert_eq!(BankAccount::parse("", "BNPAFRPP", &mut violations), None);
        assert_eq!(
            BankAccount::parse("FR7630006000011234567890188", "BNPA", &mut violations),
            None
        );
        assert_eq!(
            violations,
            [
                ("iban".to_owned(), "is required with a BIC".to_owned()),
                (
                    "iban".to_owned(),
                    "fails the ISO 13616 check digits (mod 97)".to_owned()
                ),
                ("bic".to_owned(), BicError::Format.to_string()),
            ]
        );
    }

    #[test]
    fn the_length_table_is_sorted_for_its_binary_search() {
        assert!(IBAN_LENGTHS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            IBAN_LENGTHS
                .iter()
                .all(|(_, len)| (Iban::MIN_LEN..=Iban::MAX_LEN).contains(len))
        );
    }
}
