//! Export: every document that leaves the platform, built from read models fed by
//! events: each company's seller profile (the legal identity printed on exports, from
//! tenancy's events) and a double-entry ledger of billing's documents and payments, with
//! the accounts of the portal's accounting settings. Exports that take long also run as
//! jobs, which a worker in every export process runs.

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
        let wake = app::jobs::Wake::default();
        let worker = app::jobs::Worker {
            pool: deps.pool.clone(),
            outbox: deps.outbox.clone(),
            wake: wake.clone(),
            decode: grpc::jobs::decode_stored,
        };
        Ok(Service::new()
            .grpc(grpc::server(deps.clone(), wake))
            .task(move |stop| Box::pin(worker.run(stop)))
            .consumer(events::Companies)
            .consumer(events::Ledger)
            .consumer(events::Settings))
    })
    .await
}
