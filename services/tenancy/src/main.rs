//! The tenancy binary: parse config, then serve until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: comptoir_tenancy::Config = comptoir_runtime::config::parse_or_exit("tenancy");
    comptoir_tenancy::build(config)
        .await?
        .run_until_stopped()
        .await
}
