//! `comptoir.billing.v1.InvoiceService`: draft invoices, issuing them with the next
//! number of their series, and credit notes.
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
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations, permissions};
use prometheus::IntCounter;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::books::document_type_from_pb;
use super::documents::{
    DueDefault, NewDocument, create, document_to_pb, read_draft, read_lines, status_from_pb,
};
use super::{authorize, ensure_valid, keyset_page, optional_date, text};
use crate::app::documents::{ListDocuments, next_number, refuse_locked};
use crate::app::invoices::{self, IssueInvoice, SALES, locked_draft, violations_of};
use crate::app::{Ctx, once};
use crate::domain::credit::check_credit;
use crate::domain::document::Totals;
use crate::domain::vat::Regime;
use crate::domain::{DocumentType, PartyKind, PartyRole, Status as Stored};
use crate::error::Error;
use crate::events;
use crate::store::books;
use crate::store::documents::{self, Header, PartyCopy};

pub(crate) fn server(
    deps: Deps,
    max_days_ahead: u16,
) -> anyhow::Result<pb::invoice_service_server::InvoiceServiceServer<Invoices>> {
    let issued = IntCounter::new(
        "comptoir_invoices_issued_total",
        "Invoices and credit notes issued (numbered and frozen).",
    )?;
    deps.metrics.register(Box::new(issued.clone()))?;
    Ok(pb::invoice_service_server::InvoiceServiceServer::new(
        Invoices {
            deps,
            issued,
            max_days_ahead,
        },
    ))
}

pub(crate) struct Invoices {
    deps: Deps,
    issued: IntCounter,
    /// How many days ahead of today a document may be issued.
    max_days_ahead: u16,
}

fn invoice_id(violations: &mut FieldViolations, value: &str) -> Uuid {
    violations.uuid("invoice_id", value).unwrap_or_default()
}

