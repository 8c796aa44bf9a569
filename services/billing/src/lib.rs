//! Billing: each company's books of documents. So far it opens a company's books and
//! numbering series when tenancy announces the company, and lists those series.

pub mod domain;
mod error;
mod events;
mod grpc;
mod store;

use clap::Parser;
use comptoir_runtime::config::{CommonConfig, IdentityClientConfig};
use comptoir_runtime::{App, Service, ServiceSpec};

/// The billing service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "billing",
    default_port: 50053,
    migrator: &MIGRATOR,
    public_methods: &[],
    publishes: true,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/billing");

/// Billing's configuration, from `COMPTOIR_*` variables.
#[derive(Debug, Clone, Parser)]
#[command(name = "billing", about = "Comptoir billing service", version)]
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
        Ok(Service::new()
            .grpc(grpc::server(deps.clone()))
            .consumer(events::companies()))
    })
    .await
}
