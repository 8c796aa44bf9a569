//! A company's legal identity as newtypes that parse
//! instead of validate (share capital, address, director contact, and the APE code, SIREN,
//! NIC, SIRET, VAT number, country and postal code that billing checks too, from
//! [`comptoir_domain_types::legal`]), with the bank account it is paid into (IBAN and BIC,
//! from [`comptoir_domain_types::bank`], which export reads back from the events). A value of these types is valid by construction, so the
//! gRPC layer only maps each parse error to its field path.

use rust_decimal::Decimal;

pub use comptoir_domain_types::bank::BankAccount;
pub use comptoir_domain_types::legal::{
    ApeCode, ApeCodeError, CountryCode, CountryCodeError, Email, EmailError, LA_POSTE_SIREN, Nic,
    NicError, PostalCode, PostalCodeError, Siren, SirenError, Siret, SiretError, VatNumber,
    VatNumberError,
};

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
    /// More than 12 digits before the point.
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
    /// exponent or separator is accepted, so what is stored is what was meant. The parsing
    /// is the one every amount on the wire gets ([`comptoir_domain_types::amount`]).
    pub fn parse_amount(input: &str) -> Result<Decimal, AmountError> {
        comptoir_domain_types::amount::parse_decimal(input, 2).map_err(|err| match err {
            comptoir_domain_types::amount::AmountError::Format => AmountError::Format,
            comptoir_domain_types::amount::AmountError::TooPrecise(_) => AmountError::TooPrecise,
            comptoir_domain_types::amount::AmountError::TooLarge => AmountError::TooLarge,
        })
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

/// A company's legal identity and the account it is paid into, fully validated: what
/// invoices and exports print.
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
    /// The bank account it is paid into.
    pub bank_account: Option<BankAccount>,
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
pub const OWNER_ROLE: &str = comptoir_domain_types::permissions::ADMINISTRATOR.key;

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
    fn legal_names_are_trimmed_and_bounded() {
        assert_eq!(LegalName::parse("  ACME  ").unwrap().as_str(), "ACME");
        assert_eq!(LegalName::parse("   "), Err(LegalNameError::Blank));
        assert_eq!(
            LegalName::parse(&"x".repeat(201)),
            Err(LegalNameError::TooLong)
        );
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
    fn phone_numbers_drop_their_separators() {
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
