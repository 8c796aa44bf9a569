//! Tenancy's types and rules, free of I/O, proto and SQL: a company's legal identity
//! ([`company`], re-exported here), the rules of membership, roles and invitations
//! (`members`), and what a role lets a user do (`access`). The `app` layer applies them
//! inside its transactions; each rule is unit-tested beside it.

pub(crate) mod access;
mod company;
pub(crate) mod members;

pub use company::*;