impl Invoices {
    async fn credit(
        &self,
        ctx: &Ctx,
        conn: &mut PgConnection,
        request: &pb::CreateCreditNoteRequest,
        invoice_id: Uuid,
        issue_date: Option<NaiveDate>,
        notes: &str,
    ) -> Result<pb::CreateCreditNoteResponse, Error> {
        let invoice =
            documents::load_for_update(conn, ctx.company_id, invoice_id, &[DocumentType::Invoice])
                .await?
                .ok_or_else(|| Error::not_found("invoice", invoice_id))?;
        if invoice.status() != Stored::Issued {
            return Err(Error::InvoiceNotIssued);
        }
        let calendar = books::calendar_for_issue(conn, ctx.company_id)
            .await
            .map_err(|err| super::books_or(err, ctx.company_id))?;
        let issue_date = invoices::issue_date(
            issue_date.unwrap_or(calendar.today),
            calendar.today,
            self.max_days_ahead,
            false,
        )?;
        refuse_locked(calendar.lock_date, issue_date, "issue_date")?;
        if issue_date < invoice.document_date {
            return Err(Error::invalid(
                "issue_date",
                "must not be before the credited invoice's date",
            ));
        }
        let lines = if request.lines.is_empty() {
            invoice.lines.iter().map(|l| l.to_line()).collect()
        } else {
            let regime = Regime::of_sale(
                PartyKind::from_stored(&invoice.party_kind) == Some(PartyKind::Private),
                &invoice.party_country_code,
            );
            let mut violations = FieldViolations::new();
            read_lines(
                conn,
                ctx.company_id,
                "",
                &request.lines,
                &regime,
                &mut violations,
            )
            .await
            .map_err(strip_leading_dot)?
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
        let invoiced: Vec<_> = invoice.vat.clone();
        let refusals = check_credit(&invoiced, &credited, &lines);
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
            notes,
            oss: invoice.oss,
            category: "",
        };
        let (number, sequence) =
            next_number(conn, ctx.company_id, DocumentType::CreditNote, issue_date).await?;
        let document_id = Uuid::now_v7();
        let invoice_number = invoice.number.clone().unwrap_or_default();
        documents::insert(
            conn,
            ctx.company_id,
            &Header {
                document_id,
                document_type: DocumentType::CreditNote,
                status: Stored::Issued,
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
        Ok(pb::CreateCreditNoteResponse {
            credit_note: Some(document_to_pb(&credit_note)),
        })
    }
}

/// Credit note lines are named `lines[i]…` at the top of the request.
fn strip_leading_dot(err: Error) -> Error {
    match err {
        Error::InvalidArgument(violations) => {
            let mut renamed = FieldViolations::new();
            for (field, reason) in violations.iter() {
                renamed.add(field.trim_start_matches('.'), reason.clone());
            }
            Error::InvalidArgument(renamed)
        }
        other => other,
    }
}

#[tonic::async_trait]
impl pb::invoice_service_server::InvoiceService for Invoices {
    async fn create_invoice(
        &self,
        request: Request<pb::CreateInvoiceRequest>,
    ) -> Result<Response<pb::CreateInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_WRITE])?;
        let request = request.into_inner();
        let mut tx = ctx.begin(&self.deps.pool, "invoice.created").await?;
        let response = once(
            &mut tx,
            &ctx.scope("CreateInvoice"),
            &request.idempotency_key,
            &request,
            async |conn| {
                let new = NewDocument {
                    field: "invoice",
                    input: request.invoice.as_ref(),
                    role: PartyRole::Customer,
                    due_default: DueDefault::PaymentTerms,
                    document_type: DocumentType::Invoice,
                    status: Stored::Draft,
                    number: None,
                    category: "",
                };
                let loaded = create(conn, ctx.company_id, &ctx.actor, &new).await?;
                Ok(pb::CreateInvoiceResponse {
                    invoice: Some(document_to_pb(&loaded)),
                })
            },
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(response))
    }

    async fn get_invoice(
        &self,
        request: Request<pb::GetInvoiceRequest>,
    ) -> Result<Response<pb::GetInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_READ])?;
        let mut violations = FieldViolations::new();
        let id = invoice_id(&mut violations, &request.get_ref().invoice_id);
        ensure_valid(&mut violations)?;
        let invoice = invoices::get_invoice(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::GetInvoiceResponse {
            invoice: Some(document_to_pb(&invoice)),
        }))
    }

    async fn update_invoice(
        &self,
        request: Request<pb::UpdateInvoiceRequest>,
    ) -> Result<Response<pb::UpdateInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_WRITE])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let id = invoice_id(&mut violations, &request.invoice_id);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "invoice.updated").await?;
        locked_draft(&mut tx, ctx.company_id, id).await?;
        let draft = read_draft(
            &mut tx,
            ctx.company_id,
            "invoice",
            request.invoice.as_ref(),
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
        .await
        .map_err(Error::from)?;
        let loaded = documents::load(&mut tx, ctx.company_id, id, &SALES)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("invoice", id))?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::UpdateInvoiceResponse {
            invoice: Some(document_to_pb(&loaded)),
        }))
    }

    async fn delete_invoice(
        &self,
        request: Request<pb::DeleteInvoiceRequest>,
    ) -> Result<Response<pb::DeleteInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_WRITE])?;
        let mut violations = FieldViolations::new();
        let id = invoice_id(&mut violations, &request.get_ref().invoice_id);
        ensure_valid(&mut violations)?;
        invoices::delete_invoice(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::DeleteInvoiceResponse {}))
    }

    async fn list_invoices(
        &self,
        request: Request<pb::ListInvoicesRequest>,
    ) -> Result<Response<pb::ListInvoicesResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_READ])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let types = match document_type_from_pb(request.document_type) {
            None => SALES.to_vec(),
            Some(t) if SALES.contains(&t) => vec![t],
            Some(_) => {
                violations.add(
                    "document_type",
                    "must be DOCUMENT_TYPE_INVOICE or DOCUMENT_TYPE_CREDIT_NOTE",
                );
                Vec::new()
            }
        };
        let status = status_from_pb(request.status);
        let party_id = (!request.party_id.is_empty())
            .then(|| violations.uuid("party_id", &request.party_id))
            .flatten();
        let (page, after) = keyset_page(&mut violations, request.page_size, &request.page_token)?;
        let query = ListDocuments {
            types,
            status,
            party_id,
            after,
            limit: page.fetch_limit(),
        };
        let mut rows = invoices::list_invoices(&ctx, &self.deps, query).await?;
        let next_page_token =
            page.finish(&mut rows, |d| time_id_cursor(d.created_at, d.document_id));
        Ok(Response::new(pb::ListInvoicesResponse {
            invoices: rows.iter().map(document_to_pb).collect(),
            next_page_token,
        }))
    }

    async fn issue_invoice(
        &self,
        request: Request<pb::IssueInvoiceRequest>,
    ) -> Result<Response<pb::IssueInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_ISSUE])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let command = IssueInvoice {
            invoice_id: invoice_id(&mut violations, &request.invoice_id),
            issue_date: optional_date(&mut violations, "issue_date", &request.issue_date),
        };
        ensure_valid(&mut violations)?;
        let response = invoices::issue_invoice(
            &ctx,
            &self.deps,
            self.max_days_ahead,
            command,
            (&request.idempotency_key, &request),
            |invoice| pb::IssueInvoiceResponse {
                invoice: Some(document_to_pb(invoice)),
            },
        )
        .await?;
        self.issued.inc();
        Ok(Response::new(response))
    }

    async fn create_credit_note(
        &self,
        request: Request<pb::CreateCreditNoteRequest>,
    ) -> Result<Response<pb::CreateCreditNoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_ISSUE])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let id = invoice_id(&mut violations, &request.invoice_id);
        let issue_date = optional_date(&mut violations, "issue_date", &request.issue_date);
        let notes = text(&mut violations, "notes", &request.notes, 2000);
        if request.lines.len() > crate::domain::document::MAX_LINES {
            violations.add("lines", "has too many lines");
        }
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "credit_note.issued").await?;
        let response = once(
            &mut tx,
            &ctx.scope("CreateCreditNote"),
            &request.idempotency_key,
            &request,
            async |conn| {
                self.credit(&ctx, conn, &request, id, issue_date, &notes)
                    .await
            },
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        self.issued.inc();
        Ok(Response::new(response))
    }
}
