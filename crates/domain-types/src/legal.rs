//! The French and EU business identifiers shared by tenancy, billing and the accountant
//! portal: SIREN, NIC and SIRET with their check digits (and La Poste's exception), APE
//! codes, intra-EU VAT numbers with the French key, ISO country codes, postal codes checked
//! for their country, and e-mail addresses. Each is a newtype that parses instead of validating, so a value is valid by
//! construction and both services refuse the same inputs with the same words; each parse
//! error's message completes "`field` …".

use std::fmt;

/// A SIREN: the 9-digit identifier of a French legal unit, whose last digit is a Luhn key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siren(String);

/// Why a SIREN is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SirenError {
    /// Not 9 digits once spaces are removed.
    #[error("must be 9 digits")]
    Format,
    /// The check digit does not match.
    #[error("fails the Luhn check")]
    CheckDigit,
}

impl Siren {
    /// Parses a SIREN, ignoring spaces (`732 829 320`).
    pub fn parse(input: &str) -> Result<Self, SirenError> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SirenError::Format);
        }
        if !luhn(&digits) {
            return Err(SirenError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// The 9 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Luhn check over ASCII digits.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Digits of `input` with spaces dropped, if it is exactly `len` ASCII digits.
fn digits(input: &str, len: usize) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == len && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A NIC (numéro interne de classement): the 5 digits that, after the SIREN, identify one
/// establishment of a legal unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic(String);

/// Why a NIC is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NicError {
    /// Not 5 digits once spaces are removed.
    #[error("must be 5 digits")]
    Format,
}

impl Nic {
    /// Parses a NIC, ignoring spaces. Its check digit is the SIRET's, see [`Siret::new`].
    pub fn parse(input: &str) -> Result<Self, NicError> {
        digits(input, 5).map(Self).ok_or(NicError::Format)
    }

    /// The 5 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A SIRET: SIREN + NIC, 14 digits identifying an establishment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siret {
    siren: Siren,
    nic: Nic,
}

/// Why a SIRET is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    /// Not 14 digits once spaces are removed.
    #[error("must be 14 digits")]
    Format,
    /// The SIREN part is not a valid SIREN.
    #[error("its SIREN {0}")]
    Siren(SirenError),
    /// SIREN + NIC fails the SIRET check.
    #[error("SIREN + NIC fails the SIRET check digit")]
    CheckDigit,
}

/// La Poste's SIREN: its thousands of establishments outgrew the Luhn key, so INSEE
/// numbers them so that the 14 digits add up to a multiple of 5 instead.
pub const LA_POSTE_SIREN: &str = "356000000";

/// La Poste's head office, numbered before that rule: it keeps an ordinary Luhn key.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

impl Siret {
    /// The SIRET of establishment `nic` of `siren`, if its check digit holds: Luhn over
    /// the 14 digits, or for La Poste (except its head office) a digit sum that is a
    /// multiple of 5.
    pub fn new(siren: &Siren, nic: &Nic) -> Result<Self, SiretError> {
        let siret = format!("{}{}", siren.as_str(), nic.as_str());
        let valid = if siren.as_str() == LA_POSTE_SIREN && siret != LA_POSTE_HEAD_OFFICE {
            siret
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5)
        } else {
            luhn(&siret)
        };
        if valid {
            Ok(Self {
                siren: siren.clone(),
                nic: nic.clone(),
            })
        } else {
            Err(SiretError::CheckDigit)
        }
    }

    /// Parses 14 digits, ignoring spaces (`732 829 320 00074`).
    pub fn parse(input: &str) -> Result<Self, SiretError> {
        let siret = digits(input, 14).ok_or(SiretError::Format)?;
        let siren = Siren::parse(&siret[..9]).map_err(SiretError::Siren)?;
        let nic = Nic::parse(&siret[9..]).map_err(|_| SiretError::Format)?;
        Self::new(&siren, &nic)
    }

    /// The SIREN part.
    pub fn siren(&self) -> &Siren {
        &self.siren
    }

    /// The NIC part.
    pub fn nic(&self) -> &Nic {
        &self.nic
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.siren, self.nic.as_str())
    }
}

