//! Accountant portal: an accounting firm's workspace. So far it keeps a directory of
//! companies and firms, projected from tenancy's events, from which firms will pick
//! their clients.

mod error;
mod events;
mod grpc;
mod store;

use comptoir_runtime::config::ServiceConfig;
use comptoir_runtime::{App, Service, ServiceSpec};

/// The accountant-portal service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "accountant-portal",
    default_port: 50054,
    migrator: &MIGRATOR,
    public_methods: &[],
    publishes: true,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/accountant_portal");

/// Its configuration: the shared settings and identity's address.
pub type Config = ServiceConfig;

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new()
            .grpc(grpc::server(deps.clone()))
            .consumer(events::companies()))
    })
    .await
}
