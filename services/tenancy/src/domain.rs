//! Tenancy's rules, free of I/O: legal identifiers that parse instead of validate.

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
    /// Legal name.
    pub legal_name: LegalName,
    /// SIREN.
    pub siren: Siren,
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
}
