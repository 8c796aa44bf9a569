//! `comptoir.billing.v1.PaymentService`: money received against issued invoices and paid
//! against purchase invoices.
//!
//! Recording is one transaction: lock the documents settled (so two payments on one
//! invoice queue and a balance is never spent twice), read their balances after the
//! lock, refuse anything beyond them, then write the payment, its allocations and
//! `payment.recorded`. A refusal writes nothing.

use chrono::NaiveDate;
use comptoir_proto::billing::v1 as pb;
use comptoir_proto::events::v1 as events;
use comptoir_runtime::amount::format;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations, permissions};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{authorize, date_string, decimal, ensure_valid, keyset_page, optional_date, text};
use crate::app::documents::refuse_locked;
use crate::app::{Ctx, once};
use crate::domain::document::Document;
use crate::domain::{Direction, DocumentType, Method, Status as Stored};
use crate::error::Error;
use crate::events::billing_party_of;
use crate::store::books;
use crate::store::documents;
use crate::store::payments::{self, AllocationRow, NewPayment, PaymentWithAllocations};

pub(crate) fn server(deps: Deps) -> pb::payment_service_server::PaymentServiceServer<Payments> {
    pb::payment_service_server::PaymentServiceServer::new(Payments { deps })
}

pub(crate) struct Payments {
    deps: Deps,
}

fn direction_from_pb(value: i32) -> Option<Direction> {
    match pb::PaymentDirection::try_from(value).ok()? {
        pb::PaymentDirection::Received => Some(Direction::Received),
        pb::PaymentDirection::Paid => Some(Direction::Paid),
        pb::PaymentDirection::Unspecified => None,
    }
}

fn direction_to_pb(stored: &str) -> pb::PaymentDirection {
    match Direction::from_stored(stored) {
        Some(Direction::Received) => pb::PaymentDirection::Received,
        Some(Direction::Paid) => pb::PaymentDirection::Paid,
        None => pb::PaymentDirection::Unspecified,
    }
}

fn method_from_pb(value: i32) -> Option<Method> {
    match pb::PaymentMethod::try_from(value).ok()? {
        pb::PaymentMethod::Transfer => Some(Method::Transfer),
        pb::PaymentMethod::Card => Some(Method::Card),
        pb::PaymentMethod::Cheque => Some(Method::Cheque),
        pb::PaymentMethod::Cash => Some(Method::Cash),
        pb::PaymentMethod::DirectDebit => Some(Method::DirectDebit),
        pb::PaymentMethod::Other => Some(Method::Other),
        pb::PaymentMethod::Unspecified => None,
    }
}

fn method_to_pb(stored: &str) -> pb::PaymentMethod {
    match Method::from_stored(stored) {
        Some(Method::Transfer) => pb::PaymentMethod::Transfer,
        Some(Method::Card) => pb::PaymentMethod::Card,
        Some(Method::Cheque) => pb::PaymentMethod::Cheque,
        Some(Method::Cash) => pb::PaymentMethod::Cash,
        Some(Method::DirectDebit) => pb::PaymentMethod::DirectDebit,
        Some(Method::Other) => pb::PaymentMethod::Other,
        None => pb::PaymentMethod::Unspecified,
    }
}

/// The wire form of a stored payment.
fn payment_to_pb(payment: &PaymentWithAllocations) -> pb::Payment {
    let row = &payment.row;
    pb::Payment {
        payment_id: row.payment_id.to_string(),
        company_id: row.company_id.to_string(),
        direction: direction_to_pb(&row.direction) as i32,
        payment_date: date_string(Some(row.payment_date)),
        method: method_to_pb(&row.method) as i32,
        amount: format(row.amount, 2),
        currency_code: row.currency_code.clone(),
        reference: row.reference.clone(),
        allocations: payment
            .allocations
            .iter()
            .map(|a| pb::Allocation {
                document_id: a.document_id.to_string(),
                amount: format(a.amount, 2),
                document_number: a.document_number.clone(),
            })
            .collect(),
        authorship: Some(super::authorship(
            &row.created_by,
            row.created_at,
            &row.created_by,
            row.created_at,
        )),
    }
}

/// A payment request read from the wire and checked.
struct Recording {
    direction: Direction,
    payment_date: NaiveDate,
    method: Method,
    amount: Decimal,
    reference: String,
    allocations: Vec<(Uuid, Decimal)>,
}

