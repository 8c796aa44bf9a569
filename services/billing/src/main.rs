//! The billing binary: parse config, then serve until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: comptoir_billing::Config = comptoir_runtime::config::parse_or_exit("billing");
    comptoir_billing::build(config)
        .await?
        .run_until_stopped()
        .await
}
