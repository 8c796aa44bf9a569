//! Benchmark: rendering one 20-line invoice as a Factur-X PDF (PDF/A-3b with its EN 16931
//! CII embedded) against rendering the plain PDF of the same invoice, interleaved in one
//! run through `RenderInvoicePdf` (profile EN 16931, then NONE, call after call), after
//! a warm-up. Target: Factur-X costs at most 1.5× the plain PDF. Then the peak memory of
//! `ExportDocuments` (Factur-X, zipped, streamed): the bench's process (export, identity
//! and the harness all run in it) reads its own peak resident size (VmHWM) after zipping
//! the 1,000 invoices of one day and after zipping the 10,000 of the month. Target:
//! constant (the second peak no higher than the first), under 200 MB.
//!
//! `cargo bench -p comptoir-export --bench render` (PostgreSQL and NATS found like the
//! tests: DATABASE_URL / NATS_URL). `BENCH_ITERATIONS` (default 200) sets the calls of
//! each kind, `BENCH_DOCUMENTS` (default 10000, at least 1000) the month's invoices. The invoice reaches export as billing publishes it (`invoice.issued`), its
//! seller as tenancy does (`company.created` with a VAT number, as EN 16931 requires of a
//! standard-rated sale).

use std::time::{Duration, Instant};

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::events::v1::{self as events, CompanyCreated};
use comptoir_proto::export::v1::export_service_client::ExportServiceClient;
use comptoir_proto::export::v1::{
    EInvoiceProfile, ExportDocumentsRequest, Period, RenderInvoicePdfRequest,
};
use comptoir_proto::types::v1::{LegalIdentity, PostalAddress};
use comptoir_runtime::events::names;
use comptoir_test_support::bench::{Figures, env_number};
use comptoir_test_support::{Harness, bearer, eventually, publish, scoped_token, spawn};
use prost::Message as _;
use rust_decimal::{Decimal, RoundingStrategy};
use tonic::transport::Channel;
use uuid::Uuid;

/// The seller, with the identity an e-invoice needs.
async fn seller(harness: &Harness) -> Uuid {
    let company_id = Uuid::now_v7();
    let event = CompanyCreated {
        meta: Some(events::EventMeta {
            event_id: Uuid::now_v7().to_string(),
            occur_time: None,
            company_id: company_id.to_string(),
            actor: "bench".to_owned(),
        }),
        owner_user_id: Uuid::now_v7().to_string(),
        version: 1,
        ..Default::default()
    }
    .with_legal_identity(LegalIdentity {
        legal_name: "Conseil Dupont".to_owned(),
        siren: "732829320".to_owned(),
        nic: "00074".to_owned(),
        siret: "73282932000074".to_owned(),
        legal_form: "SAS".to_owned(),
        vat_number: "FR44732829320".to_owned(),
        rcs_city: "Paris".to_owned(),
        share_capital_amount: "10000".to_owned(),
        share_capital_currency_code: "EUR".to_owned(),
        address: Some(PostalAddress {
            line1: "12 rue de la Paix".to_owned(),
            postal_code: "75002".to_owned(),
            city: "Paris".to_owned(),
            country_code: "FR".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    });
    publish(
        &harness.nats,
        "tenancy",
        &names::COMPANY_CREATED.subject(),
        &Uuid::now_v7().to_string(),
        event.encode_to_vec(),
    )
    .await;
    company_id
}

/// An invoice of 20 lines at four rates, its VAT per rate and totals as billing computes
/// them (per rate, half-up to the cent).
fn invoice() -> events::BillingDocument {
    let rates = ["20", "10", "5.5", "20"];
    let lines: Vec<events::BillingLine> = (1..=20)
        .map(|n| {
            let net = Decimal::new(1_250 + 37 * n, 2) * Decimal::from(n % 4 + 1);
            events::BillingLine {
                line_number: i32::try_from(n).expect("20 lines"),
                description: format!("Prestation n° {n} : accompagnement et suivi"),
                quantity: (n % 4 + 1).to_string(),
                unit: if n % 2 == 0 { "h" } else { "jour" }.to_owned(),
                unit_price: Decimal::new(1_250 + 37 * n, 2).to_string(),
                discount: "0.00".to_owned(),
                vat_rate: rates[usize::try_from(n).expect("small") % 4].to_owned(),
                net_amount: net.round_dp(2).to_string(),
                supply_type: "services".to_owned(),
            }
        })
        .collect();
    let mut bases: Vec<(Decimal, Decimal)> = Vec::new();
    for line in &lines {
        let rate: Decimal = line.vat_rate.parse().expect("a rate");
        let net: Decimal = line.net_amount.parse().expect("a net");
        match bases.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, base)) => *base += net,
            None => bases.push((rate, net)),
        }
    }
    let vat_amounts: Vec<events::BillingVatAmount> = bases
        .iter()
        .map(|(rate, base)| events::BillingVatAmount {
            rate: rate.normalize().to_string(),
            taxable_amount: base.round_dp(2).to_string(),
            vat_amount: (base * rate / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                .to_string(),
        })
        .collect();
    let net: Decimal = bases.iter().map(|(_, base)| *base).sum();
    let vat: Decimal = vat_amounts
        .iter()
        .map(|v| v.vat_amount.parse::<Decimal>().expect("VAT"))
        .sum();
    events::BillingDocument {
        document_id: Uuid::now_v7().to_string(),
        document_type: "invoice".to_owned(),
        number: "F-2026-000042".to_owned(),
        document_date: "2026-03-02".to_owned(),
        due_date: "2026-04-01".to_owned(),
        currency_code: "EUR".to_owned(),
        party: Some(events::BillingParty {
            party_id: Uuid::now_v7().to_string(),
            kind: "professional".to_owned(),
            name: "Atelier Martin".to_owned(),
            siren: "552100554".to_owned(),
            vat_number: "FR96552100554".to_owned(),
            address_line1: "8 quai des Chartrons".to_owned(),
            address_postal_code: "33000".to_owned(),
            address_city: "Bordeaux".to_owned(),
            address_country_code: "FR".to_owned(),
            accounting_code: "ATM".to_owned(),
            ..Default::default()
        }),
        lines,
        vat_amounts,
        net_total: format!("{net:.2}"),
        vat_total: format!("{vat:.2}"),
        gross_total: format!("{:.2}", net + vat),
        late_penalty_rate: "12.15".to_owned(),
        recovery_fee: true,
        ..Default::default()
    }
}

