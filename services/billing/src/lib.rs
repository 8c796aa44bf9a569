//! Billing: each company's books of documents. It opens a company's books when tenancy
//! announces the company, keeps its customers, suppliers and items, its quotes, invoices,
//! credit notes, purchase invoices and payments, numbers what it issues without gaps,
//! enforces the lock date, records every change in an audit trail and publishes what
//! happened through its outbox.

pub mod domain;
mod error;
mod events;
mod grpc;
mod store;

use comptoir_runtime::config::ServiceConfig;
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

/// Its configuration: the shared settings and identity's address.
pub type Config = ServiceConfig;

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new()
            .grpc(grpc::books::server(deps.clone()))
            .grpc(grpc::parties::server(deps.clone()))
            .grpc(grpc::items::server(deps.clone()))
            .grpc(grpc::invoices::server(deps.clone())?)
            .grpc(grpc::quotes::server(deps.clone()))
            .grpc(grpc::purchases::server(deps.clone()))
            .grpc(grpc::payments::server(deps.clone()))
            .consumer(events::companies()))
    })
    .await
}
