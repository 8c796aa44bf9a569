//! Benchmark: `ExportFec` of a 1,000,000-line fiscal year over gRPC, side by side in one
//! run with PostgreSQL's own `COPY (SELECT …) TO STDOUT` of the same projection rows (the
//! FEC's query, as export's runtime role under row-level security), and the export
//! process's peak memory exporting 100,000 and 1,000,000 lines, each in a fresh process.
//!
//! `cargo bench -p comptoir-export --bench fec` (PostgreSQL and NATS found like the
//! tests: DATABASE_URL / NATS_URL). `BENCH_FEC_LINES` sets the large year's lines
//! (default 1000000, rounded down to a multiple of 5); the small year has a tenth of
//! them. The ledger is seeded in SQL (`INSERT … SELECT generate_series`) straight into
//! export's tables: per sale, a balanced invoice entry (customer, revenue, VAT) and the
//! customer's payment (bank, customer) on the same day, lettered together, every day of
//! 2026 in turn. Targets: ExportFec at least half COPY's lines/s; peak memory within 10 %
//! between the two sizes and under 150 MB.

use std::process::Stdio;
use std::time::{Duration, Instant};

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::export::v1::export_service_client::ExportServiceClient;
use comptoir_proto::export::v1::{ExportFecRequest, FecSeparator, GetSellerProfileRequest};
use comptoir_test_support::bench::env_number;
use comptoir_test_support::{
    TestDb, TestNats, bearer, common_config, eventually, scoped_token, spawn,
};
use futures::StreamExt;
use tonic::transport::Channel;
use uuid::Uuid;

/// Lines of one sale: the invoice's three and the payment's two.
const LINES_PER_SALE: usize = 5;

