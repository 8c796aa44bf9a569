//! The one list of permissions every service checks, and the built-in roles made of
//! them. Tenancy stores roles (built-in and custom) as sets of these names and puts the
//! caller's set into the access token; services check them with the runtime's
//! `Caller::require`.

/// Read invoices, credit notes, quotes, customers and items.
pub const INVOICES_READ: &str = "invoices.read";
/// Create and edit draft invoices, credit notes, customers and items.
pub const INVOICES_WRITE: &str = "invoices.write";
/// Issue (number and freeze) invoices and credit notes.
pub const INVOICES_ISSUE: &str = "invoices.issue";
/// Create and edit quotes.
pub const QUOTES_WRITE: &str = "quotes.write";
/// Record purchase orders and purchase invoices.
pub const PURCHASES_WRITE: &str = "purchases.write";
/// Record payments.
pub const PAYMENTS_WRITE: &str = "payments.write";
/// Pull exports: journals, FEC, registers, reports.
pub const EXPORTS_READ: &str = "exports.read";
/// Move the lock date.
pub const PERIODS_LOCK: &str = "periods.lock";
/// Change the company's settings and legal identity.
pub const SETTINGS_WRITE: &str = "settings.write";
/// Invite, remove and change the role of members; manage custom roles.
pub const MEMBERS_MANAGE: &str = "members.manage";
/// Read the company's audit trail.
pub const AUDIT_READ: &str = "audit.read";

/// Every permission, in a stable order.
pub const ALL: [&str; 11] = [
    INVOICES_READ,
    INVOICES_WRITE,
    INVOICES_ISSUE,
    QUOTES_WRITE,
    PURCHASES_WRITE,
    PAYMENTS_WRITE,
    EXPORTS_READ,
    PERIODS_LOCK,
    SETTINGS_WRITE,
    MEMBERS_MANAGE,
    AUDIT_READ,
];

/// True if `name` is a known permission.
pub fn is_known(name: &str) -> bool {
    ALL.contains(&name)
}

/// A role every company has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltInRole {
    /// Stable key, stored and put in tokens.
    pub key: &'static str,
    /// Display name.
    pub name: &'static str,
    /// What it may do.
    pub permissions: &'static [&'static str],
}

/// Everything, including managing users. The owner is one of them.
pub const ADMINISTRATOR: BuiltInRole = BuiltInRole {
    key: "administrator",
    name: "Administrator",
    permissions: &ALL,
};
/// Reads everything, exports, locks periods; never edits documents.
pub const ACCOUNTANT: BuiltInRole = BuiltInRole {
    key: "accountant",
    name: "Accountant",
    permissions: &[INVOICES_READ, EXPORTS_READ, PERIODS_LOCK, AUDIT_READ],
};
/// Day-to-day invoicing, no settings.
pub const USER: BuiltInRole = BuiltInRole {
    key: "user",
    name: "User",
    permissions: &[
        INVOICES_READ,
        INVOICES_WRITE,
        INVOICES_ISSUE,
        QUOTES_WRITE,
        PURCHASES_WRITE,
        PAYMENTS_WRITE,
    ],
};
/// All sales functions.
pub const SALES_ADMINISTRATION: BuiltInRole = BuiltInRole {
    key: "sales_administration",
    name: "Sales administration",
    permissions: &[
        INVOICES_READ,
        INVOICES_WRITE,
        INVOICES_ISSUE,
        QUOTES_WRITE,
        PAYMENTS_WRITE,
    ],
};
/// Quotes only.
pub const SALES: BuiltInRole = BuiltInRole {
    key: "sales",
    name: "Sales",
    permissions: &[QUOTES_WRITE],
};
/// Purchase orders and purchase invoices only.
pub const PURCHASING: BuiltInRole = BuiltInRole {
    key: "purchasing",
    name: "Purchasing",
    permissions: &[PURCHASES_WRITE],
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
            assert!(role.permissions.iter().all(|p| is_known(p)), "{}", role.key);
        }
        assert!(
            !ACCOUNTANT.permissions.contains(&INVOICES_WRITE),
            "accountants never edit"
        );
        assert_eq!(SALES.permissions, [QUOTES_WRITE]);
        assert_eq!(built_in("purchasing"), Some(PURCHASING));
        assert_eq!(built_in("root"), None);
    }
}
