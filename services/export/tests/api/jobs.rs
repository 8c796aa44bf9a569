//! Export jobs: a FEC run as a job reaches 100 % with one row per FEC line, downloads as
//! the streamed FEC byte for byte and publishes `export.completed`; an idempotency key
//! answers the first job; a bad request stores nothing; a job left by a dead worker is
//! finished by a fresh service once its lease expires; another company sees nothing; a
//! documents job downloads as a zip of one PDF per document of its period.

use std::time::Duration;

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::events::v1::ExportCompleted;
use comptoir_proto::export::v1::{
    DownloadExportRequest, ExportFecRequest, ExportJob, ExportState, FecSeparator,
    GetExportRequest, StartExportRequest, export_service_client::ExportServiceClient,
    start_export_request::Export,
};
use comptoir_runtime::events::{Names, names};
use comptoir_test_support::{
    Harness, Running, bad_fields, bearer, eventually, reason, scoped_token, spawn,
};
use prost::Message as _;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::fec::{export_fec, receive};
use crate::start;

/// A StartExport of `company_id`'s 2026 FEC.
fn fec_job(company_id: Uuid, key: &str) -> StartExportRequest {
    StartExportRequest {
        export: Some(Export::Fec(ExportFecRequest {
            company_id: company_id.to_string(),
            fiscal_year_start: "2026-01-01".into(),
            closing_date: "2026-12-31".into(),
            separator: FecSeparator::Pipe as i32,
        })),
        idempotency_key: key.into(),
    }
}

async fn start_job(
    client: &ExportServiceClient<Channel>,
    token: &str,
    request: StartExportRequest,
) -> Result<ExportJob, tonic::Status> {
    let response = client
        .clone()
        .start_export(bearer(request, token))
        .await?
        .into_inner();
    Ok(response.job.expect("a job"))
}

async fn get_job(
    client: &ExportServiceClient<Channel>,
    token: &str,
    export_id: &str,
) -> Result<ExportJob, tonic::Status> {
    let response = client
        .clone()
        .get_export(bearer(
            GetExportRequest {
                export_id: export_id.to_owned(),
            },
            token,
        ))
        .await?
        .into_inner();
    Ok(response.job.expect("a job"))
}

/// Polls GetExport until the job has ended.
async fn ended(client: &ExportServiceClient<Channel>, token: &str, export_id: &str) -> ExportJob {
    eventually("the export job to end", || async {
        let job = get_job(client, token, export_id).await.expect("GetExport");
        (job.state != ExportState::Running as i32).then_some(job)
    })
    .await
}

async fn download(
    client: &ExportServiceClient<Channel>,
    token: &str,
    export_id: &str,
) -> Result<crate::fec::Received, tonic::Status> {
    let stream = client
        .clone()
        .download_export(bearer(
            DownloadExportRequest {
                export_id: export_id.to_owned(),
            },
            token,
        ))
        .await?
        .into_inner();
    receive(stream, |r| r.chunk).await
}

async fn jobs_stored(harness: &Harness) -> i64 {
    harness
        .count("SELECT count(*) FROM export.export_job")
        .await
}

/// The last `export.completed` published under the harness's prefix.
async fn last_export_completed(harness: &Harness) -> ExportCompleted {
    let names = Names::new(&harness.nats.prefix);
    let js = harness.nats.client().await;
    let subject = names.subject(&names::EXPORT_COMPLETED.subject());
    eventually("export.completed to be published", || async {
        let stream = js.get_stream(names.stream("export")).await.ok()?;
        let message = stream
            .get_last_raw_message_by_subject(&subject)
            .await
            .ok()?;
        Some(ExportCompleted::decode(message.payload.as_ref()).expect("an ExportCompleted"))
    })
    .await
}