/// Seeds `sales` sales of `company_id` (SIREN `siren`) into export's ledger, as the
/// superuser, in one transaction: the seller profile, the entries, their lines and the
/// lettering.
async fn seed(db: &TestDb, company_id: Uuid, siren: &str, sales: usize) {
    let mut conn = db.admin().await;
    let company = company_id.to_string();
    let sales = i64::try_from(sales).expect("a count");
    let mut tx = sqlx::Connection::begin(&mut conn).await.expect("BEGIN");
    sqlx::query(
        "INSERT INTO export.seller_profile (company_id, legal_name, siren) \
         VALUES ($1::uuid, 'Boulangerie Dupont', $2)",
    )
    .bind(&company)
    .bind(siren)
    .execute(&mut *tx)
    .await
    .expect("a seller profile");
    let statements = [
        // Invoice i and its payment: entries keyed by md5 of the company and i.
        "INSERT INTO export.entry (entry_id, company_id, source, journal, journal_code, \
             journal_label, entry_date, piece_ref, piece_date, label, party_id, party_code, \
             party_name, occurred_at, settings_version) \
         SELECT md5($1 || 'invoice' || i)::uuid, $1::uuid, 'invoice', 'sales', 'VE', \
                'Journal des ventes', date '2026-01-01' + (i % 365)::int, \
                'F-2026-' || lpad(i::text, 7, '0'), date '2026-01-01' + (i % 365)::int, \
                'Facture F-2026-' || lpad(i::text, 7, '0'), md5($1 || 'party' || (i % 500))::uuid, \
                'C' || (i % 500), 'Client ' || (i % 500), now(), 0 \
         FROM generate_series(1, $2::bigint) AS i \
         UNION ALL \
         SELECT md5($1 || 'payment' || i)::uuid, $1::uuid, 'payment_received', 'bank', 'BQ', \
                'Banque', date '2026-01-01' + (i % 365)::int, 'R-' || i, \
                date '2026-01-01' + (i % 365)::int, 'Règlement F-2026-' || lpad(i::text, 7, '0'), \
                md5($1 || 'party' || (i % 500))::uuid, 'C' || (i % 500), \
                'Client ' || (i % 500), now(), 0 \
         FROM generate_series(1, $2::bigint) AS i",
        "INSERT INTO export.entry_line (entry_id, line_number, company_id, role, vat_rate, \
             supply, account_number, account_label, aux_number, aux_label, debit, credit, \
             document_id) \
         SELECT md5($1 || 'invoice' || i)::uuid, l.n, $1::uuid, l.role, l.rate, l.supply, \
                l.account, l.account_label, \
                CASE WHEN l.role = 'customer' THEN 'C' || (i % 500) ELSE '' END, \
                CASE WHEN l.role = 'customer' THEN 'Client ' || (i % 500) ELSE '' END, \
                l.debit * (1 + i % 97), l.credit * (1 + i % 97), \
                CASE WHEN l.role = 'customer' THEN md5($1 || 'invoice' || i)::uuid END \
         FROM generate_series(1, $2::bigint) AS i \
         CROSS JOIN (VALUES \
             (1, 'customer', NULL::numeric, NULL, '411000', 'Clients', 12.34::numeric, 0::numeric), \
             (2, 'revenue', 20, 'services', '706000', 'Prestations de services', 0, 10.28), \
             (3, 'collected_vat', 20, NULL, '445710', 'TVA collectée', 0, 2.06)) \
             AS l(n, role, rate, supply, account, account_label, debit, credit) \
         UNION ALL \
         SELECT md5($1 || 'payment' || i)::uuid, l.n, $1::uuid, l.role, NULL, NULL, \
                l.account, l.account_label, \
                CASE WHEN l.role = 'customer' THEN 'C' || (i % 500) ELSE '' END, \
                CASE WHEN l.role = 'customer' THEN 'Client ' || (i % 500) ELSE '' END, \
                l.debit * (1 + i % 97), l.credit * (1 + i % 97), \
                CASE WHEN l.role = 'customer' THEN md5($1 || 'invoice' || i)::uuid END \
         FROM generate_series(1, $2::bigint) AS i \
         CROSS JOIN (VALUES \
             (1, 'bank', '512000', 'Banque', 12.34::numeric, 0::numeric), \
             (2, 'customer', '411000', 'Clients', 0, 12.34)) \
             AS l(n, role, account, account_label, debit, credit)",
        "INSERT INTO export.lettering (company_id, document_id, code, lettered_on) \
         SELECT $1::uuid, md5($1 || 'invoice' || i)::uuid, 'L' || i, \
                date '2026-01-01' + (i % 365)::int \
         FROM generate_series(1, $2::bigint) AS i",
    ];
    for sql in statements {
        sqlx::query(sql)
            .bind(&company)
            .bind(sales)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|err| panic!("seeding: {err}\n{sql}"));
    }
    tx.commit().await.expect("COMMIT");
    for table in ["entry", "entry_line", "lettering", "seller_profile"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE export.{table}")))
            .execute(&mut conn)
            .await
            .expect("ANALYZE");
    }
}

/// The FEC's query (`store::fec::lines`) for 2026, as `COPY … TO STDOUT`: the same rows
/// and columns, each line drained by the client.
fn copy_statement(company_id: Uuid) -> String {
    format!(
        "COPY (WITH numbered AS ( \
               SELECT e.entry_id, e.journal_code, e.journal_label, e.entry_date, e.piece_ref, \
                      e.piece_date, e.label, \
                      row_number() OVER (PARTITION BY e.journal_code \
                                         ORDER BY e.entry_date, e.piece_ref, e.entry_id) AS number \
               FROM entry e \
               WHERE e.company_id = '{company_id}' \
                 AND e.entry_date BETWEEN '2026-01-01' AND '2026-12-31') \
           SELECT n.journal_code, n.journal_label, n.number, n.entry_date, \
                  l.account_number, l.account_label, l.aux_number, l.aux_label, n.piece_ref, \
                  n.piece_date, n.label, l.debit, l.credit, t.code, t.lettered_on \
           FROM numbered n \
           JOIN entry_line l ON l.entry_id = n.entry_id \
           LEFT JOIN lettering t ON t.company_id = l.company_id AND t.document_id = l.document_id \
               AND l.role IN ('customer', 'supplier') AND t.lettered_on <= '2026-12-31' \
               AND NOT EXISTS ( \
                   SELECT 1 FROM entry_line o JOIN entry oe ON oe.entry_id = o.entry_id \
                   WHERE o.company_id = t.company_id AND o.document_id = t.document_id \
                     AND o.role IN ('customer', 'supplier') AND oe.entry_date < '2026-01-01') \
           ORDER BY n.entry_date, n.journal_code, n.number, l.line_number) TO STDOUT"
    )
}

