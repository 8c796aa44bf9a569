//! The `comptoir.export.v1.ExportService` edge: the server's wiring, authorising the
//! caller for the company a request names ([`authorize`]), and the one trait impl, whose
//! methods each delegate to the module of their concern (`profiles`, `fec`, `reports`,
//! `documents`, `pdf` (the invoice PDF and e-invoice), `jobs`; `files` puts streamed files
//! on the wire). Each RPC decodes
//! its request, authorises, calls one `app` function and encodes the answer; the
//! service's `Error` becomes a `tonic::Status` here, through `From<Error> for Status`.

pub(crate) mod documents;
pub(crate) mod fec;
pub(crate) mod files;
pub(crate) mod jobs;
pub(crate) mod pdf;
pub(crate) mod profiles;
pub(crate) mod reports;

use std::pin::Pin;

use chrono::NaiveDate;
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::export::v1 as pb;
use comptoir_runtime::error::FieldViolations;
use comptoir_runtime::{Caller, Deps};
use futures::Stream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::jobs::Wake;
use crate::app::sheet::FileFormat;
use crate::domain::reports::Period;
use crate::error::Error;

/// The server; `wake` tells the job worker of a job just started.
pub(crate) fn server(
    deps: Deps,
    wake: Wake,
) -> pb::export_service_server::ExportServiceServer<Export> {
    pb::export_service_server::ExportServiceServer::new(Export { deps, wake })
}

pub(crate) struct Export {
    deps: Deps,
    wake: Wake,
}

/// A server-streamed file: its chunks, or the status that ended it.
pub(crate) type FileStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Checks that the caller of `request` holds `exports.read` on the company it names: a
/// company the caller may not read answers NOT_FOUND, a missing permission
/// PERMISSION_DENIED.
pub(crate) fn authorize<T>(request: &Request<T>, company_id: Uuid) -> Result<(), Error> {
    Caller::of(request)?.require(company_id, Permission::ExportsRead)?;
    Ok(())
}

/// A date field, "YYYY-MM-DD", recording a violation when empty or malformed.
pub(crate) fn date(
    violations: &mut FieldViolations,
    field: &str,
    value: &str,
) -> Option<NaiveDate> {
    if value.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    violations.check(
        field,
        NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| "must be a date YYYY-MM-DD"),
    )
}

/// A period field (`path.start_date`, `path.end_date`), both required, the end not
/// before the start.
pub(crate) fn period(
    violations: &mut FieldViolations,
    path: &str,
    value: Option<&pb::Period>,
) -> Option<Period> {
    let value = value.cloned().unwrap_or_default();
    let start = date(violations, &format!("{path}.start_date"), &value.start_date);
    let end = date(violations, &format!("{path}.end_date"), &value.end_date);
    let (start, end) = start.zip(end)?;
    violations.check(&format!("{path}.end_date"), Period::new(start, end))
}

/// The `format` field of a file: CSV (the default), XLSX or PDF.
pub(crate) fn file_format(violations: &mut FieldViolations, value: i32) -> Option<FileFormat> {
    match pb::FileFormat::try_from(value) {
        Ok(pb::FileFormat::Unspecified | pb::FileFormat::Csv) => Some(FileFormat::Csv),
        Ok(pb::FileFormat::Xlsx) => Some(FileFormat::Xlsx),
        Ok(pb::FileFormat::Pdf) => Some(FileFormat::Pdf),
        Err(_) => {
            violations.add("format", "is not a known file format");
            None
        }
    }
}

#[tonic::async_trait]
impl pb::export_service_server::ExportService for Export {
    type ExportSalesJournalStream = FileStream<pb::ExportSalesJournalResponse>;
    type ExportFecStream = FileStream<pb::ExportFecResponse>;
    type ExportPaymentsStream = FileStream<pb::ExportPaymentsResponse>;
    type ExportReportStream = FileStream<pb::ExportReportResponse>;
    type RenderInvoicePdfStream = FileStream<pb::RenderInvoicePdfResponse>;
    type ExportDocumentsStream = FileStream<pb::ExportDocumentsResponse>;
    type DownloadExportStream = FileStream<pb::DownloadExportResponse>;

