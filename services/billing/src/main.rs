//! The billing binary: parse config, then serve until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config: comptoir_billing::BillingConfig =
        comptoir_runtime::config::parse_or_exit("billing");
    comptoir_billing::build_with(config)
        .await?
        .run_until_stopped()
        .await
}