/// One RenderInvoicePdf call of `profile`, drained; the PDF's size.
async fn render(
    client: &ExportServiceClient<Channel>,
    token: &str,
    company_id: Uuid,
    document_id: &str,
    profile: EInvoiceProfile,
) -> Result<usize, tonic::Status> {
    let request = RenderInvoicePdfRequest {
        company_id: company_id.to_string(),
        document_id: document_id.to_owned(),
        profile: profile as i32,
    };
    let mut stream = client
        .clone()
        .render_invoice_pdf(bearer(request, token))
        .await?
        .into_inner();
    let mut size = 0;
    while let Some(response) = stream.message().await? {
        size += response.chunk.map_or(0, |chunk| chunk.data.len());
    }
    Ok(size)
}

/// This process's peak resident size so far, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line");
    kib / 1024.0
}

/// Publishes `document` as billing does.
async fn issue(harness: &Harness, company_id: Uuid, document: &events::BillingDocument) {
    // Billing's events say when they happened: noon UTC of the document's date.
    let day =
        chrono::NaiveDate::parse_from_str(&document.document_date, "%Y-%m-%d").expect("a date");
    let noon = day.and_hms_opt(12, 0, 0).expect("noon").and_utc();
    let issued = events::InvoiceIssued {
        meta: Some(events::EventMeta {
            event_id: Uuid::now_v7().to_string(),
            occur_time: Some(prost_types::Timestamp {
                seconds: noon.timestamp(),
                nanos: 0,
            }),
            company_id: company_id.to_string(),
            actor: "service:billing".to_owned(),
        }),
        invoice: Some(document.clone()),
    };
    publish(
        &harness.nats,
        "billing",
        &names::INVOICE_ISSUED.subject(),
        &Uuid::now_v7().to_string(),
        issued.encode_to_vec(),
    )
    .await;
}

/// ExportDocuments of `start`..=`end`, drained: the zip's size.
async fn zip(
    client: &ExportServiceClient<Channel>,
    token: &str,
    company_id: Uuid,
    (start, end): (&str, &str),
) -> usize {
    let request = ExportDocumentsRequest {
        company_id: company_id.to_string(),
        period: Some(Period {
            start_date: start.to_owned(),
            end_date: end.to_owned(),
        }),
        profile: EInvoiceProfile::En16931 as i32,
    };
    let mut stream = client
        .clone()
        .export_documents(bearer(request, token))
        .await
        .expect("ExportDocuments")
        .into_inner();
    let mut size = 0;
    while let Some(response) = stream.message().await.expect("a chunk") {
        size += response.chunk.map_or(0, |chunk| chunk.data.len());
    }
    size
}

fn print(figures: &Figures) {
    println!(
        "{:<22} {:>5} calls in {:>6.2} s: {:>7.1} PDFs/s, p50 {:>6.2} ms, p95 {:>6.2} ms",
        figures.name,
        figures.calls,
        figures.elapsed.as_secs_f64(),
        figures.per_second(),
        figures.percentile_ms(0.5),
        figures.percentile_ms(0.95),
    );
}

