//! The accountant-portal binary: parse config, then serve until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: comptoir_accountant_portal::PortalConfig =
        comptoir_runtime::config::parse_or_exit("accountant-portal");
    comptoir_accountant_portal::build_with(config)
        .await?
        .run_until_stopped()
        .await
}
