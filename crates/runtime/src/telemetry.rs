//! Logs and traces. Logs are JSON lines on stdout carrying the current span's fields,
//! including `trace_id`, so a log line leads to its trace in Grafana. Traces go over
//! OTLP/HTTP when an endpoint is configured. The W3C trace context travels in gRPC
//! metadata and in NATS headers, so one trace spans a call, the outbox relay and every
//! consumer it triggers.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::CommonConfig;

/// Keeps the trace pipeline alive; [`Telemetry::shutdown`] flushes the spans still queued.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the trace exporter. Called once the server has drained.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(err) = provider.shutdown()
        {
            tracing::warn!(error = %err, "trace exporter did not shut down cleanly");
        }
    }
}

/// Installs the global subscriber: JSON logs filtered by `RUST_LOG`, plus an OpenTelemetry
/// layer exporting to `OTEL_EXPORTER_OTLP_ENDPOINT` when set. Safe to call more than once
/// (tests boot several services in one process): later calls keep the first subscriber.
pub fn init(service: &str, config: &CommonConfig) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|err| anyhow::anyhow!("RUST_LOG `{}`: {err}", config.log_filter))?;
    let logs = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_filter(filter);

    let provider = match &config.otlp_endpoint {
        Some(endpoint) => Some(tracer_provider(
            service,
            endpoint,
            config.trace_sample_ratio,
        )?),
        None => None,
    };
    // Without an exporter spans still get ids (and the context still propagates), so
    // logs carry trace ids in every setup.
    let provider_for_layer = provider.clone().unwrap_or_else(|| {
        SdkTracerProvider::builder()
            .with_resource(resource(service))
            .build()
    });
    let tracer = provider_for_layer.tracer(service.to_owned());
    // Traces hold Comptoir's own spans (calls, publishes, consumers: all INFO) and their
    // events down to INFO. Without this filter every DEBUG/TRACE event of hyper, h2 and
    // tonic was formatted and stored in the request's span: about 45 % of a service's
    // CPU under load, for data no one exports.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);

    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let _ = tracing_subscriber::registry()
        .with(otel)
        .with(logs)
        .try_init();
    Ok(Telemetry { provider })
}

fn resource(service: &str) -> opentelemetry_sdk::Resource {
    opentelemetry_sdk::Resource::builder()
        .with_service_name(format!("comptoir-{service}"))
        .build()
}

fn tracer_provider(service: &str, endpoint: &str, ratio: f64) -> anyhow::Result<SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()
        .map_err(|err| anyhow::anyhow!("OTEL_EXPORTER_OTLP_ENDPOINT `{endpoint}`: {err}"))?;
    let sampler = opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(
        opentelemetry_sdk::trace::Sampler::TraceIdRatioBased(ratio),
    ));
    Ok(SdkTracerProvider::builder()
        .with_resource(resource(service))
        .with_sampler(sampler)
        .with_batch_exporter(exporter)
        .build())
}

/// The current span's W3C `traceparent` (and `tracestate`), as header pairs.
pub fn current_context_headers() -> HashMap<String, String> {
    let mut headers = HashMap::new();
    let cx = Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut headers);
    headers
}

/// Makes `span` a child of the trace context found in `carrier`, if any, and records the
/// resulting trace id on the span's `trace_id` field for the logs.
pub fn adopt_parent(span: &Span, carrier: &dyn Extractor) {
    let parent = TraceContextPropagator::new().extract(carrier);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    record_trace_id(span);
}

/// Records the span's trace id on its `trace_id` field (declared `Empty` at creation).
pub fn record_trace_id(span: &Span) {
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
}

/// Reads trace context from HTTP/2 headers (gRPC metadata).
pub struct HeaderExtractor<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Writes trace context into gRPC request metadata.
pub struct MetadataInjector<'a>(pub &'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            value.parse(),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// Reads trace context from NATS message headers.
pub struct NatsHeaderExtractor<'a>(pub &'a async_nats::HeaderMap);

impl Extractor for NatsHeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// A gRPC client interceptor that forwards the current trace context, so the callee's
/// spans join the caller's trace.
pub fn propagate_context(
    mut request: tonic::Request<()>,
) -> Result<tonic::Request<()>, tonic::Status> {
    let cx = Span::current().context();
    TraceContextPropagator::new()
        .inject_context(&cx, &mut MetadataInjector(request.metadata_mut()));
    Ok(request)
}
