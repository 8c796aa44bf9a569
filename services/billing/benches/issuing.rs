//! Benchmark: `IssueInvoice` end to end over gRPC (5 lines at 2 VAT rates, numbering,
//! audit trail, outbox) against a real billing process, side by side in one run with
//! pgbench's TPC-B-like load on the same PostgreSQL. Prints a table: invoices/s, p50/p99
//! latency, the ratio to pgbench's TPS, and the billing process's memory as the number
//! of issued invoices grows.
//!
//! `cargo bench -p comptoir-billing --bench issuing` (PostgreSQL and NATS found like the
//! tests: DATABASE_URL / NATS_URL). `BENCH_INVOICES` sets the volume reached at the end
//! (default 100000); `BENCH_CLIENTS` the concurrency (default 16). Drafts are cloned in SQL
//! by billing's own fixtures (`comptoir_billing::fixtures`): only issuing is measured,
//! each measurement (pgbench's too) after a CHECKPOINT. Targets: ratio ≥ 0.5 across 100
//! companies, ≥ 200 invoices/s in a single company, memory flat from 10k to 100k invoices.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use comptoir_billing::fixtures;
use comptoir_proto::billing::v1::invoice_service_client::InvoiceServiceClient;
use comptoir_proto::billing::v1::party_service_client::PartyServiceClient;
use comptoir_proto::billing::v1::{
    CreateInvoiceRequest, CreatePartyRequest, DraftInput, IssueInvoiceRequest, LineInput, PartyRole,
};
use comptoir_test_support::bench::{Figures, env_number};
use comptoir_test_support::{
    TestDb, TestNats, bearer, common_config, company_with_open_books, eventually, french_business,
    scoped_token, spawn,
};
use sqlx::PgPool;
use tokio::sync::Mutex;
use tonic::transport::Channel;
use uuid::Uuid;

/// Companies of the multi-company measurements.
const COMPANIES: usize = 100;

/// A company ready to invoice: its id, its token and a template draft to clone.
struct Company {
    id: Uuid,
    token: String,
    template: Uuid,
}

/// The billing binary Cargo built for this benchmark, as its own process.
struct BillingProcess {
    child: tokio::process::Child,
    channel: Channel,
}

impl BillingProcess {
    async fn start(db: &TestDb, nats: &TestNats, identity_url: &str, token: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_billing"))
            .env("COMPTOIR_GRPC_ADDR", format!("127.0.0.1:{port}"))
            .env("COMPTOIR_METRICS_ADDR", "127.0.0.1:0")
            .env(
                "COMPTOIR_DATABASE_URL",
                db.service_url(&comptoir_billing::SPEC).expose(),
            )
            .env("COMPTOIR_NATS_URL", &nats.url)
            .env("COMPTOIR_NATS_PREFIX", &nats.prefix)
            .env("COMPTOIR_IDENTITY_URL", identity_url)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("starting the billing binary");
        let channel = eventually("billing to serve", || async {
            let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
                .ok()?
                .connect()
                .await
                .ok()?;
            let probe = IssueInvoiceRequest {
                invoice_id: Uuid::now_v7().to_string(),
                ..Default::default()
            };
            let answer = InvoiceServiceClient::new(channel.clone())
                .issue_invoice(bearer(probe, token))
                .await;
            matches!(answer, Err(s) if s.code() == tonic::Code::NotFound).then_some(channel)
        })
        .await;
        Self { child, channel }
    }

