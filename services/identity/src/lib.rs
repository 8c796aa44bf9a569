//! Identity: people. It owns accounts keyed by e-mail, their argon2id credentials, their
//! sessions and refresh tokens, password resets, and the Ed25519 keys that sign access
//! tokens, which every other service fetches through `GetJwks` to verify tokens on its
//! own.

mod app;
pub mod domain;
mod error;
mod events;
#[cfg(feature = "fixtures")]
pub mod fixtures;
mod grpc;
mod keys;
mod store;
mod tenancy;

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser};
use comptoir_runtime::config::CommonConfig;
use comptoir_runtime::mail::{MailConfig, Mailer};
use comptoir_runtime::{App, Service, ServiceSpec};

/// The identity service's facts.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "identity",
    default_port: 50051,
    public_methods: &[
        "/comptoir.identity.v1.IdentityService/SignUp",
        "/comptoir.identity.v1.IdentityService/Login",
        "/comptoir.identity.v1.IdentityService/Refresh",
        "/comptoir.identity.v1.IdentityService/GetJwks",
        "/comptoir.identity.v1.IdentityService/RequestPasswordReset",
        "/comptoir.identity.v1.IdentityService/ResetPassword",
    ],
    publishes: true,
};

/// Default of `COMPTOIR_KEY_ROTATION_DAYS`.
pub const DEFAULT_KEY_ROTATION_DAYS: u32 = 30;

/// Settings only identity has.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Days a signing key signs new tokens before a new key replaces it; the old one
    /// keeps verifying for two token lifetimes.
    #[arg(
        long,
        env = "COMPTOIR_KEY_ROTATION_DAYS",
        value_name = "COMPTOIR_KEY_ROTATION_DAYS",
        default_value_t = DEFAULT_KEY_ROTATION_DAYS,
        value_parser = clap::value_parser!(u32).range(1..=3650)
    )]
    pub key_rotation_days: u32,

    /// How password reset mails go out.
    #[command(flatten)]
    pub mail: MailConfig,

    /// gRPC URL of tenancy, which SwitchCompany asks who may act on which company, e.g.
    /// `http://tenancy:50052`. Unset, SwitchCompany answers UNAVAILABLE.
    #[arg(
        long,
        env = "COMPTOIR_TENANCY_URL",
        value_name = "COMPTOIR_TENANCY_URL"
    )]
    pub tenancy_url: Option<String>,

    /// Proxies (IPs or CIDR blocks, comma-separated) whose `x-forwarded-for` names the
    /// client that login throttling counts. Empty (the default), the TCP peer is the
    /// client, and the header, which anyone can send, is ignored.
    #[arg(
        long,
        env = "COMPTOIR_TRUSTED_PROXIES",
        value_name = "COMPTOIR_TRUSTED_PROXIES",
        default_value = "",
        value_parser = domain::TrustedProxies::parse
    )]
    pub trusted_proxies: domain::TrustedProxies,

    /// What the deployment is: `production` (the default) refuses to start without
    /// `COMPTOIR_KEY_ENCRYPTION_KEY`; `development` keeps signing keys unencrypted when it
    /// is unset.
    #[arg(
        long,
        env = "COMPTOIR_ENVIRONMENT",
        value_name = "COMPTOIR_ENVIRONMENT",
        value_enum,
        default_value_t = Environment::Production
    )]
    pub environment: Environment,

    /// Base64 of 32 random bytes (`openssl rand -base64 32`) that encrypts the token
    /// signing keys in the database (XChaCha20-Poly1305). Keys stored unencrypted are
    /// encrypted at start; a key that does not open the stored ones stops the service.
    #[arg(
        long,
        env = "COMPTOIR_KEY_ENCRYPTION_KEY",
        value_name = "COMPTOIR_KEY_ENCRYPTION_KEY",
        hide_env_values = true,
        value_parser = domain::KeyEncryptionKey::parse
    )]
    pub key_encryption_key: Option<domain::KeyEncryptionKey>,
}

