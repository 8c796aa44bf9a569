//! The edge of every gRPC server: one tower layer that opens the request's span (joining
//! the caller's trace from the `traceparent` metadata), answers UNAVAILABLE while the
//! service is still starting, and authenticates the caller, putting a [`Caller`] into the
//! request's extensions. Health and reflection pass through untouched, as do the few
//! methods a service declares public (identity's login, for instance).

use std::collections::HashSet;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tokio::sync::watch;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::auth::{self, KeySet};
use crate::caller::Caller;
use crate::metrics::Metrics;
use crate::{error, telemetry};

/// Paths of the infrastructure services that never need a token nor readiness.
const INFRA_PREFIXES: [&str; 3] = [
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

struct EdgeState {
    keys: KeySet,
    metrics: Arc<Metrics>,
    public: HashSet<&'static str>,
    ready: watch::Receiver<bool>,
    service: &'static str,
}

/// Builds [`Edge`] services.
#[derive(Clone)]
pub struct EdgeLayer {
    state: Arc<EdgeState>,
}

impl EdgeLayer {
    /// The edge for `service`, verifying with `keys`, letting `public` methods through
    /// (full paths, `/package.Service/Method`), open once `ready` turns true, recording
    /// every call in `metrics`.
    pub fn new(
        service: &'static str,
        keys: KeySet,
        public: &[&'static str],
        ready: watch::Receiver<bool>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            state: Arc::new(EdgeState {
                keys,
                metrics,
                public: public.iter().copied().collect(),
                ready,
                service,
            }),
        }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Edge {
            inner,
            state: self.state.clone(),
        }
    }
}

/// See the module documentation.
#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    state: Arc<EdgeState>,
}

impl<S, B, R> Service<http::Request<B>> for Edge<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The ready clone goes to this call; `self` keeps a fresh one (tower's idiom).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        let path = request.uri().path().to_owned();

        if INFRA_PREFIXES.iter().any(|p| path.starts_with(p)) {
            return Box::pin(inner.call(request));
        }

        let span = tracing::info_span!(
            "grpc.request",
            otel.name = %path.trim_start_matches('/'),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = state.service,
            rpc.method = %path,
            caller = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        telemetry::adopt_parent(&span, &telemetry::HeaderExtractor(request.headers()));

        Box::pin(
            async move {
                let started = std::time::Instant::now();
                let response = gate(&state, &path, request, inner).await;
                if let Ok(response) = &response {
                    state
                        .metrics
                        .observe_call(&path, status_code(response), started.elapsed());
                }
                response
            }
            .instrument(span),
        )
    }
}

/// Readiness, then authentication, then the service itself.
async fn gate<S, B, R>(
    state: &EdgeState,
    path: &str,
    mut request: http::Request<B>,
    mut inner: S,
) -> Result<http::Response<R>, S::Error>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    R: Default,
{
    if !*state.ready.borrow() {
        let status = error::status(
            tonic::Code::Unavailable,
            "STARTING",
            state.service,
            "the service is starting: its database or NATS is not ready yet",
        );
        return Ok(status.into_http());
    }
    if !state.public.contains(path) {
        match authenticate(&state.keys, request.headers()).await {
            Ok(caller) => {
                tracing::Span::current().record("caller", caller.actor());
                request.extensions_mut().insert(caller);
            }
            Err(status) => {
                tracing::info!(code = ?status.code(), reason = %status.message(), "request not authenticated");
                return Ok(status.into_http());
            }
        }
    }
    inner.call(request).await
}

/// The gRPC status of a response: the `grpc-status` header of a trailers-only answer
/// (how errors are sent), else OK. A failure reported only in trailers, mid-stream,
/// counts as OK here; every RPC so far is unary.
fn status_code<R>(response: &http::Response<R>) -> tonic::Code {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

async fn authenticate(keys: &KeySet, headers: &http::HeaderMap) -> Result<Caller, tonic::Status> {
    let token = auth::bearer(headers)?;
    Ok(keys.verify(token).await?)
}

/// A protobuf timestamp for a database one.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}
