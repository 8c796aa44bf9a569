//! Accountant portal: an accounting firm's workspace. It keeps a projection of the
//! firms' clients from tenancy's and billing's events (companies, members, firm grants,
//! lock dates, issued documents) and shows each firm its client list.

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
            .consumer(events::FirmGrants)
            .consumer(events::Memberships)
            .consumer(events::ClientActivity))
    })
    .await
}
