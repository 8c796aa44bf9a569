//! `comptoir.billing.v1.PurchaseService`: the invoices a company receives from its
//! suppliers. Each call is authorised and decoded here, handed to one
//! [`crate::app::purchases`] function, and its purchase invoice encoded.

use comptoir_domain_types::permissions::{self, Permission};
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};

use super::documents::{decode_draft, document_to_pb};
use super::{authorize, ensure_valid, keyset_page, required_text, text};
use crate::app::purchases::{
    self as app, ImportPurchaseInvoice, ListPurchaseInvoices, RecordPurchaseInvoice,
};
use crate::domain::einvoice::Format;

/// Who may read purchase invoices: those who record them and anyone who reads the books.
const READERS: [Permission; 2] = [
    permissions::Permission::PurchasesWrite,
    permissions::Permission::InvoicesRead,
];

/// Room for the import request's other fields (file name, category) and the protobuf
/// framing around a file of the largest size allowed.
const REQUEST_SLACK: usize = 64 * 1024;

/// The service, taking imported files of up to `import_max_bytes`. tonic refuses any
/// message larger than its decoding limit (4 MiB by default) before it is read; the limit
/// is raised to fit the largest file allowed, so a file up to it reaches
/// `ImportPurchaseInvoice`, and a larger one still costs no more than its header.
pub(crate) fn server(
    deps: Deps,
    import_max_bytes: usize,
) -> pb::purchase_service_server::PurchaseServiceServer<Purchases> {
    pb::purchase_service_server::PurchaseServiceServer::new(Purchases {
        deps,
        import_max_bytes,
    })
    .max_decoding_message_size(import_max_bytes.saturating_add(REQUEST_SLACK))
}

pub(crate) struct Purchases {
    deps: Deps,
    import_max_bytes: usize,
}

/// The wire form of a file's format.
fn format_to_pb(format: Format) -> pb::EInvoiceFormat {
    match format {
        Format::FacturX => pb::EInvoiceFormat::Facturx,
        Format::Cii => pb::EInvoiceFormat::Cii,
        Format::Ubl => pb::EInvoiceFormat::Ubl,
    }
}

#[tonic::async_trait]
impl pb::purchase_service_server::PurchaseService for Purchases {
    async fn record_purchase_invoice(
        &self,
        request: Request<pb::RecordPurchaseInvoiceRequest>,
    ) -> Result<Response<pb::RecordPurchaseInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::PurchasesWrite])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let supplier_number = required_text(
            &mut violations,
            "supplier_number",
            &request.supplier_number,
            60,
        );
        let category = text(&mut violations, "category", &request.category, 100);
        ensure_valid(&mut violations)?;
        let command = RecordPurchaseInvoice {
            supplier_number,
            category,
            purchase_invoice: decode_draft("purchase_invoice", request.purchase_invoice.as_ref())?,
        };
        let response = app::record_purchase_invoice(
            &ctx,
            &self.deps,
            command,
            (&request.idempotency_key, &request),
            |invoice| pb::RecordPurchaseInvoiceResponse {
                purchase_invoice: Some(document_to_pb(invoice)),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn get_purchase_invoice(
        &self,
        request: Request<pb::GetPurchaseInvoiceRequest>,
    ) -> Result<Response<pb::GetPurchaseInvoiceResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let mut violations = FieldViolations::new();
        let id = violations
            .uuid(
                "purchase_invoice_id",
                &request.get_ref().purchase_invoice_id,
            )
            .unwrap_or_default();
        ensure_valid(&mut violations)?;
        let invoice = app::get_purchase_invoice(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::GetPurchaseInvoiceResponse {
            purchase_invoice: Some(document_to_pb(&invoice)),
        }))
    }

    async fn list_purchase_invoices(
        &self,
        request: Request<pb::ListPurchaseInvoicesRequest>,
    ) -> Result<Response<pb::ListPurchaseInvoicesResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let party_id = (!request.party_id.is_empty())
            .then(|| violations.uuid("party_id", &request.party_id))
            .flatten();
        let category = text(&mut violations, "category", &request.category, 100);
        let (page, after) = keyset_page(&mut violations, request.page_size, &request.page_token)?;
        let query = ListPurchaseInvoices {
            party_id,
            category,
            after,
            limit: page.fetch_limit(),
        };
        let mut rows = app::list_purchase_invoices(&ctx, &self.deps, query).await?;
        let next_page_token =
            page.finish(&mut rows, |l| time_id_cursor(l.created_at, l.document_id));
        Ok(Response::new(pb::ListPurchaseInvoicesResponse {
            purchase_invoices: rows.iter().map(document_to_pb).collect(),
            next_page_token,
        }))
    }

    async fn import_purchase_invoice(
        &self,
        request: Request<pb::ImportPurchaseInvoiceRequest>,
    ) -> Result<Response<pb::ImportPurchaseInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::PurchasesWrite])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let file_name = required_text(&mut violations, "file_name", &request.file_name, 255);
        let category = text(&mut violations, "category", &request.category, 100);
        if request.content.is_empty() {
            violations.add("content", "is required: the bytes of the supplier's file");
        }
        ensure_valid(&mut violations)?;
        let command = ImportPurchaseInvoice {
            file_name,
            content: request.content,
            category,
        };
        let imported =
            app::import_purchase_invoice(&ctx, &self.deps, self.import_max_bytes, command).await?;
        Ok(Response::new(pb::ImportPurchaseInvoiceResponse {
            purchase_invoice: Some(document_to_pb(&imported.invoice)),
            created: imported.created,
            format: format_to_pb(imported.format).into(),
            supplier_created: imported.supplier_created,
        }))
    }

    async fn get_purchase_invoice_attachment(
        &self,
        request: Request<pb::GetPurchaseInvoiceAttachmentRequest>,
    ) -> Result<Response<pb::GetPurchaseInvoiceAttachmentResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let mut violations = FieldViolations::new();
        let id = violations
            .uuid(
                "purchase_invoice_id",
                &request.get_ref().purchase_invoice_id,
            )
            .unwrap_or_default();
        ensure_valid(&mut violations)?;
        let attachment = app::purchase_invoice_attachment(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::GetPurchaseInvoiceAttachmentResponse {
            file_name: attachment.file_name,
            content_type: attachment.format.content_type().to_owned(),
            content: attachment.content,
            format: format_to_pb(attachment.format).into(),
        }))
    }
}
