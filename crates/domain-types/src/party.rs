//! Who a party is: its postal address and its legal identity (legal name, SIREN, SIRET,
//! intra-EU VAT number, address), the group of fields that a customer, a supplier, a
//! seller and the copy of a party on a document all carry. Keeping them as one value
//! means a service parses them once, maps its stored rows to them once, and copies them
//! whole instead of field by field.
//!
//! Parsing collects every bad field rather than stopping at the first: each violation
//! names the field relative to the value (`name`, `address.city`, `vat_number`), with the
//! words of [`crate::legal`]'s errors, so a service prefixes its own path (`party.`) and
//! answers them all at once.

use crate::fields::{Violations, add, text};
use crate::legal::{CountryCode, PostalCode, Siren, Siret, VatNumber};

/// A postal address as it is printed: two lines, the postal code, the city and the
/// country. Parsed with [`PostalAddress::parse`], its postal code is checked for its
/// country and its country is an ISO code in upper case; read back from storage, it is
/// whatever was kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostalAddress {
    /// Street and number.
    pub line1: String,
    /// Anything else (building, floor); may be empty.
    pub line2: String,
    /// The postal code, e.g. `75002`.
    pub postal_code: String,
    /// The city.
    pub city: String,
    /// ISO 3166-1 alpha-2, e.g. `FR`.
    pub country_code: String,
}

/// The fields of an address as a caller sent them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawAddress<'a> {
    /// Street and number.
    pub line1: &'a str,
    /// Anything else.
    pub line2: &'a str,
    /// The postal code.
    pub postal_code: &'a str,
    /// The city.
    pub city: &'a str,
    /// The country code, any case.
    pub country_code: &'a str,
}

impl<'a> From<&'a PostalAddress> for RawAddress<'a> {
    /// An address kept or sent as text, to parse again (after a change to one field).
    fn from(address: &'a PostalAddress) -> Self {
        RawAddress {
            line1: &address.line1,
            line2: &address.line2,
            postal_code: &address.postal_code,
            city: &address.city,
            country_code: &address.country_code,
        }
    }
}

impl PostalAddress {
    /// Longest address line.
    pub const LINE_MAX: usize = 200;
    /// Longest city.
    pub const CITY_MAX: usize = 100;

    /// Parses an address whose first line, postal code, city and country are required,
    /// recording each bad field under `address.`. Returns the address (None if a field
    /// is bad) and its country when that alone parsed, for rules that depend on it.
    pub fn parse(
        raw: RawAddress<'_>,
        violations: &mut Violations,
    ) -> (Option<Self>, Option<CountryCode>) {
        let before = violations.len();
        let line1 = text(violations, "address.line1", raw.line1, Self::LINE_MAX, true);
        let line2 = text(
            violations,
            "address.line2",
            raw.line2,
            Self::LINE_MAX,
            false,
        );
        let country = if raw.country_code.trim().is_empty() {
            add(violations, "address.country_code", "is required");
            None
        } else {
            CountryCode::parse(raw.country_code)
                .map_err(|err| add(violations, "address.country_code", err.to_string()))
                .ok()
        };
        // With an unknown country, the postal code still gets the loose check.
        let postal_code = if raw.postal_code.trim().is_empty() {
            add(violations, "address.postal_code", "is required");
            None
        } else {
            PostalCode::parse_for(raw.postal_code, country.as_ref())
                .map_err(|err| add(violations, "address.postal_code", err.to_string()))
                .ok()
        };
        let city = text(violations, "address.city", raw.city, Self::CITY_MAX, true);
        let address = match (&country, postal_code) {
            (Some(country), Some(postal_code)) if violations.len() == before => Some(Self {
                line1,
                line2,
                postal_code: postal_code.as_str().to_owned(),
                city,
                country_code: country.as_str().to_owned(),
            }),
            _ => None,
        };
        (address, country)
    }

    /// The country, when the stored code is one.
    pub fn country(&self) -> Option<CountryCode> {
        CountryCode::parse(&self.country_code).ok()
    }
}

/// Who a business or a person is in law: the name printed on documents, its French
/// identifiers when it has them, its VAT number and its address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyIdentity {
    /// The legal name (or a private person's name).
    pub legal_name: String,
    /// The SIREN of a French legal unit.
    pub siren: Option<Siren>,
    /// The SIRET of the establishment, when one is named; it is one of the SIREN's.
    pub siret: Option<Siret>,
    /// The intra-EU VAT number; a French one is the SIREN's.
    pub vat_number: Option<VatNumber>,
    /// Where it is.
    pub address: PostalAddress,
}

