//! Export: every document that leaves the platform, built from read models fed by
//! events: each company's seller profile (the legal identity printed on exports, from
//! tenancy's events) and a double-entry ledger of billing's documents and payments, with
//! the accounts of the portal's accounting settings.

mod app;
mod domain;
mod error;
mod events;
mod grpc;
mod store;

use comptoir_runtime::config::ServiceConfig;
use comptoir_runtime::{App, Service, ServiceSpec};

/// The export service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "export",
    default_port: 50055,
    public_methods: &[],
    publishes: true,
};

/// Its configuration: the shared settings and identity's address.
pub type Config = ServiceConfig;

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new()
            .grpc(grpc::server(deps.clone()))
            .consumer(events::Companies)
            .consumer(events::Ledger)
            .consumer(events::Settings))
    })
    .await
}