/// One measured export: lines and elapsed time.
struct Run {
    lines: u64,
    bytes: u64,
    elapsed: Duration,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.lines as f64 / self.elapsed.as_secs_f64()
    }
}

/// COPY of `company_id`'s FEC rows, as export's runtime role in a transaction naming the
/// company (row-level security applies as in the service), drained to the end.
async fn copy_out(db: &TestDb, company_id: Uuid) -> Run {
    let company = company_id.to_string();
    let mut conn = db
        .runtime_tx(&comptoir_export::SPEC, &[("comptoir.company_id", &company)])
        .await;
    let statement = copy_statement(company_id);
    let started = Instant::now();
    let mut stream = conn.copy_out_raw(&statement).await.expect("COPY TO STDOUT");
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("a COPY chunk");
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
    }
    Run {
        lines,
        bytes,
        elapsed: started.elapsed(),
    }
}

/// The export binary Cargo built for this benchmark, as its own process.
struct ExportProcess {
    child: tokio::process::Child,
    channel: Channel,
}

impl ExportProcess {
    /// Starts it and waits until it answers GetSellerProfile of `company_id`.
    async fn start(
        db: &TestDb,
        nats: &TestNats,
        identity_url: &str,
        company_id: Uuid,
        token: &str,
    ) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_export"))
            .env("COMPTOIR_GRPC_ADDR", format!("127.0.0.1:{port}"))
            .env("COMPTOIR_METRICS_ADDR", "127.0.0.1:0")
            .env(
                "COMPTOIR_DATABASE_URL",
                db.service_url(&comptoir_export::SPEC).expose(),
            )
            .env("COMPTOIR_NATS_URL", &nats.url)
            .env("COMPTOIR_NATS_PREFIX", &nats.prefix)
            .env("COMPTOIR_IDENTITY_URL", identity_url)
            // Seconds a call may take: a large year's stream is long.
            .env("COMPTOIR_REQUEST_TIMEOUT", "600")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("starting the export binary");
        let channel = eventually("export to serve", || async {
            let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
                .ok()?
                .connect()
                .await
                .ok()?;
            let probe = GetSellerProfileRequest {
                company_id: company_id.to_string(),
            };
            ExportServiceClient::new(channel.clone())
                .get_seller_profile(bearer(probe, token))
                .await
                .ok()
                .map(|_| channel)
        })
        .await;
        Self { child, channel }
    }

    /// Peak resident memory of the process so far, in MiB.
    fn peak_mib(&self) -> f64 {
        let pid = self.child.id().expect("export is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    async fn stop(mut self) {
        self.child.kill().await.expect("stopping export");
    }
}

/// ExportFec of `company_id`'s 2026 over gRPC, the stream drained, its lines counted (the
/// header apart).
async fn export_fec(channel: &Channel, company_id: Uuid, token: &str) -> Run {
    let request = ExportFecRequest {
        company_id: company_id.to_string(),
        fiscal_year_start: "2026-01-01".to_owned(),
        closing_date: "2026-12-31".to_owned(),
        separator: FecSeparator::Pipe as i32,
    };
    let started = Instant::now();
    let mut stream = ExportServiceClient::new(channel.clone())
        .max_decoding_message_size(16 * 1024 * 1024)
        .export_fec(bearer(request, token))
        .await
        .expect("ExportFec")
        .into_inner();
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(message) = stream.message().await.expect("a FEC chunk") {
        let data = message.chunk.expect("a chunk").data;
        lines += data.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += data.len() as u64;
    }
    Run {
        lines: lines.saturating_sub(1),
        bytes,
        elapsed: started.elapsed(),
    }
}

