//! `comptoir.billing.v1.QuoteService`: draft quotes, sending them, the customer's
//! answer, and turning a quote into a draft invoice. Each call decodes its request,
//! calls one function of `app::quotes` (where the transaction and the rules are) and
//! encodes the document it returns.

use comptoir_domain_types::permissions::{self, Permission};
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::documents::{decode_draft, document_to_pb, status_from_pb};
use super::{authorize, ensure_valid, keyset_page};
use crate::app::documents::ListDocuments;
use crate::app::quotes::{self, CreateQuote, UpdateQuote};
use crate::domain::document::DocumentStatus;
use crate::error::Error;

pub(crate) fn server(deps: Deps) -> pb::quote_service_server::QuoteServiceServer<Quotes> {
    pb::quote_service_server::QuoteServiceServer::new(Quotes { deps })
}

pub(crate) struct Quotes {
    deps: Deps,
}

/// Who may read quotes: their authors and anyone who reads the sales documents.
const READERS: [Permission; 2] = [
    permissions::Permission::QuotesWrite,
    permissions::Permission::InvoicesRead,
];

/// The quote a request names, or INVALID_ARGUMENT.
fn decode_quote_id(value: &str) -> Result<Uuid, Error> {
    let mut violations = FieldViolations::new();
    let id = violations.uuid("quote_id", value).unwrap_or_default();
    ensure_valid(&mut violations)?;
    Ok(id)
}

#[tonic::async_trait]
impl pb::quote_service_server::QuoteService for Quotes {
    async fn create_quote(
        &self,
        request: Request<pb::CreateQuoteRequest>,
    ) -> Result<Response<pb::CreateQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::QuotesWrite])?;
        let request = request.into_inner();
        let command = CreateQuote {
            quote: decode_draft("quote", request.quote.as_ref())?,
        };
        let response = quotes::create_quote(
            &ctx,
            &self.deps,
            command,
            (&request.idempotency_key, &request),
            |quote| pb::CreateQuoteResponse {
                quote: Some(document_to_pb(quote)),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn get_quote(
        &self,
        request: Request<pb::GetQuoteRequest>,
    ) -> Result<Response<pb::GetQuoteResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let id = decode_quote_id(&request.get_ref().quote_id)?;
        let quote = quotes::get_quote(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::GetQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn update_quote(
        &self,
        request: Request<pb::UpdateQuoteRequest>,
    ) -> Result<Response<pb::UpdateQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::QuotesWrite])?;
        let request = request.into_inner();
        let command = UpdateQuote {
            quote_id: decode_quote_id(&request.quote_id)?,
            quote: decode_draft("quote", request.quote.as_ref())?,
        };
        let quote = quotes::update_quote(&ctx, &self.deps, command).await?;
        Ok(Response::new(pb::UpdateQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn send_quote(
        &self,
        request: Request<pb::SendQuoteRequest>,
    ) -> Result<Response<pb::SendQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::QuotesWrite])?;
        let id = decode_quote_id(&request.get_ref().quote_id)?;
        let quote = quotes::send_quote(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::SendQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn accept_quote(
        &self,
        request: Request<pb::AcceptQuoteRequest>,
    ) -> Result<Response<pb::AcceptQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::QuotesWrite])?;
        let id = decode_quote_id(&request.get_ref().quote_id)?;
        let quote = quotes::accept_quote(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::AcceptQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn refuse_quote(
        &self,
        request: Request<pb::RefuseQuoteRequest>,
    ) -> Result<Response<pb::RefuseQuoteResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::QuotesWrite])?;
        let id = decode_quote_id(&request.get_ref().quote_id)?;
        let quote = quotes::refuse_quote(&ctx, &self.deps, id).await?;
        Ok(Response::new(pb::RefuseQuoteResponse {
            quote: Some(document_to_pb(&quote)),
        }))
    }

    async fn convert_quote_to_invoice(
        &self,
        request: Request<pb::ConvertQuoteToInvoiceRequest>,
    ) -> Result<Response<pb::ConvertQuoteToInvoiceResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::InvoicesWrite])?;
        let request = request.into_inner();
        let id = decode_quote_id(&request.quote_id)?;
        let response = quotes::convert_quote_to_invoice(
            &ctx,
            &self.deps,
            id,
            (&request.idempotency_key, &request),
            |invoice| pb::ConvertQuoteToInvoiceResponse {
                invoice: Some(document_to_pb(invoice)),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn list_quotes(
        &self,
        request: Request<pb::ListQuotesRequest>,
    ) -> Result<Response<pb::ListQuotesResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let status = status_from_pb(request.status);
        if matches!(
            status,
            Some(DocumentStatus::Issued | DocumentStatus::PartiallyPaid | DocumentStatus::Paid)
        ) {
            violations.add("status", "is not a status a quote has");
        }
        let party_id = (!request.party_id.is_empty())
            .then(|| violations.uuid("party_id", &request.party_id))
            .flatten();
        let (page, after) = keyset_page(&mut violations, request.page_size, &request.page_token)?;
        let query = ListDocuments {
            status,
            party_id,
            after,
            limit: page.fetch_limit(),
            ..ListDocuments::default()
        };
        let mut rows = quotes::list_quotes(&ctx, &self.deps, query).await?;
        let next_page_token =
            page.finish(&mut rows, |d| time_id_cursor(d.created_at, d.document_id));
        Ok(Response::new(pb::ListQuotesResponse {
            quotes: rows.iter().map(document_to_pb).collect(),
            next_page_token,
        }))
    }
}
