//! Benchmark: export's projection catching up with billing. Billing issues invoices at
//! full speed (`IssueInvoice` from concurrent clients over gRPC, drafts cloned by
//! billing's fixtures beforehand, as billing's own benchmark does) while export consumes
//! billing's events and writes an accounting entry for each. Every second it samples the
//! `invoice.issued` events billing has published (its outbox rows sent) and the invoice
//! entries export has applied (its projection's rows), and prints the events applied per
//! second and the lag; then how long export takes to catch up once issuing stops, and the
//! trend of the lag while issuing (target: the lag never grows).
//!
//! `cargo bench -p comptoir-export --bench catchup` (PostgreSQL and NATS found like the
//! tests: DATABASE_URL / NATS_URL). `BENCH_INVOICES` (default 20000) invoices across
//! `BENCH_COMPANIES` (default 10) companies from `BENCH_CLIENTS` (default 16) clients.
//! Identity, billing and export run in this process, each on its own port.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use comptoir_billing::fixtures;
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::billing::v1::invoice_service_client::InvoiceServiceClient;
use comptoir_proto::billing::v1::party_service_client::PartyServiceClient;
use comptoir_proto::billing::v1::{
    CreateInvoiceRequest, CreatePartyRequest, DraftInput, IssueInvoiceRequest, LineInput, PartyRole,
};
use comptoir_test_support::bench::env_number;
use comptoir_test_support::{
    TestDb, TestNats, bearer, common_config, company_with_open_books, french_business,
    identity_config, scoped_token, spawn,
};
use tokio::sync::Mutex;
use tonic::transport::Channel;
use uuid::Uuid;

/// A company ready to invoice: its id, its token and a draft to clone.
struct Company {
    id: Uuid,
    token: String,
    template: Uuid,
}

fn lines() -> Vec<LineInput> {
    [
        ("2", "120.00", "20"),
        ("3", "12.35", "5.5"),
        ("1", "300", "10"),
    ]
    .into_iter()
    .map(|(quantity, unit_price, vat_rate)| LineInput {
        description: "Article".to_owned(),
        quantity: quantity.to_owned(),
        unit_price: unit_price.to_owned(),
        vat_rate: vat_rate.to_owned(),
        ..Default::default()
    })
    .collect()
}

/// A company with open books, a customer and a draft invoice to clone.
async fn company(db: &TestDb, nats: &TestNats, billing: &Channel) -> Company {
    let id = company_with_open_books(db, nats, billing.clone()).await;
    let token = scoped_token(db, id, &Permission::ALL).await;
    let party = PartyServiceClient::new(billing.clone())
        .create_party(bearer(
            CreatePartyRequest {
                party: Some(french_business(PartyRole::Customer, "Garage Martin SAS")),
                idempotency_key: String::new(),
            },
            &token,
        ))
        .await
        .expect("a customer")
        .into_inner()
        .party
        .expect("a party");
    let draft = InvoiceServiceClient::new(billing.clone())
        .create_invoice(bearer(
            CreateInvoiceRequest {
                invoice: Some(DraftInput {
                    party_id: party.party_id,
                    lines: lines(),
                    late_penalty_rate: "10".to_owned(),
                    recovery_fee: true,
                    ..Default::default()
                }),
                idempotency_key: String::new(),
            },
            &token,
        ))
        .await
        .expect("a draft")
        .into_inner()
        .invoice
        .expect("an invoice");
    Company {
        id,
        token,
        template: Uuid::parse_str(&draft.document_id).expect("an id"),
    }
}

/// One sample: seconds since issuing began, invoices issued (committed), their events
/// published, and the entries export applied.
#[derive(Clone, Copy)]
struct Sample {
    at: f64,
    issued: i64,
    published: i64,
    applied: i64,
}

async fn sample(conn: &mut sqlx::PgConnection, started: Instant) -> Sample {
    let (issued, published): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(sent_at) FROM billing.outbox \
         WHERE subject LIKE '%billing.invoice.issued'",
    )
    .fetch_one(&mut *conn)
    .await
    .expect("billing's outbox");
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM export.entry WHERE source = 'invoice'")
            .fetch_one(&mut *conn)
            .await
            .expect("export's entries");
    Sample {
        at: started.elapsed().as_secs_f64(),
        issued,
        published,
        applied,
    }
}

/// The least-squares slope of the lag over `samples`, in events per second.
fn lag_slope(samples: &[Sample]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let lag = |s: &Sample| (s.published - s.applied) as f64;
    let mean_t = samples.iter().map(|s| s.at).sum::<f64>() / n;
    let mean_lag = samples.iter().map(lag).sum::<f64>() / n;
    let covariance: f64 = samples
        .iter()
        .map(|s| (s.at - mean_t) * (lag(s) - mean_lag))
        .sum();
    let variance: f64 = samples.iter().map(|s| (s.at - mean_t).powi(2)).sum();
    if variance == 0.0 {
        0.0
    } else {
        covariance / variance
    }
}