/// Reads a RecordPayment request, naming every bad field.
fn read_request(request: &pb::RecordPaymentRequest) -> Result<Recording, Error> {
    let mut violations = FieldViolations::new();
    let direction = direction_from_pb(request.direction);
    if direction.is_none() {
        violations.add(
            "direction",
            "must be PAYMENT_DIRECTION_RECEIVED or PAYMENT_DIRECTION_PAID",
        );
    }
    let method = method_from_pb(request.method);
    if method.is_none() {
        violations.add("method", "is required");
    }
    let amount = decimal(&mut violations, "amount", &request.amount, 2);
    if amount.is_some_and(|a| a.is_zero()) {
        violations.add("amount", "must be more than 0");
    }
    let payment_date = optional_date(&mut violations, "payment_date", &request.payment_date)
        .unwrap_or_else(super::today);
    let reference = text(&mut violations, "reference", &request.reference, 140);
    if request.allocations.is_empty() {
        violations.add("allocations", "needs at least one document");
    }
    let mut allocations: Vec<(Uuid, Decimal)> = Vec::with_capacity(request.allocations.len());
    let mut complete = true;
    for (index, allocation) in request.allocations.iter().enumerate() {
        let path = |name: &str| format!("allocations[{index}].{name}");
        let document_id = violations.uuid(&path("document_id"), &allocation.document_id);
        if document_id.is_some_and(|id| allocations.iter().any(|(seen, _)| *seen == id)) {
            violations.add(path("document_id"), "settles the same document twice");
        }
        let share = decimal(&mut violations, &path("amount"), &allocation.amount, 2);
        if share.is_some_and(|a| a.is_zero()) {
            violations.add(path("amount"), "must be more than 0");
        }
        match (document_id, share) {
            (Some(id), Some(share)) => allocations.push((id, share)),
            _ => complete = false,
        }
    }
    if let (Some(amount), true) = (amount, complete && !allocations.is_empty()) {
        let sum: Decimal = allocations.iter().map(|(_, a)| *a).sum();
        if sum != amount {
            violations.add(
                "allocations",
                format!(
                    "add up to {}, not the payment's amount {}",
                    format(sum, 2),
                    format(amount, 2)
                ),
            );
        }
    }
    ensure_valid(&mut violations)?;
    match (direction, method, amount) {
        (Some(direction), Some(method), Some(amount)) => Ok(Recording {
            direction,
            payment_date,
            method,
            amount,
            reference,
            allocations,
        }),
        _ => unreachable!("validated above"),
    }
}

/// Checks that `document` (allocation `index`) may be settled in `direction`.
fn check_settleable(index: usize, row: &Document, direction: Direction) -> Result<(), Error> {
    let field = format!("allocations[{index}].document_id");
    match (direction, row.document_type()) {
        (Direction::Received, DocumentType::Invoice) if row.status() == Stored::Issued => Ok(()),
        (Direction::Received, DocumentType::Invoice) => Err(Error::precondition(
            "INVOICE_NOT_ISSUED",
            format!(
                "invoice {} is a draft; issue it before recording a payment",
                row.document_id
            ),
        )),
        (Direction::Received, _) => Err(Error::invalid(
            &field,
            "must be an invoice: money received settles issued invoices",
        )),
        (Direction::Paid, DocumentType::PurchaseInvoice) => Ok(()),
        (Direction::Paid, _) => Err(Error::invalid(
            &field,
            "must be a purchase invoice: money paid settles supplier invoices",
        )),
    }
}

