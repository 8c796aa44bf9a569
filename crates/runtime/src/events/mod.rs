//! Domain events over NATS JetStream: names of streams, subjects and consumers
//! ([`names`]), the transactional outbox and its relay ([`outbox`]), and idempotent durable
//! consumers ([`consumer`]).

pub mod consumer;
pub mod names;
pub mod outbox;

pub use consumer::{Consumer, Delivery, HandlerError};
pub use names::{EventType, Names};
pub use outbox::{Event, Outbox};

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