    /// (peak, current) resident memory of the process, in MiB, from /proc.
    fn memory_mib(&self) -> (f64, f64) {
        let pid = self.child.id().expect("billing is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
                .unwrap_or(f64::NAN)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

/// Issues every (draft, token) of `queue` from `clients` concurrent clients; every call
/// must succeed.
async fn issue(
    name: String,
    channel: &Channel,
    queue: Vec<(Uuid, String)>,
    clients: usize,
) -> Figures {
    let calls = queue.len();
    let queue = Arc::new(Mutex::new(queue));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let queue = queue.clone();
            let mut client = InvoiceServiceClient::new(channel.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let Some((id, token)) = queue.lock().await.pop() else {
                        break;
                    };
                    let request = IssueInvoiceRequest {
                        invoice_id: id.to_string(),
                        ..Default::default()
                    };
                    let at = Instant::now();
                    client
                        .issue_invoice(bearer(request, &token))
                        .await
                        .unwrap_or_else(|status| panic!("IssueInvoice: {status:?}"));
                    latencies.push(at.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(calls);
    for task in tasks {
        latencies.extend(task.await.expect("a client task"));
    }
    let elapsed = started.elapsed();
    Figures::new(name, elapsed, latencies)
}

/// `per_company` drafts in each company, copied by billing's fixtures (as billing's role,
/// on `pool`) and interleaved so every company is issued from at once.
async fn queue_of(pool: &PgPool, companies: &[Company], per_company: usize) -> Vec<(Uuid, String)> {
    let mut queue = Vec::with_capacity(companies.len() * per_company);
    for company in companies {
        // The template itself stays a draft for the next round: only a copy of it and
        // that copy's copies are queued.
        let template = fixtures::clone_drafts(pool, company.id, company.template, 2)
            .await
            .expect("a copy of the template")[1];
        let drafts = fixtures::clone_drafts(pool, company.id, template, per_company as i64)
            .await
            .expect("copies of the template");
        for id in drafts {
            queue.push((id, company.token.clone()));
        }
    }
    queue.sort_by_key(|(id, _)| *id.as_bytes());
    queue
}

/// A French business customer of the token's company, created through PartyService.
async fn customer(channel: &Channel, token: &str) -> Uuid {
    let request = CreatePartyRequest {
        party: Some(french_business(PartyRole::Customer, "Garage Martin SAS")),
        idempotency_key: String::new(),
    };
    let created = PartyServiceClient::new(channel.clone())
        .create_party(bearer(request, token))
        .await
        .expect("a customer")
        .into_inner()
        .party
        .expect("a party");
    Uuid::parse_str(&created.party_id).expect("an id")
}

fn five_lines() -> Vec<LineInput> {
    [
        ("2", "120.00", "20"),
        ("1", "49.90", "20"),
        ("3", "12.35", "5.5"),
        ("10", "0.99", "5.5"),
        ("1", "300", "20"),
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

/// Writes every dirty page out, so the measurement that follows does not pay for the
/// checkpoint of what came before it (cloning drafts, pgbench's initialisation).
async fn checkpoint(db: &TestDb) {
    sqlx::query("CHECKPOINT")
        .execute(&mut db.admin().await)
        .await
        .expect("CHECKPOINT");
}

/// The WAL the server has written so far, in bytes (every database's: pg_stat_wal).
async fn wal_bytes(db: &TestDb) -> f64 {
    sqlx::query_scalar("SELECT wal_bytes::float8 FROM pg_stat_wal")
        .fetch_one(&mut db.admin().await)
        .await
        .expect("pg_stat_wal")
}

/// One printed measurement: its figures and the WAL each transaction wrote.
struct Row {
    figures: Figures,
    wal_per_transaction: f64,
}

/// Issues `queue` after a checkpoint, counting the WAL written meanwhile.
async fn measure_issuing(
    db: &TestDb,
    name: String,
    channel: &Channel,
    queue: Vec<(Uuid, String)>,
    clients: usize,
) -> Row {
    checkpoint(db).await;
    let before = wal_bytes(db).await;
    let figures = issue(name, channel, queue, clients).await;
    let wal = wal_bytes(db).await - before;
    Row {
        wal_per_transaction: wal / figures.calls as f64,
        figures,
    }
}

/// pgbench's TPC-B-like transactions per second with `clients` clients for 10 s, on a
/// scratch database of the same server, and the WAL each transaction wrote.
async fn pgbench(clients: usize) -> (f64, f64) {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let (server, _) = url.rsplit_once('/').expect("a database URL");
    // Without TLS, as billing's own connections: both pay for the same transport.
    let scratch = format!("{server}/comptoir_pgbench?sslmode=disable");
    let admin_db = TestDb::new(&[]).await;
    let mut admin = admin_db.admin().await;
    for sql in [
        "DROP DATABASE IF EXISTS comptoir_pgbench",
        "CREATE DATABASE comptoir_pgbench",
    ] {
        sqlx::query(sql).execute(&mut admin).await.expect(sql);
    }
    let run = |args: Vec<String>| async move {
        let output = tokio::process::Command::new("pgbench")
            .args(&args)
            .output()
            .await
            .expect("pgbench is not installed: `apt-get install -y postgresql-client`");
        assert!(
            output.status.success(),
            "pgbench {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    run(vec![
        "-i".into(),
        "-q".into(),
        "-s".into(),
        "16".into(),
        scratch.clone(),
    ])
    .await;
    checkpoint(&admin_db).await;
    let wal_before = wal_bytes(&admin_db).await;
    let out = run(vec![
        "-n".into(),
        "-c".into(),
        clients.to_string(),
        "-j".into(),
        "2".into(),
        "-T".into(),
        "10".into(),
        scratch,
    ])
    .await;
    let wal = wal_bytes(&admin_db).await - wal_before;
    sqlx::query("DROP DATABASE IF EXISTS comptoir_pgbench WITH (FORCE)")
        .execute(&mut admin)
        .await
        .expect("dropping pgbench's database");
    let figure = |prefix: &str, word: usize| -> f64 {
        out.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(word))
            .and_then(|n| n.split('/').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("pgbench prints `{prefix}`: {out}"))
    };
    let tps = figure("tps = ", 2);
    let transactions = figure("number of transactions actually processed: ", 5);
    (tps, wal / transactions)
}

#[tokio::main]
async fn main() {
    let total = env_number("BENCH_INVOICES", 100_000);
    let clients = env_number("BENCH_CLIENTS", 16);
    let db = TestDb::new(&[comptoir_identity::SPEC, comptoir_billing::SPEC]).await;
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
    let probe_token = scoped_token(
        &db,
        Uuid::now_v7(),
        &[comptoir_domain_types::permissions::Permission::InvoicesIssue],
    )
    .await;
    let billing = BillingProcess::start(&db, &nats, &identity.url, &probe_token).await;
    let pool = fixtures::pool(&db.service_url(&comptoir_billing::SPEC)).expect("a pool");

    eprintln!("setting up {COMPANIES} companies…");
    let mut companies = Vec::new();
    for _ in 0..=COMPANIES {
        let company = company_with_open_books(&db, &nats, billing.channel.clone()).await;
        let token = scoped_token(
            &db,
            company,
            &comptoir_domain_types::permissions::Permission::ALL,
        )
        .await;
        let customer = customer(&billing.channel, &token).await;
        let draft = InvoiceServiceClient::new(billing.channel.clone())
            .create_invoice(bearer(
                CreateInvoiceRequest {
                    invoice: Some(DraftInput {
                        party_id: customer.to_string(),
                        lines: five_lines(),
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
        let template = Uuid::parse_str(&draft.document_id).expect("an id");
        companies.push(Company {
            id: company,
            token,
            template,
        });
    }
    let single = companies.pop().expect("one company apart");

    let mut rows = Vec::new();
    let mut memory = Vec::new();
    let mut issued = 0;
    // 1. Across companies, up to 10k invoices.
    let first = (10_000.min(total) / COMPANIES).max(1);
    let queue = queue_of(&pool, &companies, first).await;
    issued += queue.len();
    rows.push(
        measure_issuing(
            &db,
            format!("IssueInvoice, {COMPANIES} companies"),
            &billing.channel,
            queue,
            clients,
        )
        .await,
    );
    memory.push((issued, billing.memory_mib()));
    // 2. One company.
    let queue = queue_of(&pool, std::slice::from_ref(&single), 5_000.min(total)).await;
    issued += queue.len();
    rows.push(
        measure_issuing(
            &db,
            "IssueInvoice, 1 company".to_owned(),
            &billing.channel,
            queue,
            clients,
        )
        .await,
    );
    // 3. Across companies again, up to the total.
    if total > issued {
        let per_company = (total - issued) / COMPANIES;
        let queue = queue_of(&pool, &companies, per_company.max(1)).await;
        issued += queue.len();
        rows.push(
            measure_issuing(
                &db,
                format!("IssueInvoice, {COMPANIES} companies, to {issued}"),
                &billing.channel,
                queue,
                clients,
            )
            .await,
        );
    }
    memory.push((issued, billing.memory_mib()));
    let (tps, pgbench_wal) = pgbench(clients).await;

    println!();
    println!("IssueInvoice over gRPC, {clients} clients, release build, this machine");
    println!(
        "{:<44} {:>9} {:>12} {:>9} {:>9} {:>10} {:>11}",
        "measurement", "invoices", "invoices/s", "p50 ms", "p99 ms", "÷ pgbench", "WAL B/tx"
    );
    for Row {
        figures,
        wal_per_transaction,
    } in &rows
    {
        println!(
            "{:<44} {:>9} {:>12.0} {:>9.2} {:>9.2} {:>10.2} {:>11.0}",
            figures.name,
            figures.calls,
            figures.per_second(),
            figures.percentile_ms(0.50),
            figures.percentile_ms(0.99),
            figures.per_second() / tps,
            wal_per_transaction
        );
    }
    println!(
        "{:<44} {:>9} {:>12.0} {:>9} {:>9} {:>10} {:>11.0}",
        "pgbench TPC-B-like (-s 16), TPS", "", tps, "", "", "", pgbench_wal
    );
    println!();
    println!("billing process memory (VmHWM peak / VmRSS now, MiB)");
    for (count, (peak, now)) in &memory {
        println!("  after {count:>7} issued invoices: {peak:>8.1} / {now:>8.1}");
    }
    if let [(_, (first_peak, _)), .., (_, (last_peak, _))] = memory.as_slice() {
        println!(
            "  peak growth: {:+.1} MiB ({:+.1} %)",
            last_peak - first_peak,
            (last_peak / first_peak - 1.0) * 100.0
        );
    }
}
