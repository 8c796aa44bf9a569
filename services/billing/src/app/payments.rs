//! Payments, one function per call of `PaymentService`. Recording is one transaction:
//! lock the documents settled (so two payments on one invoice queue and a balance is
//! never spent twice), read their balances after the lock, refuse anything beyond them,
//! then write the payment, its allocations and `payment.recorded`. A refusal writes
//! nothing.

use comptoir_runtime::Deps;
use sqlx::PgConnection;
use uuid::Uuid;

use super::documents::refuse_locked;
use super::{Ctx, idempotent};
use crate::domain::payment::{
    Allocation, Payment, Recording, Unsettleable, check_settleable, fits_balance, payable,
};
use crate::error::{Error, books_or};
use crate::events;
use crate::store::payments::{self, ListFilter, NewPayment};
use crate::store::{books, documents};

/// Records a payment once per idempotency `key`: a replay answers what the first call
/// answered, as `answer` encoded it.
pub(crate) async fn record_payment<R>(
    ctx: &Ctx,
    deps: &Deps,
    recording: Recording,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&Payment) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    idempotent(
        ctx,
        deps,
        ("payment.recorded", "RecordPayment"),
        (key, request),
        async |conn| record(ctx, conn, &recording).await,
        answer,
    )
    .await
}

/// Checks `recording` against the books and the documents it settles, then writes it
/// and enqueues `payment.recorded`.
async fn record(
    ctx: &Ctx,
    conn: &mut PgConnection,
    recording: &Recording,
) -> Result<Payment, Error> {
    let lock_date = books::lock_date(conn, ctx.company_id)
        .await
        .map_err(|err| books_or(err, ctx.company_id))?;
    refuse_locked(lock_date, recording.payment_date, "payment_date")?;
    let ids: Vec<Uuid> = recording.allocations.iter().map(|(id, _)| *id).collect();
    documents::lock(conn, ctx.company_id, &ids).await?;
    // Read after the lock: the balances include every payment committed before it.
    let loaded = documents::load_many(conn, ctx.company_id, &ids).await?;
    let mut settled = Vec::with_capacity(ids.len());
    for (index, (id, share)) in recording.allocations.iter().enumerate() {
        let document = loaded
            .iter()
            .find(|d| d.document_id == *id)
            .ok_or_else(|| Error::not_found("document", id))?;
        let field = format!("allocations[{index}].document_id");
        check_settleable(
            recording.direction,
            document.document_type(),
            document.status(),
        )
        .map_err(|refusal| match refusal {
            Unsettleable::Draft => Error::PaymentOnDraftInvoice {
                invoice_id: document.document_id,
            },
            Unsettleable::ReceivedForOther => Error::invalid(
                &field,
                "must be an invoice: money received settles issued invoices",
            ),
            Unsettleable::PaidForOther => Error::invalid(
                &field,
                "must be a purchase invoice: money paid settles supplier invoices",
            ),
        })?;
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
        if !fits_balance(*share, document.balance_due) {
            return Err(Error::Overpayment {
                share: *share,
                document_type: document.document_type(),
                number: document.number.clone().unwrap_or_default(),
                balance: payable(document.balance_due),
            });
        }
    }

    let allocations: Vec<Allocation> = settled
        .iter()
        .map(|(document, share)| Allocation {
            document_id: document.document_id,
            document_number: document.number.clone().unwrap_or_default(),
            amount: *share,
        })
        .collect();
    let payment = payments::insert(
        conn,
        ctx.company_id,
        &NewPayment {
            payment_id: Uuid::now_v7(),
            direction: recording.direction,
            payment_date: recording.payment_date,
            method: recording.method,
            amount: recording.amount,
            reference: &recording.reference,
            allocations: &allocations,
            actor: &ctx.actor,
        },
    )
    .await?;
    events::payment_recorded(ctx.company_id, &ctx.actor, &payment, &settled)
        .enqueue(conn)
        .await?;
    Ok(payment)
}

/// A page of payments, newest first, with their allocations (`limit` rows: one more
/// than the page, to learn whether another follows).
pub(crate) async fn list_payments(
    ctx: &Ctx,
    deps: &Deps,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<Payment>, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    Ok(payments::list(&mut tx, ctx.company_id, filter, limit).await?)
}
