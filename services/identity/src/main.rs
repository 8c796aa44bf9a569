//! The identity binary: parse config, then serve until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: comptoir_identity::Config = comptoir_runtime::config::parse_or_exit("identity");
    match comptoir_identity::serve(config).await {
        Ok(()) => Ok(()),
        Err(comptoir_identity::ServeError::Settings(err)) => {
            comptoir_runtime::config::exit_usage(&err.to_string())
        }
        Err(comptoir_identity::ServeError::Other(err)) => Err(err),
    }
}
