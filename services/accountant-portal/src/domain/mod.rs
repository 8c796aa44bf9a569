//! The portal's types and rules: no I/O, no proto, no sqlx. One module per concern,
//! each with its unit tests.

pub(crate) mod bulk;
pub(crate) mod client;
pub(crate) mod clients;
pub(crate) mod import;
pub(crate) mod settings;
