//! The identity binary: parse config, then serve until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: comptoir_identity::FullConfig = comptoir_runtime::config::parse_or_exit("identity");
    comptoir_identity::build_full(config)
        .await?
        .run_until_stopped()
        .await
}
