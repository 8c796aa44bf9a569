//! A client company as a firm enters it, before tenancy creates it: its legal identity
//! (raison sociale, SIREN and NIC making a valid SIRET, APE code, registered address),
//! the firm's code dossier, the director's contact and the portfolio manager. Parsing
//! collects every bad field, named relative to the client (`siren`, `address.postal_code`,
//! `director_email`), with the words of [`comptoir_domain_types::legal`], so the portal
//! refuses what tenancy would refuse before anything is asked of it, and says all of it
//! at once.

use comptoir_domain_types::fields::{Violations, add, text};
use comptoir_domain_types::legal::{ApeCode, Email, Nic, Siren, Siret};
use comptoir_domain_types::party::{PostalAddress, RawAddress};
use uuid::Uuid;

/// Longest raison sociale.
const LEGAL_NAME_MAX: usize = 200;
/// Longest director's name.
const DIRECTOR_NAME_MAX: usize = 200;
/// Longest director's phone, as typed.
const DIRECTOR_PHONE_MAX: usize = 40;

/// The firm's own reference for a client (code dossier): 1 to 30 letters, digits, `-`,
/// `_` or `.`, unique within the firm. Kept as typed (trimmed): firms number their files
/// in their own case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileCode(String);

/// Why a code dossier is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FileCodeError {
    /// Empty once trimmed.
    #[error("is required")]
    Blank,
    /// Too long, or a character other than a letter, a digit, `-`, `_` or `.`.
    #[error("must be 1 to 30 letters, digits, '-', '_' or '.'")]
    Format,
}

impl FileCode {
    /// Longest code dossier.
    pub(crate) const MAX: usize = 30;

    /// Parses a code dossier, trimming spaces around it.
    pub(crate) fn parse(input: &str) -> Result<Self, FileCodeError> {
        let code = input.trim();
        if code.is_empty() {
            return Err(FileCodeError::Blank);
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if code.chars().count() > Self::MAX || !code.chars().all(allowed) {
            return Err(FileCodeError::Format);
        }
        Ok(Self(code.to_owned()))
    }

    /// The code.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The director of a client, as far as the firm knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Director {
    /// Full name; may be empty.
    pub(crate) name: String,
    /// E-mail; required when the director is invited with the creation.
    pub(crate) email: Option<Email>,
    /// Phone as typed (tenancy normalises it); may be empty.
    pub(crate) phone: String,
}

/// A client company to create, every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewClient {
    /// Raison sociale.
    pub(crate) legal_name: String,
    /// Code dossier.
    pub(crate) file_code: FileCode,
    /// SIREN + NIC of the registered establishment.
    pub(crate) siret: Siret,
    /// APE/NAF code.
    pub(crate) ape_code: ApeCode,
    /// Registered address.
    pub(crate) address: PostalAddress,
    /// The director.
    pub(crate) director: Director,
    /// The firm member who looks after the client, if one is named.
    pub(crate) portfolio_manager: Option<Uuid>,
}

/// A client's fields as a caller sent them (a request, or a row of an import).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawClient<'a> {
    /// Raison sociale.
    pub(crate) legal_name: &'a str,
    /// Code dossier.
    pub(crate) file_code: &'a str,
    /// SIREN.
    pub(crate) siren: &'a str,
    /// NIC.
    pub(crate) nic: &'a str,
    /// APE/NAF code.
    pub(crate) ape_code: &'a str,
    /// Registered address.
    pub(crate) address: RawAddress<'a>,
    /// Director's name.
    pub(crate) director_name: &'a str,
    /// Director's e-mail.
    pub(crate) director_email: &'a str,
    /// Director's phone.
    pub(crate) director_phone: &'a str,
    /// The portfolio manager's user id; empty for none.
    pub(crate) portfolio_manager_id: &'a str,
}

/// Records `parsed`'s error under `field`; its value when it parsed.
fn check<T, E: ToString>(
    violations: &mut Violations,
    field: &str,
    parsed: Result<T, E>,
) -> Option<T> {
    parsed
        .map_err(|err| add(violations, field, err.to_string()))
        .ok()
}

/// Records "is required" under `field` when `input` is blank; else parses it.
fn required<T, E: ToString>(
    violations: &mut Violations,
    field: &str,
    input: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    if input.trim().is_empty() {
        add(violations, field, "is required");
        return None;
    }
    check(violations, field, parse(input))
}

