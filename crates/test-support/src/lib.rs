//! What integration and end-to-end tests share: a database per test, cloned from a
//! template migrated once per set of services, a NATS prefix per test, private
//! nats-servers for tests that stop NATS, a TCP gate to cut a connection, and helpers to
//! boot a service on port 0; and Python checkers run in the pinned environment of
//! `cargo xtask pyenv`. Missing infrastructure fails loudly with the command that
//! starts it; nothing is skipped.

pub mod bench;
mod books;
mod db;
mod events;
mod gate;
mod mailbox;
mod nats;
pub mod python;
mod service;
mod status;
mod tokens;

pub use books::{company_with_open_books, company_with_open_books_as, french_business};
pub use db::{Refusal, TestDb, assert_refused, assert_schema_guarded, attempt};
pub use events::{
    company_created, company_updated, publish, publish_company_created,
    publish_update_before_creation,
};
pub use gate::Gate;
pub use mailbox::{Mailbox, link_token, newest_mail};
pub use nats::{PrivateNats, TestNats};
pub use service::{Harness, Running, bearer, common_config, eventually, identity_config, spawn};
pub use status::{bad_fields, reason, violations};
pub use tokens::{PASSWORD, ScopedToken, foreign_token, identity_token, scoped_token, user_token};

/// What to run when a test finds no PostgreSQL or NATS.
pub const HOW_TO_START: &str = "run the suite with `cargo xtask test`, which uses DATABASE_URL/NATS_URL or starts private servers";
