//! `comptoir.billing.v1.QuoteService`: draft quotes, sending them with the next number
//! of the quote series, the customer's answer, and turning a quote into a draft invoice.
//!
//! Quotes live in the same table as invoices. Unlike an issued invoice a sent quote is
//! not frozen by the database (its status still moves to accepted or refused), so the
//! rule "only a draft is edited" is this module's: every change locks the quote first
//! and checks its stored status. Expiry is never stored: a sent quote past its validity
//! date reads as expired ([`Document::status_on`]).

use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations, permissions};
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::documents::{
    DueDefault, NewDocument, create, document_to_pb, read_draft, status_from_pb,
};
use super::{authorize, ensure_valid, keyset_page};
use crate::app::documents::{next_number, refuse_locked, today};
use crate::app::{Ctx, once};
use crate::domain::document::{Document, DocumentStatus, Totals, check_rates};
use crate::domain::vat::Regime;
use crate::domain::{DocumentType, PartyRole, Status as Stored};
use crate::error::Error;
use crate::events;
use crate::store::books;
use crate::store::documents::{self, Header};

/// Days a quote stays valid when the draft gives no end of validity.
const VALIDITY_DAYS: i64 = 30;

pub(crate) fn server(deps: Deps) -> pb::quote_service_server::QuoteServiceServer<Quotes> {
    pb::quote_service_server::QuoteServiceServer::new(Quotes { deps })
}

pub(crate) struct Quotes {
    deps: Deps,
}

/// Who may read quotes: their authors and anyone who reads the sales documents.
const READERS: [&str; 2] = [permissions::QUOTES_WRITE, permissions::INVOICES_READ];

fn quote_id(violations: &mut FieldViolations, value: &str) -> Uuid {
    violations.uuid("quote_id", value).unwrap_or_default()
}

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

/// FAILED_PRECONDITION unless `quote` is a sent quote still valid today.
fn ensure_sent_and_valid(quote: &Document, action: &'static str) -> Result<(), Error> {
    match quote.status_on(today()) {
        DocumentStatus::Sent => Ok(()),
        DocumentStatus::Expired => Err(Error::QuoteExpired {
            number: number_of(quote),
            expired_on: quote.due_date.unwrap_or_default(),
            action,
        }),
        _ => Err(Error::QuoteNotSent {
            number: number_of(quote),
            status: quote.status.clone(),
            action,
        }),
    }
}

fn number_of(quote: &Document) -> String {
    quote
        .number
        .clone()
        .unwrap_or_else(|| quote.document_id.to_string())
}

/// Moves a sent quote to accepted and writes `quote.accepted` to the outbox.
async fn accept(conn: &mut PgConnection, ctx: &Ctx, quote: &mut Document) -> Result<(), Error> {
    let id = quote.document_id;
    if !documents::set_status(
        conn,
        ctx.company_id,
        id,
        &[Stored::Sent],
        Stored::Accepted,
        &ctx.actor,
    )
    .await?
    {
        return Err(Error::QuoteNoLongerSent {
            number: number_of(quote),
        });
    }
    quote.status = Stored::Accepted.as_str().to_owned();
    quote.updated_by = ctx.actor.clone();
    quote.updated_at = chrono::Utc::now();
    events::quote_accepted(ctx.company_id, &ctx.actor, quote)
        .enqueue(conn)
        .await?;
    Ok(())
}

