//! Tenancy: who may act on which company. It owns companies (legal identity), memberships
//! and roles, and publishes `comptoir.tenancy.*` events through its outbox.

pub mod domain;
mod error;
mod grpc;
mod store;

use comptoir_runtime::config::ServiceConfig;
use comptoir_runtime::{App, Service, ServiceSpec};

/// The tenancy service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "tenancy",
    default_port: 50052,
    migrator: &MIGRATOR,
    public_methods: &[],
    publishes: true,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/tenancy");

/// Its configuration: the shared settings and identity's address.
pub type Config = ServiceConfig;

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new().grpc(grpc::server(deps.clone())))
    })
    .await
}
