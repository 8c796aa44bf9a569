//! A firm's clients, free of I/O: who owns a company (an account, or the accounting firm
//! that created it for its client), and when a firm disconnecting from its client may hand
//! the client over to one of the client's Administrators.

use uuid::Uuid;

use super::Refusal;
use super::access::is_administrator;

/// Who owns a company: exactly one of an account or a firm, as the `company_one_owner`
/// constraint keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// An account, which is also a member and Administrator of the company.
    User(Uuid),
    /// The accounting firm that created the company for its client; it reaches the
    /// client through its grant, never through a membership.
    Firm(Uuid),
}

impl Owner {
    /// The owner from the stored `owner_id` and `owner_firm_id`; a row with both (which
    /// the database refuses) reads as the account's.
    pub(crate) fn from_columns(user: Option<Uuid>, firm: Option<Uuid>) -> Option<Self> {
        user.map(Self::User).or(firm.map(Self::Firm))
    }

    /// The owning account, if an account owns it.
    pub(crate) fn user(self) -> Option<Uuid> {
        match self {
            Self::User(user) => Some(user),
            Self::Firm(_) => None,
        }
    }

    /// The owning firm, if a firm owns it.
    pub(crate) fn firm(self) -> Option<Uuid> {
        match self {
            Self::User(_) => None,
            Self::Firm(firm) => Some(firm),
        }
    }
}

/// Whether `firm`, disconnecting from a client owned by `owner`, may hand it over to a
/// member of the client holding `role` (`None` when not a member): only the owning firm
/// hands a client over, and only to one of its Administrators.
pub(crate) fn may_hand_over(
    owner: Option<Owner>,
    firm: Uuid,
    role: Option<&str>,
) -> Result<(), Refusal> {
    if owner != Some(Owner::Firm(firm)) {
        return Err(Refusal::FirmNotOwner);
    }
    match role {
        Some(role) if is_administrator(role) => Ok(()),
        _ => Err(Refusal::NotAClientAdministrator),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_has_one_owner_an_account_or_a_firm() {
        let (user, firm) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            Owner::from_columns(Some(user), None),
            Some(Owner::User(user))
        );
        assert_eq!(
            Owner::from_columns(None, Some(firm)),
            Some(Owner::Firm(firm))
        );
        assert_eq!(Owner::from_columns(None, None), None);
        assert_eq!(Owner::User(user).user(), Some(user));
        assert_eq!(Owner::User(user).firm(), None);
        assert_eq!(Owner::Firm(firm).firm(), Some(firm));
        assert_eq!(Owner::Firm(firm).user(), None);
    }

    #[test]
    fn only_the_owning_firm_hands_its_client_over_and_only_to_an_administrator() {
        let (firm, other) = (Uuid::now_v7(), Uuid::now_v7());
        let owned = Some(Owner::Firm(firm));
        assert!(may_hand_over(owned, firm, Some("administrator")).is_ok());
        for role in [None, Some("user"), Some("accountant")] {
            assert!(matches!(
                may_hand_over(owned, firm, role),
                Err(Refusal::NotAClientAdministrator)
            ));
        }
        for owner in [Some(Owner::Firm(other)), Some(Owner::User(firm)), None] {
            assert!(matches!(
                may_hand_over(owner, firm, Some("administrator")),
                Err(Refusal::FirmNotOwner)
            ));
        }
    }
}
