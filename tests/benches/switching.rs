//! Benchmark: SwitchCompany and token-verified calls over gRPC, side by side with a
//! trivial call (a health check) as the baseline, on one machine in one run. Prints a
//! table; the target is SwitchCompany at most 3× a health check's cost.
//!
//! `cargo bench -p comptoir-e2e --bench switching` (needs PostgreSQL and NATS, found like
//! the tests: DATABASE_URL / NATS_URL, or run it under `cargo xtask test`'s servers).

use std::time::{Duration, Instant};

use comptoir_e2e::platform::Platform;
use comptoir_proto::billing::v1::{
    ListNumberingSeriesRequest, billing_service_client::BillingServiceClient,
};
use comptoir_proto::identity::v1::{
    SwitchCompanyRequest, identity_service_client::IdentityServiceClient,
};
use comptoir_test_support::bearer;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Concurrent clients per measurement.
const CLIENTS: usize = 16;
/// How long each measurement runs.
const DURATION: Duration = Duration::from_secs(5);

/// Clients per measurement: `BENCH_CLIENTS`, else [`CLIENTS`].
fn clients() -> usize {
    std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=CLIENTS).contains(n))
        .unwrap_or(CLIENTS)
}

struct Figures {
    name: &'static str,
    calls: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }
}

/// Runs `call` from CLIENTS tasks for DURATION; every call must succeed.
async fn measure<F, Fut>(name: &'static str, call: F) -> Figures
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), tonic::Status>> + Send,
{
    // Warm up connections and caches.
    for _ in 0..50 {
        call()
            .await
            .unwrap_or_else(|status| panic!("{name}: {status:?}"));
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients() {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < DURATION {
                let at = Instant::now();
                call()
                    .await
                    .unwrap_or_else(|status| panic!("{name}: {status:?}"));
                latencies.push(at.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a client task"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Figures {
        name,
        calls: latencies.len(),
        elapsed,
        latencies,
    }
}

#[tokio::main]
async fn main() {
    let platform = Platform::start().await;
    let login = platform.user_token("bench@example.fr").await;
    let company = platform
        .create_company(&login, "Banc d'Essai SAS", "732829320")
        .await;
    let scoped = platform.switch(&login, &company).await.expect("switch");

    let health_channel = platform.billing.channel().await;
    let health = measure("health check (baseline)", move || {
        let mut client = HealthClient::new(health_channel.clone());
        async move {
            client
                .check(HealthCheckRequest::default())
                .await
                .map(|_| ())
        }
    })
    .await;

    // A verified call that does no work after the auth layer: a malformed id is refused
    // by the handler once the token has been checked.
    let billing_channel = platform.billing.channel().await;
    let token = scoped.clone();
    let verified = measure("token-verified call", move || {
        let mut client = BillingServiceClient::new(billing_channel.clone());
        let request = bearer(
            ListNumberingSeriesRequest {
                company_id: "x".to_owned(),
                ..Default::default()
            },
            &token,
        );
        async move {
            match client.list_numbering_series(request).await {
                Err(status) if status.code() == tonic::Code::InvalidArgument => Ok(()),
                Err(status) => Err(status),
                Ok(_) => Err(tonic::Status::internal("a malformed id was accepted")),
            }
        }
    })
    .await;

    let identity_channel = platform.identity.channel().await;
    let switch = measure("SwitchCompany", move || {
        let mut client = IdentityServiceClient::new(identity_channel.clone());
        let request = bearer(
            SwitchCompanyRequest {
                company_id: company.clone(),
            },
            &login,
        );
        async move { client.switch_company(request).await.map(|_| ()) }
    })
    .await;

    println!();
    println!(
        "{CLIENTS} concurrent clients, {} s each, debug={}",
        DURATION.as_secs(),
        cfg!(debug_assertions)
    );
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>12}",
        "call", "calls/s", "p50 ms", "p99 ms", "cost vs health"
    );
    for figures in [&health, &verified, &switch] {
        println!(
            "{:<26} {:>10.0} {:>10.2} {:>10.2} {:>11.2}×",
            figures.name,
            figures.per_second(),
            figures.percentile(0.50).as_secs_f64() * 1000.0,
            figures.percentile(0.99).as_secs_f64() * 1000.0,
            health.per_second() / figures.per_second(),
        );
    }
    let ratio = health.per_second() / switch.per_second();
    println!();
    println!(
        "SwitchCompany costs {ratio:.2}× a health check (target: at most 3×): {}",
        if ratio <= 3.0 { "met" } else { "NOT met" }
    );
    platform.stop().await;
}
