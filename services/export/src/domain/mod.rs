//! Export's types and rules, free of I/O, proto and SQL: the seller profile exports
//! print ([`profile`]), the accounting settings and account resolution ([`settings`]),
//! the double-entry entries of documents and payments ([`ledger`]), lettering
//! ([`lettering`]) and the FEC's format ([`fec`]).

pub(crate) mod fec;
pub(crate) mod ledger;
pub(crate) mod lettering;
pub(crate) mod profile;
pub(crate) mod settings;
