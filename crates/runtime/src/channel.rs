//! The client side of a call to another service: a lazy gRPC channel to its URL, built
//! the same way by every service that calls another (the portal's calls to tenancy,
//! identity and billing, identity's to tenancy, the auth layer's key fetch).

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

/// How long connecting to another service may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A channel to `url` that connects on its first call (so a service starts while the
/// other is still down), each call given at most `timeout`. `variable` names the setting
/// the URL came from in a configuration error (`COMPTOIR_TENANCY_URL `…`: …`).
pub fn lazy_channel(url: &str, variable: &str, timeout: Duration) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())
        .map_err(|err| anyhow::anyhow!("{variable} `{url}`: {err}"))?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(timeout)
        .connect_lazy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_url_is_checked_at_once_and_nothing_connects_before_the_first_call() {
        // Nothing listens there: building the channel still succeeds.
        assert!(lazy_channel("http://127.0.0.1:9", "COMPTOIR_X_URL", CONNECT_TIMEOUT).is_ok());
        let err = lazy_channel("not a url", "COMPTOIR_X_URL", CONNECT_TIMEOUT).unwrap_err();
        assert!(
            err.to_string().starts_with("COMPTOIR_X_URL `not a url`: "),
            "{err}"
        );
    }
}
