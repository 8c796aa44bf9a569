//! What billing consumes: tenancy's `company.created` opens a company's books with the
//! seller's legal identity, and `company.updated` keeps that identity current for the
//! mandatory mentions of the invoices issued afterwards. Both carry the whole identity and
//! the company's version, so they apply in any order: an update arriving first opens the
//! books, and an event older than the book's identity is set aside.
//!
//! Documents publish `invoice.issued` ([`invoice_issued`]), `credit_note.issued`
//! ([`credit_note_issued`]) and `quote.accepted` ([`quote_accepted`]), each carrying the
//! whole document ([`billing_document`]); customers publish `customer.changed`
//! ([`customer_changed`]), the books `lock_date.changed` ([`lock_date_changed`]),
//! payments `payment.recorded` ([`payment_recorded`]) and purchases
//! `purchase_invoice.recorded` ([`purchase_invoice_recorded`]).

use chrono::NaiveDate;
use comptoir_domain_types::amount::{format, format_plain};
use comptoir_proto::events::v1 as pb;
use comptoir_proto::events::v1::{CompanyCreated, EventMeta};
use comptoir_runtime::events::consumer::event_uuid;
use comptoir_runtime::events::{Consume, Delivery, Event, EventType, HandlerError, names};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::document::Document;
use crate::domain::party::Party;
use crate::domain::payment::{Payment, payable};
use crate::store::{self, Acting, books};

/// The consumer that opens books for new companies and follows their changes.
pub(crate) struct Companies;

impl Consume for Companies {
    type Event = CompanyCreated;
    const NAME: &'static str = "companies";
    const EVENTS: &'static [EventType] = names::COMPANY_CHANGES;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: CompanyCreated,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let created = delivery.event_type == names::COMPANY_CREATED;
        let legal = event.legal_identity();
        let (meta, version) = (event.meta, event.version);
        let identity = books::LegalIdentity {
            legal_name: legal.legal_name,
            siren: legal.siren,
            legal_form: legal.legal_form,
            nic: legal.nic,
            ape_code: legal.ape_code,
            vat_number: legal.vat_number,
            rcs_city: legal.rcs_city,
            share_capital_amount: legal.share_capital_amount,
            address: legal.address.unwrap_or_default().into(),
        };
        let meta: EventMeta = meta.unwrap_or_default();
        let company_id = event_uuid("meta.company_id", &meta.company_id)?;
        let actor = if meta.actor.is_empty() {
            "service:tenancy".to_owned()
        } else {
            meta.actor.clone()
        };
        let acting = Acting {
            company_id,
            actor: &actor,
            action: if created {
                "books.opened"
            } else {
                "seller.updated"
            },
        };
        store::set_acting(conn, &acting).await?;
        if books::keep_identity(conn, company_id, &identity, version).await? {
            tracing::info!(%company_id, version, "seller identity kept");
        } else {
            tracing::info!(%company_id, version, "older company event set aside");
        }
        Ok(())
    }
}

/// `invoice.issued`: an invoice of `company_id` numbered and frozen by `actor`.
pub(crate) fn invoice_issued(company_id: Uuid, actor: &str, invoice: &Document) -> Event {
    Event::about(names::INVOICE_ISSUED, company_id, actor, |meta| {
        pb::InvoiceIssued {
            meta: Some(meta),
            invoice: Some(billing_document(invoice)),
        }
    })
}

/// `credit_note.issued`: a credit note of `company_id` issued by `actor`.
pub(crate) fn credit_note_issued(company_id: Uuid, actor: &str, credit_note: &Document) -> Event {
    Event::about(names::CREDIT_NOTE_ISSUED, company_id, actor, |meta| {
        pb::CreditNoteIssued {
            meta: Some(meta),
            credit_note: Some(billing_document(credit_note)),
        }
    })
}

/// `quote.accepted`: a quote of `company_id` accepted, as recorded by `actor`.
pub(crate) fn quote_accepted(company_id: Uuid, actor: &str, quote: &Document) -> Event {
    Event::about(names::QUOTE_ACCEPTED, company_id, actor, |meta| {
        pb::QuoteAccepted {
            meta: Some(meta),
            quote: Some(billing_document(quote)),
        }
    })
}

/// The events' self-contained form of a stored document.
pub(crate) fn billing_document(row: &Document) -> pb::BillingDocument {
    pb::BillingDocument {
        document_id: row.document_id.to_string(),
        document_type: row.document_type.clone(),
        number: row.number.clone().unwrap_or_default(),
        document_date: date_string(Some(row.document_date)),
        due_date: date_string(row.due_date),
        currency_code: row.currency_code.clone(),
        party: Some(billing_party_of(row)),
        lines: row
            .lines
            .iter()
            .map(|line| pb::BillingLine {
                line_number: line.line_number,
                description: line.description.clone(),
                quantity: format_plain(line.quantity),
                unit_price: format_plain(line.unit_price),
                discount: format(line.discount, 2),
                vat_rate: format_plain(line.vat_rate),
                net_amount: format(line.net_amount, 2),
                // The kind of the line's item; empty for a line without one.
                supply_type: line.supply_type.clone().unwrap_or_default(),
                unit: line.unit.clone(),
            })
            .collect(),
        vat_amounts: row
            .vat
            .iter()
            .map(|vat| pb::BillingVatAmount {
                rate: format_plain(vat.rate),
                taxable_amount: format(vat.taxable_amount, 2),
                vat_amount: format(vat.vat_amount, 2),
            })
            .collect(),
        net_total: format(row.net_total, 2),
        vat_total: format(row.vat_total, 2),
        gross_total: format(row.gross_total, 2),
        vat_exemption: row.vat_exemption.clone(),
        oss: row.oss,
        credited_document_id: row
            .credited_document_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        credited_number: row.credited_number.clone(),
        credited_date: date_string(row.credited_date),
        category: row.category.clone(),
        late_penalty_rate: row.late_penalty_rate.map(format_plain).unwrap_or_default(),
        recovery_fee: row.recovery_fee,
    }
}