    async fn get_seller_profile(
        &self,
        request: Request<pb::GetSellerProfileRequest>,
    ) -> Result<Response<pb::GetSellerProfileResponse>, Status> {
        profiles::get_seller_profile(&self.deps, request).await
    }

    async fn export_sales_journal(
        &self,
        request: Request<pb::ExportSalesJournalRequest>,
    ) -> Result<Response<Self::ExportSalesJournalStream>, Status> {
        reports::export_sales_journal(&self.deps, request).await
    }

    async fn export_fec(
        &self,
        request: Request<pb::ExportFecRequest>,
    ) -> Result<Response<Self::ExportFecStream>, Status> {
        fec::export_fec(&self.deps, request).await
    }

    async fn export_payments(
        &self,
        request: Request<pb::ExportPaymentsRequest>,
    ) -> Result<Response<Self::ExportPaymentsStream>, Status> {
        documents::export_payments(&self.deps, request).await
    }

    async fn vat_register(
        &self,
        request: Request<pb::VatRegisterRequest>,
    ) -> Result<Response<pb::VatRegisterResponse>, Status> {
        reports::vat_register(&self.deps, request).await
    }

    async fn oss_report(
        &self,
        request: Request<pb::OssReportRequest>,
    ) -> Result<Response<pb::OssReportResponse>, Status> {
        documents::oss_report(&self.deps, request).await
    }

    async fn list_unpaid(
        &self,
        request: Request<pb::ListUnpaidRequest>,
    ) -> Result<Response<pb::ListUnpaidResponse>, Status> {
        documents::list_unpaid(&self.deps, request).await
    }

    async fn revenue_list(
        &self,
        request: Request<pb::RevenueListRequest>,
    ) -> Result<Response<pb::RevenueListResponse>, Status> {
        documents::revenue_list(&self.deps, request).await
    }

    async fn expense_list(
        &self,
        request: Request<pb::ExpenseListRequest>,
    ) -> Result<Response<pb::ExpenseListResponse>, Status> {
        documents::expense_list(&self.deps, request).await
    }

    async fn export_report(
        &self,
        request: Request<pb::ExportReportRequest>,
    ) -> Result<Response<Self::ExportReportStream>, Status> {
        documents::export_report(&self.deps, request).await
    }

    async fn render_invoice_pdf(
        &self,
        request: Request<pb::RenderInvoicePdfRequest>,
    ) -> Result<Response<Self::RenderInvoicePdfStream>, Status> {
        pdf::render_invoice_pdf(&self.deps, request).await
    }

    async fn render_invoice_xml(
        &self,
        request: Request<pb::RenderInvoiceXmlRequest>,
    ) -> Result<Response<pb::RenderInvoiceXmlResponse>, Status> {
        pdf::render_invoice_xml(&self.deps, request).await
    }

    async fn export_documents(
        &self,
        request: Request<pb::ExportDocumentsRequest>,
    ) -> Result<Response<Self::ExportDocumentsStream>, Status> {
        pdf::export_documents(&self.deps, request).await
    }

    async fn start_export(
        &self,
        request: Request<pb::StartExportRequest>,
    ) -> Result<Response<pb::StartExportResponse>, Status> {
        jobs::start_export(&self.deps, &self.wake, request).await
    }

    async fn get_export(
        &self,
        request: Request<pb::GetExportRequest>,
    ) -> Result<Response<pb::GetExportResponse>, Status> {
        jobs::get_export(&self.deps, request).await
    }

    async fn download_export(
        &self,
        request: Request<pb::DownloadExportRequest>,
    ) -> Result<Response<Self::DownloadExportStream>, Status> {
        jobs::download_export(&self.deps, request).await
    }
}
