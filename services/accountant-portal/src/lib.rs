//! Accountant portal: an accounting firm's workspace. It keeps a projection of the
//! firms' clients from tenancy's and billing's events (companies, members, firm grants,
//! lock dates, issued documents) and shows each firm its client list.

mod app;
mod domain;
mod error;
mod events;
mod grpc;
mod peers;
mod store;
mod tenancy;

use comptoir_runtime::config::{CommonConfig, IdentityClientConfig, ServiceConfig};
use comptoir_runtime::{App, Service, ServiceSpec};

/// The accountant-portal service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "accountant-portal",
    default_port: 50054,
    public_methods: &[],
    publishes: true,
};

/// The shared settings and identity's address: what [`build`] takes, with the portal's
/// own settings at their defaults.
pub type Config = ServiceConfig;

/// Settings only the portal has.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Settings {
    /// gRPC URL of tenancy, which creates the firm's client companies and invites their
    /// directors (CreateClientCompany, InviteDirector), with the caller's own token, e.g.
    /// `http://tenancy:50052`. Unset, those calls answer UNAVAILABLE.
    #[arg(
        long,
        env = "COMPTOIR_TENANCY_URL",
        value_name = "COMPTOIR_TENANCY_URL"
    )]
    pub tenancy_url: Option<String>,
    /// gRPC URL of billing, which sets each selected client's lock date (SetLockDates)
    /// with a token of the caller scoped to that client, e.g. `http://billing:50053`.
    /// Unset, those clients answer UNAVAILABLE.
    #[arg(
        long,
        env = "COMPTOIR_BILLING_URL",
        value_name = "COMPTOIR_BILLING_URL"
    )]
    pub billing_url: Option<String>,
}

/// The portal's whole configuration, from `COMPTOIR_*` variables: the shared settings,
/// identity's address and the portal's own.
#[derive(Debug, Clone, clap::Parser)]
pub struct PortalConfig {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Where identity's token keys come from.
    #[command(flatten)]
    pub identity: IdentityClientConfig,
    /// The portal's own settings.
    #[command(flatten)]
    pub settings: Settings,
}

impl From<Config> for PortalConfig {
    /// The shared settings with the portal's own at their defaults.
    fn from(config: Config) -> Self {
        Self {
            common: config.common,
            identity: config.identity,
            settings: Settings::default(),
        }
    }
}

/// Binds the port and wires the service with the portal's own settings at their
/// defaults; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    build_with(config.into()).await
}

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build_with(config: PortalConfig) -> anyhow::Result<App> {
    let tenancy = tenancy::Tenancy::new(config.settings.tenancy_url.as_deref())?;
    let peers = peers::Peers::new(
        &config.identity.identity_url,
        config.settings.billing_url.as_deref(),
    )?;
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new()
            .grpc(grpc::accountants::server(deps.clone(), tenancy.clone()))
            .grpc(grpc::server(deps.clone(), tenancy, peers))
            .consumer(events::Companies)
            .consumer(events::Ownership)
            .consumer(events::FirmGrants)
            .consumer(events::Memberships)
            .consumer(events::ClientActivity))
    })
    .await
}
