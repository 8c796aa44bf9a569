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
use comptoir_proto::events::v1 as events;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations, permissions};
use prometheus::IntCounter;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::books::document_type_from_pb;
use super::documents::{
    DueDefault, NewDocument, billing_document, create, document_to_pb, next_number, read_draft,
    read_lines, refuse_locked, status_from_pb,
};
use super::{authorize, ensure_valid, keyset_page, optional_date, text, today};
use crate::app::{Ctx, once};
use crate::domain::credit::check_credit;
use crate::domain::document::{Customer, Document, Issuable, Totals, missing_mentions};
use crate::domain::issuing;
use crate::domain::vat::Regime;
use crate::domain::{DocumentType, PartyKind, PartyRole, Status as Stored};
use crate::error::Error;
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

const SALES: [DocumentType; 2] = [DocumentType::Invoice, DocumentType::CreditNote];

fn invoice_id(violations: &mut FieldViolations, value: &str) -> Uuid {
    violations.uuid("invoice_id", value).unwrap_or_default()
}

/// The draft invoice `id`, locked; NOT_FOUND when it is not one of the company's invoices,
/// FAILED_PRECONDITION when it is no longer a draft.
async fn locked_draft(
    conn: &mut PgConnection,
    company_id: Uuid,
    id: Uuid,
) -> Result<Document, Error> {
    let loaded = documents::load_for_update(conn, company_id, id, &[DocumentType::Invoice])
        .await?
        .ok_or_else(|| Error::not_found("invoice", id))?;
    refuse_frozen(&loaded)?;
    Ok(loaded)
}

/// FAILED_PRECONDITION (DOCUMENT_FROZEN) unless `loaded` is a draft.
fn refuse_frozen(loaded: &Document) -> Result<(), Error> {
    if loaded.status() == Stored::Draft {
        return Ok(());
    }
    Err(Error::Frozen(format!(
        "invoice {} is issued and never changes; correct it with a credit note",
        loaded.number.as_deref().unwrap_or_default()
    )))
}

/// The date a document asked to be dated `requested` is issued with, `today` being the
/// company's; INVALID_ARGUMENT naming `issue_date` when it is too far ahead (`from_draft`
/// says the date came from the draft, not the request).
fn issue_date(
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

/// The customer an issued document prints.
fn customer_of(row: &Document) -> Customer {
    Customer {
        professional: PartyKind::from_stored(&row.party_kind) == Some(PartyKind::Professional),
        name: row.party_name.clone(),
        siren: row.party_siren.clone(),
        vat_number: row.party_vat_number.clone(),
        address_line1: row.party_address_line1.clone(),
        address_postal_code: row.party_postal_code.clone(),
        address_city: row.party_city.clone(),
        address_country_code: row.party_country_code.clone(),
    }
}

impl Invoices {
    async fn issue(
        &self,
        ctx: &Ctx,
        conn: &mut PgConnection,
        id: Uuid,
        issue_date: Option<NaiveDate>,
    ) -> Result<pb::IssueInvoiceResponse, Error> {
        let (mut loaded, seller, calendar) =
            documents::load_for_issue(conn, ctx.company_id, id, DocumentType::Invoice)
                .await?
                .ok_or_else(|| Error::not_found("invoice", id))?;
        refuse_frozen(&loaded)?;
        let date = self::issue_date(
            issue_date.unwrap_or(loaded.document_date),
            calendar.today,
            self.max_days_ahead,
            issue_date.is_none(),
        )?;
        refuse_locked(calendar.lock_date, date, "issue_date")?;
        let lines: Vec<_> = loaded.lines.iter().map(|l| l.to_line()).collect();
        let customer = customer_of(&loaded);
        let row = &loaded;
        let missing = missing_mentions(&Issuable {
            seller: &seller,
            customer: &customer,
            lines: &lines,
            due_date: row.due_date,
            late_penalty_rate: row.late_penalty_rate,
            recovery_fee: row.recovery_fee,
            vat_exemption: &row.vat_exemption,
        });
        if !missing.is_empty() {
            return Err(Error::MissingMentions(violations_of(missing)));
        }
        if row.due_date.is_some_and(|due| due < date) {
            return Err(Error::DueDateBeforeIssueDate { issue_date: date });
        }
        let (number, sequence) =
            next_number(conn, ctx.company_id, DocumentType::Invoice, date).await?;
        let numbered = documents::Numbered {
            number: &number,
            sequence,
            status: Stored::Issued,
            document_date: date,
            due_date: row.due_date,
        };
        let frozen = documents::issue(conn, ctx.company_id, id, &numbered, &ctx.actor).await?;
        if !frozen {
            return Err(Error::Frozen(format!("invoice {id} is no longer a draft")));
        }
        loaded.status = Stored::Issued.as_str().to_owned();
        loaded.number = Some(number);
        loaded.sequence = Some(sequence);
        loaded.document_date = date;
        loaded.updated_by = ctx.actor.clone();
        Event::about(names::INVOICE_ISSUED, ctx.company_id, &ctx.actor, |meta| {
            events::InvoiceIssued {
                meta: Some(meta),
                invoice: Some(billing_document(&loaded)),
            }
        })
        .enqueue(conn)
        .await?;
        Ok(pb::IssueInvoiceResponse {
            invoice: Some(document_to_pb(&loaded)),
        })
    }

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
        let issue_date = self::issue_date(
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
        Event::about(
            names::CREDIT_NOTE_ISSUED,
            ctx.company_id,
            &ctx.actor,
            |meta| events::CreditNoteIssued {
                meta: Some(meta),
                credit_note: Some(billing_document(&credit_note)),
            },
        )
        .enqueue(conn)
        .await?;
        Ok(pb::CreateCreditNoteResponse {
            credit_note: Some(document_to_pb(&credit_note)),
        })
    }
}

/// Field violations from (field, reason) pairs.
fn violations_of(found: Vec<(String, String)>) -> FieldViolations {
    let mut violations = FieldViolations::new();
    for (field, reason) in found {
        violations.add(field, reason);
    }
    violations
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
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let loaded = documents::load(&mut tx, ctx.company_id, id, &SALES)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("invoice", id))?;
        Ok(Response::new(pb::GetInvoiceResponse {
            invoice: Some(document_to_pb(&loaded)),
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
        let mut tx = ctx.begin(&self.deps.pool, "invoice.deleted").await?;
        locked_draft(&mut tx, ctx.company_id, id).await?;
        documents::delete_draft(&mut tx, ctx.company_id, id, DocumentType::Invoice)
            .await
            .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
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
        let wanted = status_from_pb(request.status);
        let party_id = (!request.party_id.is_empty())
            .then(|| violations.uuid("party_id", &request.party_id))
            .flatten();
        let (page, after) = keyset_page(&mut violations, request.page_size, &request.page_token)?;
        let (status, standing) = wanted.map(|s| s.filter(today())).unzip();
        let standing = standing.flatten();
        let filter = documents::ListFilter {
            types,
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
        let id = invoice_id(&mut violations, &request.invoice_id);
        let issue_date = optional_date(&mut violations, "issue_date", &request.issue_date);
        ensure_valid(&mut violations)?;
        let mut tx = ctx.begin(&self.deps.pool, "invoice.issued").await?;
        let response = once(
            &mut tx,
            &ctx.scope("IssueInvoice"),
            &request.idempotency_key,
            &request,
            async |conn| self.issue(&ctx, conn, id, issue_date).await,
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
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
