//! `comptoir.billing.v1.PaymentService`: money received against issued invoices and paid
//! against purchase invoices. Each call is authorised and decoded here (every bad field
//! of a payment named), handed to one [`crate::app::payments`] function, and its payment
//! encoded.

use comptoir_domain_types::amount::format;
use comptoir_domain_types::permissions;
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::page::time_id_cursor;
use comptoir_runtime::{Deps, FieldViolations};
use rust_decimal::Decimal;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{authorize, date_string, decimal, ensure_valid, keyset_page, optional_date, text};
use crate::app::payments as app;
use crate::domain::payment::{Payment, Recording};
use crate::domain::{Direction, Method};
use crate::error::Error;
use crate::store::payments::ListFilter;

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

fn direction_to_pb(direction: Direction) -> pb::PaymentDirection {
    match direction {
        Direction::Received => pb::PaymentDirection::Received,
        Direction::Paid => pb::PaymentDirection::Paid,
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

fn method_to_pb(method: Method) -> pb::PaymentMethod {
    match method {
        Method::Transfer => pb::PaymentMethod::Transfer,
        Method::Card => pb::PaymentMethod::Card,
        Method::Cheque => pb::PaymentMethod::Cheque,
        Method::Cash => pb::PaymentMethod::Cash,
        Method::DirectDebit => pb::PaymentMethod::DirectDebit,
        Method::Other => pb::PaymentMethod::Other,
    }
}

/// The wire form of a recorded payment.
fn payment_to_pb(payment: &Payment) -> pb::Payment {
    pb::Payment {
        payment_id: payment.payment_id.to_string(),
        company_id: payment.company_id.to_string(),
        direction: direction_to_pb(payment.direction) as i32,
        payment_date: date_string(Some(payment.payment_date)),
        method: method_to_pb(payment.method) as i32,
        amount: format(payment.amount, 2),
        currency_code: payment.currency_code.clone(),
        reference: payment.reference.clone(),
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
            &payment.created_by,
            payment.created_at,
            &payment.created_by,
            payment.created_at,
        )),
    }
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

#[tonic::async_trait]
impl pb::payment_service_server::PaymentService for Payments {
    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::RecordPaymentResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::PaymentsWrite])?;
        let request = request.into_inner();
        let recording = read_request(&request)?;
        let response = app::record_payment(
            &ctx,
            &self.deps,
            recording,
            (&request.idempotency_key, &request),
            |payment| pb::RecordPaymentResponse {
                payment: Some(payment_to_pb(payment)),
            },
        )
        .await?;
        Ok(Response::new(response))
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let ctx = authorize(&request, &[permissions::Permission::InvoicesRead])?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let direction = direction_from_pb(request.direction);
        let document_id = (!request.document_id.is_empty())
            .then(|| violations.uuid("document_id", &request.document_id))
            .flatten();
        let (page, after) = keyset_page(&mut violations, request.page_size, &request.page_token)?;
        let filter = ListFilter {
            direction,
            document_id,
            after,
        };
        let mut rows = app::list_payments(&ctx, &self.deps, &filter, page.fetch_limit()).await?;
        let next_page_token =
            page.finish(&mut rows, |p| time_id_cursor(p.created_at, p.payment_id));
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: rows.iter().map(payment_to_pb).collect(),
            next_page_token,
        }))
    }
}
