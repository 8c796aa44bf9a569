//! Tenancy's types and rules, free of I/O, proto and SQL: a company's legal identity
//! ([`company`], re-exported here), the rules of membership, roles and invitations
//! (`members`), what a role lets a user do (`access`), and who owns a company and when a
//! firm hands its client over (`firms`). The `app` layer applies them
//! inside its transactions; each rule is unit-tested beside it.

pub(crate) mod access;
mod company;
pub(crate) mod firms;
pub(crate) mod members;

pub use company::*;

use members::InvitationState;

/// Why one of the rules refuses. The service's `Error` carries it whole, with its
/// message, and maps each refusal to its status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    /// The caller's role lacks a permission.
    #[error("this call needs the `{0}` permission")]
    PermissionDenied(String),
    /// Built-in roles cannot change.
    #[error("`{0}` is a built-in role and cannot change")]
    BuiltInRole(String),
    /// The invitation was accepted, revoked or expired.
    #[error("the invitation is {}", .0.word())]
    InvitationClosed(InvitationState),
    /// Only the owner or an Administrator gives (or takes away) the Administrator role.
    #[error("only the owner or an Administrator may grant or change the Administrator role")]
    AdministratorGrantReserved,
    /// The granted role carries a permission the granter does not hold.
    #[error("the role carries the `{0}` permission, which you do not hold")]
    PermissionNotHeld(String),
    /// A member changing their own role.
    #[error("nobody changes their own role: another manager of the company must")]
    OwnRoleUnchangeable,
    /// A firm hands over only a client it owns.
    #[error("the firm does not own this company: only its owner hands it over")]
    FirmNotOwner,
    /// A client is handed over to one of its Administrators only.
    #[error("the new owner must be a member of the company with the Administrator role")]
    NotAClientAdministrator,
}