#[tokio::test]
async fn a_fec_job_downloads_as_the_streamed_fec_and_publishes_export_completed() {
    let (harness, export) = start().await;
    let books = crate::fec::a_year_of_activity(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);

    let started = start_job(&client, &books.token, fec_job(books.company_id, ""))
        .await
        .expect("StartExport");
    assert_eq!(started.company_id, books.company_id.to_string());
    let job = ended(&client, &books.token, &started.export_id).await;
    assert_eq!(job.state, ExportState::Succeeded as i32, "{}", job.error);
    assert_eq!(job.percent, 100);
    assert!(job.finish_time.is_some());

    let streamed = export_fec(
        &client,
        &books.token,
        &books.company_id.to_string(),
        ("2026-01-01", "2026-12-31"),
        FecSeparator::Pipe,
    )
    .await
    .expect("the streamed FEC");
    let fec_lines = String::from_utf8(streamed.bytes.clone())
        .expect("UTF-8")
        .lines()
        .count() as i64
        - 1; // the header
    assert!(fec_lines > 0);
    assert_eq!((job.rows_done, job.rows_total), (fec_lines, fec_lines));
    assert_eq!(job.file_name, streamed.name);
    assert_eq!(job.size_bytes, streamed.bytes.len() as i64);

    let downloaded = download(&client, &books.token, &started.export_id)
        .await
        .expect("DownloadExport");
    assert_eq!(downloaded.name, streamed.name);
    assert_eq!(downloaded.content_type, streamed.content_type);
    assert!(downloaded.bytes == streamed.bytes, "the job's file differs");
    assert!(downloaded.chunk_sizes.iter().all(|size| *size <= 64 * 1024));

    let completed = last_export_completed(&harness).await;
    assert_eq!(completed.export_id, started.export_id);
    assert_eq!(completed.state, ExportState::Succeeded as i32);
    assert_eq!(
        (completed.file_name, completed.size_bytes),
        (streamed.name, streamed.bytes.len() as i64)
    );
    let meta = completed.meta.expect("meta");
    assert_eq!(meta.company_id, books.company_id.to_string());
}

#[tokio::test]
async fn a_retried_start_answers_the_same_job_and_a_bad_one_stores_nothing() {
    let (harness, export) = start().await;
    let books = crate::fec::a_year_of_activity(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);

    let mut bad = fec_job(books.company_id, "");
    if let Some(Export::Fec(fec)) = &mut bad.export {
        fec.closing_date = "2026-13-01".into();
    }
    let refused = start_job(&client, &books.token, bad).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&refused), ["fec.closing_date"]);
    let none = StartExportRequest::default();
    let refused = start_job(&client, &books.token, none).await.unwrap_err();
    assert_eq!(bad_fields(&refused), ["export"]);
    assert_eq!(jobs_stored(&harness).await, 0);

    let first = start_job(&client, &books.token, fec_job(books.company_id, "fec-2026"))
        .await
        .expect("StartExport");
    let again = start_job(&client, &books.token, fec_job(books.company_id, "fec-2026"))
        .await
        .expect("the retry");
    assert_eq!(again.export_id, first.export_id);
    assert_eq!(jobs_stored(&harness).await, 1);
    let mut other = fec_job(books.company_id, "fec-2026");
    if let Some(Export::Fec(fec)) = &mut other.export {
        fec.separator = FecSeparator::Tab as i32;
    }
    let mismatch = start_job(&client, &books.token, other).await.unwrap_err();
    assert_eq!(bad_fields(&mismatch), ["idempotency_key"]);
    assert_eq!(jobs_stored(&harness).await, 1);
}

