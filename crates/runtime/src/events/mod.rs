//! Domain events over NATS JetStream: names of streams, subjects and consumers
//! ([`names`]), the transactional outbox and its relay ([`outbox`]), and idempotent durable
//! consumers ([`consumer`]).

pub mod consumer;
pub mod names;
pub mod outbox;

pub use consumer::{Consume, Consumer, Delivery, EventPayload, HandlerError};
pub use names::{EventType, Names};
pub use outbox::{Event, Outbox};

use std::time::Duration;

/// How often [`reconnected`] looks at the connection.
const STATE_POLL: Duration = Duration::from_millis(50);

/// Header carrying the event's company id, so consumers can route without decoding.
pub const COMPANY_HEADER: &str = "Comptoir-Company-Id";

/// Connects to NATS. The client is returned at once and keeps (re)connecting in the
/// background, so a service starts while NATS is down and recovers when it returns.
pub async fn connect(
    url: &str,
    service: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let url_for_log = url.to_owned();
    async_nats::ConnectOptions::new()
        .name(format!("comptoir-{service}"))
        .retry_on_initial_connect()
        // The client's default waits up to 4 s between attempts, so a consumer could sit
        // idle that long after NATS is back; attempts every 250 ms at most cost nothing.
        .reconnect_delay_callback(|attempts| Duration::from_millis(50 * attempts.min(5) as u64))
        .event_callback(move |event| {
            let url = url_for_log.clone();
            async move {
                match event {
                    async_nats::Event::Connected => tracing::info!(%url, "nats connected"),
                    async_nats::Event::Disconnected => tracing::warn!(%url, "nats disconnected"),
                    other => tracing::debug!(event = %other, "nats event"),
                }
            }
        })
        .connect(url)
        .await
}

/// Resolves when `client` connects again after having been disconnected (the server may
/// have restarted and lost what it held in memory, pull requests included), so a consumer
/// can start over at once instead of waiting for missed heartbeats.
///
/// It reads the client's state every [`STATE_POLL`]: the client exposes its state but no
/// subscription to it, and a reconnection takes longer than that anyway.
pub async fn reconnected(client: &async_nats::Client) {
    use async_nats::connection::State;
    let mut was_connected = client.connection_state() == State::Connected;
    loop {
        tokio::time::sleep(STATE_POLL).await;
        let connected = client.connection_state() == State::Connected;
        if connected && !was_connected {
            return;
        }
        was_connected = connected;
    }
}
