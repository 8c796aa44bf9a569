//! `StartExport`, `GetExport` and `DownloadExport`: a job's request is decoded by the
//! decoder of its streaming RPC ([`decode`], its violations' paths under the oneof's
//! field, e.g. `fec.closing_date`), which is also how the worker reads a stored request
//! back ([`decode_stored`]). A job is looked up in the caller's active company, so
//! another company's job answers NOT_FOUND.

use comptoir_proto::export::v1 as pb;
use comptoir_runtime::error::FieldViolations;
use comptoir_runtime::{Caller, Deps};
use prost::Message as _;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{FileStream, authorize, files};
use crate::app::documents_pdf::DocumentsExport;
use crate::app::fec::FecExport;
use crate::app::jobs::{self, Export, Wake};
use crate::app::report_files::{PaymentsExport, ReportExport};
use crate::app::reports::SalesJournal;
use crate::domain::jobs::{Job, JobState};
use crate::error::Error;

/// `request`'s violations with their paths under `field`.
fn under(field: &str, violations: FieldViolations) -> FieldViolations {
    let mut prefixed = FieldViolations::new();
    for (path, reason) in violations.iter() {
        prefixed.add(format!("{field}.{path}"), reason.clone());
    }
    prefixed
}

/// The export a `StartExportRequest` asks for, decoded as its streaming RPC decodes it.
pub(crate) fn decode(request: &pb::StartExportRequest) -> Result<Export, FieldViolations> {
    use pb::start_export_request::Export as Asked;
    match &request.export {
        Some(Asked::SalesJournal(journal)) => SalesJournal::try_from(journal)
            .map(Export::SalesJournal)
            .map_err(|violations| under("sales_journal", violations)),
        Some(Asked::Fec(fec)) => FecExport::try_from(fec)
            .map(Export::Fec)
            .map_err(|violations| under("fec", violations)),
        Some(Asked::Payments(payments)) => PaymentsExport::try_from(payments)
            .map(Export::Payments)
            .map_err(|violations| under("payments", violations)),
        Some(Asked::Report(report)) => ReportExport::try_from(report)
            .map(Export::Report)
            .map_err(|violations| under("report", violations)),
        Some(Asked::Documents(documents)) => DocumentsExport::try_from(documents)
            .map(Export::Documents)
            .map_err(|violations| under("documents", violations)),
        None => {
            let mut violations = FieldViolations::new();
            violations.add("export", "is required: name one export");
            Err(violations)
        }
    }
}

/// A stored `StartExportRequest`, decoded again for the worker.
pub(crate) fn decode_stored(stored: &[u8]) -> Result<Export, Error> {
    let request = pb::StartExportRequest::decode(stored).map_err(|_| {
        let mut violations = FieldViolations::new();
        violations.add("export", "the stored request cannot be read");
        Error::InvalidArgument(violations)
    })?;
    Ok(decode(&request)?)
}

impl From<&Job> for pb::ExportJob {
    fn from(job: &Job) -> Self {
        let timestamp = |at: chrono::DateTime<chrono::Utc>| prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
        };
        pb::ExportJob {
            export_id: job.export_id.to_string(),
            company_id: job.company_id.to_string(),
            state: match job.state {
                JobState::Running => pb::ExportState::Running,
                JobState::Succeeded => pb::ExportState::Succeeded,
                JobState::Failed => pb::ExportState::Failed,
            } as i32,
            rows_done: job.rows_done,
            rows_total: job.rows_total,
            percent: job.percent(),
            file_name: job.file_name.clone(),
            size_bytes: job.size_bytes,
            error: job.error.clone(),
            create_time: Some(timestamp(job.created_at)),
            finish_time: job.finished_at.map(timestamp),
        }
    }
}

pub(crate) async fn start_export(
    deps: &Deps,
    wake: &Wake,
    request: Request<pb::StartExportRequest>,
) -> Result<Response<pb::StartExportResponse>, Status> {
    let export = decode(request.get_ref())?;
    authorize(&request, export.company_id())?;
    let actor = Caller::of(&request).map_err(Error::from)?.actor();
    let body = request.get_ref();
    let answer = jobs::start(
        &deps.pool,
        wake,
        &export,
        &actor,
        &body.idempotency_key,
        body,
        &body.encode_to_vec(),
        |job| pb::StartExportResponse {
            job: Some(job.into()),
        },
    )
    .await?;
    Ok(Response::new(answer))
}

/// The job id of a request and the caller's company, where the caller must hold
/// `exports.read`.
fn job_of<T>(request: &Request<T>, export_id: &str) -> Result<(Uuid, Uuid), Error> {
    let mut violations = FieldViolations::new();
    let export_id = violations.uuid("export_id", export_id);
    violations.into_result()?;
    let export_id = export_id.ok_or_else(FieldViolations::new)?;
    let company_id = Caller::of(request)?.active_company()?;
    authorize(request, company_id)?;
    Ok((company_id, export_id))
}

pub(crate) async fn get_export(
    deps: &Deps,
    request: Request<pb::GetExportRequest>,
) -> Result<Response<pb::GetExportResponse>, Status> {
    let (company_id, export_id) = job_of(&request, &request.get_ref().export_id)?;
    let job = jobs::job(&deps.pool, company_id, export_id).await?;
    Ok(Response::new(pb::GetExportResponse {
        job: Some((&job).into()),
    }))
}

pub(crate) async fn download_export(
    deps: &Deps,
    request: Request<pb::DownloadExportRequest>,
) -> Result<Response<FileStream<pb::DownloadExportResponse>>, Status> {
    let (company_id, export_id) = job_of(&request, &request.get_ref().export_id)?;
    let file = jobs::download(&deps.pool, company_id, export_id).await?;
    Ok(Response::new(files::respond(file, |chunk| {
        pb::DownloadExportResponse { chunk: Some(chunk) }
    })))
}
