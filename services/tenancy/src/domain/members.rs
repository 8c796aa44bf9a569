//! Rules of membership, free of I/O: custom roles, invited addresses, the state and kind
//! of an invitation, the plan's limit, and who may grant which role (nobody raises rights
//! they do not hold).

use chrono::{DateTime, Utc};
use comptoir_domain_types::fields::{Violations, add};
use comptoir_domain_types::permissions;

use super::Refusal;
use super::access::is_administrator;

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

/// A custom role as a company defines it: a key that is no built-in role's, a name, and
/// known permissions, sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomRole {
    /// Stable key, stored in memberships and tokens.
    pub(crate) key: String,
    /// Display name.
    pub(crate) name: String,
    /// What it may do.
    pub(crate) permissions: Vec<String>,
}

impl CustomRole {
    /// Parses a custom role, recording every bad field (`key`, `name`,
    /// `permissions[i]`) in `violations`.
    pub(crate) fn parse(
        key: &str,
        name: &str,
        permissions: &[String],
        violations: &mut Violations,
    ) -> Option<Self> {
        let before = violations.len();
        if let Err(reason) = role_key(key) {
            add(violations, "key", reason);
        }
        if permissions::built_in(key).is_some() {
            add(violations, "key", "is a built-in role");
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            add(violations, "name", "must be 1 to 80 characters");
        }
        if permissions.is_empty() {
            add(
                violations,
                "permissions",
                "must name at least one permission",
            );
        }
        for (i, permission) in permissions.iter().enumerate() {
            if !permissions::is_known(permission) {
                add(
                    violations,
                    &format!("permissions[{i}]"),
                    format!("`{permission}` is not a permission"),
                );
            }
        }
        if violations.len() > before {
            return None;
        }
        let mut permissions = permissions.to_vec();
        permissions.sort();
        permissions.dedup();
        Some(Self {
            key: key.to_owned(),
            name: name.to_owned(),
            permissions,
        })
    }
}

/// A role of a company as listed: one of the built-in roles every company has, or one of
/// its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Role {
    /// Stable key.
    pub(crate) key: String,
    /// Display name.
    pub(crate) name: String,
    /// What it may do.
    pub(crate) permissions: Vec<String>,
    /// True for a built-in role, which cannot change.
    pub(crate) built_in: bool,
}

impl Role {
    /// The built-in roles, in the shared list's order.
    pub(crate) fn built_in() -> impl Iterator<Item = Role> {
        permissions::BUILT_IN_ROLES.iter().map(|role| Role {
            key: role.key.to_owned(),
            name: role.name.to_owned(),
            permissions: permissions::names(role.permissions),
            built_in: true,
        })
    }
}

impl From<CustomRole> for Role {
    fn from(role: CustomRole) -> Self {
        Role {
            key: role.key,
            name: role.name,
            permissions: role.permissions,
            built_in: false,
        }
    }
}

/// Refused with [`Refusal::BuiltInRole`] when `key` is a built-in role's: those never
/// change.
pub(crate) fn not_built_in(key: &str) -> Result<(), Refusal> {
    match permissions::built_in(key) {
        Some(_) => Err(Refusal::BuiltInRole(key.to_owned())),
        None => Ok(()),
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvitationState {
    /// Open: it may be accepted or revoked.
    Pending,
    /// Accepted once; a token is single-use.
    Accepted,
    /// Revoked by the company.
    Revoked,
    /// Past its validity.
    Expired,
}

impl InvitationState {
    /// The state of an invitation at `now`: accepted and revoked are final, whatever its
    /// validity; otherwise it is pending until `expires_at` (excluded).
    pub(crate) fn at(
        accepted_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        if accepted_at.is_some() {
            Self::Accepted
        } else if revoked_at.is_some() {
            Self::Revoked
        } else if expires_at <= now {
            Self::Expired
        } else {
            Self::Pending
        }
    }

    /// How a closed invitation's state reads in a refusal.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Accepted => "already used",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Pending => "closed",
        }
    }

    /// Refused with [`Refusal::InvitationClosed`] unless pending.
    pub(crate) fn require_pending(self) -> Result<(), Refusal> {
        match self {
            Self::Pending => Ok(()),
            closed => Err(Refusal::InvitationClosed(closed)),
        }
    }
}

/// What accepting an invitation gives. Both kinds share one token mechanism and one
/// table; each is accepted only by its own call, so a member's link never makes a firm
/// grant and a firm's link never makes a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvitationKind {
    /// The acceptor joins the company with the invitation's role; takes a seat of the
    /// plan while pending.
    Member,
    /// The acceptor's accounting firm gets a grant on the company with the invitation's
    /// role ("accountant"); takes no seat, as the firm's people are no members.
    Firm,
}

impl InvitationKind {
    /// The stored name (the `invitation.kind` column).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Firm => "firm",
        }
    }

    /// The kind a stored name reads as; `None` for a name the database's check refuses.
    pub(crate) fn from_stored(key: &str) -> Option<Self> {
        [Self::Member, Self::Firm]
            .into_iter()
            .find(|kind| kind.key() == key)
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
        self.owner || is_administrator(self.role)
    }
}

