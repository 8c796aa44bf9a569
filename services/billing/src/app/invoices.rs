//! Invoices and credit notes, one function per call of `InvoiceService`.
//!
//! Issuing is one transaction: lock the draft, check its mentions, take the series'
//! next number (the series row stays locked until commit, so concurrent issuers queue
//! and a rollback — a crash included — gives the number back), freeze the document and
//! write `invoice.issued` to the outbox. The number is taken last, so the series is held
//! only for the few statements that must see it.
//!
//! The date issued is the date asked for (or the draft's), at most a few days ahead of
//! today in the company's time zone (`domain::issuing`), read with the lock date under a
//! lock of the book row that a concurrent SetLockDate waits for.

use chrono::NaiveDate;
use comptoir_runtime::{Deps, FieldViolations};
use sqlx::PgConnection;
use uuid::Uuid;

use super::documents::{ListDocuments, list, next_number, refuse_locked};
use super::{Ctx, once};
use crate::domain::document::Document;
use crate::domain::issuing::{self, Unissuable};
use crate::domain::{DocumentType, Status};
use crate::error::Error;
use crate::events;
use crate::store::documents;

/// The types `InvoiceService` reads and lists.
pub(crate) const SALES: [DocumentType; 2] = [DocumentType::Invoice, DocumentType::CreditNote];

/// The draft invoice `id`, locked; NOT_FOUND when it is not one of the company's invoices,
/// FAILED_PRECONDITION when it is no longer a draft.
pub(crate) async fn locked_draft(
    conn: &mut PgConnection,
    company_id: Uuid,
    id: Uuid,
) -> Result<Document, Error> {
    let invoice = documents::load_for_update(conn, company_id, id, &[DocumentType::Invoice])
        .await?
        .ok_or_else(|| Error::not_found("invoice", id))?;
    refuse_frozen(&invoice)?;
    Ok(invoice)
}

/// FAILED_PRECONDITION (DOCUMENT_FROZEN) unless `invoice` is a draft.
fn refuse_frozen(invoice: &Document) -> Result<(), Error> {
    if invoice.status() == Status::Draft {
        return Ok(());
    }
    Err(Error::Frozen(format!(
        "invoice {} is issued and never changes; correct it with a credit note",
        invoice.number.as_deref().unwrap_or_default()
    )))
}

/// The date a document asked to be dated `requested` is issued with, `today` being the
/// company's; INVALID_ARGUMENT naming `issue_date` when it is too far ahead (`from_draft`
/// says the date came from the draft, not the request).
pub(crate) fn issue_date(
    requested: NaiveDate,
    today: NaiveDate,
    max_days_ahead: u16,
    from_draft: bool,
) -> Result<NaiveDate, Error> {
    issuing::issue_date(requested, today, max_days_ahead).map_err(|latest| {
        let whose = if from_draft {
            "the draft's date"
        } else {
            "the date"
        };
        Error::invalid(
            "issue_date",
            format!(
                "{whose} {requested} is more than {max_days_ahead} days after today ({today}): \
                 a document is dated the day it is issued, at the latest {latest}"
            ),
        )
    })
}

/// One sales document (invoice or credit note).
pub(crate) async fn get_invoice(ctx: &Ctx, deps: &Deps, id: Uuid) -> Result<Document, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    documents::load(&mut tx, ctx.company_id, id, &SALES)
        .await?
        .ok_or_else(|| Error::not_found("invoice", id))
}

/// Deletes a draft invoice; an issued one is frozen.
pub(crate) async fn delete_invoice(ctx: &Ctx, deps: &Deps, id: Uuid) -> Result<(), Error> {
    let mut tx = ctx.begin(&deps.pool, "invoice.deleted").await?;
    locked_draft(&mut tx, ctx.company_id, id).await?;
    documents::delete_draft(&mut tx, ctx.company_id, id, DocumentType::Invoice).await?;
    tx.commit().await?;
    Ok(())
}

/// A page of the company's invoices and credit notes, newest first.
pub(crate) async fn list_invoices(
    ctx: &Ctx,
    deps: &Deps,
    query: ListDocuments,
) -> Result<Vec<Document>, Error> {
    list(ctx, deps, query).await
}

/// Issue a draft invoice, dated `issue_date` (or the draft's date).
#[derive(Debug, Clone)]
pub(crate) struct IssueInvoice {
    /// The draft.
    pub(crate) invoice_id: Uuid,
    /// The date asked for; None keeps the draft's.
    pub(crate) issue_date: Option<NaiveDate>,
}

/// Issues a draft invoice once per idempotency `key`: the issue date checked against
/// today and the lock date, the mandatory mentions and the due date checked
/// (`domain::issuing`), the next number taken, the document frozen and `invoice.issued`
/// written to the outbox, all in one transaction. A replay answers what the first call
/// answered, as `answer` encoded the issued invoice; at most `max_days_ahead` days ahead
/// of today may an invoice be dated.
pub(crate) async fn issue_invoice<R>(
    ctx: &Ctx,
    deps: &Deps,
    max_days_ahead: u16,
    command: IssueInvoice,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&Document) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let mut tx = ctx.begin(&deps.pool, "invoice.issued").await?;
    let response = once(
        &mut tx,
        &ctx.scope("IssueInvoice"),
        key,
        request,
        async |conn| {
            let invoice = issue(ctx, conn, max_days_ahead, &command).await?;
            Ok(answer(&invoice))
        },
    )
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(response)
}

/// The body of [`issue_invoice`], in its transaction.
async fn issue(
    ctx: &Ctx,
    conn: &mut PgConnection,
    max_days_ahead: u16,
    command: &IssueInvoice,
) -> Result<Document, Error> {
    let id = command.invoice_id;
    let (mut invoice, seller, calendar) =
        documents::load_for_issue(conn, ctx.company_id, id, DocumentType::Invoice)
            .await?
            .ok_or_else(|| Error::not_found("invoice", id))?;
    refuse_frozen(&invoice)?;
    let date = issue_date(
        command.issue_date.unwrap_or(invoice.document_date),
        calendar.today,
        max_days_ahead,
        command.issue_date.is_none(),
    )?;
    refuse_locked(calendar.lock_date, date, "issue_date")?;
    issuing::check_issuable(&invoice, &seller, date).map_err(|refusal| match refusal {
        Unissuable::MissingMentions(missing) => Error::MissingMentions(violations_of(missing)),
        Unissuable::DueDateBeforeIssueDate => Error::DueDateBeforeIssueDate { issue_date: date },
    })?;
    let (number, sequence) = next_number(conn, ctx.company_id, DocumentType::Invoice, date).await?;
    let numbered = documents::Numbered {
        number: &number,
        sequence,
        status: Status::Issued,
        document_date: date,
        due_date: invoice.due_date,
    };
    if !documents::issue(conn, ctx.company_id, id, &numbered, &ctx.actor).await? {
        return Err(Error::Frozen(format!("invoice {id} is no longer a draft")));
    }
    invoice.status = Status::Issued.as_str().to_owned();
    invoice.number = Some(number);
    invoice.sequence = Some(sequence);
    invoice.document_date = date;
    invoice.updated_by = ctx.actor.clone();
    events::invoice_issued(ctx.company_id, &ctx.actor, &invoice)
        .enqueue(conn)
        .await?;
    Ok(invoice)
}

/// Field violations from (field, reason) pairs.
pub(crate) fn violations_of(found: Vec<(String, String)>) -> FieldViolations {
    let mut violations = FieldViolations::new();
    for (field, reason) in found {
        violations.add(field, reason);
    }
    violations
}
