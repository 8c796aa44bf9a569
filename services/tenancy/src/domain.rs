//! Tenancy's rules, free of I/O: the legal identity of a company as newtypes that parse
//! instead of validate (SIREN, NIC and SIRET with their check digits, APE code, French VAT
//! number, share capital, address, director contact). A value of these types is valid by
//! construction, so the gRPC layer only maps each parse error to its field path.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

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

/// An intra-EU VAT number. A company registered here has a SIREN, so its number is the
/// French one: `FR`, a 2-digit key, then the SIREN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatNumber(String);

/// Why a VAT number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatNumberError {
    /// Not of the form `FR` + 11 digits.
    #[error("must be FR followed by a 2-digit key and the 9-digit SIREN")]
    Format,
    /// A French number for another SIREN.
    #[error("must end with the company's SIREN {0}")]
    OtherSiren(String),
    /// The key does not match the SIREN.
    #[error("key does not match the SIREN (expected {0})")]
    Key(String),
}

impl VatNumber {
    /// Parses the VAT number of the company with `siren`, ignoring spaces and case.
    pub fn parse_for(input: &str, siren: &Siren) -> Result<Self, VatNumberError> {
        let number: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let rest = number.strip_prefix("FR").ok_or(VatNumberError::Format)?;
        if rest.len() != 11 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VatNumberError::Format);
        }
        let (key, number_siren) = rest.split_at(2);
        if number_siren != siren.as_str() {
            return Err(VatNumberError::OtherSiren(siren.to_string()));
        }
        let expected = Self::french_key(siren);
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

    /// The number without spaces, e.g. `FR44732829320`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed text of 1 to `MAX` characters: names, cities, address lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

/// Why a text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Blank.
    #[error("must not be blank")]
    Blank,
    /// Too long.
    #[error("must be at most {0} characters")]
    TooLong(usize),
}

impl<const MAX: usize> Text<MAX> {
    /// Parses a required text.
    pub fn parse(input: &str) -> Result<Self, TextError> {
        let text = input.trim();
        if text.is_empty() {
            Err(TextError::Blank)
        } else if text.chars().count() > MAX {
            Err(TextError::TooLong(MAX))
        } else {
            Ok(Self(text.to_owned()))
        }
    }

    /// Parses an optional text: blank means none.
    pub fn parse_optional(input: &str) -> Result<Option<Self>, TextError> {
        if input.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(input).map(Some)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A legal form as registered ("SAS", "SARL", "EI", "Société civile immobilière"…).
///
/// Free text rather than an enum: INSEE's list of legal categories has over 200 entries
/// and changes (EIRL closed in 2022), and invoices print the form as the company writes
/// it; an enum would refuse real companies or force a contract change for each new form.
pub type LegalForm = Text<60>;

/// A share capital: a non-negative amount with at most 2 decimals, in a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareCapital {
    /// The amount, with its scale as given (at most 2).
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
}

/// Why an amount is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a plain decimal.
    #[error("must be a non-negative decimal such as 1500.50")]
    Format,
    /// More than 2 decimals.
    #[error("must have at most 2 decimals")]
    TooPrecise,
    /// More than 18 digits before the point.
    #[error("is too large")]
    TooLarge,
}

/// Why a currency code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    /// Not 3 letters.
    #[error("must be an ISO 4217 code of 3 letters, e.g. EUR")]
    Format,
}

impl ShareCapital {
    /// Parses an amount: digits with an optional point and at most 2 decimals. No sign,
    /// exponent or separator is accepted, so what is stored is what was meant.
    pub fn parse_amount(input: &str) -> Result<Decimal, AmountError> {
        let input = input.trim();
        let (whole, fraction) = input.split_once('.').unwrap_or((input, ""));
        let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !plain(whole) || !plain(fraction) || input.ends_with('.') {
            return Err(AmountError::Format);
        }
        if fraction.len() > 2 {
            return Err(AmountError::TooPrecise);
        }
        if whole.trim_start_matches('0').len() > 18 {
            return Err(AmountError::TooLarge);
        }
        Decimal::from_str(input).map_err(|_| AmountError::Format)
    }

    /// Parses a currency code; empty means EUR, upper-cased.
    pub fn parse_currency(input: &str) -> Result<String, CurrencyError> {
        let code = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            Ok("EUR".to_owned())
        } else if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(code)
        } else {
            Err(CurrencyError::Format)
        }
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

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Number and street.
    pub line1: Text<200>,
    /// Building, floor…
    pub line2: Option<Text<200>>,
    /// Postal code, checked for the country.
    pub postal_code: PostalCode,
    /// City.
    pub city: Text<100>,
    /// Country.
    pub country: CountryCode,
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

/// A phone number: digits with an optional leading `+`, separators dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

/// Why a phone number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Other characters, or not 6 to 15 digits.
    #[error("must be 6 to 15 digits with an optional leading +")]
    Format,
}

impl Phone {
    /// Parses `01 23 45 67 89`, `+33 1.23.45.67.89`, `(0)1-23-45-67-89`.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let compact: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').unwrap_or(&compact);
        if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(compact))
        } else {
            Err(PhoneError::Format)
        }
    }

    /// The number without separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How to reach the director; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Director {
    /// Full name.
    pub name: Option<Text<200>>,
    /// E-mail address.
    pub email: Option<Email>,
    /// Phone number.
    pub phone: Option<Phone>,
}