/// An intra-EU VAT number: a member state's prefix, then the number. A French one is
/// `FR`, a 2-digit key, then the SIREN, and its key is checked; other states' numbers get
/// a format check only (their check digits are each state's own, and VIES is the real
/// authority).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatNumber(String);

/// Why a VAT number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatNumberError {
    /// Not of the form `FR` + 11 digits.
    #[error("must be FR followed by a 2-digit key and the 9-digit SIREN")]
    Format,
    /// A French number for another SIREN.
    #[error("must end with the SIREN {0}")]
    OtherSiren(String),
    /// The key does not match the SIREN.
    #[error("key does not match the SIREN (expected {0})")]
    Key(String),
    /// A French number whose SIREN part is not a SIREN.
    #[error("carries a SIREN that {0}")]
    Siren(SirenError),
    /// Not the prefix of an EU member state.
    #[error("must start with the prefix of an EU member state, e.g. FR, DE (EL for Greece)")]
    Country,
    /// Not 2 to 12 letters or digits after the prefix.
    #[error("must be the country prefix followed by 2 to 12 letters or digits")]
    Number,
}

/// The VAT prefixes of the EU member states (ISO codes, except EL for Greece) and XI for
/// Northern Ireland's goods trade, sorted.
const EU_VAT_PREFIXES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// `input` without spaces, upper-cased.
fn compact_upper(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

impl VatNumber {
    /// Parses the VAT number of the company with `siren`, ignoring spaces and case: it
    /// must be the French number of that SIREN.
    pub fn parse_for(input: &str, siren: &Siren) -> Result<Self, VatNumberError> {
        Self::french(compact_upper(input), Some(siren))
    }

    /// Parses any intra-EU VAT number, ignoring spaces and case. A French one must carry
    /// a valid SIREN and its key; use [`Self::parse_for`] when the SIREN is known.
    pub fn parse(input: &str) -> Result<Self, VatNumberError> {
        let number = compact_upper(input);
        if number.starts_with("FR") {
            return Self::french(number, None);
        }
        let prefix = number.get(..2).ok_or(VatNumberError::Country)?;
        if EU_VAT_PREFIXES.binary_search(&prefix).is_err() {
            return Err(VatNumberError::Country);
        }
        let rest = &number[2..];
        if (2..=12).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(number))
        } else {
            Err(VatNumberError::Number)
        }
    }

    /// A French number, compacted: `FR`, the key, the SIREN (`siren` when it is known).
    fn french(number: String, siren: Option<&Siren>) -> Result<Self, VatNumberError> {
        let rest = number.strip_prefix("FR").ok_or(VatNumberError::Format)?;
        if rest.len() != 11 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VatNumberError::Format);
        }
        let (key, number_siren) = rest.split_at(2);
        let siren = match siren {
            Some(siren) if number_siren != siren.as_str() => {
                return Err(VatNumberError::OtherSiren(siren.to_string()));
            }
            Some(siren) => siren.clone(),
            None => Siren::parse(number_siren).map_err(VatNumberError::Siren)?,
        };
        let expected = Self::french_key(&siren);
        if key != expected {
            return Err(VatNumberError::Key(format!("FR{expected}{siren}")));
        }
        Ok(Self(number))
    }

    /// The French key of `siren`: (12 + 3 × (SIREN mod 97)) mod 97, on 2 digits.
    pub fn french_key(siren: &Siren) -> String {
        let siren: u64 = siren.as_str().parse().unwrap_or_default();
        format!("{:02}", (12 + 3 * (siren % 97)) % 97)
    }

    /// The SIREN a French number carries; None for another state's number.
    pub fn french_siren(&self) -> Option<&str> {
        self.0.strip_prefix("FR").map(|rest| &rest[2..])
    }

    /// The number without spaces, e.g. `FR44732829320`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

