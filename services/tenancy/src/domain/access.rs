//! What a role lets a user do on a company: the role, its permissions (a built-in role's
//! from the shared list in [`comptoir_domain_types::permissions`], or a custom role's as
//! stored), and whether it comes through an accounting firm's grant.

use comptoir_domain_types::permissions::{self, ACCOUNTANT, ADMINISTRATOR, Permission};

use super::Refusal;

/// What a user may do on a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Access {
    /// Role key.
    pub(crate) role: String,
    /// Permissions of that role.
    pub(crate) permissions: Vec<String>,
    /// True when it comes through a firm grant.
    pub(crate) through_firm: bool,
}

impl Access {
    /// Checks one permission of the shared list.
    pub(crate) fn require(&self, permission: Permission) -> Result<(), Refusal> {
        if permission.held_in(&self.permissions) {
            Ok(())
        } else {
            Err(Refusal::PermissionDenied(permission.as_str().to_owned()))
        }
    }
}

/// The permissions of the built-in role `role`; `None` when it is not one (a custom role,
/// or no role of this company).
pub(crate) fn built_in_permissions(role: &str) -> Option<Vec<String>> {
    permissions::built_in(role).map(|built_in| permissions::names(built_in.permissions))
}

/// True when `role` is the built-in Administrator role.
pub(crate) fn is_administrator(role: &str) -> bool {
    role == ADMINISTRATOR.key
}

/// Checks the role a firm grant gives the firm on its client: Accountant, or
/// Administrator when the firm runs the client.
pub(crate) fn firm_grant_role(role: &str) -> Result<(), &'static str> {
    if role == ACCOUNTANT.key || is_administrator(role) {
        Ok(())
    } else {
        Err("must be `accountant` or `administrator`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_holds_the_permissions_of_its_role_only() {
        let access = Access {
            role: permissions::SALES.key.to_owned(),
            permissions: built_in_permissions(permissions::SALES.key).unwrap(),
            through_firm: false,
        };
        assert!(access.require(permissions::Permission::QuotesWrite).is_ok());
        assert!(matches!(
            access.require(permissions::Permission::InvoicesIssue),
            Err(Refusal::PermissionDenied(p)) if p == permissions::Permission::InvoicesIssue.as_str()
        ));
        assert_eq!(built_in_permissions("cashier"), None);
        assert_eq!(
            built_in_permissions(ADMINISTRATOR.key).unwrap().len(),
            permissions::Permission::ALL.len()
        );
    }

    #[test]
    fn a_firm_is_granted_accountant_or_administrator_only() {
        assert!(firm_grant_role("accountant").is_ok());
        assert!(firm_grant_role("administrator").is_ok());
        for bad in ["", "user", "sales", "Accountant"] {
            assert!(firm_grant_role(bad).is_err(), "{bad}");
        }
        assert!(is_administrator("administrator"));
        assert!(!is_administrator("accountant"));
    }
}
