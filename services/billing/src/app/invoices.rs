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
//! lock of the book row that a concurrent SetLockDate waits for. A credit note takes back
//! only what its invoice charged, rate by rate (`domain::credit`).

use chrono::NaiveDate;
use comptoir_runtime::{Deps, FieldViolations};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::documents::{
    DraftInput, DueDefault, LineInput, ListDocuments, NewDocument, create, list, read_draft,
    read_lines, refuse_locked,
};
use super::{Ctx, idempotent};
use crate::domain::credit::check_credit;
use crate::domain::document::{Document, Totals};
use crate::domain::issuing;
use crate::domain::vat::Regime;
use crate::domain::{DocumentType, PartyKind, PartyRole, Status};
use crate::error::{Error, books_or};
use crate::events;
use crate::store::books;
use crate::store::documents::{self, Header, PartyCopy};

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
    idempotency: (&str, &impl prost::Message),
    answer: impl FnOnce(&Document) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    idempotent(
        ctx,
        deps,
        ("invoice.issued", "IssueInvoice"),
        idempotency,
        async |conn| issue(ctx, conn, max_days_ahead, &command).await,
        answer,
    )
    .await
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
    issuing::check_issuable(&invoice, &seller, date)?;
    let (number, sequence) =
        documents::next_number(conn, ctx.company_id, DocumentType::Invoice, date).await??;
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

/// A new draft invoice.
#[derive(Debug, Clone)]
pub(crate) struct CreateInvoice {
    /// The draft, decoded.
    pub(crate) invoice: DraftInput,
}

/// Creates a draft invoice once per idempotency `key`: its customer and items must be
/// the company's, its date after the lock date, its due date defaulting to the
/// customer's payment terms. A replay answers what the first call answered, as `answer`
/// encoded the draft.
pub(crate) async fn create_invoice<R>(
    ctx: &Ctx,
    deps: &Deps,
    command: CreateInvoice,
    idempotency: (&str, &impl prost::Message),
    answer: impl FnOnce(&Document) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let new = NewDocument {
        input: &command.invoice,
        role: PartyRole::Customer,
        due_default: DueDefault::PaymentTerms,
        document_type: DocumentType::Invoice,
        status: Status::Draft,
        number: None,
        category: "",
    };
    idempotent(
        ctx,
        deps,
        ("invoice.created", "CreateInvoice"),
        idempotency,
        async |conn| create(conn, ctx.company_id, &ctx.actor, &new).await,
        answer,
    )
    .await
}

/// A draft invoice's new content.
#[derive(Debug, Clone)]
pub(crate) struct UpdateInvoice {
    /// The draft.
    pub(crate) invoice_id: Uuid,
    /// Its new content, decoded.
    pub(crate) invoice: DraftInput,
}

/// Replaces a draft invoice's content, checked as when it was created; an issued
/// invoice is frozen.
pub(crate) async fn update_invoice(
    ctx: &Ctx,
    deps: &Deps,
    command: UpdateInvoice,
) -> Result<Document, Error> {
    let id = command.invoice_id;
    let mut tx = ctx.begin(&deps.pool, "invoice.updated").await?;
    locked_draft(&mut tx, ctx.company_id, id).await?;
    let draft = read_draft(
        &mut tx,
        ctx.company_id,
        &command.invoice,
        PartyRole::Customer,
        DueDefault::PaymentTerms,
    )
    .await?;
    documents::replace_draft(
        &mut tx,
        ctx.company_id,
        id,
        DocumentType::Invoice,
        &draft.content(""),
        &ctx.actor,
    )
    .await?;
    let invoice = documents::load(&mut tx, ctx.company_id, id, &SALES)
        .await?
        .ok_or_else(|| Error::not_found("invoice", id))?;
    tx.commit().await?;
    Ok(invoice)
}

/// A credit note against an issued invoice.
#[derive(Debug, Clone)]
pub(crate) struct CreateCreditNote {
    /// The invoice credited.
    pub(crate) invoice_id: Uuid,
    /// The date asked for; None is today.
    pub(crate) issue_date: Option<NaiveDate>,
    /// Free notes.
    pub(crate) notes: String,
    /// What it takes back, decoded; empty takes back the whole invoice.
    pub(crate) lines: Vec<LineInput>,
}

