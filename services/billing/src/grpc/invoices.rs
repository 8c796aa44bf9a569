//! `comptoir.billing.v1.InvoiceService`: draft invoices, issuing them with the next
//! number of their series, and credit notes. Each call decodes its request, calls one
//! function of `app::invoices` (where the transaction and the rules are) and encodes the
//! document it returns.

use comptoir_domain_types::permissions;
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations};
use prometheus::IntCounter;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::books::document_type_from_pb;
use super::documents::{decode_draft, decode_lines, document_to_pb, status_from_pb};
use super::{authorize, ensure_valid, keyset_page, optional_date, text};
use crate::app::documents::ListDocuments;
use crate::app::invoices::{
    self, CreateCreditNote, CreateInvoice, IssueInvoice, SALES, UpdateInvoice,
};
use crate::domain::document::MAX_LINES;

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

#[tonic::async_trait]
impl pb::invoice_service_server::InvoiceService for Invoices {
    async fn create_invoice(
        &self,
        request: Request<pb::CreateInvoiceRequest>,
    ) -> Result<Response<pb::CreateInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::InvoicesWrite])?;
        let request = request.into_inner();
        let command = CreateInvoice {
            invoice: decode_draft("invoice", request.invoice.as_ref())?,
        };
        let response = invoices::create_invoice(
            &ctx,
            &self.deps,
            command,
            (&request.idempotency_key, &request),
            |invoice| pb::CreateInvoiceResponse {
                invoice: Some(document_to_pb(invoice)),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn get_invoice(
        &self,
        request: Request<pb::GetInvoiceRequest>,
    ) -> Result<Response<pb::GetInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::InvoicesRead])?;
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
        let ctx = authorize(&request, &[permissions::Permission::InvoicesWrite])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let invoice_id = invoice_id(&mut violations, &request.invoice_id);
        ensure_valid(&mut violations)?;
        let command = UpdateInvoice {
            invoice_id,
            invoice: decode_draft("invoice", request.invoice.as_ref())?,
        };
        let invoice = invoices::update_invoice(&ctx, &self.deps, command).await?;
        Ok(Response::new(pb::UpdateInvoiceResponse {
            invoice: Some(document_to_pb(&invoice)),
        }))
    }

    async fn delete_invoice(
        &self,
        request: Request<pb::DeleteInvoiceRequest>,
    ) -> Result<Response<pb::DeleteInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::InvoicesWrite])?;
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
        let ctx = authorize(&request, &[permissions::Permission::InvoicesRead])?;
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
        let ctx = authorize(&request, &[permissions::Permission::InvoicesIssue])?;
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
        let ctx = authorize(&request, &[permissions::Permission::InvoicesIssue])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let invoice_id = invoice_id(&mut violations, &request.invoice_id);
        let issue_date = optional_date(&mut violations, "issue_date", &request.issue_date);
        let notes = text(&mut violations, "notes", &request.notes, 2000);
        if request.lines.len() > MAX_LINES {
            violations.add("lines", "has too many lines");
        }
        ensure_valid(&mut violations)?;
        let lines = decode_lines(&mut violations, "", &request.lines);
        ensure_valid(&mut violations)?;
        let command = CreateCreditNote {
            invoice_id,
            issue_date,
            notes,
            lines,
        };
        let response = invoices::create_credit_note(
            &ctx,
            &self.deps,
            self.max_days_ahead,
            command,
            (&request.idempotency_key, &request),
            |credit_note| pb::CreateCreditNoteResponse {
                credit_note: Some(document_to_pb(credit_note)),
            },
        )
        .await?;
        self.issued.inc();
        Ok(Response::new(response))
    }
}
