//! Benchmark: SwitchCompany and token-verified calls over gRPC, side by side with a
//! trivial call (a health check) as the baseline, on one machine in one run. Prints a
//! table; the target is SwitchCompany at most 3× a health check's cost. Each client has
//! its own session; `BENCH_CLIENTS` sets how many (1 to 16, default 16).
//!
//! `cargo bench -p comptoir-e2e --bench switching` (needs PostgreSQL and NATS, found like
//! the tests: DATABASE_URL / NATS_URL, or run it under `cargo xtask test`'s servers).

use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir_e2e::platform::{Platform, company_request_with_nic};
use comptoir_proto::billing::v1::{
    ListNumberingSeriesRequest, billing_service_client::BillingServiceClient,
};
use comptoir_proto::identity::v1::{
    SwitchCompanyRequest, identity_service_client::IdentityServiceClient,
};
use comptoir_test_support::bearer;
use comptoir_test_support::bench::Figures;
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

/// Calls each client makes before the clock starts, all clients at once, so every pool
/// on the way holds as many connections as the measurement will use.
const WARM_UP_CALLS: usize = 20;

/// Runs `call` from [`clients`] tasks for DURATION; every call must succeed. `call` gets
/// the client's index and the call's rank within that client.
async fn measure<F, Fut>(name: &'static str, call: F) -> Figures
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(), tonic::Status>> + Send,
{
    let run = |started: Option<Instant>| {
        let tasks: Vec<_> = (0..clients())
            .map(|client| {
                let call = call.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    for rank in 0.. {
                        let done = match started {
                            Some(started) => started.elapsed() >= DURATION,
                            None => rank == WARM_UP_CALLS,
                        };
                        if done {
                            break;
                        }
                        let at = Instant::now();
                        call(client, rank)
                            .await
                            .unwrap_or_else(|status| panic!("{name}: {status:?}"));
                        latencies.push(at.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        async move {
            let mut latencies = Vec::new();
            for task in tasks {
                latencies.extend(task.await.expect("a client task"));
            }
            latencies
        }
    };
    run(None).await;
    let started = Instant::now();
    let latencies = run(Some(started)).await;
    let elapsed = started.elapsed();
    Figures::new(name, elapsed, latencies)
}

/// One bench client's own person, session and companies: clients do not share a
/// session, so they never wait on each other's row locks, as real users would not.
struct Client {
    token: String,
    companies: [String; 2],
}

#[tokio::main]
async fn main() {
    let platform = Platform::start().await;
    let mut setup = Vec::new();
    for client in 0..clients() {
        let token = platform
            .user_token(&format!("bench{client}@example.fr"))
            .await;
        let mut companies = Vec::new();
        for n in [2 * client, 2 * client + 1] {
            let request = company_request_with_nic("Banc d'Essai SAS", "732829320", n);
            companies.push(platform.create_company_with(&token, request).await);
        }
        let companies = companies.try_into().expect("two companies");
        setup.push(Client { token, companies });
    }
    let setup = Arc::new(setup);
    let scoped = platform
        .switch(&setup[0].token, &setup[0].companies[0])
        .await
        .expect("switch");

    let health_channel = platform.billing.channel().await;
    let health = measure("health check (baseline)", move |_, _| {
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
    let verified = measure("token-verified call", move |_, _| {
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

    // Each client switches its session to a company: to the same one again and again
    // (the session already acts on it, so identity writes nothing), then back and forth
    // between its two (every call rewrites the session's row).
    let switch_to = |name, alternate: bool| {
        let channel = platform.identity.channel();
        let setup = setup.clone();
        async move {
            let channel = channel.await;
            measure(name, move |client, rank| {
                let mut identity = IdentityServiceClient::new(channel.clone());
                let Client { token, companies } = &setup[client];
                let company = &companies[if alternate { rank % 2 } else { 0 }];
                let request = bearer(
                    SwitchCompanyRequest {
                        company_id: company.clone(),
                    },
                    token,
                );
                async move { identity.switch_company(request).await.map(|_| ()) }
            })
            .await
        }
    };
    let switch = switch_to("SwitchCompany, same", false).await;
    let alternating = switch_to("SwitchCompany, alternating", true).await;

    println!();
    println!(
        "{} concurrent clients, {} s each, debug={}",
        clients(),
        DURATION.as_secs(),
        cfg!(debug_assertions)
    );
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>12}",
        "call", "calls/s", "p50 ms", "p99 ms", "cost vs health"
    );
    for figures in [&health, &verified, &switch, &alternating] {
        println!(
            "{:<26} {:>10.0} {:>10.2} {:>10.2} {:>11.2}×",
            figures.name,
            figures.per_second(),
            figures.percentile_ms(0.50),
            figures.percentile_ms(0.99),
            health.per_second() / figures.per_second(),
        );
    }
    println!();
    for figures in [&switch, &alternating] {
        let ratio = health.per_second() / figures.per_second();
        println!(
            "{} costs {ratio:.2}× a health check (target: at most 3×): {}",
            figures.name,
            if ratio <= 3.0 { "met" } else { "NOT met" }
        );
    }
    platform.stop().await;
}
