//! Accountant portal: an accounting firm's workspace. So far it keeps a directory of
//! companies and of the firm grants on them, projected from tenancy's events, and shows
//! each firm its clients.

mod app;
mod domain;
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
            .consumer(events::FirmGrants))
    })
    .await
}