/// The party printed on a stored document, as events carry it.
pub(crate) fn billing_party_of(row: &Document) -> pb::BillingParty {
    pb::BillingParty {
        party_id: row.party_id.to_string(),
        kind: row.party_kind.clone(),
        name: row.party_name.clone(),
        siren: row.party_siren.clone(),
        vat_number: row.party_vat_number.clone(),
        address_line1: row.party_address_line1.clone(),
        address_line2: row.party_address_line2.clone(),
        address_postal_code: row.party_postal_code.clone(),
        address_city: row.party_city.clone(),
        address_country_code: row.party_country_code.clone(),
        accounting_code: row.party_accounting_code.clone(),
    }
}

/// A date as events carry it: "YYYY-MM-DD", empty for none.
fn date_string(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A party as `customer.changed` carries it.
pub(crate) fn billing_party(party: &Party) -> pb::BillingParty {
    let fields = &party.fields;
    let identity = &fields.identity;
    let address = &identity.address;
    pb::BillingParty {
        party_id: party.party_id.to_string(),
        kind: fields.kind.as_str().to_owned(),
        name: identity.legal_name.clone(),
        siren: identity.siren_str().to_owned(),
        vat_number: identity.vat_number_str().to_owned(),
        address_line1: address.line1.clone(),
        address_line2: address.line2.clone(),
        address_postal_code: address.postal_code.clone(),
        address_city: address.city.clone(),
        address_country_code: address.country_code.clone(),
        accounting_code: fields.accounting_code.clone(),
    }
}

/// `customer.changed`: a customer of `company_id` as it now is, changed by `actor`.
pub(crate) fn customer_changed(company_id: Uuid, actor: &str, customer: &Party) -> Event {
    Event::about(names::CUSTOMER_CHANGED, company_id, actor, |meta| {
        pb::CustomerChanged {
            meta: Some(meta),
            customer: Some(billing_party(customer)),
            archived: customer.archived_at.is_some(),
        }
    })
}

/// `lock_date.changed`: the lock date of `company_id` moved from `previous` to
/// `lock_date` (None: cleared), by `actor`, for `reason`.
pub(crate) fn lock_date_changed(
    company_id: Uuid,
    actor: &str,
    previous: Option<NaiveDate>,
    lock_date: Option<NaiveDate>,
    reason: &str,
) -> Event {
    Event::about(names::LOCK_DATE_CHANGED, company_id, actor, |meta| {
        pb::LockDateChanged {
            meta: Some(meta),
            lock_date: date_string(lock_date),
            previous_lock_date: date_string(previous),
            reason: reason.to_owned(),
        }
    })
}

/// `payment.recorded`: a payment of `company_id` recorded by `actor`, with each document
/// it settles (its balance due as it was before) and the share of it.
pub(crate) fn payment_recorded(
    company_id: Uuid,
    actor: &str,
    payment: &Payment,
    settled: &[(&Document, Decimal)],
) -> Event {
    let allocations = settled
        .iter()
        .map(|(document, share)| pb::BillingAllocation {
            document_id: document.document_id.to_string(),
            document_number: document.number.clone().unwrap_or_default(),
            document_type: document.document_type.clone(),
            amount: format(*share, 2),
            balance_due: format(payable(document.balance_due) - share, 2),
        })
        .collect();
    Event::about(names::PAYMENT_RECORDED, company_id, actor, |meta| {
        pb::PaymentRecorded {
            meta: Some(meta),
            payment_id: payment.payment_id.to_string(),
            direction: payment.direction.as_str().to_owned(),
            payment_date: date_string(Some(payment.payment_date)),
            method: payment.method.as_str().to_owned(),
            amount: format(payment.amount, 2),
            currency_code: payment.currency_code.clone(),
            reference: payment.reference.clone(),
            party: settled
                .first()
                .map(|(document, _)| billing_party_of(document)),
            allocations,
        }
    })
}

/// `purchase_invoice.recorded`: a supplier's invoice recorded by `actor`.
pub(crate) fn purchase_invoice_recorded(
    company_id: Uuid,
    actor: &str,
    invoice: &Document,
) -> Event {
    Event::about(
        names::PURCHASE_INVOICE_RECORDED,
        company_id,
        actor,
        |meta| pb::PurchaseInvoiceRecorded {
            meta: Some(meta),
            purchase_invoice: Some(billing_document(invoice)),
        },
    )
}
