//! A company's customers and suppliers: what a caller sets on a party, the rules those
//! fields follow (a French business customer needs a SIREN, a French VAT number is that of
//! the SIREN, payment terms within the legal 60 days, a ledger code of letters and
//! digits), and how an update mask merges changes onto the stored party. The identity and
//! address are the shared [`PartyIdentity`]; violations name fields relative to the party
//! (`name`, `address.city`), for the caller to place under its own path.

use chrono::{DateTime, Utc};
use comptoir_domain_types::fields::{Violations, add};
use comptoir_domain_types::legal::{CountryCode, Email};
use comptoir_domain_types::party::{PartyIdentity, PostalAddress, RawAddress, RawIdentity};
use uuid::Uuid;

use super::{Authorship, PartyKind, PartyRole};

/// Longest ledger account code.
const ACCOUNTING_CODE_MAX: usize = 20;
/// Longest payment terms, in days: the legal maximum between businesses.
const PAYMENT_TERMS_MAX: i32 = 60;

/// A party as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Party {
    pub(crate) party_id: Uuid,
    pub(crate) company_id: Uuid,
    /// Customer or supplier; it never changes.
    pub(crate) role: PartyRole,
    pub(crate) fields: PartyFields,
    pub(crate) archived_at: Option<DateTime<Utc>>,
    pub(crate) authorship: Authorship,
}

/// The fields of a party a caller sets, validated (empty strings for absent values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartyFields {
    pub(crate) kind: PartyKind,
    /// Name, SIREN, VAT number and address.
    pub(crate) identity: PartyIdentity,
    pub(crate) email: String,
    pub(crate) payment_terms_days: i32,
    pub(crate) accounting_code: String,
}

/// The fields of a party as a caller sends them, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PartyInput {
    /// None when unspecified or unknown.
    pub(crate) kind: Option<PartyKind>,
    pub(crate) name: String,
    pub(crate) siren: String,
    pub(crate) vat_number: String,
    /// The address as sent (unchecked until [`PartyInput::parse`]).
    pub(crate) address: PostalAddress,
    pub(crate) email: String,
    pub(crate) payment_terms_days: i32,
    pub(crate) accounting_code: String,
}

/// Why an empty SIREN is refused for a party of `role` and `kind` in `country`: a French
/// business customer must give one (its invoices print it); suppliers, private persons
/// and foreign businesses need not.
pub(crate) fn missing_siren(
    role: PartyRole,
    kind: Option<PartyKind>,
    country: Option<&CountryCode>,
) -> Option<&'static str> {
    let french_business_customer = role == PartyRole::Customer
        && kind == Some(PartyKind::Professional)
        && country.is_some_and(|c| c.as_str() == "FR");
    french_business_customer.then_some("is required for a French business customer")
}

impl PartyInput {
    /// The stored party as the input that would create it: what an update starts from.
    pub(crate) fn of(fields: &PartyFields) -> Self {
        let identity = &fields.identity;
        PartyInput {
            kind: Some(fields.kind),
            name: identity.legal_name.clone(),
            siren: identity.siren_str().to_owned(),
            vat_number: identity.vat_number_str().to_owned(),
            address: identity.address.clone(),
            email: fields.email.clone(),
            payment_terms_days: fields.payment_terms_days,
            accounting_code: fields.accounting_code.clone(),
        }
    }

