//! `comptoir.billing.v1.PurchaseService`: the invoices a company receives from its
//! suppliers. A purchase invoice is recorded already frozen (status issued, the
//! supplier's own number): there is no draft, so the database's frozen-document rule
//! guards it from its first statement. The supplier number is unique per supplier,
//! enforced by the `document_supplier_number` index and answered as ALREADY_EXISTS.

use comptoir_proto::billing::v1 as pb;
use comptoir_proto::events::v1 as events;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations, permissions};
use tonic::{Request, Response, Status};

use super::documents::{decode_draft, document_to_pb};
use super::{authorize, ensure_valid, keyset_page, required_text, text};
use crate::app::documents::{DueDefault, NewDocument, create};
use crate::app::once;
use crate::domain::{DocumentType, PartyRole, Status as Stored};
use crate::error::Error;
use crate::events::billing_document;
use crate::store::documents;
use crate::store::violated_constraint;

/// The unique index on (company, supplier, supplier number) of purchase invoices.
const SUPPLIER_NUMBER_INDEX: &str = "document_supplier_number";

const PURCHASES: [DocumentType; 1] = [DocumentType::PurchaseInvoice];

/// Who may read purchase invoices: those who record them and anyone who reads the books.
const READERS: [&str; 2] = [permissions::PURCHASES_WRITE, permissions::INVOICES_READ];

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
        let ctx = authorize(&request, &[permissions::PURCHASES_WRITE])?;
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
        let draft = decode_draft("purchase_invoice", request.purchase_invoice.as_ref())?;
        let mut tx = ctx
            .begin(&self.deps.pool, "purchase_invoice.recorded")
            .await?;
        let response = once(
            &mut tx,
            &ctx.scope("RecordPurchaseInvoice"),
            &request.idempotency_key,
            &request,
            async |conn| {
                let new = NewDocument {
                    input: &draft,
                    role: PartyRole::Supplier,
                    due_default: DueDefault::None,
                    document_type: DocumentType::PurchaseInvoice,
                    status: Stored::Issued,
                    number: Some(&supplier_number),
                    category: &category,
                };
                let loaded = create(conn, ctx.company_id, &ctx.actor, &new)
                    .await
                    .map_err(|err| match err {
                        Error::Db(db)
                            if violated_constraint(&db) == Some(SUPPLIER_NUMBER_INDEX) =>
                        {
                            Error::AlreadyExists {
                                reason: "SUPPLIER_NUMBER_TAKEN",
                                message: format!(
                                    "invoice {supplier_number} of this supplier is already recorded"
                                ),
                            }
                        }
                        Error::Db(db) => Error::from(db),
                        other => other,
                    })?;
                Event::about(
                    names::PURCHASE_INVOICE_RECORDED,
                    ctx.company_id,
                    &ctx.actor,
                    |meta| events::PurchaseInvoiceRecorded {
                        meta: Some(meta),
                        purchase_invoice: Some(billing_document(&loaded)),
                    },
                )
                .enqueue(conn)
                .await?;
                Ok(pb::RecordPurchaseInvoiceResponse {
                    purchase_invoice: Some(document_to_pb(&loaded)),
                })
            },
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
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
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let loaded = documents::load(&mut tx, ctx.company_id, id, &PURCHASES)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("purchase invoice", id))?;
        Ok(Response::new(pb::GetPurchaseInvoiceResponse {
            purchase_invoice: Some(document_to_pb(&loaded)),
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
        let filter = documents::ListFilter {
            types: PURCHASES.to_vec(),
            status: None,
            standing: None,
            party_id,
            category: (!category.is_empty()).then_some(category.as_str()),
            after,
        };
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let mut rows = documents::list(&mut tx, ctx.company_id, &filter, page.fetch_limit())
            .await
            .map_err(Error::from)?;
        let next_page_token =
            page.finish(&mut rows, |l| time_id_cursor(l.created_at, l.document_id));
        Ok(Response::new(pb::ListPurchaseInvoicesResponse {
            purchase_invoices: rows.iter().map(document_to_pb).collect(),
            next_page_token,
        }))
    }
}
