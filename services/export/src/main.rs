//! The export binary: parse config, then serve until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: comptoir_export::Config = comptoir_runtime::config::parse_or_exit("export");
    comptoir_export::build(config)
        .await?
        .run_until_stopped()
        .await
}
