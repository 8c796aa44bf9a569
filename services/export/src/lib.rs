//! Export: every document that leaves the platform, built from read models fed by
//! events. So far it keeps each company's seller profile (the legal identity printed on
//! exports), projected from tenancy's events.

mod error;
mod events;
mod grpc;
mod store;

use clap::Parser;
use comptoir_runtime::config::{CommonConfig, IdentityClientConfig};
use comptoir_runtime::{App, Service, ServiceSpec};

/// The export service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "export",
    default_port: 50055,
    migrator: &MIGRATOR,
    public_methods: &[],
    publishes: true,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/export");

/// Export's configuration, from `COMPTOIR_*` variables.
#[derive(Debug, Clone, Parser)]
#[command(name = "export", about = "Comptoir export service", version)]
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