fn print_run(name: &str, run: &Run) {
    println!(
        "{name:<34} {:>9} lines {:>8.1} MiB {:>8.2} s {:>10.0} lines/s",
        run.lines,
        run.bytes as f64 / 1048576.0,
        run.elapsed.as_secs_f64(),
        run.per_second()
    );
}

#[tokio::main]
async fn main() {
    let large_lines = env_number("BENCH_FEC_LINES", 1_000_000);
    let large_sales = (large_lines / LINES_PER_SALE).max(10);
    let small_sales = (large_sales / 10).max(1);
    let db = TestDb::new(&[comptoir_identity::SPEC, comptoir_export::SPEC]).await;
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
    let (large, small) = (Uuid::now_v7(), Uuid::now_v7());
    let seeding = Instant::now();
    seed(&db, large, "732829320", large_sales).await;
    seed(&db, small, "542051180", small_sales).await;
    println!(
        "seeded {} + {} FEC lines in {:.1} s",
        large_sales * LINES_PER_SALE,
        small_sales * LINES_PER_SALE,
        seeding.elapsed().as_secs_f64()
    );
    let large_token = scoped_token(&db, large, &[Permission::ExportsRead]).await;
    let small_token = scoped_token(&db, small, &[Permission::ExportsRead]).await;

    // Warm the cache with one COPY of each year, then measure.
    copy_out(&db, small).await;
    copy_out(&db, large).await;
    let copy_before = copy_out(&db, large).await;

    // The small year in a fresh process: its peak memory.
    let process = ExportProcess::start(&db, &nats, &identity.url, small, &small_token).await;
    let small_run = export_fec(&process.channel, small, &small_token).await;
    let small_peak = process.peak_mib();
    process.stop().await;

    // The large year in another fresh process: its rate and peak memory.
    let process = ExportProcess::start(&db, &nats, &identity.url, large, &large_token).await;
    let large_run = export_fec(&process.channel, large, &large_token).await;
    let large_peak = process.peak_mib();
    process.stop().await;
    let copy_after = copy_out(&db, large).await;

    assert_eq!(
        large_run.lines, copy_before.lines,
        "ExportFec and COPY give the same rows"
    );
    assert_eq!(small_run.lines as usize, small_sales * LINES_PER_SALE);
    println!();
    print_run("COPY (SELECT …) TO STDOUT", &copy_before);
    print_run("ExportFec over gRPC", &large_run);
    print_run("COPY (SELECT …) TO STDOUT, again", &copy_after);
    print_run("ExportFec over gRPC, small year", &small_run);
    let copy_rate = copy_before.per_second().max(copy_after.per_second());
    let ratio = large_run.per_second() / copy_rate;
    println!(
        "ratio ExportFec / COPY (COPY's better run): {ratio:.2} (target ≥ 0.5: {})",
        if ratio >= 0.5 { "met" } else { "missed" }
    );
    let spread = (large_peak - small_peak).abs() / small_peak;
    println!(
        "export peak memory (VmHWM): {:>6.1} MiB at {} lines, {:>6.1} MiB at {} lines, \
         {:.1} % apart (target within 10 % and under 150 MB: {})",
        small_peak,
        small_run.lines,
        large_peak,
        large_run.lines,
        spread * 100.0,
        if spread <= 0.10 && large_peak * 1.048_576 < 150.0 {
            "met"
        } else {
            "missed"
        }
    );
    identity.stop().await;
}