/// A company's legal identity, fully validated: what invoices and exports print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalIdentity {
    /// Legal name.
    pub legal_name: LegalName,
    /// Legal form.
    pub legal_form: Option<LegalForm>,
    /// SIREN and NIC of the registered establishment.
    pub siret: Siret,
    /// APE/NAF code.
    pub ape_code: Option<ApeCode>,
    /// Intra-EU VAT number (of this SIREN).
    pub vat_number: Option<VatNumber>,
    /// City of the RCS registration.
    pub rcs_city: Option<Text<100>>,
    /// Share capital.
    pub share_capital: Option<ShareCapital>,
    /// Registered address.
    pub address: Address,
    /// Director's contact.
    pub director: Director,
}

/// A legal name: trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalName(String);

/// Why a legal name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegalNameError {
    /// Blank.
    #[error("must not be blank")]
    Blank,
    /// Over 200 characters.
    #[error("must be at most 200 characters")]
    TooLong,
}

impl LegalName {
    /// Parses a legal name.
    pub fn parse(input: &str) -> Result<Self, LegalNameError> {
        let name = input.trim();
        if name.is_empty() {
            Err(LegalNameError::Blank)
        } else if name.chars().count() > 200 {
            Err(LegalNameError::TooLong)
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A company invoices for itself; a firm keeps the books of client companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompanyKind {
    /// A business.
    Company,
    /// An accounting firm.
    Firm,
}

impl CompanyKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CompanyKind::Company => "company",
            CompanyKind::Firm => "firm",
        }
    }

    /// Reads the stored form.
    pub fn from_stored(value: &str) -> Option<Self> {
        match value {
            "company" => Some(CompanyKind::Company),
            "firm" => Some(CompanyKind::Firm),
            _ => None,
        }
    }
}

/// The role the creator of a company gets.
pub const OWNER_ROLE: &str = "administrator";

/// A company to create, fully validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    /// Its legal identity (the SIREN is in its SIRET).
    pub identity: LegalIdentity,
    /// Company or firm.
    pub kind: CompanyKind,
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn legal_names_are_trimmed_and_bounded() {
        assert_eq!(LegalName::parse("  ACME  ").unwrap().as_str(), "ACME");
        assert_eq!(LegalName::parse("   "), Err(LegalNameError::Blank));
        assert_eq!(
            LegalName::parse(&"x".repeat(201)),
            Err(LegalNameError::TooLong)
        );
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
    fn ape_codes_are_4_digits_and_a_letter_and_the_insee_dot_is_dropped() {
        assert_eq!(ApeCode::parse("7022Z").unwrap().as_str(), "7022Z");
        assert_eq!(ApeCode::parse("70.22Z").unwrap().as_str(), "7022Z");
        assert_eq!(ApeCode::parse(" 70.22z ").unwrap().as_str(), "7022Z");
        for bad in ["70222", "7022", "702.2Z", "A022Z", "7022ZZ", "", "70..22Z"] {
            assert_eq!(ApeCode::parse(bad), Err(ApeCodeError::Format), "{bad}");
        }
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
    fn share_capital_is_a_plain_non_negative_decimal_with_at_most_2_decimals() {
        assert_eq!(
            ShareCapital::parse_amount("1500.50").unwrap(),
            Decimal::new(150_050, 2)
        );
        assert_eq!(ShareCapital::parse_amount("0").unwrap(), Decimal::ZERO);
        assert_eq!(
            ShareCapital::parse_amount("10.125"),
            Err(AmountError::TooPrecise)
        );
        for bad in [
            "-1", "+1", "1e3", "1_000", "1 000", "", ".5", "5.", "1,5", "abc",
        ] {
            assert_eq!(
                ShareCapital::parse_amount(bad),
                Err(AmountError::Format),
                "{bad}"
            );
        }
        assert_eq!(
            ShareCapital::parse_amount(&"9".repeat(19)),
            Err(AmountError::TooLarge)
        );
        assert_eq!(ShareCapital::parse_currency("").unwrap(), "EUR");
        assert_eq!(ShareCapital::parse_currency("chf").unwrap(), "CHF");
        assert_eq!(
            ShareCapital::parse_currency("€"),
            Err(CurrencyError::Format)
        );
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
    fn director_contacts_are_normalised() {
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
        assert_eq!(
            Phone::parse("+33 1.23.45-67-89").unwrap().as_str(),
            "+33123456789"
        );
        assert_eq!(
            Phone::parse("01 23 45 67 89").unwrap().as_str(),
            "0123456789"
        );
        for bad in [
            "12345",
            "+33 1 23 45 67 89 00 00 00",
            "01 23 AB",
            "++33123456",
        ] {
            assert_eq!(Phone::parse(bad), Err(PhoneError::Format), "{bad}");
        }
    }

    #[test]
    fn texts_are_trimmed_bounded_and_optional_when_blank() {
        assert_eq!(LegalForm::parse(" SAS ").unwrap().as_str(), "SAS");
        assert_eq!(
            LegalForm::parse(&"x".repeat(61)),
            Err(TextError::TooLong(60))
        );
        assert_eq!(Text::<100>::parse_optional("  "), Ok(None));
        assert_eq!(Text::<100>::parse(""), Err(TextError::Blank));
    }
}
