//! Quotes, one function per call of `QuoteService`: draft quotes, sending them with the
//! next number of the quote series, the customer's answer, and turning a quote into a
//! draft invoice.
//!
//! Quotes live in the same table as invoices. Unlike an issued invoice a sent quote is
//! not frozen by the database (its status still moves to accepted or refused), so the
//! rule "only a draft is edited" is this module's: every change locks the quote first
//! and checks its stored status. Expiry is never stored: a sent quote past its validity
//! date reads as expired ([`Document::status_on`]).

use comptoir_runtime::Deps;
use sqlx::PgConnection;
use uuid::Uuid;

use super::documents::{
    DraftInput, DueDefault, ListDocuments, NewDocument, create, list, read_draft, refuse_locked,
    today,
};
use super::{Ctx, idempotent};
use crate::domain::document::{Document, DocumentStatus, Totals, check_rates};
use crate::domain::quote::{Unanswerable, check_answerable, number_of};
use crate::domain::vat::Regime;
use crate::domain::{DocumentType, PartyRole, Status};
use crate::error::{Error, books_or};
use crate::events;
use crate::store::books;
use crate::store::documents::{self, Header};

/// Days a quote stays valid when the draft gives no end of validity.
const VALIDITY_DAYS: i64 = 30;

/// The quote `id`, locked until the transaction ends; NOT_FOUND when it is not one of
/// the company's quotes.
async fn locked_quote(
    conn: &mut PgConnection,
    company_id: Uuid,
    id: Uuid,
) -> Result<Document, Error> {
    documents::load_for_update(conn, company_id, id, &[DocumentType::Quote])
        .await?
        .ok_or_else(|| Error::not_found("quote", id))
}

/// FAILED_PRECONDITION unless `quote` is a sent quote still valid today
/// (`domain::quote`); `action` says what was asked, for the message.
fn ensure_sent_and_valid(quote: &Document, action: &'static str) -> Result<(), Error> {
    check_answerable(quote, today()).map_err(|refusal| match refusal {
        Unanswerable::Expired { on } => Error::QuoteExpired {
            number: number_of(quote),
            expired_on: on,
            action,
        },
        Unanswerable::NotSent => Error::QuoteNotSent {
            number: number_of(quote),
            status: quote.status.clone(),
            action,
        },
    })
}

/// Moves a sent quote to accepted and writes `quote.accepted` to the outbox.
async fn accept(conn: &mut PgConnection, ctx: &Ctx, quote: &mut Document) -> Result<(), Error> {
    let id = quote.document_id;
    if !documents::set_status(
        conn,
        ctx.company_id,
        id,
        &[Status::Sent],
        Status::Accepted,
        &ctx.actor,
    )
    .await?
    {
        return Err(Error::QuoteNoLongerSent {
            number: number_of(quote),
        });
    }
    quote.status = Status::Accepted.as_str().to_owned();
    quote.updated_by = ctx.actor.clone();
    quote.updated_at = chrono::Utc::now();
    events::quote_accepted(ctx.company_id, &ctx.actor, quote)
        .enqueue(conn)
        .await?;
    Ok(())
}

async fn send(ctx: &Ctx, conn: &mut PgConnection, id: Uuid) -> Result<Document, Error> {
    let mut quote = locked_quote(conn, ctx.company_id, id).await?;
    if quote.status() != Status::Draft {
        return Err(not_draft(&quote));
    }
    let lock_date = books::lock_date(conn, ctx.company_id)
        .await
        .map_err(|err| books_or(err, ctx.company_id))?;
    let date = quote.document_date;
    refuse_locked(lock_date, date, "quote.document_date")?;
    let (number, sequence) =
        documents::next_number(conn, ctx.company_id, DocumentType::Quote, date).await??;
    let numbered = documents::Numbered {
        number: &number,
        sequence,
        status: Status::Sent,
        document_date: date,
        due_date: quote.due_date,
    };
    let sent = documents::issue(conn, ctx.company_id, id, &numbered, &ctx.actor).await?;
    if !sent {
        return Err(not_draft(&quote));
    }
    quote.status = Status::Sent.as_str().to_owned();
    quote.number = Some(number);
    quote.sequence = Some(sequence);
    quote.updated_by = ctx.actor.clone();
    quote.updated_at = chrono::Utc::now();
    Ok(quote)
}

