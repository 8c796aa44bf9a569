//! What an access token says: whose session it belongs to and, scoped to a company, the
//! role and permissions tenancy gave, and whether they come through an accounting firm.

use comptoir_runtime::caller::Claims;
use uuid::Uuid;

/// A user's rights on a company, as tenancy answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rights {
    pub(crate) company_id: Uuid,
    pub(crate) role: String,
    pub(crate) permissions: Vec<String>,
    /// True when the user reaches the company only through an accounting firm's grant
    /// (a membership of their own wins): the token says so, for the acts a firm may not do
    /// for its client.
    pub(crate) through_firm: bool,
}

/// The subject of the tokens identity signs for itself.
const SERVICE_SUBJECT: &str = "service:identity";

/// The claims of an access token of `session_id` for `user_id`, scoped to a company when
/// `rights` says which (and with what).
pub(crate) fn access_claims(
    user_id: Uuid,
    session_id: Uuid,
    rights: Option<&Rights>,
    issuer: &str,
    audience: &str,
) -> Claims {
    let mut claims = Claims::new(user_id.to_string(), issuer, audience);
    claims.sid = Some(session_id);
    if let Some(rights) = rights {
        claims.cid = Some(rights.company_id);
        claims.role = Some(rights.role.clone());
        claims.perms = rights.permissions.clone();
        claims.firm = rights.through_firm;
    }
    claims
}

/// The claims of identity's own service token: it says only "identity".
pub(crate) fn service_claims(issuer: &str, audience: &str) -> Claims {
    Claims::new(SERVICE_SUBJECT, issuer, audience)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unscoped_token_names_the_session_and_no_company() {
        let (user, session) = (Uuid::now_v7(), Uuid::now_v7());
        let claims = access_claims(user, session, None, "iss", "aud");
        assert_eq!(claims.sub, user.to_string());
        assert_eq!(claims.sid, Some(session));
        assert_eq!((claims.cid, claims.role, claims.firm), (None, None, false));
        assert!(claims.perms.is_empty());
        assert_eq!((claims.iss.as_str(), claims.aud.as_str()), ("iss", "aud"));
    }

    #[test]
    fn a_scoped_token_carries_the_rights_and_the_firm_claim_only_through_a_firm() {
        let company = Uuid::now_v7();
        let mut rights = Rights {
            company_id: company,
            role: "Accountant".to_owned(),
            permissions: vec!["invoices.read".to_owned()],
            through_firm: true,
        };
        let claims = access_claims(Uuid::now_v7(), Uuid::now_v7(), Some(&rights), "i", "a");
        assert_eq!(claims.cid, Some(company));
        assert_eq!(claims.role.as_deref(), Some("Accountant"));
        assert_eq!(claims.perms, ["invoices.read"]);
        assert!(claims.firm);
        rights.through_firm = false;
        let claims = access_claims(Uuid::now_v7(), Uuid::now_v7(), Some(&rights), "i", "a");
        assert!(!claims.firm);
    }

    #[test]
    fn the_service_token_says_only_identity() {
        let claims = service_claims("iss", "aud");
        assert_eq!(claims.sub, "service:identity");
        assert_eq!((claims.sid, claims.cid), (None, None));
    }
}
