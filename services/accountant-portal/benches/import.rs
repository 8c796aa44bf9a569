//! Benchmark: `ImportClientCompanies` of a 1,000-row file, side by side in one run with
//! 1,000 direct calls of tenancy's `CreateCompany` made one after another, against the
//! real identity, tenancy and portal (the integration tests' workspace). Prints both
//! times and their ratio; target: the import takes at most 1.5× the direct calls.
//!
//! `cargo bench -p comptoir-accountant-portal --bench import` (PostgreSQL and NATS found
//! like the tests: DATABASE_URL / NATS_URL). `BENCH_ROWS` sets the number of rows
//! (default 1000).

use std::time::{Duration, Instant};

use comptoir_proto::accountant_portal::v1::ImportClientCompaniesRequest;
use comptoir_proto::tenancy::v1::{
    CompanyKind, CreateCompanyRequest, tenancy_service_client::TenancyServiceClient,
};
use comptoir_test_support::bearer;
use comptoir_test_support::bench::env_number;

// The integration tests' workspace and import files, shared rather than copied.
#[allow(dead_code)]
#[path = "../tests/api/workspace.rs"]
mod workspace;

#[allow(dead_code)]
#[path = "../tests/api/import/files.rs"]
mod files;

use files::{Row, csv, siren};
use workspace::{Workspace, address, first_nic};

#[tokio::main]
async fn main() {
    let rows: u32 = env_number("BENCH_ROWS", 1000);
    let env = Workspace::start().await;
    let firm = env
        .firm("cabinet@example.fr", "Cabinet Lefèvre", "552100554")
        .await;

    // Direct creations, one after another, by a person creating their own companies.
    let owner = env.harness.token("owner@example.fr").await;
    let mut tenancy = TenancyServiceClient::new(env.tenancy.channel().await);
    let started = Instant::now();
    for n in 0..rows {
        let siren = siren(3, n);
        tenancy
            .create_company(bearer(
                CreateCompanyRequest {
                    legal_name: format!("Direct {n}"),
                    nic: first_nic(&siren),
                    siren,
                    kind: CompanyKind::Company as i32,
                    address: Some(address("75002")),
                    ape_code: "7022Z".to_owned(),
                    ..Default::default()
                },
                &owner,
            ))
            .await
            .unwrap_or_else(|status| panic!("CreateCompany: {status:?}"));
    }
    let direct = started.elapsed();

    // The import of as many rows, through the portal.
    let rows_of_file: Vec<Row> = (0..rows).map(|n| Row::good(4, n, "")).collect();
    let bytes = csv(&rows_of_file).into_bytes();
    let started = Instant::now();
    let chunks: Vec<_> = bytes
        .chunks(64 * 1024)
        .map(|chunk| ImportClientCompaniesRequest {
            chunk: chunk.to_vec(),
            ..Default::default()
        })
        .collect();
    let mut reports = env
        .portal
        .clone()
        .import_client_companies(bearer(futures::stream::iter(chunks), &firm.token))
        .await
        .expect("the import starts")
        .into_inner();
    let mut done = None;
    while let Some(report) = reports.message().await.expect("a report") {
        if report.done {
            done = Some(report);
        }
    }
    let import = started.elapsed();
    let done = done.expect("the last report");
    assert_eq!(
        done.rows_created,
        i32::try_from(rows).unwrap(),
        "{:?}",
        done.errors
    );

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = import.as_secs_f64() / direct.as_secs_f64();
    println!("rows: {rows}");
    println!(
        "direct CreateCompany, one after another: {:>9.0} ms ({:.1} ms per company)",
        ms(direct),
        ms(direct) / f64::from(rows)
    );
    println!(
        "ImportClientCompanies:                  {:>9.0} ms ({:.1} ms per row)",
        ms(import),
        ms(import) / f64::from(rows)
    );
    println!(
        "ratio: {ratio:.2} (target ≤ 1.5) {}",
        if ratio <= 1.5 { "met" } else { "MISSED" }
    );
}
