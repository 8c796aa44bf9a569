//! Identity: people. It owns accounts keyed by e-mail, their argon2id credentials, and
//! the Ed25519 keys that sign access tokens, which every other service fetches through
//! `GetJwks` to verify tokens on its own.

pub mod domain;
mod error;
mod grpc;
mod keys;
mod store;

use std::sync::Arc;

use clap::Parser;
use comptoir_runtime::config::CommonConfig;
use comptoir_runtime::{App, Service, ServiceSpec};

/// The identity service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "identity",
    default_port: 50051,
    migrator: &MIGRATOR,
    public_methods: &[
        "/comptoir.identity.v1.IdentityService/SignUp",
        "/comptoir.identity.v1.IdentityService/Login",
        "/comptoir.identity.v1.IdentityService/GetJwks",
    ],
    publishes: false,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/identity");

/// Identity's configuration, from `COMPTOIR_*` variables.
#[derive(Debug, Clone, Parser)]
pub struct Config {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
}

/// Binds the port and wires the service; `run_until_stopped` serves it.
pub async fn build(config: Config) -> anyhow::Result<App> {
    App::build(SPEC, config.common, None, |deps| {
        let pool = deps.pool.clone();
        let fetch_pool = pool.clone();
        Ok(Service::new()
            .grpc(grpc::server(deps.clone()))
            .local_keys(Arc::new(move || {
                let pool = fetch_pool.clone();
                Box::pin(async move { Ok(keys::public_keys(&pool).await?) })
            }))
            .on_ready(Box::pin(async move {
                keys::ensure_signing_key(&pool).await?;
                Ok(())
            })))
    })
    .await
}