impl Quotes {
    async fn send(&self, ctx: &Ctx, conn: &mut PgConnection, id: Uuid) -> Result<Document, Error> {
        let mut quote = locked_quote(conn, ctx.company_id, id).await?;
        if quote.status() != Stored::Draft {
            return Err(not_draft(&quote));
        }
        let lock_date = books::lock_date(conn, ctx.company_id)
            .await
            .map_err(|err| super::books_or(err, ctx.company_id))?;
        let date = quote.document_date;
        refuse_locked(lock_date, date, "quote.document_date")?;
        let (number, sequence) =
            next_number(conn, ctx.company_id, DocumentType::Quote, date).await?;
        let numbered = documents::Numbered {
            number: &number,
            sequence,
            status: Stored::Sent,
            document_date: date,
            due_date: quote.due_date,
        };
        let sent = documents::issue(conn, ctx.company_id, id, &numbered, &ctx.actor).await?;
        if !sent {
            return Err(not_draft(&quote));
        }
        quote.status = Stored::Sent.as_str().to_owned();
        quote.number = Some(number);
        quote.sequence = Some(sequence);
        quote.updated_by = ctx.actor.clone();
        quote.updated_at = chrono::Utc::now();
        Ok(quote)
    }

    async fn convert(
        &self,
        ctx: &Ctx,
        conn: &mut PgConnection,
        id: Uuid,
    ) -> Result<pb::ConvertQuoteToInvoiceResponse, Error> {
        let mut quote = locked_quote(conn, ctx.company_id, id).await?;
        // The quote is locked: two conversions queue, and the second sees the first.
        if let Some((invoice, number)) =
            documents::invoice_of_quote(conn, ctx.company_id, id).await?
        {
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
            .map_err(|err| super::books_or(err, ctx.company_id))?;
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
                status: Stored::Draft,
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
        Ok(pb::ConvertQuoteToInvoiceResponse {
            invoice: Some(document_to_pb(&invoice)),
        })
    }
}

fn not_draft(quote: &Document) -> Error {
    Error::QuoteNotDraft {
        number: number_of(quote),
        status: quote.status.clone(),
    }
}

#[tonic::async_trait]
impl pb::quote_service_server::QuoteService for Quotes {
    async fn create_quote(
        &self,
        request: Request<pb::CreateQuoteRequest>,
    ) -> Result<Response<pb::CreateQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::QUOTES_WRITE])?;
        let request = request.into_inner();
        let mut tx = ctx.begin(&self.deps.pool, "quote.created").await?;
        let response = once(
            &mut tx,
            &ctx.scope("CreateQuote"),
            &request.idempotency_key,
            &request,
            async |conn| {
                let new = NewDocument {
                    field: "quote",
                    input: request.quote.as_ref(),
                    role: PartyRole::Customer,
                    due_default: DueDefault::Days(VALIDITY_DAYS),
                    document_type: DocumentType::Quote,
                    status: Stored::Draft,
                    number: None,
                    category: "",
                };
                let loaded = create(conn, ctx.company_id, &ctx.actor, &new).await?;
                Ok(pb::CreateQuoteResponse {
                    quote: Some(document_to_pb(&loaded)),
                })
            },
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(response))
    }

    async fn get_quote(
        &self,
        request: Request<pb::GetQuoteRequest>,
    ) -> Result<Response<pb::GetQuoteResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let mut violations = FieldViolations::new();
        let id = quote_id(&mut violations, &request.get_ref().quote_id);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let loaded = documents::load(&mut tx, ctx.company_id, id, &[DocumentType::Quote])
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("quote", id))?;
        Ok(Response::new(pb::GetQuoteResponse {
            quote: Some(document_to_pb(&loaded)),
        }))
    }

    async fn update_quote(
        &self,
        request: Request<pb::UpdateQuoteRequest>,
    ) -> Result<Response<pb::UpdateQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::QUOTES_WRITE])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let id = quote_id(&mut violations, &request.quote_id);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "quote.updated").await?;
        let quote = locked_quote(&mut tx, ctx.company_id, id).await?;
        if quote.status() != Stored::Draft {
            return Err(not_draft(&quote).into());
        }
        let draft = read_draft(
            &mut tx,
            ctx.company_id,
            "quote",
            request.quote.as_ref(),
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
        .await
        .map_err(Error::from)?;
        let loaded = documents::load(&mut tx, ctx.company_id, id, &[DocumentType::Quote])
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("quote", id))?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::UpdateQuoteResponse {
            quote: Some(document_to_pb(&loaded)),
        }))
    }

    async fn send_quote(
        &self,
        request: Request<pb::SendQuoteRequest>,
    ) -> Result<Response<pb::SendQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::QUOTES_WRITE])?;
        let mut violations = FieldViolations::new();
        let id = quote_id(&mut violations, &request.get_ref().quote_id);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "quote.sent").await?;
        let quote = self.send(&ctx, &mut tx, id).await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::SendQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn accept_quote(
        &self,
        request: Request<pb::AcceptQuoteRequest>,
    ) -> Result<Response<pb::AcceptQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::QUOTES_WRITE])?;
        let mut violations = FieldViolations::new();
        let id = quote_id(&mut violations, &request.get_ref().quote_id);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "quote.accepted").await?;
        let mut quote = locked_quote(&mut tx, ctx.company_id, id).await?;
        ensure_sent_and_valid(&quote, "accepted")?;
        accept(&mut tx, &ctx, &mut quote).await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(pb::AcceptQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn refuse_quote(
        &self,
        request: Request<pb::RefuseQuoteRequest>,
    ) -> Result<Response<pb::RefuseQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::QUOTES_WRITE])?;
        let mut violations = FieldViolations::new();
        let id = quote_id(&mut violations, &request.get_ref().quote_id);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "quote.refused").await?;
        let mut quote = locked_quote(&mut tx, ctx.company_id, id).await?;
        // An expired quote may still be refused: the answer is recorded all the same.
        let refused = quote.status() == Stored::Sent
            && documents::set_status(
                &mut tx,
                ctx.company_id,
                id,
                &[Stored::Sent],
                Stored::Refused,
                &ctx.actor,
            )
            .await
            .map_err(Error::from)?;
        if !refused {
            return Err(Error::QuoteNotSent {
                number: number_of(&quote),
                status: quote.status.clone(),
                action: "refused",
            }
            .into());
        }
        quote.status = Stored::Refused.as_str().to_owned();
        quote.updated_by = ctx.actor.clone();
        quote.updated_at = chrono::Utc::now();
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::RefuseQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn convert_quote_to_invoice(
        &self,
        request: Request<pb::ConvertQuoteToInvoiceRequest>,
    ) -> Result<Response<pb::ConvertQuoteToInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_WRITE])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let id = quote_id(&mut violations, &request.quote_id);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "quote.converted").await?;
        let response = once(
            &mut tx,
            &ctx.scope("ConvertQuoteToInvoice"),
            &request.idempotency_key,
            &request,
            async |conn| self.convert(&ctx, conn, id).await,
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(response))
    }

    async fn list_quotes(
        &self,
        request: Request<pb::ListQuotesRequest>,
    ) -> Result<Response<pb::ListQuotesResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let wanted = status_from_pb(request.status);
        if matches!(
            wanted,
            Some(DocumentStatus::Issued | DocumentStatus::PartiallyPaid | DocumentStatus::Paid)
        ) {
            violations.add("status", "is not a status a quote has");
        }
        let party_id = (!request.party_id.is_empty())
            .then(|| violations.uuid("party_id", &request.party_id))
            .flatten();
        let (page, after) = keyset_page(&mut violations, request.page_size, &request.page_token)?;
        let (status, standing) = wanted.map(|s| s.filter(today())).unzip();
        let standing = standing.flatten();
        let filter = documents::ListFilter {
            types: vec![DocumentType::Quote],
            status,
            standing,
            party_id,
            category: None,
            after,
        };
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let mut rows = documents::list(&mut tx, ctx.company_id, &filter, page.fetch_limit())
            .await
            .map_err(Error::from)?;
        let next_page_token =
            page.finish(&mut rows, |l| time_id_cursor(l.created_at, l.document_id));
        Ok(Response::new(pb::ListQuotesResponse {
            quotes: rows.iter().map(document_to_pb).collect(),
            next_page_token,
        }))
    }
}
