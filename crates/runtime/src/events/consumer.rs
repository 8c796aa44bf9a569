//! Durable, idempotent event consumers. Each consumer is a durable JetStream pull
//! consumer with explicit acks around a plain async handler. The handler runs in a
//! transaction that first records `(consumer, event id)` in the inbox: a redelivered event
//! finds its id there and is acknowledged without running the handler again, and a failed
//! handler rolls back both and is redelivered later.
//!
//! A service writes a consumer as a type implementing [`Consume`]: its name, its event
//! types and what applying one decoded event does. [`Consumer`] is the runner every
//! consumer shares (inbox, acks, retries, metrics, tracing), built from it.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull};
use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;
use prost::Message as _;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::names::{EventType, Names};
use crate::metrics::Metrics;
use crate::retry::{Backoff, retry};
use crate::telemetry;

/// How long a handler may run before the delivery is abandoned and retried.
const HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
/// Delay before a failed event is redelivered.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// One received event.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The event's id (its `Nats-Msg-Id`).
    pub event_id: Uuid,
    /// Its type, one of those the consumer subscribed to.
    pub event_type: EventType,
    /// The protobuf payload.
    pub payload: Bytes,
}

impl Delivery {
    /// Decodes the payload as `M`; an undecodable payload is rejected, not retried.
    pub fn decode<M: EventPayload>(&self) -> Result<M, HandlerError> {
        M::from_payload(self.event_type, self.payload.as_ref()).map_err(|err| {
            HandlerError::Rejected(format!("undecodable {}: {err}", self.event_type.subject()))
        })
    }
}

/// What a consumer decodes an event's payload into: any protobuf message (events that
/// share field numbers may share one), or a consumer's own type for event types that
/// differ.
pub trait EventPayload: Sized + Send + 'static {
    /// Decodes the payload of an event of `event_type`.
    fn from_payload(event_type: EventType, payload: &[u8]) -> Result<Self, prost::DecodeError>;
}

impl<M: prost::Message + Default + 'static> EventPayload for M {
    fn from_payload(_: EventType, payload: &[u8]) -> Result<Self, prost::DecodeError> {
        M::decode(payload)
    }
}

/// A durable consumer of some event types of one producing service. The runner decodes
/// each event (an undecodable one is rejected) and calls [`Consume::apply`] in the
/// transaction that records it in the inbox, so an event is applied once.
pub trait Consume: Send + Sync + 'static {
    /// What each event's payload is decoded into.
    type Event: EventPayload;
    /// Durable name, unique within the consuming service.
    const NAME: &'static str;
    /// The event types it applies; all from one producing service.
    const EVENTS: &'static [EventType];

    /// Applies one event in the consumer's transaction. `delivery` tells its id and type.
    fn apply(
        &self,
        conn: &mut PgConnection,
        event: Self::Event,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

/// Parses an id carried in an event; a malformed one rejects the event.
pub fn event_uuid(field: &str, value: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value)
        .map_err(|_| HandlerError::Rejected(format!("{field} `{value}` is not a UUID")))
}

/// Why a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload can never be applied (undecodable, contradicting the model): it is
    /// logged and terminated, not retried forever.
    #[error("rejected event: {0}")]
    Rejected(String),
    /// A database fault: the event is redelivered.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A [`Consume`] implementation's `apply`, decoding first, behind one type for every
/// consumer.
type Handler = Arc<
    dyn for<'c> Fn(&'c mut PgConnection, Delivery) -> BoxFuture<'c, Result<(), HandlerError>>
        + Send
        + Sync,
>;

/// A named durable consumer of some event types of one producing service, as the runner
/// takes it; built from a [`Consume`] implementation.
#[derive(Clone)]
pub struct Consumer {
    /// Durable name, unique within the consuming service.
    name: &'static str,
    /// The event types it applies; all from one producing service.
    events: Vec<EventType>,
    /// What it does with each.
    handler: Handler,
}

impl<C: Consume> From<C> for Consumer {
    fn from(consumer: C) -> Self {
        let consumer = Arc::new(consumer);
        let handler: Handler = Arc::new(move |conn, delivery| {
            let consumer = consumer.clone();
            Box::pin(async move {
                let event = delivery.decode::<C::Event>()?;
                consumer.apply(conn, event, &delivery).await
            })
        });
        Consumer {
            name: C::NAME,
            events: C::EVENTS.to_vec(),
            handler,
        }
    }
}

impl Consumer {
    /// Runs until `stop` is cancelled, reconnecting with backoff whenever NATS fails.
    pub async fn run(
        self,
        service: &'static str,
        pool: PgPool,
        js: jetstream::Context,
        names: Names,
        metrics: Arc<Metrics>,
        stop: CancellationToken,
    ) {
        let (pool, js, names, metrics) = (&pool, &js, &names, &metrics);
        retry(
            &stop,
            Backoff::new(Duration::from_millis(200), Duration::from_secs(5)),
            || self.consume(service, pool, js, names, metrics, &stop),
            |err, delay| {
                tracing::warn!(consumer = self.name, error = %err, retry_in_ms = delay.as_millis() as u64, "consumer interrupted, reconnecting");
            },
        )
        .await;
    }