    /// Parses the fields of a party of `role`, recording each bad one.
    pub(crate) fn parse(
        &self,
        role: PartyRole,
        violations: &mut Violations,
    ) -> Option<PartyFields> {
        let before = violations.len();
        if self.kind.is_none() {
            add(
                violations,
                "kind",
                "is required: PARTY_KIND_PROFESSIONAL or PARTY_KIND_PRIVATE",
            );
        }
        let raw = RawIdentity {
            legal_name: &self.name,
            siren: &self.siren,
            siret: "",
            vat_number: &self.vat_number,
            address: RawAddress::from(&self.address),
        };
        let missing = |country: Option<&CountryCode>| {
            missing_siren(role, self.kind, country).map(str::to_owned)
        };
        let identity = PartyIdentity::parse(raw, missing, violations);
        let email = if self.email.trim().is_empty() {
            Some(String::new())
        } else {
            Email::parse(&self.email)
                .map(|e| e.as_str().to_owned())
                .map_err(|err| add(violations, "email", err.to_string()))
                .ok()
        };
        if !(0..=PAYMENT_TERMS_MAX).contains(&self.payment_terms_days) {
            add(
                violations,
                "payment_terms_days",
                format!("must be between 0 and {PAYMENT_TERMS_MAX} days"),
            );
        }
        let accounting_code = self.accounting_code.trim();
        if accounting_code.chars().count() > ACCOUNTING_CODE_MAX
            || !accounting_code.chars().all(|c| c.is_ascii_alphanumeric())
        {
            add(
                violations,
                "accounting_code",
                format!("must be at most {ACCOUNTING_CODE_MAX} letters or digits"),
            );
        }
        if violations.len() != before {
            return None;
        }
        Some(PartyFields {
            kind: self.kind?,
            identity: identity?,
            email: email?,
            payment_terms_days: self.payment_terms_days,
            accounting_code: accounting_code.to_owned(),
        })
    }

    /// Copies the fields `paths` name from `changes` onto `self`; returns why each path
    /// is refused (unknown, or the role, which never changes).
    pub(crate) fn apply_mask(&mut self, changes: &PartyInput, paths: &[String]) -> Vec<String> {
        let mut refused = Vec::new();
        if paths.is_empty() {
            refused.push("must name at least one field".to_owned());
        }
        let new_address = &changes.address;
        let address = &mut self.address;
        for path in paths {
            match path.as_str() {
                "kind" => self.kind = changes.kind,
                "name" => self.name = changes.name.clone(),
                "siren" => self.siren = changes.siren.clone(),
                "vat_number" => self.vat_number = changes.vat_number.clone(),
                "address" => *address = new_address.clone(),
                "address.line1" => address.line1 = new_address.line1.clone(),
                "address.line2" => address.line2 = new_address.line2.clone(),
                "address.postal_code" => address.postal_code = new_address.postal_code.clone(),
                "address.city" => address.city = new_address.city.clone(),
                "address.country_code" => {
                    address.country_code = new_address.country_code.clone();
                }
                "email" => self.email = changes.email.clone(),
                "payment_terms_days" => self.payment_terms_days = changes.payment_terms_days,
                "accounting_code" => self.accounting_code = changes.accounting_code.clone(),
                "role" => refused.push("the role of a party never changes".to_owned()),
                other => refused.push(format!("names `{other}`, which is not one of: {MASKABLE}")),
            }
        }
        refused
    }
}

