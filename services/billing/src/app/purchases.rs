//! The invoices a company receives from its suppliers, one function per call of
//! `PurchaseService`. A purchase invoice is recorded already frozen (status issued, the
//! supplier's own number): there is no draft, so the database's frozen-document rule
//! guards it from its first statement. The supplier number is unique per supplier,
//! enforced by the `document_supplier_number` index and refused as
//! [`Error::SupplierNumberTaken`].

use comptoir_runtime::Deps;
use comptoir_runtime::page::TimeIdCursor;
use uuid::Uuid;

use super::documents::{DraftInput, DueDefault, NewDocument, create};
use super::{Ctx, idempotent};
use crate::domain::document::Document;
use crate::domain::{DocumentType, PartyRole, Status};
use crate::error::Error;
use crate::events;
use crate::store::{documents, violated_constraint};

/// The unique index on (company, supplier, supplier number) of purchase invoices.
const SUPPLIER_NUMBER_INDEX: &str = "document_supplier_number";

const PURCHASES: [DocumentType; 1] = [DocumentType::PurchaseInvoice];

/// A supplier's invoice to record.
#[derive(Debug, Clone)]
pub(crate) struct RecordPurchaseInvoice {
    /// The supplier's number for it.
    pub(crate) supplier_number: String,
    /// The expense category (may be empty).
    pub(crate) category: String,
    /// Its supplier, dates and lines, decoded.
    pub(crate) purchase_invoice: DraftInput,
}

/// Records a purchase invoice once per idempotency `key` and enqueues
/// `purchase_invoice.recorded`; a replay answers what the first call answered, as
/// `answer` encoded it.
pub(crate) async fn record_purchase_invoice<R>(
    ctx: &Ctx,
    deps: &Deps,
    command: RecordPurchaseInvoice,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&Document) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    idempotent(
        ctx,
        deps,
        ("purchase_invoice.recorded", "RecordPurchaseInvoice"),
        (key, request),
        async |conn| {
            let new = NewDocument {
                input: &command.purchase_invoice,
                role: PartyRole::Supplier,
                due_default: DueDefault::None,
                document_type: DocumentType::PurchaseInvoice,
                status: Status::Issued,
                number: Some(&command.supplier_number),
                category: &command.category,
            };
            let invoice = create(conn, ctx.company_id, &ctx.actor, &new)
                .await
                .map_err(|err| match err {
                    Error::Db(db) if violated_constraint(&db) == Some(SUPPLIER_NUMBER_INDEX) => {
                        Error::SupplierNumberTaken {
                            supplier_number: command.supplier_number.clone(),
                        }
                    }
                    Error::Db(db) => Error::from(db),
                    other => other,
                })?;
            events::purchase_invoice_recorded(ctx.company_id, &ctx.actor, &invoice)
                .enqueue(conn)
                .await?;
            Ok(invoice)
        },
        answer,
    )
    .await
}

/// One purchase invoice.
pub(crate) async fn get_purchase_invoice(
    ctx: &Ctx,
    deps: &Deps,
    id: Uuid,
) -> Result<Document, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    documents::load(&mut tx, ctx.company_id, id, &PURCHASES)
        .await?
        .ok_or_else(|| Error::not_found("purchase invoice", id))
}

/// Which purchase invoices to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListPurchaseInvoices {
    /// Only this supplier's.
    pub(crate) party_id: Option<Uuid>,
    /// Only this category's (empty: all).
    pub(crate) category: String,
    /// The (created_at, id) the page starts after.
    pub(crate) after: Option<TimeIdCursor>,
    /// How many rows: one more than the page, to learn whether another follows.
    pub(crate) limit: i64,
}

/// A page of the company's purchase invoices, newest first.
pub(crate) async fn list_purchase_invoices(
    ctx: &Ctx,
    deps: &Deps,
    query: ListPurchaseInvoices,
) -> Result<Vec<Document>, Error> {
    let filter = documents::ListFilter {
        types: PURCHASES.to_vec(),
        status: None,
        standing: None,
        party_id: query.party_id,
        category: (!query.category.is_empty()).then_some(query.category.as_str()),
        after: query.after,
    };
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    Ok(documents::list(&mut tx, ctx.company_id, &filter, query.limit).await?)
}