/// Whether `granter` may give the role `role`, carrying `granted`, to someone (an
/// invitation or a role change). Only the owner or an Administrator gives Administrator,
/// since it carries members.manage over everyone (a custom role holding every permission
/// is not one); nobody gives a permission they do not hold. Changing one's own role is
/// refused apart ([`own_role`]), because even a lesser role given to oneself is a choice
/// the company's other managers should make.
pub(crate) fn may_grant(
    granter: Granter<'_>,
    role: &str,
    granted: &[String],
) -> Result<(), Refusal> {
    if is_administrator(role) && !granter.administrator() {
        return Err(Refusal::AdministratorGrantReserved);
    }
    match granted
        .iter()
        .find(|permission| !granter.permissions.contains(permission))
    {
        Some(missing) => Err(Refusal::PermissionNotHeld(missing.clone())),
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
) -> Result<(), Refusal> {
    if caller == target {
        return Err(Refusal::OwnRoleUnchangeable);
    }
    if is_administrator(current) && !granter.administrator() {
        return Err(Refusal::AdministratorGrantReserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[permissions::Permission]) -> Vec<String> {
        permissions::names(items)
    }

    #[test]
    fn a_granter_gives_only_what_it_holds_and_administrator_only_if_it_is_one() {
        let held = strings(&[
            permissions::Permission::MembersManage,
            permissions::Permission::QuotesWrite,
        ]);
        let manager = Granter {
            role: "manager",
            permissions: &held,
            owner: false,
        };
        assert!(
            may_grant(
                manager,
                "sales",
                &strings(&[permissions::Permission::QuotesWrite])
            )
            .is_ok()
        );
        assert!(matches!(
            may_grant(manager, "user", &strings(&[permissions::Permission::InvoicesRead])),
            Err(Refusal::PermissionNotHeld(p)) if p == permissions::Permission::InvoicesRead.as_str()
        ));
        let all = strings(&permissions::Permission::ALL);
        let everything = Granter {
            role: "everything",
            permissions: &all,
            owner: false,
        };
        assert!(matches!(
            may_grant(everything, "administrator", &all),
            Err(Refusal::AdministratorGrantReserved)
        ));
        let administrator = Granter {
            role: "administrator",
            ..everything
        };
        assert!(may_grant(administrator, "administrator", &all).is_ok());
        let me = uuid::Uuid::now_v7();
        assert!(matches!(
            may_change(administrator, me, me, "user"),
            Err(Refusal::OwnRoleUnchangeable)
        ));
        assert!(matches!(
            may_change(everything, me, uuid::Uuid::now_v7(), "administrator"),
            Err(Refusal::AdministratorGrantReserved)
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

    #[test]
    fn a_custom_role_names_every_bad_field_and_keeps_its_permissions_sorted_once() {
        let mut violations = Violations::new();
        let role = CustomRole::parse(
            "cashier",
            " Cashier ",
            &strings(&[
                permissions::Permission::QuotesWrite,
                permissions::Permission::InvoicesRead,
                permissions::Permission::QuotesWrite,
            ]),
            &mut violations,
        )
        .unwrap();
        assert!(violations.is_empty());
        assert_eq!(role.name, "Cashier");
        assert_eq!(
            role.permissions,
            strings(&[
                permissions::Permission::InvoicesRead,
                permissions::Permission::QuotesWrite
            ])
        );
        let refused = CustomRole::parse(
            "sales",
            "",
            &[
                permissions::Permission::QuotesWrite.to_string(),
                "root".to_owned(),
            ],
            &mut violations,
        );
        assert_eq!(refused, None);
        let fields: Vec<&str> = violations.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["key", "name", "permissions[1]"]);
        let mut violations = Violations::new();
        assert_eq!(CustomRole::parse("x", "X", &[], &mut violations), None);
        let fields: Vec<&str> = violations.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["key", "permissions"]);
    }

    #[test]
    fn an_invitation_is_pending_until_it_is_accepted_revoked_or_expires() {
        let now = Utc::now();
        let later = now + chrono::Duration::days(1);
        let state =
            |accepted, revoked, expires| InvitationState::at(accepted, revoked, expires, now);
        assert_eq!(state(None, None, later), InvitationState::Pending);
        assert_eq!(state(None, None, now), InvitationState::Expired);
        assert_eq!(state(Some(now), Some(now), now), InvitationState::Accepted);
        assert_eq!(state(None, Some(now), later), InvitationState::Revoked);
        assert!(InvitationState::Pending.require_pending().is_ok());
        assert!(matches!(
            InvitationState::Expired.require_pending(),
            Err(Refusal::InvitationClosed(InvitationState::Expired))
        ));
    }

    #[test]
    fn an_invitation_kind_reads_back_from_its_stored_name() {
        for kind in [InvitationKind::Member, InvitationKind::Firm] {
            assert_eq!(InvitationKind::from_stored(kind.key()), Some(kind));
        }
        assert_eq!(InvitationKind::from_stored("guest"), None);
    }

    #[test]
    fn built_in_roles_are_listed_as_built_in_and_never_change() {
        let listed: Vec<Role> = Role::built_in().collect();
        assert_eq!(listed.len(), permissions::BUILT_IN_ROLES.len());
        assert!(listed.iter().all(|role| role.built_in));
        assert_eq!(listed[0].key, permissions::ADMINISTRATOR.key);
        assert!(matches!(not_built_in("sales"), Err(Refusal::BuiltInRole(k)) if k == "sales"));
        assert!(not_built_in("cashier").is_ok());
    }
}