impl RawClient<'_> {
    /// The client, or None when a field is bad; every bad field is recorded, in the order
    /// of the request's fields. With `invite_director`, the director's e-mail is required.
    pub(crate) fn parse(
        &self,
        invite_director: bool,
        violations: &mut Violations,
    ) -> Option<NewClient> {
        let before = violations.len();
        let legal_name = text(
            violations,
            "legal_name",
            self.legal_name,
            LEGAL_NAME_MAX,
            true,
        );
        let file_code = check(violations, "file_code", FileCode::parse(self.file_code));
        let siren = required(violations, "siren", self.siren, Siren::parse);
        let nic = required(violations, "nic", self.nic, Nic::parse);
        // The SIRET key needs both halves; a bad half is already named.
        let siret = siren
            .zip(nic)
            .and_then(|(siren, nic)| check(violations, "nic", Siret::new(&siren, &nic)));
        let ape_code = required(violations, "ape_code", self.ape_code, ApeCode::parse);
        let (address, _) = PostalAddress::parse(self.address, violations);
        let director_name = text(
            violations,
            "director_name",
            self.director_name,
            DIRECTOR_NAME_MAX,
            false,
        );
        let director_email = if self.director_email.trim().is_empty() {
            if invite_director {
                add(
                    violations,
                    "director_email",
                    "is required to invite the director",
                );
            }
            None
        } else {
            check(
                violations,
                "director_email",
                Email::parse(self.director_email),
            )
        };
        let director_phone = text(
            violations,
            "director_phone",
            self.director_phone,
            DIRECTOR_PHONE_MAX,
            false,
        );
        let portfolio_manager = if self.portfolio_manager_id.trim().is_empty() {
            Some(None)
        } else {
            check(
                violations,
                "portfolio_manager_id",
                Uuid::parse_str(self.portfolio_manager_id.trim())
                    .map(Some)
                    .map_err(|_| "must be a user id (a UUID)"),
            )
        };
        if violations.len() != before {
            return None;
        }
        Some(NewClient {
            legal_name,
            file_code: file_code?,
            siret: siret?,
            ape_code: ape_code?,
            address: address?,
            director: Director {
                name: director_name,
                email: director_email,
                phone: director_phone,
            },
            portfolio_manager: portfolio_manager?,
        })
    }
}

/// The idempotency key of tenancy's creation of a client: the caller's own key when it
/// gave one, else one derived from the code dossier (unique in the firm, and tenancy
/// scopes keys per caller and firm). Either way a retry after a failure between
/// tenancy's creation and the portal's record of it finds the company tenancy created,
/// instead of creating a second one.
pub(crate) fn creation_key(request_key: &str, file_code: &FileCode) -> String {
    if request_key.is_empty() {
        format!("file_code:{}", file_code.as_str())
    } else {
        request_key.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dupont() -> RawClient<'static> {
        RawClient {
            legal_name: "Boulangerie Dupont",
            file_code: "DUP-001",
            siren: "732 829 320",
            nic: "00017",
            ape_code: "10.71C",
            address: RawAddress {
                line1: "1 rue de la Paix",
                line2: "",
                postal_code: "75002",
                city: "Paris",
                country_code: "fr",
            },
            director_name: "Jeanne Dupont",
            director_email: "jeanne@dupont.example",
            director_phone: "+33 1 23 45 67 89",
            portfolio_manager_id: "",
        }
    }

    fn fields(violations: &Violations) -> Vec<&str> {
        violations.iter().map(|(field, _)| field.as_str()).collect()
    }

    #[test]
    fn a_good_client_parses_with_its_identifiers_normalised() {
        let mut violations = Violations::new();
        let client = dupont()
            .parse(true, &mut violations)
            .expect("a valid client");
        assert!(violations.is_empty(), "{violations:?}");
        assert_eq!(client.siret.to_string(), "73282932000017");
        assert_eq!(client.ape_code.as_str(), "1071C");
        assert_eq!(client.address.country_code, "FR");
        assert_eq!(client.file_code.as_str(), "DUP-001");
        assert_eq!(client.portfolio_manager, None);
    }

    #[test]
    fn every_bad_field_is_named_in_the_order_of_the_request() {
        let raw = RawClient {
            legal_name: " ",
            file_code: "DUP 001",
            siren: "732829321",
            nic: "0007",
            ape_code: "",
            address: RawAddress {
                postal_code: "7500",
                ..dupont().address
            },
            director_email: "not-an-address",
            portfolio_manager_id: "someone",
            ..dupont()
        };
        let mut violations = Violations::new();
        assert_eq!(raw.parse(false, &mut violations), None);
        assert_eq!(
            fields(&violations),
            [
                "legal_name",
                "file_code",
                "siren",
                "nic",
                "ape_code",
                "address.postal_code",
                "director_email",
                "portfolio_manager_id",
            ]
        );
        assert_eq!(violations[2].1, "fails the Luhn check");
        assert_eq!(violations[4].1, "is required");
    }

    #[test]
    fn a_siret_whose_key_fails_is_named_on_the_nic() {
        let raw = RawClient {
            nic: "00018",
            ..dupont()
        };
        let mut violations = Violations::new();
        assert_eq!(raw.parse(false, &mut violations), None);
        assert_eq!(fields(&violations), ["nic"]);
    }

    #[test]
    fn the_directors_email_is_required_only_to_invite_them() {
        let raw = RawClient {
            director_email: "",
            ..dupont()
        };
        let mut violations = Violations::new();
        assert!(raw.parse(false, &mut violations).is_some());
        assert_eq!(raw.parse(true, &mut violations), None);
        assert_eq!(fields(&violations), ["director_email"]);
    }

    #[test]
    fn tenancys_key_is_the_callers_or_else_derived_from_the_code_dossier() {
        let code = FileCode::parse("DUP-001").unwrap();
        assert_eq!(creation_key("", &code), "file_code:DUP-001");
        assert_eq!(creation_key("retry-7", &code), "retry-7");
    }

    #[test]
    fn file_codes_are_short_references_of_safe_characters() {
        assert_eq!(FileCode::parse(" A-1_b.2 ").unwrap().as_str(), "A-1_b.2");
        assert_eq!(FileCode::parse("  "), Err(FileCodeError::Blank));
        for bad in ["A 1", "é1", "a/b", &"x".repeat(31)] {
            assert_eq!(FileCode::parse(bad), Err(FileCodeError::Format), "{bad}");
        }
        assert!(FileCode::parse(&"x".repeat(30)).is_ok());
    }
}
