//! `comptoir.billing.v1.PurchaseService`: the invoices a company receives from its
//! suppliers. Each call is authorised and decoded here, handed to one
//! [`crate::app::purchases`] function, and its purchase invoice encoded.

use comptoir_domain_types::permissions::{self, Permission};
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::server::NamedService;
use tonic::{Request, Response, Status};

use super::documents::{decode_draft, document_to_pb};
use super::{authorize, ensure_valid, keyset_page, required_text, text};
use crate::app::purchases::{
    self as app, ImportPurchaseInvoice, ListPurchaseInvoices, RecordPurchaseInvoice,
};
use crate::domain::einvoice::{Format, Refusal};
use crate::error::Error;

/// Who may read purchase invoices: those who record them and anyone who reads the books.
const READERS: [Permission; 2] = [
    permissions::Permission::PurchasesWrite,
    permissions::Permission::InvoicesRead,
];

/// Room for the import request's other fields (file name, category) and the protobuf
/// framing around a file of the largest size allowed.
const REQUEST_SLACK: usize = 64 * 1024;

/// The path of ImportPurchaseInvoice.
const IMPORT_PATH: &str = "/comptoir.billing.v1.PurchaseService/ImportPurchaseInvoice";

/// The service, taking imported files of up to `import_max_bytes`. tonic refuses any
/// message larger than its decoding limit (4 MiB by default) from its length prefix,
/// before it is read; the limit is raised to fit the largest file allowed, so a file up
/// to it reaches `ImportPurchaseInvoice`, and a larger one still costs no more than its
/// header, answered by [`ImportSizeRefusal`] as every refused file is.
pub(crate) fn server(
    deps: Deps,
    import_max_bytes: usize,
) -> ImportSizeRefusal<pb::purchase_service_server::PurchaseServiceServer<Purchases>> {
    let service = pb::purchase_service_server::PurchaseServiceServer::new(Purchases {
        deps,
        import_max_bytes,
    })
    .max_decoding_message_size(import_max_bytes.saturating_add(REQUEST_SLACK));
    ImportSizeRefusal {
        inner: service,
        import_max_bytes,
    }
}

/// PurchaseService with tonic's own refusal of an oversized ImportPurchaseInvoice
/// (OUT_OF_RANGE, sent before any handler runs) answered as billing refuses any file:
/// INVALID_ARGUMENT with a violation on `content` naming the size and the limit. Only
/// the decoder answers OUT_OF_RANGE on that path: no handler of billing does.
#[derive(Clone)]
pub(crate) struct ImportSizeRefusal<S> {
    inner: S,
    import_max_bytes: usize,
}

impl<S: NamedService> NamedService for ImportSizeRefusal<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower::Service<http::Request<Body>> for ImportSizeRefusal<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let import = request.uri().path() == IMPORT_PATH;
        let max = self.import_max_bytes;
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            let out_of_range = response
                .headers()
                .get("grpc-status")
                .is_some_and(|code| code.as_bytes() == b"11");
            if !(import && out_of_range) {
                return Ok(response);
            }
            let size = declared_size(response.headers().get("grpc-message"));
            let refusal = Refusal::RequestTooLarge { size, max };
            Ok(Status::from(Error::EInvoiceRefused(refusal)).into_http())
        })
    }
}

/// The request size tonic's refusal states ("… found 52428828 bytes, …", percent-encoded
/// in `grpc-message`); 0 when it says none.
fn declared_size(message: Option<&http::HeaderValue>) -> usize {
    let message = message
        .and_then(|m| m.to_str().ok())
        .unwrap_or("")
        .replace("%20", " ");
    message
        .split_once("found ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
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
