//! Plumbing shared by every Comptoir service, so each service crate holds only its own
//! contract, rules and queries: typed configuration, telemetry, the gRPC server with its
//! auth layer, the lazy channels to other services, the Postgres pool bound to the service's schema, and the NATS outbox and
//! consumers. A service describes itself with a [`ServiceSpec`] and [`App::build`] does
//! the rest.

pub mod app;
pub mod auth;
pub mod caller;
pub mod channel;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod grpc;
pub mod idempotency;
pub mod mail;
pub mod metrics;
pub mod page;
pub mod retry;
pub mod revocation;
pub mod telemetry;

#[cfg(test)]
mod module_graph;

pub use app::{App, Deps, Service, ServiceSpec};
pub use caller::Caller;
pub use config::CommonConfig;
pub use error::FieldViolations;
/// What stops a service's background tasks ([`Service::task`]).
pub use tokio_util::sync::CancellationToken;
