//! `comptoir.billing.v1.BillingService`: numbering series, the lock date and the audit
//! trail of a company's books. Each call is authorised and decoded here, handed to one
//! [`crate::app::books`] function, and its answer encoded; the lock date's rule is
//! [`crate::domain::books::check_lock_date_move`].

use chrono::{NaiveDate, TimeDelta};
use comptoir_domain_types::permissions;
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::PageRequest;
use comptoir_runtime::{Caller, Deps, FieldViolations};
use tonic::{Request, Response, Status};

use super::{authorize, date_string, optional_date, text, time_string};
use crate::app::Ctx;
use crate::app::books::{self as app, SetLockDate, UpdateSeries};
use crate::domain::DocumentType;
use crate::domain::books::{Series, valid_prefix};
use crate::domain::document::format_number;
use crate::store::books::AuditFilter;

pub(crate) fn server(deps: Deps) -> pb::billing_service_server::BillingServiceServer<Books> {
    pb::billing_service_server::BillingServiceServer::new(Books { deps })
}

pub(crate) struct Books {
    deps: Deps,
}

/// The wire form of a document type.
pub(crate) fn document_type_to_pb(document_type: DocumentType) -> pb::DocumentType {
    match document_type {
        DocumentType::Invoice => pb::DocumentType::Invoice,
        DocumentType::CreditNote => pb::DocumentType::CreditNote,
        DocumentType::Quote => pb::DocumentType::Quote,
        DocumentType::PurchaseInvoice => pb::DocumentType::PurchaseInvoice,
    }
}

/// A document type from the wire; None when unspecified or unknown.
pub(crate) fn document_type_from_pb(value: i32) -> Option<DocumentType> {
    match pb::DocumentType::try_from(value).ok()? {
        pb::DocumentType::Invoice => Some(DocumentType::Invoice),
        pb::DocumentType::CreditNote => Some(DocumentType::CreditNote),
        pb::DocumentType::Quote => Some(DocumentType::Quote),
        pb::DocumentType::PurchaseInvoice => Some(DocumentType::PurchaseInvoice),
        pb::DocumentType::Unspecified => None,
    }
}

impl From<&Series> for pb::NumberingSeries {
    fn from(series: &Series) -> Self {
        pb::NumberingSeries {
            document_type: document_type_to_pb(series.document_type) as i32,
            prefix: series.prefix.clone(),
            next_number: series.next_number,
            include_year: series.include_year,
            next_formatted: format_number(
                &series.prefix,
                series.include_year,
                super::today(),
                series.next_number,
            ),
        }
    }
}

#[tonic::async_trait]
impl pb::billing_service_server::BillingService for Books {
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
        // The company is the one the request names, not the token's active one.
        caller.require(company_id, permissions::Permission::InvoicesRead)?;
        let ctx = Ctx {
            company_id,
            actor: caller.actor(),
            caller,
        };
        let mut series =
            app::list_numbering_series(&ctx, &self.deps, page.after.as_deref(), page.fetch_limit())
                .await?;
        let next_page_token = page.finish(&mut series, |s| s.document_type.as_str().to_owned());
        Ok(Response::new(pb::ListNumberingSeriesResponse {
            series: series.iter().map(Into::into).collect(),
            next_page_token,
        }))
    }

    async fn update_numbering_series(
        &self,
        request: Request<pb::UpdateNumberingSeriesRequest>,
    ) -> Result<Response<pb::UpdateNumberingSeriesResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::SettingsWrite])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let document_type = document_type_from_pb(request.document_type)
            .filter(|t| DocumentType::NUMBERED.contains(t));
        if document_type.is_none() {
            violations.add(
                "document_type",
                "must be DOCUMENT_TYPE_INVOICE, DOCUMENT_TYPE_CREDIT_NOTE or DOCUMENT_TYPE_QUOTE",
            );
        }
        let prefix = request.prefix.trim();
        if !valid_prefix(prefix) {
            violations.add("prefix", "must be 1 to 10 letters, digits or `-`");
        }
        violations.into_result()?;
        let update = UpdateSeries {
            document_type: document_type.unwrap_or(DocumentType::Invoice),
            prefix: prefix.to_owned(),
            include_year: request.include_year,
        };
        let series = app::update_numbering_series(&ctx, &self.deps, update).await?;
        Ok(Response::new(pb::UpdateNumberingSeriesResponse {
            series: Some((&series).into()),
        }))
    }

    async fn get_lock_date(
        &self,
        request: Request<pb::GetLockDateRequest>,
    ) -> Result<Response<pb::GetLockDateResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::InvoicesRead])?;
        let lock_date = app::get_lock_date(&ctx, &self.deps).await?;
        Ok(Response::new(pb::GetLockDateResponse {
            lock_date: date_string(lock_date),
        }))
    }

    async fn set_lock_date(
        &self,
        request: Request<pb::SetLockDateRequest>,
    ) -> Result<Response<pb::SetLockDateResponse>, Status> {
        let ctx = authorize(
            &request,
            &[
                permissions::Permission::PeriodsLock,
                permissions::Permission::SettingsWrite,
            ],
        )?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let lock_date = optional_date(&mut violations, "lock_date", &request.lock_date);
        let reason = text(&mut violations, "reason", &request.reason, 500);
        violations.into_result()?;
        let moved = app::set_lock_date(&ctx, &self.deps, SetLockDate { lock_date, reason }).await?;
        Ok(Response::new(pb::SetLockDateResponse {
            lock_date: date_string(moved.lock_date),
            previous_lock_date: date_string(moved.previous),
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::AuditRead])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let subject_id = (!request.subject_id.is_empty())
            .then(|| violations.uuid("subject_id", &request.subject_id))
            .flatten();
        let from: Option<NaiveDate> =
            optional_date(&mut violations, "from_date", &request.from_date);
        let to: Option<NaiveDate> = optional_date(&mut violations, "to_date", &request.to_date);
        let page = PageRequest::parse(request.page_size, &request.page_token, &mut violations);
        let before_id =
            page.as_ref()
                .and_then(|p| p.after.as_deref())
                .and_then(|after| match after.parse::<i64>() {
                    Ok(id) => Some(id),
                    Err(_) => {
                        violations.add("page_token", "is not a token returned by this API");
                        None
                    }
                });
        violations.into_result()?;
        let Some(page) = page else {
            unreachable!("validated above")
        };
        let filter = AuditFilter {
            subject_id,
            actor: (!request.actor.is_empty()).then(|| request.actor.clone()),
            from: from
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc()),
            to: to
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc() + TimeDelta::days(1)),
            before_id,
        };
        let mut rows =
            app::list_audit_events(&ctx, &self.deps, &filter, page.fetch_limit()).await?;
        let next_page_token = page.finish(&mut rows, |row| row.audit_event_id.to_string());
        Ok(Response::new(pb::ListAuditEventsResponse {
            audit_events: rows
                .into_iter()
                .map(|row| pb::AuditEvent {
                    audit_event_id: row.audit_event_id.to_string(),
                    subject_type: row.subject_type,
                    subject_id: row.subject_id.to_string(),
                    action: row.action,
                    actor: row.actor,
                    occur_time: time_string(row.occurred_at),
                    before_json: row.before.map(|v| v.to_string()).unwrap_or_default(),
                    after_json: row.after.map(|v| v.to_string()).unwrap_or_default(),
                })
                .collect(),
            next_page_token,
        }))
    }
}
