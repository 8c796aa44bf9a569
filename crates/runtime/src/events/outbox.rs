//! The transactional outbox. A change and the events describing it commit together
//! ([`Event::enqueue`]); the relay then publishes unsent events in order, each with
//! `Nats-Msg-Id` = its event id, and marks them sent only once JetStream has acknowledged
//! them. If NATS is down the events wait in the table; if the relay dies between the ack
//! and the mark, the next publish is dropped by JetStream's duplicate window, and any
//! later redelivery by the consumers' inbox.
//!
//! An ack that does not come within [`ACK_TIMEOUT`] fails the batch and the relay
//! publishes again shortly (the duplicate window drops a copy that did land), so events
//! written just after a broker restart go out within a second instead of after the
//! client's 5 s request timeout.
//!
//! The relay wakes when there is something to publish, not on a clock: [`Outbox::wake`]
//! after a commit in this process, and a PostgreSQL notification on the schema's
//! [`channel`] for events committed by any connection (another replica of the service, a
//! migration, an operator): a trigger on `outbox` (runtime migration 0002) notifies at
//! commit. Polling every [`POLL`] remains only as a safety net; an idle service runs
//! a couple of transactions per poll instead of several a second.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::names::{EventType, Names};
use crate::metrics::Metrics;
use crate::retry::{Backoff, retry, sleep_or_cancel};
use crate::telemetry;

/// Most events published per relay transaction.
const BATCH: i64 = 256;
/// How often the relay looks for events when nothing woke it: only a safety net, since
/// commits wake it (see the module documentation).
const POLL: Duration = Duration::from_secs(30);
/// How long a publish waits for JetStream's acknowledgement before it is tried again.
const ACK_TIMEOUT: Duration = Duration::from_secs(1);
/// Longest pause after a failed batch (a reconnection ends it early).
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// First pause before listening for notifications again after a failure.
const LISTEN_RETRY_START: Duration = Duration::from_millis(100);
/// Longest pause before listening for notifications again after a failure.
const MAX_LISTEN_BACKOFF: Duration = Duration::from_secs(5);

/// The notification channel of the outbox of `schema`, as its trigger names it: one per
/// schema, so a service's replicas wake each other and other services sleep on.
pub fn channel(schema: &str) -> String {
    format!("comptoir_outbox_{schema}")
}

/// One domain event about to be written to the outbox.
#[derive(Debug, Clone)]
pub struct Event {
    /// Unique id; becomes `Nats-Msg-Id`.
    pub event_id: Uuid,
    /// What happened.
    pub event_type: EventType,
    /// The company concerned, if any.
    pub company_id: Option<Uuid>,
    /// The protobuf-encoded message from `comptoir.events.v1`.
    pub payload: Vec<u8>,
}

impl Event {
    /// A new event about `company_id` by `actor`, now: `build` receives the filled
    /// `EventMeta` and returns the message to encode.
    pub fn about<M: prost::Message>(
        event_type: EventType,
        company_id: Uuid,
        actor: &str,
        build: impl FnOnce(comptoir_proto::events::v1::EventMeta) -> M,
    ) -> Self {
        Self::new(event_type, Some(company_id), actor, build)
    }

    /// A new event by `actor`, now, about `company_id` if it concerns one (identity's
    /// events concern accounts, not companies: their `meta.company_id` stays empty).
    pub fn new<M: prost::Message>(
        event_type: EventType,
        company_id: Option<Uuid>,
        actor: &str,
        build: impl FnOnce(comptoir_proto::events::v1::EventMeta) -> M,
    ) -> Self {
        let event_id = Uuid::now_v7();
        let meta = comptoir_proto::events::v1::EventMeta {
            event_id: event_id.to_string(),
            occur_time: Some(prost_types::Timestamp::from(std::time::SystemTime::now())),
            company_id: company_id.map(|id| id.to_string()).unwrap_or_default(),
            actor: actor.to_owned(),
        };
        Event {
            event_id,
            event_type,
            company_id,
            payload: build(meta).encode_to_vec(),
        }
    }

    /// Writes the event in the caller's transaction, with the current trace context.
    pub async fn enqueue(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let trace = serde_json::to_value(telemetry::current_context_headers())
            .unwrap_or(serde_json::Value::Null);
        sqlx::query!(
            "INSERT INTO outbox (event_id, subject, payload, company_id, trace_context) \
             VALUES ($1, $2, $3, $4, $5)",
            self.event_id,
            self.event_type.subject(),
            &self.payload,
            self.company_id,
            trace,
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// A handle to wake the relay right after a commit, instead of waiting for its next poll.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    /// Tells the relay there is something to publish.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Publishes unsent events until `stop` is cancelled, then makes one last pass so
    /// committed events go out before the process exits.
    pub async fn relay(
        self,
        pool: PgPool,
        js: jetstream::Context,
        names: Names,
        metrics: Arc<Metrics>,
        stop: CancellationToken,
    ) {
        let client = js.client();
        let listening = tokio::spawn(listen(self.wake.clone(), pool.clone(), stop.clone()));
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_BACKOFF);
        loop {
            let published = publish_batch(&pool, &js, &names).await;
            if let Ok(n) = &published {
                metrics.outbox_published.inc_by(*n as u64);
            }
            if let Ok(backlog) = backlog(&pool).await {
                metrics.outbox_backlog.set(backlog);
            }
            match published {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {
                    backoff.reset();
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(POLL) => {}
                    }
                }
                Err(err) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "outbox relay failed; events stay queued");
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(delay) => {}
                        _ = super::reconnected(&client) => {}
                    }
                }
            }
        }
        // The listener's connection must be back in the pool before the pool closes.
        listening.abort();
        let _ = listening.await;
        // Final flush, bounded so a dead NATS cannot hold the shutdown.
        let flush = async {
            while let Ok(n) = publish_batch(&pool, &js, &names).await {
                if n == 0 {
                    break;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(5), flush)
            .await
            .is_err()
        {
            tracing::warn!(
                "outbox not fully flushed at shutdown; the next start publishes the rest"
            );
        }
    }
}

