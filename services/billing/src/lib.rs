//! Billing: each company's books of documents. It opens a company's books when tenancy
//! announces the company, keeps its customers, suppliers and items, its quotes, invoices,
//! credit notes, purchase invoices and payments, numbers what it issues without gaps,
//! enforces the lock date, records every change in an audit trail and publishes what
//! happened through its outbox.

mod app;
pub mod domain;
mod error;
mod events;
mod grpc;
mod store;

#[cfg(feature = "fixtures")]
pub use store::fixtures;

use comptoir_runtime::config::ServiceConfig;
use comptoir_runtime::config::{CommonConfig, IdentityClientConfig};
use comptoir_runtime::{App, Service, ServiceSpec};

/// The billing service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "billing",
    default_port: 50053,
    public_methods: &[],
    publishes: true,
};

/// The shared settings and identity's address: what [`build`] takes, with billing's own
/// settings at their defaults.
pub type Config = ServiceConfig;

/// Billing's whole configuration, from `COMPTOIR_*` variables: the shared settings and
/// billing's own.
#[derive(Debug, Clone, clap::Parser)]
pub struct BillingConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Where identity's token keys come from.
    #[command(flatten)]
    pub identity: IdentityClientConfig,
    /// Days after today (in the company's time zone) an invoice or credit note may be
    /// dated when it is issued; later dates are refused.
    #[arg(
        long,
        env = "COMPTOIR_MAX_ISSUE_DAYS_AHEAD",
        value_name = "COMPTOIR_MAX_ISSUE_DAYS_AHEAD",
        default_value_t = domain::issuing::DEFAULT_MAX_DAYS_AHEAD,
        value_parser = clap::value_parser!(u16).range(0..=31)
    )]
    pub max_issue_days_ahead: u16,
    /// Largest supplier e-invoice file ImportPurchaseInvoice accepts, in bytes; larger
    /// files are refused before they are read. The gRPC decoding limit of
    /// PurchaseService is raised to fit it.
    #[arg(
        long,
        env = "COMPTOIR_BILLING_IMPORT_MAX_BYTES",
        value_name = "COMPTOIR_BILLING_IMPORT_MAX_BYTES",
        default_value_t = domain::einvoice::DEFAULT_MAX_BYTES,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1024..=268_435_456)
    )]
    pub import_max_bytes: usize,
}

impl From<Config> for BillingConfig {
    /// The shared settings with billing's own at their defaults.
    fn from(config: Config) -> Self {
        Self {
            common: config.common,
            identity: config.identity,
            max_issue_days_ahead: domain::issuing::DEFAULT_MAX_DAYS_AHEAD,
            import_max_bytes: domain::einvoice::DEFAULT_MAX_BYTES,
        }
    }
}

/// Binds the port and wires the service with billing's own settings at their defaults;
/// `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    build_with(config.into()).await
}

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build_with(config: BillingConfig) -> anyhow::Result<App> {
    let max_days_ahead = config.max_issue_days_ahead;
    let import_max_bytes = config.import_max_bytes;
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new()
            .grpc(grpc::books::server(deps.clone()))
            .grpc(grpc::parties::server(deps.clone()))
            .grpc(grpc::items::server(deps.clone()))
            .grpc(grpc::invoices::server(deps.clone(), max_days_ahead)?)
            .grpc(grpc::quotes::server(deps.clone()))
            .grpc(grpc::purchases::server(deps.clone(), import_max_bytes))
            .grpc(grpc::payments::server(deps.clone()))
            .consumer(events::Companies))
    })
    .await
}