async fn convert(ctx: &Ctx, conn: &mut PgConnection, id: Uuid) -> Result<Document, Error> {
    let mut quote = locked_quote(conn, ctx.company_id, id).await?;
    // The quote is locked: two conversions queue, and the second sees the first.
    if let Some((invoice, number)) = documents::invoice_of_quote(conn, ctx.company_id, id).await? {
        return Err(match number {
            Some(invoice_number) => Error::QuoteAlreadyInvoiced {
                number: number_of(&quote),
                invoice_number,
            },
            None => Error::QuoteHasDraftInvoice {
                number: number_of(&quote),
                invoice_id: invoice,
            },
        });
    }
    let was_sent = match quote.status_on(today()) {
        DocumentStatus::Accepted => false,
        _ => {
            ensure_sent_and_valid(&quote, "converted to an invoice")?;
            true
        }
    };
    // The invoice names the customer as it is now, not as the quote printed it.
    let party = documents::party_copy(conn, ctx.company_id, quote.party_id)
        .await?
        .ok_or_else(|| Error::not_found("party", quote.party_id))?;
    if party.archived {
        return Err(Error::QuoteCustomerArchived { name: party.name });
    }
    let lines: Vec<_> = quote.lines.iter().map(|l| l.to_line()).collect();
    // The customer may have moved since the quote; its rates must still fit the sale.
    let regime = Regime::of_sale(party.is_private(), &party.address_country_code);
    if let Some((line, reason)) = check_rates(&lines, &regime).into_iter().next() {
        return Err(Error::QuoteRatesOutdated { line, reason });
    }
    let lock_date = books::lock_date(conn, ctx.company_id)
        .await
        .map_err(|err| books_or(err, ctx.company_id))?;
    let document_date = today();
    refuse_locked(lock_date, document_date, "document_date")?;
    let totals = Totals::of(&lines);
    let row = &quote;
    let content = documents::Content {
        party: &party,
        document_date,
        due_date: Some(
            document_date + chrono::TimeDelta::days(i64::from(party.payment_terms_days)),
        ),
        lines: &lines,
        totals: &totals,
        vat_exemption: &row.vat_exemption,
        late_penalty_rate: row.late_penalty_rate,
        recovery_fee: row.recovery_fee,
        notes: &row.notes,
        oss: regime.is_oss(),
        category: "",
    };
    let invoice_id = Uuid::now_v7();
    documents::insert(
        conn,
        ctx.company_id,
        &Header {
            document_id: invoice_id,
            document_type: DocumentType::Invoice,
            status: Status::Draft,
            number: None,
            credited: None,
            quote_id: Some(id),
            actor: &ctx.actor,
        },
        &content,
    )
    .await?;
    if was_sent {
        accept(conn, ctx, &mut quote).await?;
    }
    let invoice = documents::load(conn, ctx.company_id, invoice_id, &[DocumentType::Invoice])
        .await?
        .ok_or_else(|| Error::not_found("invoice", invoice_id))?;
    Ok(invoice)
}

fn not_draft(quote: &Document) -> Error {
    Error::QuoteNotDraft {
        number: number_of(quote),
        status: quote.status.clone(),
    }
}

/// A new draft quote.
#[derive(Debug, Clone)]
pub(crate) struct CreateQuote {
    /// The draft, decoded.
    pub(crate) quote: DraftInput,
}

/// Creates a draft quote once per idempotency `key`, valid 30 days unless it says
/// otherwise. A replay answers what the first call answered, as `answer` encoded the
/// draft.
pub(crate) async fn create_quote<R>(
    ctx: &Ctx,
    deps: &Deps,
    command: CreateQuote,
    idempotency: (&str, &impl prost::Message),
    answer: impl FnOnce(&Document) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let new = NewDocument {
        input: &command.quote,
        role: PartyRole::Customer,
        due_default: DueDefault::Days(VALIDITY_DAYS),
        document_type: DocumentType::Quote,
        status: Status::Draft,
        number: None,
        category: "",
    };
    idempotent(
        ctx,
        deps,
        ("quote.created", "CreateQuote"),
        idempotency,
        async |conn| create(conn, ctx.company_id, &ctx.actor, &new).await,
        answer,
    )
    .await
}

/// One quote.
pub(crate) async fn get_quote(ctx: &Ctx, deps: &Deps, id: Uuid) -> Result<Document, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    documents::load(&mut tx, ctx.company_id, id, &[DocumentType::Quote])
        .await?
        .ok_or_else(|| Error::not_found("quote", id))
}