#[tokio::test]
async fn another_company_sees_no_job_and_a_running_job_has_no_file() {
    let (harness, export) = start().await;
    let books = crate::fec::a_year_of_activity(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);
    let started = start_job(&client, &books.token, fec_job(books.company_id, ""))
        .await
        .expect("StartExport");

    let stranger = scoped_token(&harness.db, Uuid::now_v7(), &[Permission::ExportsRead]).await;
    let hidden = get_job(&client, &stranger, &started.export_id)
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let hidden = download(&client, &stranger, &started.export_id)
        .await
        .err()
        .expect("another company's download is refused");
    assert_eq!(hidden.code(), Code::NotFound);
    let unknown = get_job(&client, &books.token, &Uuid::now_v7().to_string())
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    // A job queued but not run: stored straight into the table, its lease held.
    let queued = queue_claimed_job(&harness, books.company_id, Duration::from_secs(600)).await;
    let not_ready = download(&client, &books.token, &queued.to_string())
        .await
        .err()
        .expect("a running job has no file");
    assert_eq!(not_ready.code(), Code::FailedPrecondition);
    assert_eq!(reason(&not_ready), "EXPORT_NOT_READY");
}

/// Stores, as export's runtime role, a FEC job of `company_id` claimed by a worker that
/// died, its lease expiring in `lease`.
async fn queue_claimed_job(harness: &Harness, company_id: Uuid, lease: Duration) -> Uuid {
    let export_id = Uuid::now_v7();
    let company = company_id.to_string();
    let mut conn = harness
        .db
        .runtime_tx(&comptoir_export::SPEC, &[("comptoir.company_id", &company)])
        .await;
    sqlx::query(
        "INSERT INTO export_job (export_id, company_id, requested_by, request) \
         VALUES ($1, $2, 'test', $3)",
    )
    .bind(export_id)
    .bind(company_id)
    .bind(fec_job(company_id, "").encode_to_vec())
    .execute(&mut conn)
    .await
    .expect("storing the job");
    sqlx::query(
        "INSERT INTO export_job_queue (export_id, company_id, claim_id, lease_expires_at, \
             attempts) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4), 1)",
    )
    .bind(export_id)
    .bind(company_id)
    .bind(Uuid::now_v7())
    .bind(lease.as_secs_f64())
    .execute(&mut conn)
    .await
    .expect("claiming it");
    sqlx::query("COMMIT")
        .execute(&mut conn)
        .await
        .expect("COMMIT");
    export_id
}

#[tokio::test]
async fn a_job_left_by_a_dead_worker_is_finished_by_a_fresh_service_after_its_lease() {
    let (harness, export) = start().await;
    let books = crate::fec::a_year_of_activity(&harness).await;
    let client = ExportServiceClient::new(export.channel().await);
    let export_id = queue_claimed_job(&harness, books.company_id, Duration::from_secs(3)).await;

    // While the dead worker's lease holds, nobody takes the job.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let job = get_job(&client, &books.token, &export_id.to_string())
        .await
        .expect("GetExport");
    assert_eq!((job.state, job.percent), (ExportState::Running as i32, 0));
    export.stop().await;

    let (common, identity) = harness.config(&comptoir_export::SPEC);
    let fresh: Running = spawn(
        comptoir_export::build(comptoir_export::Config { common, identity })
            .await
            .expect("export builds"),
    )
    .await;
    let client = ExportServiceClient::new(fresh.channel().await);
    let job = ended(&client, &books.token, &export_id.to_string()).await;
    assert_eq!(job.state, ExportState::Succeeded as i32, "{}", job.error);
    let downloaded = download(&client, &books.token, &export_id.to_string())
        .await
        .expect("DownloadExport");
    let streamed = export_fec(
        &client,
        &books.token,
        &books.company_id.to_string(),
        ("2026-01-01", "2026-12-31"),
        FecSeparator::Pipe,
    )
    .await
    .expect("the streamed FEC");
    assert!(downloaded.bytes == streamed.bytes, "the job's file differs");
    assert_eq!(
        harness
            .count("SELECT count(*) FROM export.export_job_queue")
            .await,
        0
    );
    assert_eq!(
        last_export_completed(&harness).await.export_id,
        export_id.to_string()
    );
}