#[tokio::main]
async fn main() {
    let iterations: usize = env_number("BENCH_ITERATIONS", 200);
    let harness = Harness::start(
        &[comptoir_identity::SPEC, comptoir_export::SPEC],
        |common| comptoir_identity::build(comptoir_identity::Config::new(common)),
    )
    .await;
    let (common, identity) = harness.config(&comptoir_export::SPEC);
    let export = spawn(
        comptoir_export::build(comptoir_export::Config { common, identity })
            .await
            .expect("export builds"),
    )
    .await;
    let company_id = seller(&harness).await;
    let token = scoped_token(&harness.db, company_id, &[Permission::ExportsRead]).await;
    let document = invoice();
    issue(&harness, company_id, &document).await;

    let client = ExportServiceClient::new(export.channel().await);
    let id = document.document_id.as_str();
    let sizes = eventually("export to render the invoice as Factur-X", || {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let facturx = render(&client, &token, company_id, id, EInvoiceProfile::En16931);
            let plain = render(&client, &token, company_id, id, EInvoiceProfile::None);
            Some((facturx.await.ok()?, plain.await.ok()?))
        }
    })
    .await;
    println!(
        "a 20-line invoice: Factur-X {} bytes, plain PDF {} bytes",
        sizes.0, sizes.1
    );

    for _ in 0..10 {
        for profile in [EInvoiceProfile::En16931, EInvoiceProfile::None] {
            render(&client, &token, company_id, id, profile)
                .await
                .expect("warm-up");
        }
    }
    let (mut facturx, mut plain) = (Vec::new(), Vec::new());
    let (mut facturx_time, mut plain_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..iterations {
        for (profile, latencies, total) in [
            (EInvoiceProfile::En16931, &mut facturx, &mut facturx_time),
            (EInvoiceProfile::None, &mut plain, &mut plain_time),
        ] {
            let started = Instant::now();
            render(&client, &token, company_id, id, profile)
                .await
                .expect("a rendering");
            let took = started.elapsed();
            latencies.push(took);
            *total += took;
        }
    }
    let facturx = Figures::new("Factur-X (EN 16931)", facturx_time, facturx);
    let plain = Figures::new("plain PDF", plain_time, plain);
    print(&facturx);
    print(&plain);
    let ratio = facturx_time.as_secs_f64() / plain_time.as_secs_f64();
    println!(
        "Factur-X costs {ratio:.2}x the plain PDF (mean time per PDF; p50 {:.2}x); target at most 1.5x: {}",
        facturx.percentile_ms(0.5) / plain.percentile_ms(0.5),
        if ratio <= 1.5 { "met" } else { "MISSED" }
    );

    // The month: the first 1,000 invoices on 2 March (the one above among them), the rest
    // spread over the other days.
    let documents: usize = env_number("BENCH_DOCUMENTS", 10_000).max(1_000);
    let started = Instant::now();
    for n in 2..=documents {
        let mut next = document.clone();
        next.document_id = Uuid::now_v7().to_string();
        next.number = format!("F-2026-1{n:05}");
        if n > 1_000 {
            next.document_date = format!("2026-03-{:02}", 3 + n % 29);
        }
        issue(&harness, company_id, &next).await;
    }
    let mut db = harness.db.admin().await;
    let expected = i64::try_from(documents).expect("a count");
    loop {
        let projected: i64 =
            sqlx::query_scalar("SELECT count(*) FROM export.document WHERE company_id = $1")
                .bind(company_id)
                .fetch_one(&mut db)
                .await
                .expect("counting the projected documents");
        if projected >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!(
        "{documents} invoices published and projected in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let before = peak_mib();
    let started = Instant::now();
    let day = zip(&client, &token, company_id, ("2026-03-02", "2026-03-02")).await;
    let (day_time, day_peak) = (started.elapsed(), peak_mib());
    let started = Instant::now();
    let month = zip(&client, &token, company_id, ("2026-03-01", "2026-03-31")).await;
    let (month_time, month_peak) = (started.elapsed(), peak_mib());
    println!(
        "ExportDocuments (Factur-X): 1000 invoices, {:.1} MiB zip in {:.1} s; {documents} \
         invoices, {:.1} MiB zip in {:.1} s",
        day as f64 / 1_048_576.0,
        day_time.as_secs_f64(),
        month as f64 / 1_048_576.0,
        month_time.as_secs_f64(),
    );
    println!(
        "peak memory of the process (VmHWM): {before:.1} MiB before, {day_peak:.1} MiB after \
         1000, {month_peak:.1} MiB after {documents}; target constant and under 200 MB: {}",
        if month_peak <= day_peak * 1.1 && month_peak * 1.048_576 < 200.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    export.stop().await;
}