/// The fields of an identity as a caller sent them; empty strings for absent values.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawIdentity<'a> {
    /// The legal name.
    pub legal_name: &'a str,
    /// The SIREN, spaces allowed.
    pub siren: &'a str,
    /// The SIRET, spaces allowed.
    pub siret: &'a str,
    /// The VAT number, any case, spaces allowed.
    pub vat_number: &'a str,
    /// The address.
    pub address: RawAddress<'a>,
}

impl PartyIdentity {
    /// Longest legal name.
    pub const NAME_MAX: usize = 200;

    /// Parses an identity, recording each bad field (`name`, `address.…`, `siren`,
    /// `siret`, `vat_number`). The name and the address are required; a SIRET must be
    /// one of the SIREN given, and a French VAT number that of the SIREN given.
    /// `missing_siren` decides, from the address's country, whether an empty SIREN is a
    /// fault and says why (the service's rule: who must give one is its business).
    pub fn parse(
        raw: RawIdentity<'_>,
        missing_siren: impl FnOnce(Option<&CountryCode>) -> Option<String>,
        violations: &mut Violations,
    ) -> Option<Self> {
        let before = violations.len();
        let legal_name = text(violations, "name", raw.legal_name, Self::NAME_MAX, true);
        let (address, country) = PostalAddress::parse(raw.address, violations);
        // Some(None): no SIREN given; None: a bad one.
        let siren = if raw.siren.trim().is_empty() {
            if let Some(reason) = missing_siren(country.as_ref()) {
                add(violations, "siren", reason);
            }
            Some(None)
        } else {
            Siren::parse(raw.siren)
                .map_err(|err| add(violations, "siren", err.to_string()))
                .ok()
                .map(Some)
        };
        let siret = if raw.siret.trim().is_empty() {
            None
        } else {
            match (
                Siret::parse(raw.siret),
                siren.as_ref().and_then(Option::as_ref),
            ) {
                (Ok(siret), Some(siren)) if siret.siren() != siren => {
                    add(
                        violations,
                        "siret",
                        format!("must begin with the SIREN {siren}"),
                    );
                    None
                }
                (Ok(siret), _) => Some(siret),
                (Err(err), _) => {
                    add(violations, "siret", err.to_string());
                    None
                }
            }
        };
        let vat_number = if raw.vat_number.trim().is_empty() {
            None
        } else {
            let french = raw
                .vat_number
                .trim_start()
                .to_ascii_uppercase()
                .starts_with("FR");
            // A French number must be that of the SIREN given, when one is (and valid).
            let parsed = match siren.as_ref().and_then(Option::as_ref) {
                Some(siren) if french => VatNumber::parse_for(raw.vat_number, siren),
                _ => VatNumber::parse(raw.vat_number),
            };
            parsed
                .map_err(|err| add(violations, "vat_number", err.to_string()))
                .ok()
        };
        if violations.len() != before {
            return None;
        }
        Some(Self {
            legal_name,
            siren: siren?,
            siret,
            vat_number,
            address: address?,
        })
    }

    /// The SIREN as stored and sent: its 9 digits, or empty.
    pub fn siren_str(&self) -> &str {
        self.siren.as_ref().map(Siren::as_str).unwrap_or_default()
    }

    /// The VAT number as stored and sent, or empty.
    pub fn vat_number_str(&self) -> &str {
        self.vat_number
            .as_ref()
            .map(VatNumber::as_str)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> RawAddress<'static> {
        RawAddress {
            line1: " 1 rue de la Paix ",
            line2: "",
            postal_code: "75002",
            city: "Paris",
            country_code: "fr",
        }
    }