    async fn consume(
        &self,
        service: &'static str,
        pool: &PgPool,
        js: &jetstream::Context,
        names: &Names,
        metrics: &Metrics,
        stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        let source = self
            .events
            .first()
            .ok_or_else(|| anyhow::anyhow!("consumer {} has no event types", self.name))?
            .service;
        let stream = js.get_or_create_stream(names.stream_config(source)).await?;
        let durable = names.consumer(service, self.name);
        let consumer = stream
            .get_or_create_consumer(
                &durable,
                pull::Config {
                    durable_name: Some(durable.clone()),
                    // One subject goes in `filter_subject`, which every JetStream server
                    // honours; `filter_subjects` needs nats-server 2.10 (older ones ignore
                    // it and deliver the whole stream, which `deliver` then skips).
                    filter_subject: match self.events.as_slice() {
                        [only] => names.subject(&only.subject()),
                        _ => String::new(),
                    },
                    filter_subjects: match self.events.as_slice() {
                        [_] => Vec::new(),
                        many => many.iter().map(|e| names.subject(&e.subject())).collect(),
                    },
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: HANDLER_TIMEOUT + Duration::from_secs(10),
                    ..Default::default()
                },
            )
            .await?;
        let mut messages = consumer.messages().await?;
        tracing::info!(consumer = %durable, "consuming");
        loop {
            let message = tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                next = messages.next() => match next {
                    Some(message) => message?,
                    None => anyhow::bail!("message stream ended"),
                },
            };
            if let Ok(info) = message.info() {
                metrics
                    .consumer_lag
                    .with_label_values(&[self.name])
                    .set(i64::try_from(info.pending).unwrap_or(i64::MAX));
            }
            let outcome = self.deliver(pool, names, message).await;
            metrics
                .events_handled
                .with_label_values(&[self.name, outcome])
                .inc();
        }
    }

    /// Handles one message and acknowledges it; returns the outcome for the metrics.
    async fn deliver(
        &self,
        pool: &PgPool,
        names: &Names,
        message: jetstream::Message,
    ) -> &'static str {
        let subject = names.strip(message.subject.as_str()).to_owned();
        let span = tracing::info_span!(
            "consumer.handle",
            otel.name = %format!("{subject} process"),
            otel.kind = "consumer",
            messaging.system = "nats",
            messaging.consumer.group.name = self.name,
            messaging.message.id = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        if let Some(headers) = &message.headers {
            telemetry::adopt_parent(&span, &telemetry::NatsHeaderExtractor(headers));
        } else {
            telemetry::record_trace_id(&span);
        }
        let (ack, outcome) = async {
            let event_id = comptoir_proto::events::v1::EventHead::decode(message.payload.as_ref())
                .ok()
                .and_then(|head| head.meta)
                .and_then(|meta| Uuid::parse_str(&meta.event_id).ok());
            let Some(event_type) = self.events.iter().find(|e| e.subject() == subject).copied()
            else {
                // Another consumer's event type, delivered by a server that ignores the
                // filter: nothing to do here.
                tracing::debug!(%subject, "not an event this consumer applies; skipping it");
                return (AckKind::Ack, "skipped");
            };
            let Some(event_id) = event_id else {
                tracing::error!(%subject, "event without a valid meta.event_id; terminating it");
                return (AckKind::Term, "rejected");
            };
            tracing::Span::current()
                .record("messaging.message.id", tracing::field::display(event_id));
            let delivery = Delivery {
                event_id,
                event_type,
                payload: message.payload.clone(),
            };
            match tokio::time::timeout(HANDLER_TIMEOUT, self.apply(pool, &subject, delivery)).await
            {
                Ok(Ok(applied)) => {
                    tracing::debug!(%event_id, applied, "event handled");
                    (AckKind::Ack, if applied { "applied" } else { "duplicate" })
                }
                Ok(Err(HandlerError::Rejected(reason))) => {
                    tracing::error!(%event_id, %reason, "event rejected; terminating it");
                    (AckKind::Term, "rejected")
                }
                Ok(Err(err)) => {
                    tracing::warn!(%event_id, error = %err, "event failed; it will be redelivered");
                    (AckKind::Nak(Some(RETRY_DELAY)), "retried")
                }
                Err(_) => {
                    tracing::warn!(%event_id, "event handler timed out; it will be redelivered");
                    (AckKind::Nak(Some(RETRY_DELAY)), "retried")
                }
            }
        }
        .instrument(span.clone())
        .await;
        if let Err(err) = message.ack_with(ack).instrument(span).await {
            // Not acked: JetStream redelivers after ack_wait and the inbox skips it.
            tracing::warn!(error = %err, "could not acknowledge an event");
        }
        outcome
    }

    /// Records the event in the inbox and applies it, in one transaction. Returns false
    /// when it had been applied before.
    async fn apply(
        &self,
        pool: &PgPool,
        subject: &str,
        delivery: Delivery,
    ) -> Result<bool, HandlerError> {
        let mut tx = pool.begin().await?;
        let fresh = sqlx::query!(
            "INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3) \
             ON CONFLICT (consumer, event_id) DO NOTHING",
            self.name,
            delivery.event_id,
            subject,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if fresh {
            (self.handler)(&mut tx, delivery).await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }
}
