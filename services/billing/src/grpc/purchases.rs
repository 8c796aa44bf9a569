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
use crate::app::purchases::{self as app, ListPurchaseInvoices, RecordPurchaseInvoice};

/// Who may read purchase invoices: those who record them and anyone who reads the books.
const READERS: [Permission; 2] = [
    permissions::Permission::PurchasesWrite,
    permissions::Permission::InvoicesRead,
];

pub(crate) fn server(deps: Deps) -> pb::purchase_service_server::PurchaseServiceServer<Purchases> {
    pb::purchase_service_server::PurchaseServiceServer::new(Purchases { deps })
}

pub(crate) struct Purchases {
    deps: Deps,
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
        _request: Request<pb::ImportPurchaseInvoiceRequest>,
    ) -> Result<Response<pb::ImportPurchaseInvoiceResponse>, Status> {
        Err(Status::unimplemented(
            "ImportPurchaseInvoice is not available yet",
        ))
    }

    async fn get_purchase_invoice_attachment(
        &self,
        _request: Request<pb::GetPurchaseInvoiceAttachmentRequest>,
    ) -> Result<Response<pb::GetPurchaseInvoiceAttachmentResponse>, Status> {
        Err(Status::unimplemented(
            "GetPurchaseInvoiceAttachment is not available yet",
        ))
    }
}
