//! Export's types and rules, free of I/O, proto and SQL: the seller profile exports
//! print ([`profile`]).

pub(crate) mod profile;
