//! Rules of membership, free of I/O: role keys, invited addresses, the plan's limit, and
//! who may grant which role (nobody raises rights they do not hold).

use comptoir_runtime::permissions;

use crate::error::Error;

/// Members the PRO plan allows: the Administrator plus 4 collaborators. Pending
/// invitations count, so the limit cannot be overrun by inviting first.
pub(crate) const PLAN_MEMBER_LIMIT: i64 = 5;

/// Checks a custom role key: 2 to 40 lower-case ASCII letters, digits or `_`, starting
/// with a letter.
pub(crate) fn role_key(key: &str) -> Result<(), &'static str> {
    let ok = (2..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err("must be 2 to 40 lower-case letters, digits or `_`, starting with a letter")
    }
}

/// An invited address, trimmed and lower-cased the way identity keys accounts.
pub(crate) fn normalise_email(input: &str) -> Result<String, &'static str> {
    let email = input.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err("is not a valid e-mail address")
    }
}

/// The one granting a role: their role and its permissions on the company, and whether
/// they own it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Granter<'a> {
    /// Role key.
    pub(crate) role: &'a str,
    /// Permissions of that role.
    pub(crate) permissions: &'a [String],
    /// True for the company's owner.
    pub(crate) owner: bool,
}

impl Granter<'_> {
    fn administrator(&self) -> bool {
        self.owner || self.role == permissions::ADMINISTRATOR.key
    }
}

/// Whether `granter` may give the role `role`, carrying `granted`, to someone (an
/// invitation or a role change). Only the owner or an Administrator gives Administrator,
/// since it carries members.manage over everyone (a custom role holding every permission
/// is not one); nobody gives a permission they do not hold. Changing one's own role is
/// refused apart ([`own_role`]), because even a lesser role given to oneself is a choice
/// the company's other managers should make.
pub(crate) fn may_grant(granter: Granter<'_>, role: &str, granted: &[String]) -> Result<(), Error> {
    if role == permissions::ADMINISTRATOR.key && !granter.administrator() {
        return Err(Error::AdministratorGrantReserved);
    }
    match granted
        .iter()
        .find(|permission| !granter.permissions.contains(permission))
    {
        Some(missing) => Err(Error::PermissionNotHeld(missing.clone())),
        None => Ok(()),
    }
}

/// Whether `granter`, whose account is `caller`, may change the role of `target`, who
/// holds `current`: never their own, and an Administrator's only if they are one.
pub(crate) fn may_change(
    granter: Granter<'_>,
    caller: uuid::Uuid,
    target: uuid::Uuid,
    current: &str,
) -> Result<(), Error> {
    if caller == target {
        return Err(Error::OwnRoleUnchangeable);
    }
    if current == permissions::ADMINISTRATOR.key && !granter.administrator() {
        return Err(Error::AdministratorGrantReserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn a_granter_gives_only_what_it_holds_and_administrator_only_if_it_is_one() {
        let held = strings(&[permissions::MEMBERS_MANAGE, permissions::QUOTES_WRITE]);
        let manager = Granter {
            role: "manager",
            permissions: &held,
            owner: false,
        };
        assert!(may_grant(manager, "sales", &strings(&[permissions::QUOTES_WRITE])).is_ok());
        assert!(matches!(
            may_grant(manager, "user", &strings(&[permissions::INVOICES_READ])),
            Err(Error::PermissionNotHeld(p)) if p == permissions::INVOICES_READ
        ));
        let all = strings(&permissions::ALL);
        let everything = Granter {
            role: "everything",
            permissions: &all,
            owner: false,
        };
        assert!(matches!(
            may_grant(everything, "administrator", &all),
            Err(Error::AdministratorGrantReserved)
        ));
        let administrator = Granter {
            role: "administrator",
            ..everything
        };
        assert!(may_grant(administrator, "administrator", &all).is_ok());
        let me = uuid::Uuid::now_v7();
        assert!(matches!(
            may_change(administrator, me, me, "user"),
            Err(Error::OwnRoleUnchangeable)
        ));
        assert!(matches!(
            may_change(everything, me, uuid::Uuid::now_v7(), "administrator"),
            Err(Error::AdministratorGrantReserved)
        ));
    }

    #[test]
    fn role_keys_are_plain_identifiers() {
        assert!(role_key("cashier_2").is_ok());
        for bad in ["", "x", "2nd", "Cashier", "café", &"a".repeat(41)] {
            assert!(role_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invited_addresses_are_normalised() {
        assert_eq!(
            normalise_email("  Paul@Example.FR ").unwrap(),
            "paul@example.fr"
        );
        assert!(normalise_email("paul@fr").is_err());
    }
}