/// The fields an update mask may name.
const MASKABLE: &str = "kind, name, siren, vat_number, address (or address.line1, \
     address.line2, address.postal_code, address.city, address.country_code), email, \
     payment_terms_days, accounting_code";

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> PartyInput {
        PartyInput {
            kind: Some(PartyKind::Professional),
            name: "  Dupont SA ".to_owned(),
            siren: "732 829 320".to_owned(),
            vat_number: "fr44732829320".to_owned(),
            address: PostalAddress {
                line1: "1 rue de la Paix".to_owned(),
                line2: String::new(),
                postal_code: "75002".to_owned(),
                city: "Paris".to_owned(),
                country_code: "fr".to_owned(),
            },
            email: "compta@Dupont.FR".to_owned(),
            payment_terms_days: 30,
            accounting_code: "411DUPONT".to_owned(),
        }
    }

    fn bad_fields(input: &PartyInput, role: PartyRole) -> Vec<String> {
        let mut violations = Violations::new();
        let parsed = input.parse(role, &mut violations);
        assert_eq!(parsed.is_none(), !violations.is_empty());
        violations.into_iter().map(|(field, _)| field).collect()
    }

    #[test]
    fn a_french_business_customer_is_normalised() {
        let mut violations = Violations::new();
        let fields = customer()
            .parse(PartyRole::Customer, &mut violations)
            .unwrap();
        assert_eq!(fields.identity.legal_name, "Dupont SA");
        assert_eq!(fields.identity.siren_str(), "732829320");
        assert_eq!(fields.identity.vat_number_str(), "FR44732829320");
        assert_eq!(fields.identity.address.country_code, "FR");
        assert_eq!(fields.email, "compta@dupont.fr");
        assert_eq!(
            PartyInput::of(&fields).parse(PartyRole::Customer, &mut violations),
            Some(fields)
        );
    }

    #[test]
    fn la_poste_is_a_valid_siren() {
        let mut input = customer();
        input.siren = "356000000".to_owned();
        input.vat_number = String::new();
        assert!(bad_fields(&input, PartyRole::Customer).is_empty());
    }

    #[test]
    fn only_a_french_business_customer_must_give_a_siren() {
        let fr = CountryCode::parse("FR").ok();
        let de = CountryCode::parse("DE").ok();
        let pro = Some(PartyKind::Professional);
        assert!(missing_siren(PartyRole::Customer, pro, fr.as_ref()).is_some());
        assert!(missing_siren(PartyRole::Supplier, pro, fr.as_ref()).is_none());
        assert!(
            missing_siren(PartyRole::Customer, Some(PartyKind::Private), fr.as_ref()).is_none()
        );
        assert!(missing_siren(PartyRole::Customer, pro, de.as_ref()).is_none());
        assert!(missing_siren(PartyRole::Customer, pro, None).is_none());
    }

    #[test]
    fn a_french_business_customer_needs_a_siren_but_a_supplier_or_a_private_person_does_not() {
        let mut input = customer();
        input.siren = String::new();
        input.vat_number = String::new();
        assert_eq!(bad_fields(&input, PartyRole::Customer), ["siren"]);
        assert!(bad_fields(&input, PartyRole::Supplier).is_empty());
        input.kind = Some(PartyKind::Private);
        assert!(bad_fields(&input, PartyRole::Customer).is_empty());
        let mut german = customer();
        german.siren = String::new();
        german.vat_number = "DE123456789".to_owned();
        german.address.country_code = "DE".to_owned();
        german.address.postal_code = "10115".to_owned();
        assert!(bad_fields(&german, PartyRole::Customer).is_empty());
    }

    #[test]
    fn a_french_vat_number_must_be_that_of_the_siren_given() {
        let mut input = customer();
        input.vat_number = "FR45732829320".to_owned();
        assert_eq!(bad_fields(&input, PartyRole::Customer), ["vat_number"]);
        input.vat_number = "FR96552100554".to_owned();
        assert_eq!(bad_fields(&input, PartyRole::Customer), ["vat_number"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = PartyInput {
            kind: None,
            name: " ".to_owned(),
            siren: "732829321".to_owned(),
            vat_number: "XX1".to_owned(),
            address: PostalAddress {
                postal_code: "7500".to_owned(),
                country_code: "FR".to_owned(),
                ..Default::default()
            },
            email: "nobody".to_owned(),
            payment_terms_days: 61,
            accounting_code: "411-DUPONT".to_owned(),
        };
        assert_eq!(
            bad_fields(&input, PartyRole::Customer),
            [
                "kind",
                "name",
                "address.line1",
                "address.postal_code",
                "address.city",
                "siren",
                "vat_number",
                "email",
                "payment_terms_days",
                "accounting_code",
            ]
        );
    }

    #[test]
    fn an_update_mask_copies_only_the_named_fields_and_never_the_role() {
        let mut base = customer();
        let changes = PartyInput {
            name: "Dupont et fils".to_owned(),
            email: "other@example.fr".to_owned(),
            address: PostalAddress {
                city: "Lyon".to_owned(),
                ..Default::default()
            },
            ..Default::default()
        };
        let refused = base.apply_mask(&changes, &["name".to_owned(), "address.city".to_owned()]);
        assert!(refused.is_empty());
        assert_eq!(base.name, "Dupont et fils");
        assert_eq!(base.email, "compta@Dupont.FR");
        assert_eq!(base.address.city, "Lyon");
        assert_eq!(base.address.postal_code, "75002");
        let refused = base.apply_mask(&changes, &["role".to_owned(), "colour".to_owned()]);
        assert_eq!(refused.len(), 2);
        assert_eq!(base.apply_mask(&changes, &[]).len(), 1);
    }
}
