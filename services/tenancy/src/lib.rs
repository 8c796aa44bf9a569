//! Tenancy: who may act on which company. It owns companies (legal identity), memberships
//! and roles, and publishes `comptoir.tenancy.*` events through its outbox.

mod app;
pub mod domain;
mod error;
mod events;
mod grpc;
mod store;

use comptoir_runtime::config::{CommonConfig, IdentityClientConfig, ServiceConfig};
use comptoir_runtime::mail::{MailConfig, Mailer};
use comptoir_runtime::{App, Service, ServiceSpec};

/// The tenancy service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "tenancy",
    default_port: 50052,
    public_methods: &[],
    publishes: true,
};

/// Tenancy's configuration, from `COMPTOIR_*` variables.
#[derive(Debug, Clone, clap::Parser)]
pub struct Config {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Where identity's token keys come from.
    #[command(flatten)]
    pub identity: IdentityClientConfig,
    /// How invitation e-mails are sent.
    #[command(flatten)]
    pub mail: MailConfig,
    /// Days an invitation stays valid.
    #[arg(
        long,
        env = "COMPTOIR_INVITATION_TTL_DAYS",
        value_name = "COMPTOIR_INVITATION_TTL_DAYS",
        default_value = "7",
        value_parser = clap::value_parser!(u16).range(1..=90)
    )]
    pub invitation_ttl_days: u16,
}

impl Config {
    /// Tenancy's configuration from the shared service settings, with default mail and
    /// invitation settings.
    pub fn new(service: ServiceConfig) -> Self {
        Self {
            common: service.common,
            identity: service.identity,
            mail: MailConfig::default(),
            invitation_ttl_days: 7,
        }
    }
}

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    let mailer = Mailer::new(&config.mail)?;
    let invitation_ttl = chrono::Duration::days(i64::from(config.invitation_ttl_days));
    App::build(SPEC, config.common, Some(config.identity), |deps| {
        Ok(Service::new()
            .grpc(grpc::companies::server(deps.clone()))
            .grpc(grpc::members::server(
                deps.clone(),
                mailer.clone(),
                invitation_ttl,
            ))
            .grpc(grpc::firms::server(deps.clone(), mailer, invitation_ttl))
            .grpc(grpc::access::server(deps.clone()))
            .grpc(grpc::audit::server(deps.clone()))
            .consumer(events::Accounts))
    })
    .await
}