/// Issues a credit note against an issued invoice once per idempotency `key`: dated
/// today or the date asked for (checked like an invoice's, and never before the
/// invoice's), taking back no more than the invoice has left to credit, rate by rate
/// (`domain::credit`), numbered in the credit note series, with `credit_note.issued`
/// written to the outbox. A replay answers what the first call answered, as `answer`
/// encoded the credit note.
pub(crate) async fn create_credit_note<R>(
    ctx: &Ctx,
    deps: &Deps,
    max_days_ahead: u16,
    command: CreateCreditNote,
    idempotency: (&str, &impl prost::Message),
    answer: impl FnOnce(&Document) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    idempotent(
        ctx,
        deps,
        ("credit_note.issued", "CreateCreditNote"),
        idempotency,
        async |conn| credit(ctx, conn, max_days_ahead, &command).await,
        answer,
    )
    .await
}

/// The body of [`create_credit_note`], in its transaction.
async fn credit(
    ctx: &Ctx,
    conn: &mut PgConnection,
    max_days_ahead: u16,
    command: &CreateCreditNote,
) -> Result<Document, Error> {
    let invoice_id = command.invoice_id;
    let invoice =
        documents::load_for_update(conn, ctx.company_id, invoice_id, &[DocumentType::Invoice])
            .await?
            .ok_or_else(|| Error::not_found("invoice", invoice_id))?;
    if invoice.status() != Status::Issued {
        return Err(Error::InvoiceNotIssued);
    }
    let calendar = books::calendar_for_issue(conn, ctx.company_id)
        .await
        .map_err(|err| books_or(err, ctx.company_id))?;
    let issue_date = self::issue_date(
        command.issue_date.unwrap_or(calendar.today),
        calendar.today,
        max_days_ahead,
        false,
    )?;
    refuse_locked(calendar.lock_date, issue_date, "issue_date")?;
    if issue_date < invoice.document_date {
        return Err(Error::invalid(
            "issue_date",
            "must not be before the credited invoice's date",
        ));
    }
    let lines = if command.lines.is_empty() {
        invoice.lines.iter().map(|l| l.to_line()).collect()
    } else {
        let regime = Regime::of_sale(
            PartyKind::from_stored(&invoice.party_kind) == Some(PartyKind::Private),
            &invoice.party_country_code,
        );
        read_lines(conn, ctx.company_id, "", &command.lines, &regime).await?
    };
    let totals = Totals::of(&lines);
    let credited = documents::credited_per_rate(conn, ctx.company_id, invoice_id).await?;
    let room = invoice.gross_total
        - credited
            .iter()
            .map(|c| c.taxable_amount + c.vat_amount)
            .sum::<Decimal>();
    if totals.gross_total > room {
        return Err(Error::CreditExceedsInvoice {
            credit_total: totals.gross_total,
            room,
            invoice_number: invoice.number.clone().unwrap_or_default(),
        });
    }
    let refusals = check_credit(&invoice.vat, &credited, &lines);
    if !refusals.rates_not_invoiced.is_empty() {
        return Err(Error::InvalidArgument(violations_of(
            refusals.rates_not_invoiced,
        )));
    }
    if !refusals.exceeding.is_empty() {
        return Err(Error::CreditExceedsRates(violations_of(refusals.exceeding)));
    }
    let party = PartyCopy::printed_on(&invoice, PartyRole::Customer);
    let content = documents::Content {
        party: &party,
        document_date: issue_date,
        due_date: None,
        lines: &lines,
        totals: &totals,
        vat_exemption: &invoice.vat_exemption,
        late_penalty_rate: None,
        recovery_fee: false,
        notes: &command.notes,
        oss: invoice.oss,
        category: "",
    };
    let (number, sequence) =
        documents::next_number(conn, ctx.company_id, DocumentType::CreditNote, issue_date)
            .await??;
    let document_id = Uuid::now_v7();
    let invoice_number = invoice.number.clone().unwrap_or_default();
    documents::insert(
        conn,
        ctx.company_id,
        &Header {
            document_id,
            document_type: DocumentType::CreditNote,
            status: Status::Issued,
            number: Some((&number, Some(sequence))),
            credited: Some((invoice_id, &invoice_number, invoice.document_date)),
            quote_id: None,
            actor: &ctx.actor,
        },
        &content,
    )
    .await?;
    let credit_note = documents::load(conn, ctx.company_id, document_id, &SALES)
        .await?
        .ok_or_else(|| Error::not_found("credit note", document_id))?;
    events::credit_note_issued(ctx.company_id, &ctx.actor, &credit_note)
        .enqueue(conn)
        .await?;
    Ok(credit_note)
}

/// Field violations from (field, reason) pairs.
fn violations_of(found: Vec<(String, String)>) -> FieldViolations {
    let mut violations = FieldViolations::new();
    for (field, reason) in found {
        violations.add(field, reason);
    }
    violations
}
