//! The vocabulary every Comptoir service speaks, apart from any plumbing: French legal
//! identifiers (SIREN, SIRET, NIC, VAT numbers, postal codes), bank accounts (IBAN, BIC),
//! a party's postal address and legal identity, amounts and their rounding, a company's
//! accounting settings and the plan comptable's account numbers, the closed list of
//! permissions, and the field violations a parse collects. Nothing here does I/O or knows
//! about gRPC or SQL; services convert at their edges.

pub mod accounting;
pub mod amount;
pub mod bank;
pub mod fields;
pub mod legal;
pub mod party;
pub mod permissions;
