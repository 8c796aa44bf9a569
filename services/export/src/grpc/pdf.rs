//! `RenderInvoicePdf`, `RenderInvoiceXml` and `ExportDocuments`: decode the company and
//! the document or period, the e-invoice profile and syntax (every bad field reported at
//! once), authorise, and answer the XML or stream the file.

use comptoir_proto::export::v1 as pb;
use comptoir_runtime::Deps;
use comptoir_runtime::error::FieldViolations;
use tonic::{Request, Response, Status};

use super::{FileStream, authorize, files, period};
use crate::app;
use crate::domain::einvoice::{Profile, Syntax};

/// The `profile` field: a Factur-X profile, EN 16931 when unspecified, `None` for a
/// plain PDF (NONE).
pub(crate) fn profile(violations: &mut FieldViolations, value: i32) -> Option<Option<Profile>> {
    match pb::EInvoiceProfile::try_from(value) {
        Ok(pb::EInvoiceProfile::Unspecified | pb::EInvoiceProfile::En16931) => {
            Some(Some(Profile::En16931))
        }
        Ok(pb::EInvoiceProfile::Basic) => Some(Some(Profile::Basic)),
        Ok(pb::EInvoiceProfile::Extended) => Some(Some(Profile::Extended)),
        Ok(pb::EInvoiceProfile::None) => Some(None),
        Err(_) => {
            violations.add("profile", "is not a known e-invoice profile");
            None
        }
    }
}

pub(crate) async fn render_invoice_xml(
    deps: &Deps,
    request: Request<pb::RenderInvoiceXmlRequest>,
) -> Result<Response<pb::RenderInvoiceXmlResponse>, Status> {
    let message = request.get_ref();
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", &message.company_id);
    let document_id = violations.uuid("document_id", &message.document_id);
    let syntax = match pb::EInvoiceSyntax::try_from(message.format) {
        Ok(pb::EInvoiceSyntax::Unspecified | pb::EInvoiceSyntax::Cii) => Some(Syntax::Cii),
        Ok(pb::EInvoiceSyntax::Ubl) => Some(Syntax::Ubl),
        Err(_) => {
            violations.add("format", "is not a known e-invoice syntax");
            None
        }
    };
    let profile = match profile(&mut violations, message.profile) {
        Some(Some(profile)) => Some(profile),
        Some(None) => {
            violations.add(
                "profile",
                "NONE has no XML: choose BASIC, EN16931 or EXTENDED",
            );
            None
        }
        None => None,
    };
    violations.into_result()?;
    let (Some(company_id), Some(document_id), Some(syntax), Some(profile)) =
        (company_id, document_id, syntax, profile)
    else {
        return Err(FieldViolations::new().into_status());
    };
    authorize(&request, company_id)?;
    let file =
        app::einvoice::render_invoice_xml(&deps.pool, company_id, document_id, syntax, profile)
            .await?;
    Ok(Response::new(pb::RenderInvoiceXmlResponse {
        file_name: file.name,
        content_type: "application/xml".to_owned(),
        xml: file.xml,
    }))
}
use crate::app::documents_pdf::DocumentsExport;

impl TryFrom<&pb::ExportDocumentsRequest> for DocumentsExport {
    type Error = FieldViolations;

    fn try_from(request: &pb::ExportDocumentsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let period = period(&mut violations, "period", request.period.as_ref());
        let profile = profile(&mut violations, request.profile);
        violations.into_result()?;
        match (company_id, period, profile) {
            (Some(company_id), Some(period), Some(profile)) => Ok(DocumentsExport {
                company_id,
                period,
                profile,
            }),
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
    let profile = profile(&mut violations, message.profile);
    violations.into_result()?;
    let (Some(company_id), Some(document_id), Some(profile)) = (company_id, document_id, profile)
    else {
        return Err(FieldViolations::new().into_status());
    };
    authorize(&request, company_id)?;
    let file = app::documents_pdf::render_invoice_pdf(&deps.pool, company_id, document_id, profile)
        .await?;
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
    let file = app::documents_pdf::export_documents(
        &deps.pool,
        documents.company_id,
        documents.period,
        documents.profile,
    )
    .await?;
    Ok(Response::new(files::respond(file, |chunk| {
        pb::ExportDocumentsResponse { chunk: Some(chunk) }
    })))
}
