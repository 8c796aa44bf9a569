//! One trace from a gRPC call through the outbox and NATS to a consumer. The services run
//! as real processes (each with its own trace exporter and `service.name`), exporting
//! OTLP/HTTP to a receiver inside the test; SIGTERM makes each flush before it exits.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use comptoir_proto::billing::v1::{
    ListNumberingSeriesRequest, billing_service_client::BillingServiceClient,
};
use comptoir_proto::tenancy::v1::tenancy_service_client::TenancyServiceClient;
use comptoir_runtime::ServiceSpec;
use comptoir_test_support::{TestDb, TestNats, bearer, eventually};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use tokio::process::{Child, Command};

use crate::platform::ALL;

/// A span as received, reduced to what the assertions need.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    kind: SpanKind,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An OTLP/HTTP (protobuf) trace receiver on a free port.
async fn receiver() -> (SocketAddr, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let spans = Arc::new(Mutex::new(Vec::new()));
    let store = spans.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let store = store.clone();
                        async move {
                            let body = request
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            if let Ok(export) = ExportTraceServiceRequest::decode(body.as_ref()) {
                                record(&export, &store);
                            }
                            let answer = ExportTraceServiceResponse::default().encode_to_vec();
                            Ok::<_, Infallible>(
                                http::Response::builder()
                                    .header("content-type", "application/x-protobuf")
                                    .body(Full::new(Bytes::from(answer)))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, spans)
}

fn record(export: &ExportTraceServiceRequest, store: &Mutex<Vec<Received>>) {
    let mut spans = store.lock().unwrap();
    for resource_spans in &export.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
            .map(|value| match value {
                Value::StringValue(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default();
        for scope in &resource_spans.scope_spans {
            for span in &scope.spans {
                spans.push(Received {
                    service: service.clone(),
                    name: span.name.clone(),
                    kind: span.kind(),
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                });
            }
        }
    }
}

/// The service binaries Cargo built next to this test binary.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the service binaries first (`cargo build --bins`; `cargo xtask test` does)",
        path.display()
    );
    path
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

struct Process {
    child: Child,
    url: String,
}

fn start(
    spec: &ServiceSpec,
    db: &TestDb,
    nats: &TestNats,
    otlp: SocketAddr,
    identity_url: &str,
) -> Process {
    let addr = free_addr();
    let mut command = Command::new(binary(spec.name));
    command
        .env_clear()
        .env("COMPTOIR_GRPC_ADDR", addr.to_string())
        .env("COMPTOIR_METRICS_ADDR", "127.0.0.1:0")
        .env("COMPTOIR_DATABASE_URL", db.service_url(spec).expose())
        .env("COMPTOIR_NATS_URL", &nats.url)
        .env("COMPTOIR_NATS_PREFIX", &nats.prefix)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{otlp}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if spec.name == "identity" {
        // Signing keys stay unencrypted in a development deployment; the trace is what
        // this test looks at.
        command.env("COMPTOIR_ENVIRONMENT", "development");
    } else {
        command.env("COMPTOIR_IDENTITY_URL", identity_url);
    }
    Process {
        child: command
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", spec.name)),
        url: format!("http://{addr}"),
    }
}

async fn wait_serving(url: &str) {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    eventually(&format!("{url} to serve"), || async {
        let channel = tonic::transport::Channel::from_shared(url.to_owned())
            .ok()?
            .connect()
            .await
            .ok()?;
        let status = HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
            .ok()?
            .into_inner()
            .status();
        (status == ServingStatus::Serving).then_some(())
    })
    .await;
}

/// SIGTERM, then wait for a clean exit (which flushes the trace exporter).
async fn terminate(mut process: Process) {
    let pid = process.child.id().expect("a running child").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(30), process.child.wait())
        .await
        .expect("the service exits after SIGTERM")
        .unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}

#[tokio::test]
async fn one_trace_spans_the_call_the_outbox_nats_and_the_consumer() {
    let db = TestDb::new(&ALL).await;
    let nats = TestNats::shared().await;
    let (otlp, spans) = receiver().await;
    let identity = start(&comptoir_identity::SPEC, &db, &nats, otlp, "");
    wait_serving(&identity.url).await;
    let tenancy = start(&comptoir_tenancy::SPEC, &db, &nats, otlp, &identity.url);
    let billing = start(&comptoir_billing::SPEC, &db, &nats, otlp, &identity.url);
    wait_serving(&tenancy.url).await;
    wait_serving(&billing.url).await;

    let identity_channel = tonic::transport::Channel::from_shared(identity.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let token = {
        use comptoir_proto::identity::v1::{
            LoginRequest, SignUpRequest, identity_service_client::IdentityServiceClient,
        };
        let mut client = IdentityServiceClient::new(identity_channel);
        let password = comptoir_test_support::PASSWORD.to_owned();
        client
            .sign_up(SignUpRequest {
                email: "trace@example.fr".to_owned(),
                password: password.clone(),
                name: "Trace".to_owned(),
            })
            .await
            .unwrap();
        client
            .login(LoginRequest {
                email: "trace@example.fr".to_owned(),
                password,
            })
            .await
            .unwrap()
            .into_inner()
            .access_token
    };

    // The caller starts the trace, as a gateway would.
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let mut request = bearer(
        crate::platform::company_request("Traçable SARL", "732829320"),
        &token,
    );
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-00f067aa0ba902b7-01")
            .parse()
            .unwrap(),
    );
    let tenancy_channel = tonic::transport::Channel::from_shared(tenancy.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let company_id = TenancyServiceClient::new(tenancy_channel)
        .create_company(request)
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap()
        .company_id;
    let billing_channel = tonic::transport::Channel::from_shared(billing.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    // What SwitchCompany would give the owner (identity runs here without tenancy's address).
    let scoped = comptoir_test_support::scoped_token(
        &db,
        uuid::Uuid::parse_str(&company_id).unwrap(),
        &[comptoir_domain_types::permissions::Permission::InvoicesRead],
    )
    .await;
    eventually("billing to apply the event", || {
        let mut client = BillingServiceClient::new(billing_channel.clone());
        let request = bearer(
            ListNumberingSeriesRequest {
                company_id: company_id.clone(),
                ..Default::default()
            },
            &scoped,
        );
        async move { client.list_numbering_series(request).await.ok() }
    })
    .await;

    for process in [tenancy, billing, identity] {
        terminate(process).await;
    }

    let spans: Vec<Received> = spans
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.trace_id == trace_id)
        .cloned()
        .collect();
    let by_service: HashMap<&str, Vec<&Received>> =
        spans.iter().fold(HashMap::new(), |mut map, span| {
            map.entry(span.service.as_str()).or_default().push(span);
            map
        });
    let find = |service: &str, kind: SpanKind| {
        by_service
            .get(service)
            .and_then(|spans| spans.iter().find(|s| s.kind == kind).copied())
            .unwrap_or_else(|| {
                panic!("no {kind:?} span from {service} in trace {trace_id}: {spans:#?}")
            })
    };
    let server = find("comptoir-tenancy", SpanKind::Server);
    assert_eq!(
        server.parent_span_id, "00f067aa0ba902b7",
        "the call joins the caller's trace"
    );
    let publish = find("comptoir-tenancy", SpanKind::Producer);
    assert_eq!(
        publish.parent_span_id, server.span_id,
        "the publish is part of the call's trace"
    );
    let consume = find("comptoir-billing", SpanKind::Consumer);
    assert_eq!(
        consume.parent_span_id, publish.span_id,
        "the consumer is linked to the publish across NATS"
    );
    assert!(
        consume.name.contains("comptoir.tenancy.company.created"),
        "{}",
        consume.name
    );
}
