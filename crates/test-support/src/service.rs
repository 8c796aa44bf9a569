//! Booting real services inside the test process, on port 0, and talking to them.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use comptoir_runtime::config::{CommonConfig, IdentityClientConfig};
use comptoir_runtime::{App, ServiceSpec};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use crate::{TestDb, TestNats};

/// Configuration for `spec` in `db`, on a free port, under the test's NATS prefix.
pub fn common_config(db: &TestDb, spec: &ServiceSpec, nats: &TestNats) -> CommonConfig {
    CommonConfig {
        grpc_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        metrics_addr: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        database_url: db.service_url(spec),
        database_max_connections: 16,
        nats_url: nats.url.clone(),
        nats_prefix: nats.prefix.clone(),
        jwt_issuer: "comptoir".to_owned(),
        jwt_audience: "comptoir".to_owned(),
        request_timeout: Duration::from_secs(15),
        shutdown_grace: Duration::from_secs(5),
        idempotency_retention: Duration::from_secs(24 * 3600),
        otlp_endpoint: None,
        trace_sample_ratio: 1.0,
        log_filter: std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".to_owned()),
    }
}

/// Where a service finds identity's keys.
pub fn identity_config(identity: &Running) -> IdentityClientConfig {
    IdentityClientConfig {
        identity_url: identity.url.clone(),
    }
}

/// A service running in the test process.
#[derive(Debug)]
pub struct Running {
    /// Its gRPC address.
    pub addr: SocketAddr,
    /// Its gRPC URL.
    pub url: String,
    /// Its Prometheus endpoint's address.
    pub metrics_addr: SocketAddr,
    stop: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
}

/// Runs `app` in the background and waits until its health says SERVING.
pub async fn spawn(app: App) -> Running {
    let running = spawn_unready(app);
    running.wait_serving().await;
    running
}

fn spawn_unready(app: App) -> Running {
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let stop = app.stop_token();
    let handle = tokio::spawn(app.run_until_stopped());
    Running {
        addr,
        url: format!("http://{addr}"),
        metrics_addr,
        stop,
        handle,
    }
}

impl Running {
    /// Runs `app` in the background without waiting for it to be ready.
    pub fn spawn_unready(app: App) -> Self {
        spawn_unready(app)
    }

    /// A channel to the service.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url.clone())
            .expect("service URL")
            .connect()
            .await
            .unwrap_or_else(|err| panic!("connecting to {}: {err}", self.url))
    }

    /// The overall health status.
    pub async fn health(&self) -> tonic_health::pb::health_check_response::ServingStatus {
        let mut client = tonic_health::pb::health_client::HealthClient::new(self.channel().await);
        let response = client
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health check");
        response.into_inner().status()
    }

    /// The Prometheus exposition from `/metrics`, fetched over plain HTTP/1.1.
    pub async fn scrape_metrics(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.metrics_addr)
            .await
            .expect("connecting to /metrics");
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .await
            .expect("sending the scrape");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .await
            .expect("reading the scrape");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        response
    }

    /// Waits (up to 20 s) until health says SERVING.
    pub async fn wait_serving(&self) {
        use tonic_health::pb::health_check_response::ServingStatus;
        eventually(&format!("{} to be SERVING", self.url), || async {
            (self.health().await == ServingStatus::Serving).then_some(())
        })
        .await;
    }

    /// Stops the service as SIGTERM would and waits for it to finish.
    pub async fn stop(self) {
        self.stop.cancel();
        match tokio::time::timeout(Duration::from_secs(15), self.handle).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => panic!("service ended with an error: {err:#}"),
            Ok(Err(err)) => panic!("service task failed: {err}"),
            Err(_) => panic!("service did not stop within 15 s"),
        }
    }
}

/// A request carrying `token` as its bearer token.
pub fn bearer<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("token is ASCII"),
    );
    request
}

/// Polls `probe` every 50 ms until it gives a value, for up to 20 seconds.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A test's database and NATS prefix with identity running on them: what every service
/// but identity needs before it can start.
#[derive(Debug)]
pub struct Harness {
    /// The test's database.
    pub db: TestDb,
    /// The test's NATS.
    pub nats: TestNats,
    /// Identity, serving tokens and keys.
    pub identity: Running,
}

impl Harness {
    /// A database with the schemas of `services` (identity's included), the shared NATS
    /// under a fresh prefix, and identity started with `build_identity`.
    pub async fn start<F, Fut>(services: &[ServiceSpec], build_identity: F) -> Self
    where
        F: FnOnce(CommonConfig) -> Fut,
        Fut: Future<Output = anyhow::Result<App>>,
    {
        let db = TestDb::new(services).await;
        let nats = TestNats::shared().await;
        let identity_spec = services
            .iter()
            .find(|s| s.name == "identity")
            .expect("the harness needs identity's schema");
        let app = build_identity(common_config(&db, identity_spec, &nats))
            .await
            .expect("identity builds");
        let identity = spawn(app).await;
        Self { db, nats, identity }
    }

    /// Configuration for another service of the harness.
    pub fn config(&self, spec: &ServiceSpec) -> (CommonConfig, IdentityClientConfig) {
        (
            common_config(&self.db, spec, &self.nats),
            identity_config(&self.identity),
        )
    }

    /// Signs a person up and returns their token.
    pub async fn token(&self, email: &str) -> String {
        crate::user_token(&self.identity, email).await
    }

    /// Runs a `SELECT count(*) …` as superuser.
    pub async fn count(&self, sql: &'static str) -> i64 {
        let mut conn = self.db.admin().await;
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect(sql)
    }
}
