//! The invoices a company receives from its suppliers, one function per call of
//! `PurchaseService`. A purchase invoice is recorded already frozen (status issued, the
//! supplier's own number): there is no draft, so the database's frozen-document rule
//! guards it from its first statement. The supplier number is unique per supplier,
//! enforced by the `document_supplier_number` index and refused as
//! [`Error::SupplierNumberTaken`]. A supplier's e-invoice (Factur-X, CII, UBL) is
//! imported by [`import_purchase_invoice`]: read by `domain::einvoice`, then recorded
//! exactly as a hand-entered one, with its file kept beside it.

use comptoir_domain_types::fields::Violations;
use comptoir_runtime::Deps;
use comptoir_runtime::page::TimeIdCursor;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::documents::{DraftInput, DueDefault, LineInput, NewDocument, create};
use super::{Ctx, idempotent};
use crate::domain::document::Document;
use crate::domain::einvoice::{self, Format};
use crate::domain::{DocumentType, PartyRole, Status};
use crate::error::{Error, books_or};
use crate::events;
use crate::store::{documents, imports, parties, violated_constraint};

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
        async |conn| record(conn, ctx, &command).await,
        answer,
    )
    .await
}

/// Records `command` as a purchase invoice inside the caller's transaction and enqueues
/// `purchase_invoice.recorded`: what a hand-entered and an imported purchase invoice
/// share, so both are numbered, audited and published alike.
async fn record(
    conn: &mut PgConnection,
    ctx: &Ctx,
    command: &RecordPurchaseInvoice,
) -> Result<Document, Error> {
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
}

/// A supplier's e-invoice to import.
#[derive(Debug, Clone)]
pub(crate) struct ImportPurchaseInvoice {
    /// The file's name.
    pub(crate) file_name: String,
    /// Its bytes.
    pub(crate) content: Vec<u8>,
    /// The expense category (may be empty).
    pub(crate) category: String,
}

/// What an import did.
#[derive(Debug, Clone)]
pub(crate) struct Imported {
    /// The purchase invoice: the new one, or the one already recorded.
    pub(crate) invoice: Document,
    /// False when the supplier's number was already recorded.
    pub(crate) created: bool,
    /// The format the file was read as.
    pub(crate) format: Format,
    /// True when the supplier was created from the file.
    pub(crate) supplier_created: bool,
}

/// Imports a supplier's e-invoice no larger than `max_bytes`: reads and checks the file
/// (before any transaction: a refused file costs no connection and writes nothing),
/// refuses it unless it is addressed to the company, finds or creates the supplier, and
/// records the purchase invoice as [`record_purchase_invoice`] does, with the file kept
/// beside it, in one transaction. A number the supplier already has answers the purchase
/// invoice recorded under it, writing nothing.
pub(crate) async fn import_purchase_invoice(
    ctx: &Ctx,
    deps: &Deps,
    max_bytes: usize,
    import: ImportPurchaseInvoice,
) -> Result<Imported, Error> {
    let (format, received) =
        einvoice::read(&import.content, max_bytes).map_err(Error::EInvoiceRefused)?;
    let supplier = received.supplier().map_err(Error::EInvoiceRefused)?;
    let lines = received.lines().map_err(Error::EInvoiceRefused)?;
    let company_id = ctx.company_id;
    let mut tx = ctx.begin(&deps.pool, "purchase_invoice.imported").await?;
    let (siren, vat_number) = imports::company_identity(&mut tx, company_id)
        .await
        .map_err(|err| books_or(err, company_id))?;
    einvoice::check_buyer(&received.buyer, &siren, &vat_number).map_err(Error::EInvoiceRefused)?;

    // One import at a time per supplier identity, so a new supplier is created once.
    let identity = [&supplier.siren, &supplier.vat_number, &supplier.name]
        .into_iter()
        .find(|id| !id.is_empty())
        .cloned()
        .unwrap_or_default();
    imports::lock_supplier_identity(&mut tx, company_id, &identity).await?;
    let found =
        imports::find_supplier(&mut tx, company_id, &supplier.siren, &supplier.vat_number).await?;
    let (party_id, supplier_created) = match found {
        Some(party_id) => {
            if let Some(existing) =
                imports::purchase_invoice_numbered(&mut tx, company_id, party_id, &received.number)
                    .await?
            {
                let invoice = documents::load(&mut tx, company_id, existing, &PURCHASES)
                    .await?
                    .ok_or_else(|| Error::not_found("purchase invoice", existing))?;
                return Ok(Imported {
                    invoice,
                    created: false,
                    format,
                    supplier_created: false,
                });
            }
            (party_id, false)
        }
        None => {
            let mut violations = Violations::new();
            let Some(fields) = supplier.parse(PartyRole::Supplier, &mut violations) else {
                unreachable!("ReceivedInvoice::supplier checked the seller's fields");
            };
            let party = parties::insert(
                &mut tx,
                company_id,
                PartyRole::Supplier,
                &fields,
                &ctx.actor,
            )
            .await
            .map_err(|err| books_or(err, company_id))?;
            (party.party_id, true)
        }
    };
    let command = RecordPurchaseInvoice {
        supplier_number: received.number.clone(),
        category: import.category,
        purchase_invoice: DraftInput {
            field: "content".to_owned(),
            party_id,
            document_date: received.issue_date,
            due_date: received.due_date,
            vat_exemption: received.exemption(),
            notes: String::new(),
            late_penalty_rate: None,
            recovery_fee: false,
            lines: lines
                .into_iter()
                .map(|line| LineInput {
                    item_id: None,
                    description: line.description,
                    quantity: line.quantity,
                    unit: line.unit,
                    unit_price: Some(line.unit_price),
                    discount: line.discount,
                    vat_rate: Some(line.vat_rate),
                })
                .collect(),
        },
    };
    let invoice = record(&mut tx, ctx, &command).await?;
    let attachment = imports::Attachment {
        file_name: import.file_name,
        format,
        sha256: Sha256::digest(&import.content).to_vec(),
        content: import.content,
        created_at: None,
    };
    imports::insert_attachment(
        &mut tx,
        company_id,
        invoice.document_id,
        &attachment,
        &ctx.actor,
    )
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(Imported {
        invoice,
        created: true,
        format,
        supplier_created,
    })
}

/// The file purchase invoice `id` was imported from.
pub(crate) async fn purchase_invoice_attachment(
    ctx: &Ctx,
    deps: &Deps,
    id: Uuid,
) -> Result<imports::Attachment, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    imports::attachment(&mut tx, ctx.company_id, id)
        .await?
        .ok_or_else(|| Error::not_found("purchase invoice attachment", id))
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