    fn dupont() -> RawIdentity<'static> {
        RawIdentity {
            legal_name: "  Dupont SA ",
            siren: "732 829 320",
            siret: "",
            vat_number: "fr44732829320",
            address: paris(),
        }
    }

    fn fields(violations: &Violations) -> Vec<&str> {
        violations.iter().map(|(field, _)| field.as_str()).collect()
    }

    fn never(_: Option<&CountryCode>) -> Option<String> {
        None
    }

    #[test]
    fn an_address_is_trimmed_and_its_country_upper_cased() {
        let mut violations = Violations::new();
        let (address, country) = PostalAddress::parse(paris(), &mut violations);
        assert!(violations.is_empty());
        let address = address.unwrap();
        assert_eq!(address.line1, "1 rue de la Paix");
        assert_eq!(address.country_code, "FR");
        assert_eq!(country.unwrap().as_str(), "FR");
        assert_eq!(address.country().unwrap().as_str(), "FR");
        let (again, _) = PostalAddress::parse(RawAddress::from(&address), &mut violations);
        assert_eq!(again, Some(address));
    }

    #[test]
    fn every_bad_address_field_is_named_and_the_country_still_comes_back() {
        let mut violations = Violations::new();
        let raw = RawAddress {
            postal_code: "7500",
            country_code: "FR",
            ..RawAddress::default()
        };
        let (address, country) = PostalAddress::parse(raw, &mut violations);
        assert!(address.is_none());
        assert_eq!(country.unwrap().as_str(), "FR");
        assert_eq!(
            fields(&violations),
            ["address.line1", "address.postal_code", "address.city"]
        );
    }

    #[test]
    fn an_unknown_country_still_gets_the_loose_postal_code_check() {
        let mut violations = Violations::new();
        let raw = RawAddress {
            postal_code: "SW1A 1AA",
            country_code: "XX",
            ..paris()
        };
        let (address, country) = PostalAddress::parse(raw, &mut violations);
        assert!(address.is_none() && country.is_none());
        assert_eq!(fields(&violations), ["address.country_code"]);
    }

    #[test]
    fn an_identity_is_normalised() {
        let mut violations = Violations::new();
        let identity = PartyIdentity::parse(dupont(), never, &mut violations).unwrap();
        assert_eq!(identity.legal_name, "Dupont SA");
        assert_eq!(identity.siren_str(), "732829320");
        assert_eq!(identity.vat_number_str(), "FR44732829320");
        assert_eq!(identity.siret, None);
        assert_eq!(identity.address.country_code, "FR");
    }

    #[test]
    fn an_empty_siren_is_refused_only_when_the_rule_says_so() {
        let raw = RawIdentity {
            siren: "",
            vat_number: "",
            ..dupont()
        };
        let mut violations = Violations::new();
        let identity = PartyIdentity::parse(raw, never, &mut violations).unwrap();
        assert_eq!((identity.siren, identity.vat_number), (None, None));
        let french = |country: Option<&CountryCode>| {
            (country.map(CountryCode::as_str) == Some("FR")).then(|| "is required".to_owned())
        };
        assert!(PartyIdentity::parse(raw, french, &mut violations).is_none());
        assert_eq!(fields(&violations), ["siren"]);
    }

    #[test]
    fn a_french_vat_number_must_be_that_of_the_siren_given() {
        for vat_number in ["FR45732829320", "FR96552100554"] {
            let mut violations = Violations::new();
            let raw = RawIdentity {
                vat_number,
                ..dupont()
            };
            assert!(PartyIdentity::parse(raw, never, &mut violations).is_none());
            assert_eq!(fields(&violations), ["vat_number"]);
        }
    }

    #[test]
    fn a_siret_must_be_one_of_the_siren_given() {
        let mut violations = Violations::new();
        let raw = RawIdentity {
            siret: "732 829 320 00074",
            ..dupont()
        };
        let identity = PartyIdentity::parse(raw, never, &mut violations).unwrap();
        assert_eq!(identity.siret.unwrap().to_string(), "73282932000074");
        let raw = RawIdentity {
            siret: "55210055400013",
            ..dupont()
        };
        assert!(PartyIdentity::parse(raw, never, &mut violations).is_none());
        assert_eq!(fields(&violations), ["siret"]);
    }

    #[test]
    fn every_bad_identity_field_is_named_in_order() {
        let raw = RawIdentity {
            legal_name: " ",
            siren: "732829321",
            siret: "1",
            vat_number: "XX1",
            address: RawAddress {
                postal_code: "7500",
                country_code: "FR",
                ..RawAddress::default()
            },
        };
        let mut violations = Violations::new();
        assert!(PartyIdentity::parse(raw, never, &mut violations).is_none());
        assert_eq!(
            fields(&violations),
            [
                "name",
                "address.line1",
                "address.postal_code",
                "address.city",
                "siren",
                "siret",
                "vat_number",
            ]
        );
    }
}