/// Why a country code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryCodeError {
    /// Not an assigned ISO 3166-1 alpha-2 code.
    #[error("must be an ISO 3166-1 alpha-2 code, e.g. FR")]
    Unknown,
}

/// Every assigned ISO 3166-1 alpha-2 code, sorted.
const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Territories numbered in the French postal system (5-digit codes).
const FRENCH_POSTAL: &[&str] = &[
    "FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC", "MC",
];

impl CountryCode {
    /// Parses a code, upper-casing it.
    pub fn parse(input: &str) -> Result<Self, CountryCodeError> {
        let code = input.trim().to_ascii_uppercase();
        if COUNTRIES.binary_search(&code.as_str()).is_ok() {
            Ok(Self(code))
        } else {
            Err(CountryCodeError::Unknown)
        }
    }

    /// The 2 letters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A postal code, checked against its country where the format is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);

/// Why a postal code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostalCodeError {
    /// Empty.
    #[error("must not be blank")]
    Blank,
    /// Not 5 digits in the French postal system.
    #[error("must be 5 digits in {0}")]
    French(String),
    /// Not letters, digits, spaces or dashes, or over 16 characters.
    #[error("must be at most 16 letters, digits, spaces or dashes")]
    Format,
}

impl PostalCode {
    /// Parses the postal code of an address in `country`.
    pub fn parse_for(input: &str, country: Option<&CountryCode>) -> Result<Self, PostalCodeError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(PostalCodeError::Blank);
        }
        match country {
            Some(country) if FRENCH_POSTAL.contains(&country.as_str()) => digits(&code, 5)
                .map(Self)
                .ok_or_else(|| PostalCodeError::French(country.as_str().to_owned())),
            _ if code.len() <= 16
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-') =>
            {
                Ok(Self(code))
            }
            _ => Err(PostalCodeError::Format),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An APE code (NAF rév. 2 activity): 4 digits and a letter, e.g. `7022Z`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApeCode(String);

/// Why an APE code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApeCodeError {
    /// Not 4 digits followed by a letter.
    #[error("must be 4 digits and a letter, e.g. 7022Z")]
    Format,
}

impl ApeCode {
    /// Parses an APE code. INSEE prints it `70.22Z`, so one dot after the second digit
    /// and spaces are dropped, and the letter is upper-cased.
    pub fn parse(input: &str) -> Result<Self, ApeCodeError> {
        let mut code: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if code.len() == 6 && code.as_bytes()[2] == b'.' {
            code.remove(2);
        }
        let bytes = code.as_bytes();
        if bytes.len() == 5
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4].is_ascii_uppercase()
        {
            Ok(Self(code))
        } else {
            Err(ApeCodeError::Format)
        }
    }

    /// The 5 characters, e.g. `7022Z`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, trimmed; its domain is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// Why an e-mail address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Not of the form `local@domain.tld`.
    #[error("must be an e-mail address such as name@example.fr")]
    Format,
}