/// What kind of deployment identity serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    /// A developer's machine or a test: signing keys may stay unencrypted.
    Development,
    /// Anything else: signing keys are encrypted at rest, or identity does not start.
    Production,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            key_rotation_days: DEFAULT_KEY_ROTATION_DAYS,
            mail: MailConfig::default(),
            tenancy_url: None,
            trusted_proxies: domain::TrustedProxies::default(),
            // Started in-process, identity serves tests and harnesses: a development
            // deployment, whose keys other test code may read as they are.
            environment: Environment::Development,
            key_encryption_key: None,
        }
    }
}

/// Identity's configuration, from `COMPTOIR_*` variables: the settings every service
/// shares and identity's own.
#[derive(Debug, Clone, Parser)]
pub struct Config {
    /// Settings every service shares.
    #[command(flatten)]
    pub common: CommonConfig,
    /// Identity's own settings.
    #[command(flatten)]
    pub settings: Settings,
}

impl Config {
    /// The shared settings with identity's own at their defaults: a development
    /// deployment, signing keys in clear (what tests and other services' harnesses start).
    pub fn new(common: CommonConfig) -> Self {
        Self {
            common,
            settings: Settings::default(),
        }
    }
}

/// Binds the port and wires the service; `run_until_stopped` serves it. A settings error
/// found once the database answers (a key-encryption key that does not open the stored
/// keys) leaves the service NOT_SERVING; the binary stops instead (see [`serve`]).
pub async fn build(config: Config) -> anyhow::Result<App> {
    Ok(build_with(config, None).await?)
}

/// A setting identity cannot work with; the binary exits with code 64 on it, like a
/// malformed variable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(String);

/// Why [`serve`] ended other than by a stop.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A setting cannot work (exit code 64).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Builds and serves until SIGTERM, as the binary does, but ends at once with
/// [`ServeError::Settings`] when the start finds a setting that cannot work.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let (fatal, found) = tokio::sync::oneshot::channel();
    let app = build_with(config, Some(fatal)).await?;
    let stop = app.stop_token();
    let mut serving = tokio::spawn(app.run_until_stopped());
    tokio::select! {
        served = &mut serving => Ok(served.map_err(anyhow::Error::from)??),
        Ok(err) = found => {
            stop.cancel();
            let _ = serving.await;
            Err(err.into())
        }
    }
}

async fn build_with(
    config: Config,
    fatal: Option<tokio::sync::oneshot::Sender<SettingsError>>,
) -> Result<App, ServeError> {
    let Config { common, settings } = config;
    if settings.environment == Environment::Production && settings.key_encryption_key.is_none() {
        return Err(SettingsError(
            "COMPTOIR_KEY_ENCRYPTION_KEY is required unless COMPTOIR_ENVIRONMENT=development: \
             signing keys are not stored unencrypted in production"
                .to_owned(),
        )
        .into());
    }
    let sealing = keys::Sealing::new(settings.key_encryption_key);
    let mailer = Mailer::new(&settings.mail).map_err(|err| anyhow::anyhow!("mail: {err}"))?;
    let tenancy = tenancy::Tenancy::new(settings.tenancy_url.as_deref())?;
    let rotate_after = Duration::from_secs(u64::from(settings.key_rotation_days) * 24 * 3600);
    Ok(App::build(SPEC, common, None, |deps| {
        let pool = deps.pool.clone();
        let fetch_pool = pool.clone();
        Ok(Service::new()
            .grpc(grpc::server(
                app::Ctx::new(deps.clone(), mailer, tenancy, sealing.clone()),
                settings.trusted_proxies,
            ))
            .consumer(events::Memberships)
            .local_keys(Arc::new(move || {
                let pool = fetch_pool.clone();
                Box::pin(async move { Ok(store::keys::public_keys(&pool).await?) })
            }))
            .on_ready(Box::pin(async move {
                if let Err(err) = keys::seal_stored_keys(&pool, &sealing).await {
                    if err.is_settings()
                        && let Some(fatal) = fatal
                    {
                        let _ = fatal.send(SettingsError(err.to_string()));
                    }
                    return Err(err.into());
                }
                keys::ensure_signing_key(&pool, rotate_after, &sealing).await?;
                tokio::spawn(keys::rotate_hourly(pool, rotate_after, sealing));
                Ok(())
            })))
    })
    .await?)
}