#[tokio::test]
async fn a_documents_job_downloads_a_zip_with_one_pdf_per_document_of_the_period() {
    use crate::books::{document, line};
    use comptoir_proto::export::v1::{EInvoiceProfile, ExportDocumentsRequest, Period};
    use std::io::{Cursor, Read as _};

    let (harness, export) = start().await;
    let mut books = crate::pdf::open_company(&harness).await;
    let martin = crate::pdf::customer();
    let invoice = document(
        "invoice",
        "F-2026-0001",
        "2026-03-02",
        &martin,
        vec![line("20", "goods", "1250.00")],
    );
    let mut credit = document(
        "credit_note",
        "A-2026-0001",
        "2026-03-10",
        &martin,
        vec![line("20", "goods", "100.00")],
    );
    credit.credited_document_id = invoice.document_id.clone();
    credit.credited_number = invoice.number.clone();
    let second = document(
        "invoice",
        "F-2026-0002",
        "2026-03-15",
        &martin,
        vec![line("10", "services", "80.00")],
    );
    let april = document(
        "invoice",
        "F-2026-0003",
        "2026-04-02",
        &martin,
        vec![line("20", "goods", "10.00")],
    );
    for issued in [&invoice, &credit, &second, &april] {
        books.issue(&harness, issued).await;
    }
    let documents = |start: &str, end: &str, key: &str| StartExportRequest {
        export: Some(Export::Documents(ExportDocumentsRequest {
            company_id: books.company_id.to_string(),
            period: Some(Period {
                start_date: start.to_owned(),
                end_date: end.to_owned(),
            }),
            profile: EInvoiceProfile::Unspecified as i32,
        })),
        idempotency_key: key.to_owned(),
    };
    let client = ExportServiceClient::new(export.channel().await);
    eventually("export to keep the documents", || async {
        for issued in [&invoice, &credit, &second, &april] {
            crate::pdf::render(&client, &books, &issued.document_id)
                .await
                .ok()?;
        }
        Some(())
    })
    .await;

    // A bad period is refused under the oneof's field, storing nothing more.
    let stored = jobs_stored(&harness).await;
    let refused = start_job(
        &client,
        &books.token,
        documents("2026-03-31", "2026-03-01", ""),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&refused), ["documents.period.end_date"]);
    assert_eq!(jobs_stored(&harness).await, stored);

    let started = start_job(
        &client,
        &books.token,
        documents("2026-03-01", "2026-03-31", "march"),
    )
    .await
    .expect("StartExport");
    let job = ended(&client, &books.token, &started.export_id).await;
    assert_eq!(job.state, ExportState::Succeeded as i32, "{}", job.error);
    assert_eq!((job.rows_done, job.rows_total, job.percent), (3, 3, 100));
    assert_eq!(job.file_name, "documents-20260301-20260331.zip");

    let zip = download(&client, &books.token, &started.export_id)
        .await
        .expect("DownloadExport");
    assert_eq!(zip.name, "documents-20260301-20260331.zip");
    assert_eq!(zip.content_type, "application/zip");
    assert_eq!(job.size_bytes, zip.bytes.len() as i64);
    let mut archive = zip::ZipArchive::new(Cursor::new(zip.bytes)).expect("a zip");
    let mut names: Vec<String> = archive
        .file_names()
        .map(|name| name.expect("an entry name").into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["A-2026-0001.pdf", "F-2026-0001.pdf", "F-2026-0002.pdf"]
    );
    for name in names {
        let mut bytes = Vec::new();
        archive
            .by_name(&name)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        let text = crate::pdf::text_of(&bytes);
        let number = name.trim_end_matches(".pdf");
        let title = if number.starts_with('A') {
            format!("Avoir n° {number}")
        } else {
            format!("Facture n° {number}")
        };
        assert!(text.contains(&title), "{name} is its document: {text}");
        assert!(
            text.contains("Épicerie Martin SARL"),
            "{name} names the customer"
        );
    }

    let completed = last_export_completed(&harness).await;
    assert_eq!(completed.export_id, started.export_id);
    assert_eq!(completed.file_name, "documents-20260301-20260331.zip");
}