impl Email {
    /// Parses an address. Deliberately loose (one `@`, a dotted domain, no spaces): the
    /// only real check of an address is a message reaching it.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let email = input.trim();
        let (local, domain) = email.split_once('@').ok_or(EmailError::Format)?;
        let valid = !local.is_empty()
            && local.len() <= 64
            && email.len() <= 254
            && !domain.contains('@')
            && domain.split('.').count() >= 2
            && domain.split('.').all(|label| !label.is_empty())
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(format!("{local}@{}", domain.to_lowercase())))
        } else {
            Err(EmailError::Format)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ape_codes_are_4_digits_and_a_letter_and_the_insee_dot_is_dropped() {
        assert_eq!(ApeCode::parse("7022Z").unwrap().as_str(), "7022Z");
        assert_eq!(ApeCode::parse("70.22Z").unwrap().as_str(), "7022Z");
        assert_eq!(ApeCode::parse(" 70.22z ").unwrap().as_str(), "7022Z");
        for bad in ["70222", "7022", "702.2Z", "A022Z", "7022ZZ", "", "70..22Z"] {
            assert_eq!(ApeCode::parse(bad), Err(ApeCodeError::Format), "{bad}");
        }
    }

    #[test]
    fn real_sirens_pass_and_spaces_are_ignored() {
        for siren in ["732829320", "552 100 554", "542051180", "356000000"] {
            assert!(Siren::parse(siren).is_ok(), "{siren}");
        }
        assert_eq!(Siren::parse(" 732 829 320 ").unwrap().as_str(), "732829320");
    }

    #[test]
    fn a_wrong_check_digit_or_length_is_refused() {
        assert_eq!(Siren::parse("732829321"), Err(SirenError::CheckDigit));
        assert_eq!(Siren::parse("73282932"), Err(SirenError::Format));
        assert_eq!(Siren::parse("73282932A"), Err(SirenError::Format));
    }
    fn siren(s: &str) -> Siren {
        Siren::parse(s).unwrap()
    }

    #[test]
    fn a_siret_is_a_siren_and_a_nic_passing_luhn() {
        let siret = Siret::new(&siren("732829320"), &Nic::parse("00009").unwrap()).unwrap();
        assert_eq!(siret.to_string(), "73282932000009");
        assert_eq!(Siret::parse("732 829 320 00009"), Ok(siret));
        assert_eq!(
            Siret::new(&siren("732829320"), &Nic::parse("00010").unwrap()),
            Err(SiretError::CheckDigit)
        );
        assert_eq!(
            Siret::parse("73282932100009"),
            Err(SiretError::Siren(SirenError::CheckDigit))
        );
        assert_eq!(Siret::parse("7328293200000"), Err(SiretError::Format));
    }

    #[test]
    fn a_nic_of_4_digits_is_refused() {
        assert_eq!(Nic::parse("0009"), Err(NicError::Format));
        assert_eq!(Nic::parse("0000A"), Err(NicError::Format));
        assert_eq!(Nic::parse(" 00009 ").unwrap().as_str(), "00009");
    }

    #[test]
    fn la_poste_sirets_add_up_to_a_multiple_of_5_instead_of_luhn() {
        let la_poste = siren(LA_POSTE_SIREN);
        // 3+5+6+4+9+8+3+7 = 45: a real post office, which fails Luhn.
        assert!(!luhn("35600000049837"));
        assert!(Siret::new(&la_poste, &Nic::parse("49837").unwrap()).is_ok());
        // Luhn-valid but 3+5+6+6 = 20 is fine too; 3+5+6+1+4 = 19 is not.
        assert!(Siret::new(&la_poste, &Nic::parse("00006").unwrap()).is_ok());
        assert_eq!(
            Siret::new(&la_poste, &Nic::parse("00014").unwrap()),
            Err(SiretError::CheckDigit)
        );
        // The head office predates the rule and keeps its Luhn key.
        assert!(luhn(LA_POSTE_HEAD_OFFICE));
        assert!(Siret::parse(LA_POSTE_HEAD_OFFICE).is_ok());
        // Another SIREN never gets La Poste's rule.
        assert!(Siret::new(&siren("732829320"), &Nic::parse("00001").unwrap()).is_err());
    }

    #[test]
    fn a_french_vat_number_carries_the_key_of_its_siren() {
        let acme = siren("732829320");
        assert_eq!(VatNumber::french_key(&acme), "44");
        assert_eq!(
            VatNumber::parse_for("fr 44 732829320", &acme)
                .unwrap()
                .as_str(),
            "FR44732829320"
        );
        assert_eq!(VatNumber::french_key(&siren("383474814")), "89");
        assert_eq!(
            VatNumber::parse_for("FR45732829320", &acme),
            Err(VatNumberError::Key("FR44732829320".to_owned()))
        );
        assert_eq!(
            VatNumber::parse_for("FR96552100554", &acme),
            Err(VatNumberError::OtherSiren("732829320".to_owned()))
        );
        for bad in ["DE123456789", "FR4473282932", "FRAB732829320", ""] {
            assert_eq!(
                VatNumber::parse_for(bad, &acme),
                Err(VatNumberError::Format),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_key_below_10_keeps_its_leading_zero() {
        // 12 + 3 × (SIREN mod 97) ≡ 1..9 (mod 97) for some SIREN; find one that passes Luhn.
        let found = (100_000_000u64..100_010_000)
            .map(|n| n.to_string())
            .filter_map(|n| Siren::parse(&n).ok())
            .find(|s| VatNumber::french_key(s).starts_with('0'))
            .expect("a SIREN with a one-digit key");
        let key = VatNumber::french_key(&found);
        assert_eq!(key.len(), 2);
        assert!(VatNumber::parse_for(&format!("FR{key}{found}"), &found).is_ok());
    }

    #[test]
    fn french_postal_codes_are_5_digits_and_others_are_loosely_checked() {
        let fr = CountryCode::parse("fr").unwrap();
        assert_eq!(fr.as_str(), "FR");
        assert_eq!(
            PostalCode::parse_for("75008", Some(&fr)).unwrap().as_str(),
            "75008"
        );
        assert_eq!(
            PostalCode::parse_for("7500", Some(&fr)),
            Err(PostalCodeError::French("FR".to_owned()))
        );
        let re = CountryCode::parse("RE").unwrap();
        assert!(PostalCode::parse_for("97400", Some(&re)).is_ok());
        let gb = CountryCode::parse("GB").unwrap();
        assert_eq!(
            PostalCode::parse_for("sw1a 1aa", Some(&gb))
                .unwrap()
                .as_str(),
            "SW1A 1AA"
        );
        assert_eq!(
            PostalCode::parse_for(" ", Some(&gb)),
            Err(PostalCodeError::Blank)
        );
        assert_eq!(
            PostalCode::parse_for("75008;", Some(&gb)),
            Err(PostalCodeError::Format)
        );
        assert_eq!(CountryCode::parse("XX"), Err(CountryCodeError::Unknown));
        assert_eq!(CountryCode::parse("FRA"), Err(CountryCodeError::Unknown));
        assert!(
            COUNTRIES.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
    }

    #[test]
    fn email_addresses_are_loosely_checked_and_their_domain_is_lower_cased() {
        assert_eq!(
            Email::parse(" Ada@Example.FR ").unwrap().as_str(),
            "Ada@example.fr"
        );
        for bad in [
            "ada",
            "ada@",
            "@example.fr",
            "ada@example",
            "a da@example.fr",
            "a@b@c.fr",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Format), "{bad}");
        }
    }

    #[test]
    fn any_eu_vat_number_parses_and_a_french_one_must_carry_a_valid_siren_and_key() {
        assert_eq!(
            VatNumber::parse("de 123 456 789").unwrap().as_str(),
            "DE123456789"
        );
        assert_eq!(
            VatNumber::parse("EL123456789").unwrap().french_siren(),
            None
        );
        let french = VatNumber::parse("FR44732829320").unwrap();
        assert_eq!(french.french_siren(), Some("732829320"));
        assert_eq!(
            VatNumber::parse("FR45732829320"),
            Err(VatNumberError::Key("FR44732829320".to_owned()))
        );
        assert_eq!(
            VatNumber::parse("FR44732829321"),
            Err(VatNumberError::Siren(SirenError::CheckDigit))
        );
        assert_eq!(
            VatNumber::parse("FR4473282932"),
            Err(VatNumberError::Format)
        );
        for bad in ["US123456789", "GR123456789", "X", ""] {
            assert_eq!(VatNumber::parse(bad), Err(VatNumberError::Country), "{bad}");
        }
        assert_eq!(VatNumber::parse("DE1"), Err(VatNumberError::Number));
        assert_eq!(VatNumber::parse("DE12-345"), Err(VatNumberError::Number));
        assert!(
            EU_VAT_PREFIXES.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
    }
}
