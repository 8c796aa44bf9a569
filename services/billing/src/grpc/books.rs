//! `comptoir.billing.v1.BillingService`: numbering series, the lock date and the audit
//! trail of a company's books.
//!
//! The lock date moves forward for whoever may lock periods or change settings; it moves
//! backwards (or is cleared) only for an Administrator of the company, with a reason,
//! which the book keeps so the audit trail's row for the change carries it, and which
//! `lock_date.changed` carries beside both dates.

use chrono::{NaiveDate, TimeDelta};
use comptoir_proto::billing::v1 as pb;
use comptoir_proto::events::v1 as events;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::page::PageRequest;
use comptoir_runtime::{Caller, Deps, FieldViolations, permissions};
use permissions::ADMINISTRATOR;
use tonic::{Request, Response, Status};

use super::{authorize, date_string, optional_date, text, time_string};
use crate::domain::DocumentType;
use crate::domain::document::format_number;
use crate::error::Error;
use crate::store::{self, Acting, books};

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

impl From<&books::SeriesRow> for pb::NumberingSeries {
    fn from(row: &books::SeriesRow) -> Self {
        let document_type = DocumentType::from_stored(&row.document_type)
            .map(document_type_to_pb)
            .unwrap_or(pb::DocumentType::Unspecified);
        pb::NumberingSeries {
            document_type: document_type as i32,
            prefix: row.prefix.clone(),
            next_number: row.next_number,
            include_year: row.include_year,
            next_formatted: format_number(
                &row.prefix,
                row.include_year,
                super::today(),
                row.next_number,
            ),
        }
    }
}

fn valid_prefix(prefix: &str) -> bool {
    (1..=10).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
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
        caller.require(company_id, permissions::INVOICES_READ)?;
        let actor = caller.actor();
        let acting = Acting {
            company_id,
            actor: &actor,
            action: "read",
        };
        let mut tx = store::begin(&self.deps.pool, &acting)
            .await
            .map_err(Error::from)?;
        if !books::books_open(&mut tx, company_id)
            .await
            .map_err(Error::from)?
        {
            return Err(Error::BooksNotFound(company_id.to_string()).into());
        }
        let mut rows = books::series(
            &mut tx,
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

    async fn update_numbering_series(
        &self,
        request: Request<pb::UpdateNumberingSeriesRequest>,
    ) -> Result<Response<pb::UpdateNumberingSeriesResponse>, Status> {
        let ctx = authorize(&request, &[permissions::SETTINGS_WRITE])?;
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
        let document_type = document_type.unwrap_or(DocumentType::Invoice);
        let mut tx = ctx
            .begin(&self.deps.pool, "numbering_series.updated")
            .await?;
        let row = books::update_series(
            &mut tx,
            ctx.company_id,
            document_type,
            prefix,
            request.include_year,
        )
        .await
        .map_err(Error::from)?
        .ok_or_else(|| Error::BooksNotFound(ctx.company_id.to_string()))?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::UpdateNumberingSeriesResponse {
            series: Some((&row).into()),
        }))
    }

    async fn get_lock_date(
        &self,
        request: Request<pb::GetLockDateRequest>,
    ) -> Result<Response<pb::GetLockDateResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_READ])?;
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let lock_date = books::lock_date(&mut tx, ctx.company_id)
            .await
            .map_err(|err| super::books_or(err, ctx.company_id))?;
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
            &[permissions::PERIODS_LOCK, permissions::SETTINGS_WRITE],
        )?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let lock_date = optional_date(&mut violations, "lock_date", &request.lock_date);
        let reason = text(&mut violations, "reason", &request.reason, 500);
        violations.into_result()?;
        let mut tx = ctx.begin(&self.deps.pool, "lock_date.changed").await?;
        let previous = books::lock_date_for_update(&mut tx, ctx.company_id)
            .await
            .map_err(|err| super::books_or(err, ctx.company_id))?;
        let backwards = match (previous, lock_date) {
            (Some(before), Some(after)) => after < before,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if backwards && !ctx.holds_role(&ADMINISTRATOR) {
            return Err(Error::LockDateLoweringDenied.into());
        }
        // A firm's grant may make its member an Administrator of the client; the owner
        // and the company's own Administrators hold a membership, which wins over a grant.
        if backwards && ctx.through_firm() {
            return Err(Error::FirmMayNotUnlock.into());
        }
        if backwards && reason.is_empty() {
            return Err(Error::invalid(
                "reason",
                "is required to move the lock date backwards or clear it",
            )
            .into());
        }
        if previous != lock_date {
            books::set_lock_date(&mut tx, ctx.company_id, lock_date, &reason)
                .await
                .map_err(Error::from)?;
            Event::about(
                names::LOCK_DATE_CHANGED,
                ctx.company_id,
                &ctx.actor,
                |meta| events::LockDateChanged {
                    meta: Some(meta),
                    lock_date: date_string(lock_date),
                    previous_lock_date: date_string(previous),
                    reason: reason.clone(),
                },
            )
            .enqueue(&mut tx)
            .await
            .map_err(Error::from)?;
        }
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(pb::SetLockDateResponse {
            lock_date: date_string(lock_date),
            previous_lock_date: date_string(previous),
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let ctx = authorize(&request, &[permissions::AUDIT_READ])?;
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
        let filter = books::AuditFilter {
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
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let mut rows = books::audit_events(&mut tx, ctx.company_id, &filter, page.fetch_limit())
            .await
            .map_err(Error::from)?;
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
