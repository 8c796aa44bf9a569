//! The accountant portal's integration tests: the real service (and a real identity for
//! tokens) on port 0 against real Postgres and NATS; tenancy's and billing's events are
//! published straight onto NATS. One module per feature.

mod accountants;
mod bulk;
mod clients;
mod database;
mod firm;
mod import;
mod settings;
mod workspace;
