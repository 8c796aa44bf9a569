//! RED metrics and event-pipeline health in Prometheus form, served on a plain HTTP port
//! (`/metrics`) next to the gRPC one: calls, errors and durations per RPC, the outbox
//! backlog, events published, and each consumer's lag and outcomes. Every App has its own
//! registry, so several services can run in one process (as the tests do).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The metrics of one service.
pub struct Metrics {
    registry: Registry,
    /// gRPC calls by method and status code.
    pub grpc_requests: IntCounterVec,
    /// gRPC call durations by method, in seconds.
    pub grpc_duration: HistogramVec,
    /// Events committed to the outbox and not yet acknowledged by JetStream.
    pub outbox_backlog: IntGauge,
    /// Events published and acknowledged.
    pub outbox_published: IntCounter,
    /// Messages a consumer has yet to receive, as JetStream last reported.
    pub consumer_lag: IntGaugeVec,
    /// Events handled by consumer and outcome (`applied`, `duplicate`, `retried`,
    /// `rejected`, `skipped`).
    pub events_handled: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A fresh registry for `service`, every series labelled with it.
    pub fn new(service: &str) -> Arc<Self> {
        let registry = Registry::new_custom(
            Some("comptoir".to_owned()),
            Some([("service".to_owned(), service.to_owned())].into()),
        )
        .expect("a valid registry prefix");
        let grpc_requests = IntCounterVec::new(
            Opts::new(
                "grpc_requests_total",
                "gRPC calls by method and status code",
            ),
            &["method", "code"],
        )
        .expect("valid metric");
        let grpc_duration = HistogramVec::new(
            HistogramOpts::new("grpc_request_duration_seconds", "gRPC call durations").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            ),
            &["method"],
        )
        .expect("valid metric");
        let outbox_backlog =
            IntGauge::new("outbox_backlog", "events committed and not yet published")
                .expect("valid metric");
        let outbox_published = IntCounter::new(
            "outbox_published_total",
            "events published and acknowledged",
        )
        .expect("valid metric");
        let consumer_lag = IntGaugeVec::new(
            Opts::new("consumer_lag", "messages a consumer has yet to receive"),
            &["consumer"],
        )
        .expect("valid metric");
        let events_handled = IntCounterVec::new(
            Opts::new(
                "events_handled_total",
                "events handled by consumer and outcome",
            ),
            &["consumer", "outcome"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(grpc_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(grpc_duration.clone()),
            Box::new(outbox_backlog.clone()),
            Box::new(outbox_published.clone()),
            Box::new(consumer_lag.clone()),
            Box::new(events_handled.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Arc::new(Self {
            registry,
            grpc_requests,
            grpc_duration,
            outbox_backlog,
            outbox_published,
            consumer_lag,
            events_handled,
        })
    }

    /// Registers a service's own metric (e.g. invoices issued).
    pub fn register(
        &self,
        collector: Box<dyn prometheus::core::Collector>,
    ) -> prometheus::Result<()> {
        self.registry.register(collector)
    }

    /// Records one gRPC call.
    pub fn observe_call(&self, method: &str, code: tonic::Code, elapsed: Duration) {
        self.grpc_requests
            .with_label_values(&[method, code_name(code)])
            .inc();
        self.grpc_duration
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %err, "encoding metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }

    /// Serves `/metrics` on `listener` until `stop` is cancelled.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, stop: CancellationToken) {
        loop {
            let stream = tokio::select! {
                _ = stop.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        tracing::warn!(error = %err, "metrics listener");
                        continue;
                    }
                },
            };
            let metrics = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let metrics = metrics.clone();
                    async move {
                        let response = if request.uri().path() == "/metrics" {
                            http::Response::builder()
                                .header(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")
                                .body(Full::new(Bytes::from(metrics.render())))
                        } else {
                            http::Response::builder()
                                .status(http::StatusCode::NOT_FOUND)
                                .body(Full::new(Bytes::from_static(b"see /metrics\n")))
                        };
                        Ok::<_, Infallible>(response.expect("a static response is valid"))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }
}

/// A status code's name as gRPC spells it (`PERMISSION_DENIED`): the metrics' label, and
/// what an answer reporting another call's outcome names it by.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The metrics address of a service whose gRPC port is `grpc_port`: 9090 + n, where n is
/// the service's place (50051 → 9091).
pub fn default_addr(grpc_port: u16) -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 9090 + grpc_port.saturating_sub(50050)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_method_and_code() {
        let metrics = Metrics::new("billing");
        metrics.observe_call("/x.v1.S/A", tonic::Code::Ok, Duration::from_millis(3));
        metrics.observe_call("/x.v1.S/A", tonic::Code::NotFound, Duration::from_millis(1));
        metrics.outbox_backlog.set(7);
        let text = metrics.render();
        assert!(text.contains(r#"comptoir_grpc_requests_total{code="NOT_FOUND",method="/x.v1.S/A",service="billing"} 1"#), "{text}");
        assert!(
            text.contains(r#"comptoir_outbox_backlog{service="billing"} 7"#),
            "{text}"
        );
        assert_eq!(default_addr(50053).port(), 9093);
    }
}
