//! Tenancy: who may act on which company. It owns companies (legal identity), memberships
//! and roles, and publishes `comptoir.tenancy.*` events through its outbox.

pub mod domain;
mod error;
mod grpc;
mod store;

use clap::Parser;
use comptoir_runtime::config::{CommonConfig, IdentityClientConfig};
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

/// Tenancy's configuration, from `COMPTOIR_*` variables.
#[derive(Debug, Clone, Parser)]
#[command(name = "tenancy", about = "Comptoir tenancy service", version)]
pub struct Config {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Where identity's token keys come from.
    #[command(flatten)]
    pub identity: IdentityClientConfig,
}

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new().grpc(grpc::server(deps.clone())))
    })
    .await
}
