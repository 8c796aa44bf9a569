//! `RenderInvoicePdf` and `ExportDocuments`: decode the company and the document or
//! period (every bad field reported at once), authorise, and stream the file.

use comptoir_proto::export::v1 as pb;
use comptoir_runtime::Deps;
use comptoir_runtime::error::FieldViolations;
use tonic::{Request, Response, Status};

use super::{FileStream, authorize, files, period};
use crate::app;

pub(crate) async fn render_invoice_pdf(
    deps: &Deps,
    request: Request<pb::RenderInvoicePdfRequest>,
) -> Result<Response<FileStream<pb::RenderInvoicePdfResponse>>, Status> {
    let message = request.get_ref();
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", &message.company_id);
    let document_id = violations.uuid("document_id", &message.document_id);
    violations.into_result()?;
    let (Some(company_id), Some(document_id)) = (company_id, document_id) else {
        return Err(FieldViolations::new().into_status());
    };
    authorize(&request, company_id)?;
    let file = app::documents_pdf::render_invoice_pdf(&deps.pool, company_id, document_id).await?;
    Ok(Response::new(files::respond(file, |chunk| {
        pb::RenderInvoicePdfResponse { chunk: Some(chunk) }
    })))
}

pub(crate) async fn export_documents(
    deps: &Deps,
    request: Request<pb::ExportDocumentsRequest>,
) -> Result<Response<FileStream<pb::ExportDocumentsResponse>>, Status> {
    let message = request.get_ref();
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", &message.company_id);
    let dates = period(&mut violations, "period", message.period.as_ref());
    violations.into_result()?;
    let (Some(company_id), Some(dates)) = (company_id, dates) else {
        return Err(FieldViolations::new().into_status());
    };
    authorize(&request, company_id)?;
    let file = app::documents_pdf::export_documents(&deps.pool, company_id, dates).await?;
    Ok(Response::new(files::respond(file, |chunk| {
        pb::ExportDocumentsResponse { chunk: Some(chunk) }
    })))
}
