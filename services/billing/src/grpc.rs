//! The `comptoir.billing.v1.BillingService` implementation.

use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::PageRequest;
use comptoir_runtime::permissions;
use comptoir_runtime::{Caller, Deps, FieldViolations};
use tonic::{Request, Response, Status};

use crate::domain::DocumentType;
use crate::error::Error;
use crate::store::{self, SeriesRow};

pub(crate) fn server(deps: Deps) -> pb::billing_service_server::BillingServiceServer<Billing> {
    pb::billing_service_server::BillingServiceServer::new(Billing { deps })
}

pub(crate) struct Billing {
    deps: Deps,
}

impl From<&SeriesRow> for pb::NumberingSeries {
    fn from(row: &SeriesRow) -> Self {
        let document_type = match DocumentType::from_stored(&row.document_type) {
            Some(DocumentType::Invoice) => pb::DocumentType::Invoice,
            Some(DocumentType::CreditNote) => pb::DocumentType::CreditNote,
            Some(DocumentType::Quote) => pb::DocumentType::Quote,
            None => pb::DocumentType::Unspecified,
        };
        pb::NumberingSeries {
            document_type: document_type as i32,
            prefix: row.prefix.clone(),
            next_number: row.next_number,
        }
    }
}

#[tonic::async_trait]
impl pb::billing_service_server::BillingService for Billing {
    async fn list_numbering_series(
        &self,
        request: Request<pb::ListNumberingSeriesRequest>,
    ) -> Result<Response<pb::ListNumberingSeriesResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company_id = violations.uuid("company_id", &request.company_id);
        let page = PageRequest::parse(request.page_size, &request.page_token, &mut violations);
        violations.into_result()?;
        let (Some(company_id), Some(page)) = (company_id, page) else {
            unreachable!("validated above")
        };
        caller.require(company_id, permissions::INVOICES_READ)?;
        if !store::books_open(&self.deps.pool, company_id)
            .await
            .map_err(Error::from)?
        {
            return Err(Error::BooksNotFound(company_id.to_string()).into());
        }
        let mut rows = store::series(
            &self.deps.pool,
            company_id,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = page.finish(&mut rows, |row| row.document_type.clone());
        Ok(Response::new(pb::ListNumberingSeriesResponse {
            series: rows.iter().map(Into::into).collect(),
            next_page_token,
        }))
    }
}
