//! The one closed list of permissions every service checks, and the built-in roles made of
//! them. Tenancy stores roles (built-in and custom) as sets of these names and puts the
//! caller's set into the access token; services check them with the runtime's
//! `Caller::require`.

use std::fmt;

/// A permission: the closed list every service checks. Tokens and stored custom roles
/// carry the stable names ([`Permission::as_str`]); code names the variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read invoices, credit notes, quotes, customers and items.
    InvoicesRead,
    /// Create and edit draft invoices, credit notes, customers and items.
    InvoicesWrite,
    /// Issue (number and freeze) invoices and credit notes.
    InvoicesIssue,
    /// Create and edit quotes.
    QuotesWrite,
    /// Record purchase orders and purchase invoices.
    PurchasesWrite,
    /// Record payments.
    PaymentsWrite,
    /// Pull exports: journals, FEC, registers, reports.
    ExportsRead,
    /// Move the lock date.
    PeriodsLock,
    /// Change the company's settings and legal identity.
    SettingsWrite,
    /// Invite, remove and change the role of members; manage custom roles.
    MembersManage,
    /// Read the company's audit trail.
    AuditRead,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 11] = [
        Permission::InvoicesRead,
        Permission::InvoicesWrite,
        Permission::InvoicesIssue,
        Permission::QuotesWrite,
        Permission::PurchasesWrite,
        Permission::PaymentsWrite,
        Permission::ExportsRead,
        Permission::PeriodsLock,
        Permission::SettingsWrite,
        Permission::MembersManage,
        Permission::AuditRead,
    ];

    /// The stable name, as tokens, events and stored roles carry it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Permission::InvoicesRead => "invoices.read",
            Permission::InvoicesWrite => "invoices.write",
            Permission::InvoicesIssue => "invoices.issue",
            Permission::QuotesWrite => "quotes.write",
            Permission::PurchasesWrite => "purchases.write",
            Permission::PaymentsWrite => "payments.write",
            Permission::ExportsRead => "exports.read",
            Permission::PeriodsLock => "periods.lock",
            Permission::SettingsWrite => "settings.write",
            Permission::MembersManage => "members.manage",
            Permission::AuditRead => "audit.read",
        }
    }

    /// The permission with this stable name, if there is one.
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether `held`, a set of names as a token or a stored role carries them, includes
    /// this permission. The one place a held name is compared with a permission.
    pub fn held_in<S: AsRef<str>>(self, held: &[S]) -> bool {
        held.iter().any(|name| name.as_ref() == self.as_str())
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True if `name` is the stable name of a permission.
pub fn is_known(name: &str) -> bool {
    Permission::parse(name).is_some()
}

/// The stable names of `permissions`, as tokens and stored roles carry them.
pub fn names(permissions: &[Permission]) -> Vec<String> {
    permissions.iter().map(|p| p.as_str().to_owned()).collect()
}

/// A role every company has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltInRole {
    /// Stable key, stored and put in tokens.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// What it may do.
    pub permissions: &'static [Permission],
}

/// Everything, including managing users. The owner is one of them.
pub const ADMINISTRATOR: BuiltInRole = BuiltInRole {
    key: "administrator",
    name: "Administrator",
    permissions: &Permission::ALL,
};
/// Reads everything, exports, locks periods; never edits documents.
pub const ACCOUNTANT: BuiltInRole = BuiltInRole {
    key: "accountant",
    name: "Accountant",
    permissions: &[
        Permission::InvoicesRead,
        Permission::ExportsRead,
        Permission::PeriodsLock,
        Permission::AuditRead,
    ],
};
/// Day-to-day invoicing, no settings.
pub const USER: BuiltInRole = BuiltInRole {
    key: "user",
    name: "User",
    permissions: &[
        Permission::InvoicesRead,
        Permission::InvoicesWrite,
        Permission::InvoicesIssue,
        Permission::QuotesWrite,
        Permission::PurchasesWrite,
        Permission::PaymentsWrite,
    ],
};
/// All sales functions.
pub const SALES_ADMINISTRATION: BuiltInRole = BuiltInRole {
    key: "sales_administration",
    name: "Sales administration",
    permissions: &[
        Permission::InvoicesRead,
        Permission::InvoicesWrite,
        Permission::InvoicesIssue,
        Permission::QuotesWrite,
        Permission::PaymentsWrite,
    ],
};
/// Quotes only.
pub const SALES: BuiltInRole = BuiltInRole {
    key: "sales",
    name: "Sales",
    permissions: &[Permission::QuotesWrite],
};
/// Purchase orders and purchase invoices only.
pub const PURCHASING: BuiltInRole = BuiltInRole {
    key: "purchasing",
    name: "Purchasing",
    permissions: &[Permission::PurchasesWrite],
};

/// The built-in roles.
pub const BUILT_IN_ROLES: [BuiltInRole; 6] = [
    ADMINISTRATOR,
    ACCOUNTANT,
    USER,
    SALES_ADMINISTRATION,
    SALES,
    PURCHASING,
];

/// The built-in role with this key.
pub fn built_in(key: &str) -> Option<BuiltInRole> {
    BUILT_IN_ROLES.into_iter().find(|role| role.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_use_known_permissions_only() {
        for role in BUILT_IN_ROLES {
            assert!(!role.permissions.is_empty(), "{}", role.key);
        }
        assert!(
            !ACCOUNTANT.permissions.contains(&Permission::InvoicesWrite),
            "accountants never edit"
        );
        assert_eq!(SALES.permissions, [Permission::QuotesWrite]);
        assert_eq!(built_in("purchasing"), Some(PURCHASING));
        assert_eq!(built_in("root"), None);
    }

    #[test]
    fn every_permission_has_one_stable_name_that_parses_back() {
        let names = names(&Permission::ALL);
        for (permission, name) in Permission::ALL.into_iter().zip(&names) {
            assert_eq!(Permission::parse(name), Some(permission));
            assert_eq!(permission.to_string(), *name);
        }
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(
            unique.len(),
            Permission::ALL.len(),
            "two permissions share a name"
        );
        assert_eq!(Permission::parse("invoices.delete"), None);
        assert!(Permission::QuotesWrite.held_in(&["invoices.read", "quotes.write"]));
        assert!(!Permission::InvoicesWrite.held_in(&["invoices.read", "invoices.writer"]));
    }
}