/// A draft quote's new content.
#[derive(Debug, Clone)]
pub(crate) struct UpdateQuote {
    /// The draft.
    pub(crate) quote_id: Uuid,
    /// Its new content, decoded.
    pub(crate) quote: DraftInput,
}

/// Replaces a draft quote's content, checked as when it was created; a sent quote no
/// longer changes.
pub(crate) async fn update_quote(
    ctx: &Ctx,
    deps: &Deps,
    command: UpdateQuote,
) -> Result<Document, Error> {
    let id = command.quote_id;
    let mut tx = ctx.begin(&deps.pool, "quote.updated").await?;
    let quote = locked_quote(&mut tx, ctx.company_id, id).await?;
    if quote.status() != Status::Draft {
        return Err(not_draft(&quote));
    }
    let draft = read_draft(
        &mut tx,
        ctx.company_id,
        &command.quote,
        PartyRole::Customer,
        DueDefault::Days(VALIDITY_DAYS),
    )
    .await?;
    documents::replace_draft(
        &mut tx,
        ctx.company_id,
        id,
        DocumentType::Quote,
        &draft.content(""),
        &ctx.actor,
    )
    .await?;
    let quote = documents::load(&mut tx, ctx.company_id, id, &[DocumentType::Quote])
        .await?
        .ok_or_else(|| Error::not_found("quote", id))?;
    tx.commit().await?;
    Ok(quote)
}

/// Sends a draft quote: numbered in the quote series, dated as drafted (after the lock
/// date).
pub(crate) async fn send_quote(ctx: &Ctx, deps: &Deps, id: Uuid) -> Result<Document, Error> {
    let mut tx = ctx.begin(&deps.pool, "quote.sent").await?;
    let quote = send(ctx, &mut tx, id).await?;
    tx.commit().await?;
    Ok(quote)
}

/// Records a sent, still valid quote as accepted, with `quote.accepted` written to the
/// outbox.
pub(crate) async fn accept_quote(ctx: &Ctx, deps: &Deps, id: Uuid) -> Result<Document, Error> {
    let mut tx = ctx.begin(&deps.pool, "quote.accepted").await?;
    let mut quote = locked_quote(&mut tx, ctx.company_id, id).await?;
    ensure_sent_and_valid(&quote, "accepted")?;
    accept(&mut tx, ctx, &mut quote).await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(quote)
}

/// Records a sent quote as refused, expired or not: the answer is recorded all the
/// same.
pub(crate) async fn refuse_quote(ctx: &Ctx, deps: &Deps, id: Uuid) -> Result<Document, Error> {
    let mut tx = ctx.begin(&deps.pool, "quote.refused").await?;
    let mut quote = locked_quote(&mut tx, ctx.company_id, id).await?;
    let refused = quote.status() == Status::Sent
        && documents::set_status(
            &mut tx,
            ctx.company_id,
            id,
            &[Status::Sent],
            Status::Refused,
            &ctx.actor,
        )
        .await?;
    if !refused {
        return Err(Error::QuoteNotSent {
            number: number_of(&quote),
            status: quote.status.clone(),
            action: "refused",
        });
    }
    quote.status = Status::Refused.as_str().to_owned();
    quote.updated_by = ctx.actor.clone();
    quote.updated_at = chrono::Utc::now();
    tx.commit().await?;
    Ok(quote)
}

/// Turns a sent (then accepted) or accepted quote into a draft invoice once per
/// idempotency `key`; a quote makes one invoice until that draft is deleted. A replay
/// answers what the first call answered, as `answer` encoded the invoice.
pub(crate) async fn convert_quote_to_invoice<R>(
    ctx: &Ctx,
    deps: &Deps,
    id: Uuid,
    idempotency: (&str, &impl prost::Message),
    answer: impl FnOnce(&Document) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    idempotent(
        ctx,
        deps,
        ("quote.converted", "ConvertQuoteToInvoice"),
        idempotency,
        async |conn| convert(ctx, conn, id).await,
        answer,
    )
    .await
}

/// A page of the company's quotes, newest first (whatever types `query` names).
pub(crate) async fn list_quotes(
    ctx: &Ctx,
    deps: &Deps,
    query: ListDocuments,
) -> Result<Vec<Document>, Error> {
    let query = ListDocuments {
        types: vec![DocumentType::Quote],
        ..query
    };
    list(ctx, deps, query).await
}