/// Wakes the relay on every notification of the schema's [`channel`] until `stop` is
/// cancelled, and once each time it starts listening (what was committed while nobody
/// listened was announced to no one). A connection lost is re-established with backoff.
async fn listen(wake: Arc<Notify>, pool: PgPool, stop: CancellationToken) {
    loop {
        let listener = retry(
            &stop,
            Backoff::new(LISTEN_RETRY_START, MAX_LISTEN_BACKOFF),
            || subscribe(&pool),
            |err, delay| {
                tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "cannot listen for outbox notifications; polling meanwhile");
            },
        )
        .await;
        let Some(mut listener) = listener else {
            return;
        };
        wake.notify_one();
        loop {
            let received = tokio::select! {
                _ = stop.cancelled() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(_)) => wake.notify_one(),
                // The connection was lost and sqlx listens again on a new one: what was
                // notified in between is lost, so look once.
                Ok(None) => wake.notify_one(),
                Err(err) => {
                    tracing::warn!(error = %err, "outbox notifications interrupted");
                    break;
                }
            }
        }
        // A server that accepts connections only to drop them must not be hammered.
        if sleep_or_cancel(&stop, LISTEN_RETRY_START).await {
            return;
        }
    }
}

/// A listener on the channel of the pool's schema.
async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    // `!`: the macros take a function's result as nullable; the pool always sets a schema.
    let schema = sqlx::query_scalar!(r#"SELECT current_schema() AS "schema!""#)
        .fetch_one(pool)
        .await?;
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(&channel(&schema)).await?;
    Ok(listener)
}

/// How many events wait to be published.
async fn backlog(pool: &PgPool) -> Result<i64, sqlx::Error> {
    // `!`: count(*) is never NULL, though the macros cannot tell.
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM outbox WHERE sent_at IS NULL"#)
        .fetch_one(pool)
        .await
}

struct Row {
    outbox_id: i64,
    event_id: Uuid,
    subject: String,
    payload: Vec<u8>,
    company_id: Option<Uuid>,
    trace_context: sqlx::types::Json<HashMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("postgres: {0}")]
    Db(#[from] sqlx::Error),
    #[error("publishing {event_id}: {source}")]
    Publish {
        event_id: Uuid,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Publishes one batch of unsent events; returns how many were marked sent. Rows are
/// locked with SKIP LOCKED, so replicas relay disjoint batches.
async fn publish_batch(
    pool: &PgPool,
    js: &jetstream::Context,
    names: &Names,
) -> Result<usize, RelayError> {
    let mut tx = pool.begin().await?;
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT outbox_id, event_id, subject, payload, company_id,
               trace_context AS "trace_context: sqlx::types::Json<HashMap<String, String>>"
           FROM outbox
           WHERE sent_at IS NULL ORDER BY outbox_id LIMIT $1 FOR UPDATE SKIP LOCKED"#,
        BATCH,
    )
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }

    let mut sent = Vec::with_capacity(rows.len());
    let mut failure = None;
    for row in rows {
        match publish(js, names, &row).await {
            Ok(()) => sent.push(row.outbox_id),
            Err(source) => {
                failure = Some(RelayError::Publish {
                    event_id: row.event_id,
                    source,
                });
                break;
            }
        }
    }
    sqlx::query!(
        "UPDATE outbox SET sent_at = now() WHERE outbox_id = ANY($1)",
        &sent,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    match failure {
        Some(err) => Err(err),
        None => Ok(sent.len()),
    }
}

async fn publish(
    js: &jetstream::Context,
    names: &Names,
    row: &Row,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let subject = names.subject(&row.subject);
    let span = tracing::info_span!(
        "outbox.publish",
        otel.name = %format!("{} publish", row.subject),
        otel.kind = "producer",
        messaging.system = "nats",
        messaging.destination.name = %subject,
        messaging.message.id = %row.event_id,
        trace_id = tracing::field::Empty,
    );
    telemetry::adopt_parent(&span, &row.trace_context.0);
    async {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            async_nats::header::NATS_MESSAGE_ID,
            row.event_id.to_string().as_str(),
        );
        if let Some(company_id) = row.company_id {
            headers.insert(super::COMPANY_HEADER, company_id.to_string().as_str());
        }
        for (key, value) in telemetry::current_context_headers() {
            headers.insert(key.as_str(), value.as_str());
        }
        let ack = js
            .publish_with_headers(subject, headers, row.payload.clone().into())
            .await?;
        tokio::time::timeout(ACK_TIMEOUT, ack)
            .await
            .map_err(|_| format!("no acknowledgement within {ACK_TIMEOUT:?}"))??;
        Ok(())
    }
    .instrument(span)
    .await
}
