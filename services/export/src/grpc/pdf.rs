//! `RenderInvoicePdf` and `ExportDocuments`: decode the company and the document or
//! period (every bad field reported at once), authorise, and stream the file.

use comptoir_proto::export::v1 as pb;
use comptoir_runtime::Deps;
use comptoir_runtime::error::FieldViolations;
use tonic::{Request, Response, Status};

use super::{FileStream, authorize, files, period};
use crate::app;
use crate::app::documents_pdf::DocumentsExport;

impl TryFrom<&pb::ExportDocumentsRequest> for DocumentsExport {
    type Error = FieldViolations;

    fn try_from(request: &pb::ExportDocumentsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let period = period(&mut violations, "period", request.period.as_ref());
        violations.into_result()?;
        match (company_id, period) {
            (Some(company_id), Some(period)) => Ok(DocumentsExport { company_id, period }),
            _ => Err(FieldViolations::new()),
        }
    }
}

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
    let documents = DocumentsExport::try_from(request.get_ref())?;
    authorize(&request, documents.company_id)?;
    let file =
        app::documents_pdf::export_documents(&deps.pool, documents.company_id, documents.period)
            .await?;
    Ok(Response::new(files::respond(file, |chunk| {
        pb::ExportDocumentsResponse { chunk: Some(chunk) }
    })))
}