impl Payments {
    async fn record(
        &self,
        ctx: &Ctx,
        conn: &mut PgConnection,
        recording: &Recording,
    ) -> Result<pb::RecordPaymentResponse, Error> {
        let lock_date = books::lock_date(conn, ctx.company_id)
            .await
            .map_err(|err| super::books_or(err, ctx.company_id))?;
        refuse_locked(lock_date, recording.payment_date, "payment_date")?;
        let ids: Vec<Uuid> = recording.allocations.iter().map(|(id, _)| *id).collect();
        documents::lock(conn, ctx.company_id, &ids).await?;
        // Read after the lock: the balances include every payment committed before it.
        let loaded = documents::load_many(conn, ctx.company_id, &ids).await?;
        let mut settled = Vec::with_capacity(ids.len());
        for (index, (id, share)) in recording.allocations.iter().enumerate() {
            let document = loaded
                .iter()
                .find(|l| l.document_id == *id)
                .ok_or_else(|| Error::not_found("document", id))?;
            check_settleable(index, document, recording.direction)?;
            settled.push((document, *share));
        }
        let party_id = settled[0].0.party_id;
        if settled.iter().any(|(d, _)| d.party_id != party_id) {
            return Err(Error::invalid(
                "allocations",
                "must settle documents of one customer or supplier",
            ));
        }
        for (document, share) in &settled {
            let balance = document.balance_due.max(Decimal::ZERO);
            if *share > balance {
                return Err(Error::precondition(
                    "OVERPAYMENT",
                    format!(
                        "{} on {} {} exceeds its balance due of {}",
                        format(*share, 2),
                        document.document_type.replace('_', " "),
                        document.number.as_deref().unwrap_or_default(),
                        format(balance, 2)
                    ),
                ));
            }
        }

        let payment_id = Uuid::now_v7();
        let row = payments::insert(
            conn,
            ctx.company_id,
            &NewPayment {
                payment_id,
                direction: recording.direction,
                payment_date: recording.payment_date,
                method: recording.method,
                amount: recording.amount,
                reference: &recording.reference,
                allocations: &recording.allocations,
                actor: &ctx.actor,
            },
        )
        .await?;
        let event_allocations = settled
            .iter()
            .map(|(document, share)| events::BillingAllocation {
                document_id: document.document_id.to_string(),
                document_number: document.number.clone().unwrap_or_default(),
                document_type: document.document_type.clone(),
                amount: format(*share, 2),
                balance_due: format(document.balance_due.max(Decimal::ZERO) - share, 2),
            })
            .collect();
        Event::about(
            names::PAYMENT_RECORDED,
            ctx.company_id,
            &ctx.actor,
            |meta| events::PaymentRecorded {
                meta: Some(meta),
                payment_id: payment_id.to_string(),
                direction: row.direction.clone(),
                payment_date: date_string(Some(row.payment_date)),
                method: row.method.clone(),
                amount: format(row.amount, 2),
                currency_code: row.currency_code.clone(),
                reference: row.reference.clone(),
                party: Some(billing_party_of(settled[0].0)),
                allocations: event_allocations,
            },
        )
        .enqueue(conn)
        .await?;
        let allocations = settled
            .iter()
            .map(|(document, share)| AllocationRow {
                payment_id,
                document_id: document.document_id,
                document_number: document.number.clone().unwrap_or_default(),
                amount: *share,
            })
            .collect();
        Ok(pb::RecordPaymentResponse {
            payment: Some(payment_to_pb(&PaymentWithAllocations { row, allocations })),
        })
    }
}

#[tonic::async_trait]
impl pb::payment_service_server::PaymentService for Payments {
    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::RecordPaymentResponse>, Status> {
        let ctx = authorize(&request, &[permissions::PAYMENTS_WRITE])?;
        let request = request.into_inner();
        let recording = read_request(&request)?;
        let mut tx = ctx.begin(&self.deps.pool, "payment.recorded").await?;
        let response = once(
            &mut tx,
            &ctx.scope("RecordPayment"),
            &request.idempotency_key,
            &request,
            async |conn| self.record(&ctx, conn, &recording).await,
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(response))
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let ctx = authorize(&request, &[permissions::INVOICES_READ])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let direction = direction_from_pb(request.direction);
        let document_id = (!request.document_id.is_empty())
            .then(|| violations.uuid("document_id", &request.document_id))
            .flatten();
        let (page, after) = keyset_page(&mut violations, request.page_size, &request.page_token)?;
        let filter = payments::ListFilter {
            direction,
            document_id,
            after,
        };
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let mut rows = payments::list(&mut tx, ctx.company_id, &filter, page.fetch_limit())
            .await
            .map_err(Error::from)?;
        let next_page_token = page.finish(&mut rows, |p| {
            time_id_cursor(p.row.created_at, p.row.payment_id)
        });
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: rows.iter().map(payment_to_pb).collect(),
            next_page_token,
        }))
    }
}