#[tokio::main]
async fn main() {
    let total = env_number("BENCH_INVOICES", 20_000);
    let companies_wanted = env_number("BENCH_COMPANIES", 10);
    let clients = env_number("BENCH_CLIENTS", 16);
    let db = TestDb::new(&[
        comptoir_identity::SPEC,
        comptoir_billing::SPEC,
        comptoir_export::SPEC,
    ])
    .await;
    let nats = TestNats::shared().await;
    let identity = spawn(
        comptoir_identity::build(comptoir_identity::Config::new(common_config(
            &db,
            &comptoir_identity::SPEC,
            &nats,
        )))
        .await
        .expect("identity builds"),
    )
    .await;
    let config = |spec| comptoir_runtime::config::ServiceConfig {
        common: common_config(&db, spec, &nats),
        identity: identity_config(&identity),
    };
    let billing = spawn(
        comptoir_billing::build(config(&comptoir_billing::SPEC))
            .await
            .expect("billing builds"),
    )
    .await;
    let export = spawn(
        comptoir_export::build(config(&comptoir_export::SPEC))
            .await
            .expect("export builds"),
    )
    .await;
    let channel = billing.channel().await;

    eprintln!("setting up {companies_wanted} companies and {total} drafts…");
    let mut companies = Vec::new();
    for _ in 0..companies_wanted {
        companies.push(company(&db, &nats, &channel).await);
    }
    let pool = fixtures::pool(&db.service_url(&comptoir_billing::SPEC)).expect("a pool");
    let per_company = (total / companies_wanted).max(1);
    let mut queue = Vec::with_capacity(per_company * companies_wanted);
    for company in &companies {
        // The template stays a draft; its copies are issued.
        let drafts =
            fixtures::clone_drafts(&pool, company.id, company.template, per_company as i64 + 1)
                .await
                .expect("copies of the template");
        for id in drafts.into_iter().skip(1) {
            queue.push((id, company.token.clone()));
        }
    }
    queue.sort_by_key(|(id, _)| *id.as_bytes());
    let queued = queue.len();

    let mut conn = db.admin().await;
    let baseline = sample(&mut conn, Instant::now()).await;
    assert_eq!(baseline.issued, 0, "nothing issued before the run");

    // Issue at full speed.
    let queue = Arc::new(Mutex::new(queue));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let issuing: Vec<_> = (0..clients)
        .map(|_| {
            let queue = queue.clone();
            let mut client = InvoiceServiceClient::new(channel.clone());
            tokio::spawn(async move {
                loop {
                    let Some((id, token)) = queue.lock().await.pop() else {
                        break;
                    };
                    let request = IssueInvoiceRequest {
                        invoice_id: id.to_string(),
                        ..Default::default()
                    };
                    client
                        .issue_invoice(bearer(request, &token))
                        .await
                        .unwrap_or_else(|status| panic!("IssueInvoice: {status:?}"));
                }
            })
        })
        .collect();
    {
        let done = done.clone();
        tokio::spawn(async move {
            for task in issuing {
                task.await.expect("an issuing client");
            }
            done.store(true, Ordering::SeqCst);
        });
    }

    println!(
        "{:>6} {:>9} {:>10} {:>9} {:>11} {:>7}",
        "t (s)", "issued", "published", "applied", "applied/s", "lag"
    );
    let mut samples: Vec<Sample> = Vec::new();
    let mut issuing_samples = 0;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    let mut previous = Sample {
        at: 0.0,
        ..baseline
    };
    let deadline = Duration::from_secs(600);
    loop {
        ticker.tick().await;
        let now = sample(&mut conn, started).await;
        let rate = (now.applied - previous.applied) as f64 / (now.at - previous.at);
        println!(
            "{:>6.1} {:>9} {:>10} {:>9} {:>11.0} {:>7}",
            now.at,
            now.issued,
            now.published,
            now.applied,
            rate,
            now.published - now.applied
        );
        samples.push(now);
        previous = now;
        if !done.load(Ordering::SeqCst) {
            issuing_samples = samples.len();
        }
        if done.load(Ordering::SeqCst) && now.applied >= queued as i64 {
            break;
        }
        assert!(
            started.elapsed() < deadline,
            "export did not catch up within {deadline:?}"
        );
    }
    let issuing_phase = &samples[..issuing_samples.max(1)];
    let issue_end = issuing_phase.last().copied().expect("a sample");
    let caught_up = samples.last().copied().expect("a sample");
    let max_lag = samples
        .iter()
        .map(|s| s.published - s.applied)
        .max()
        .unwrap_or(0);
    let slope = lag_slope(issuing_phase);
    println!();
    println!(
        "issued {queued} invoices in {:.1} s: {:.0} invoices/s from {clients} clients, {} companies",
        issue_end.at,
        issue_end.issued as f64 / issue_end.at,
        companies.len()
    );
    println!(
        "export applied {:.0} events/s while billing issued; all {} applied {:.1} s after \
         issuing stopped ({:.0} events/s overall)",
        issue_end.applied as f64 / issue_end.at,
        caught_up.applied,
        caught_up.at - issue_end.at,
        caught_up.applied as f64 / caught_up.at
    );
    println!(
        "lag: at most {max_lag} events; {} when issuing stopped; trend while issuing {slope:+.1} \
         events/s (target: the lag never grows: {})",
        issue_end.published - issue_end.applied,
        if slope <= 1.0 { "met" } else { "missed" }
    );
    export.stop().await;
    billing.stop().await;
    identity.stop().await;
}
