//! What export consumes.
//!
//! - Tenancy's `company.created` and `company.updated` keep each company's seller
//!   profile, its bank account included ([`Companies`]). Both carry the whole identity and the company's version, so
//!   they apply in any order: an update arriving first adds the profile, and an event
//!   older than the profile held is set aside.
//! - Billing's `invoice.issued`, `credit_note.issued`, `purchase_invoice.recorded` and
//!   `payment.recorded` post one accounting entry each ([`Ledger`]); each event is the
//!   whole document or payment, so a redelivery or a replay posts the same entry, and a
//!   payment arriving before its invoice is lettered when the invoice comes. The same
//!   consumer keeps the documents and payments the reports read (due dates, parties'
//!   countries, OSS, allocations), in the same transaction.
//! - The portal's `accounting_settings.changed` keeps every version of a company's
//!   accounts ([`Settings`]); entries already posted for its time onwards are rewritten.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use comptoir_proto::events::v1::{
    self as pb, AccountingSettingsChanged, CompanyCreated, EventMeta,
};
use comptoir_proto::types::v1::{BankAccount, LegalIdentity};
use comptoir_runtime::events::consumer::{EventPayload, event_uuid};
use comptoir_runtime::events::{Consume, Delivery, EventType, HandlerError, names};
use prost::Message as _;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::app;
use crate::app::documents::Kept;
use crate::domain::documents::{
    DocumentDetails, IssuedDocument, PartyKind, PostalAddress, PrintedLine, RecordedPayment,
};
use crate::domain::ledger::{
    self, Allocation, Direction, Document, DocumentKind, DocumentLine, PartyRef, Payment, Supply,
    VatAmount,
};
use crate::domain::profile::SellerIdentity;
use crate::domain::settings::AccountingSettings;
use crate::store::settings::SettingsKey;
use crate::store::{self, profiles};

/// The consumer that keeps seller profiles.
pub(crate) struct Companies;

impl Consume for Companies {
    type Event = CompanyCreated;
    const NAME: &'static str = "companies";
    const EVENTS: &'static [EventType] = names::COMPANY_CHANGES;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: CompanyCreated,
        _: &Delivery,
    ) -> Result<(), HandlerError> {
        let identity = seller_identity_of(event.legal_identity(), event.bank_account.as_ref());
        let (meta, version) = (event.meta.unwrap_or_default(), event.version);
        let company_id = event_uuid("meta.company_id", &meta.company_id)?;
        store::act_for(conn, company_id).await?;
        if !profiles::keep_profile(conn, company_id, &identity, version).await? {
            tracing::info!(%company_id, version, "older company event set aside");
        }
        Ok(())
    }
}

/// A company's legal identity and bank account as invoices print them. The account is as
/// tenancy checked it; one that would not parse (never published) is left out rather
/// than printed.
fn seller_identity_of(identity: LegalIdentity, account: Option<&BankAccount>) -> SellerIdentity {
    let address = identity.address.unwrap_or_default();
    SellerIdentity {
        legal_name: identity.legal_name,
        siren: identity.siren,
        siret: identity.siret,
        legal_form: identity.legal_form,
        vat_number: identity.vat_number,
        rcs_city: identity.rcs_city,
        share_capital_amount: identity.share_capital_amount,
        share_capital_currency: identity.share_capital_currency_code,
        address: PostalAddress {
            line1: address.line1,
            line2: address.line2,
            postal_code: address.postal_code,
            city: address.city,
            country_code: address.country_code,
        },
        bank_account: account.and_then(|account| account.try_into().ok()),
    }
}

/// The billing events the ledger posts: a document (the three document events share
/// their layout: `meta`, then the document) or a payment.
pub(crate) enum BillingEvent {
    Document(DocumentKind, Box<pb::InvoiceIssued>),
    Payment(Box<pb::PaymentRecorded>),
}

impl EventPayload for BillingEvent {
    fn from_payload(event_type: EventType, payload: &[u8]) -> Result<Self, prost::DecodeError> {
        if event_type == names::PAYMENT_RECORDED {
            return Ok(BillingEvent::Payment(Box::new(
                pb::PaymentRecorded::decode(payload)?,
            )));
        }
        let kind = if event_type == names::CREDIT_NOTE_ISSUED {
            DocumentKind::CreditNote
        } else if event_type == names::PURCHASE_INVOICE_RECORDED {
            DocumentKind::PurchaseInvoice
        } else {
            DocumentKind::Invoice
        };
        let event = pb::InvoiceIssued::decode(payload)?;
        Ok(BillingEvent::Document(kind, Box::new(event)))
    }
}

/// The consumer that posts billing's documents and payments to the ledger.
pub(crate) struct Ledger;

/// Billing's events the ledger posts.
const LEDGER_EVENTS: &[EventType] = &[
    names::INVOICE_ISSUED,
    names::CREDIT_NOTE_ISSUED,
    names::PURCHASE_INVOICE_RECORDED,
    names::PAYMENT_RECORDED,
];

impl Consume for Ledger {
    type Event = BillingEvent;
    const NAME: &'static str = "ledger";
    const EVENTS: &'static [EventType] = LEDGER_EVENTS;

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: BillingEvent,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let (meta, entry, kept) = match event {
            BillingEvent::Document(kind, event) => {
                let pb::InvoiceIssued { meta, invoice } = *event;
                let issued = issued_of(kind, invoice.unwrap_or_default())?;
                let entry = ledger::document_entry(&issued.document);
                (meta, entry, Kept::Document(Box::new(issued)))
            }
            BillingEvent::Payment(payment) => {
                let meta = payment.meta.clone();
                let method = payment.method.clone();
                let payment = payment_of(*payment)?;
                let entry = ledger::payment_entry(&payment);
                (
                    meta,
                    entry,
                    Kept::Payment(RecordedPayment { payment, method }),
                )
            }
        };
        let entry = entry.map_err(|unbalanced| {
            tracing::error!(event_id = %delivery.event_id, %unbalanced, "unbalanced entry refused");
            HandlerError::Rejected(unbalanced.to_string())
        })?;
        let (company_id, occurred_at) = facts(meta)?;
        store::act_for(conn, company_id).await?;
        if !app::ledger::post(conn, company_id, occurred_at, &entry).await? {
            tracing::info!(%company_id, entry_id = %entry.entry_id, "entry already posted");
        }
        app::documents::keep(conn, company_id, &kept).await?;
        Ok(())
    }
}

/// The consumer that keeps accounting settings.
pub(crate) struct Settings;

impl Consume for Settings {
    type Event = AccountingSettingsChanged;
    const NAME: &'static str = "accounting-settings";
    const EVENTS: &'static [EventType] = &[names::ACCOUNTING_SETTINGS_CHANGED];

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: AccountingSettingsChanged,
        _: &Delivery,
    ) -> Result<(), HandlerError> {
        let (company_id, effective_at) = facts(event.meta)?;
        let key = SettingsKey {
            company_id,
            is_firm_default: event.is_firm_default,
            version: event.version,
            firm_id: event_uuid("firm_id", &event.firm_id)?,
        };
        let settings = AccountingSettings::from(event.settings.unwrap_or_default());
        store::act_for(conn, company_id).await?;
        if !app::ledger::keep_settings(conn, key, effective_at, &settings).await? {
            tracing::info!(%company_id, version = key.version, "settings version already held");
        }
        Ok(())
    }
}

/// The company an event belongs to and when it happened.
fn facts(meta: Option<EventMeta>) -> Result<(Uuid, DateTime<Utc>), HandlerError> {
    let meta = meta.unwrap_or_default();
    let company_id = event_uuid("meta.company_id", &meta.company_id)?;
    let time = meta
        .occur_time
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .ok_or_else(|| HandlerError::Rejected("meta.occur_time is missing".to_owned()))?;
    Ok((company_id, time))
}

/// A decimal an event carries; a malformed one rejects the event.
fn decimal(field: &str, value: &str) -> Result<Decimal, HandlerError> {
    Decimal::from_str(value.trim())
        .map_err(|_| HandlerError::Rejected(format!("{field} `{value}` is not a decimal")))
}

/// A decimal an event may leave empty.
fn optional_decimal(field: &str, value: &str) -> Result<Option<Decimal>, HandlerError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        decimal(field, value).map(Some)
    }
}

/// A date an event carries.
fn date(field: &str, value: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| HandlerError::Rejected(format!("{field} `{value}` is not a date")))
}

/// The party an event names.
fn party_of(party: Option<pb::BillingParty>) -> PartyRef {
    let party = party.unwrap_or_default();
    PartyRef {
        party_id: Uuid::parse_str(&party.party_id).ok(),
        code: party.accounting_code,
        name: party.name,
    }
}

/// A billing document as the ledger and the reports read it.
fn issued_of(
    kind: DocumentKind,
    document: pb::BillingDocument,
) -> Result<IssuedDocument, HandlerError> {
    let party = document.party.clone().unwrap_or_default();
    let optional_date = |field: &str, value: &str| {
        if value.is_empty() {
            Ok(None)
        } else {
            date(field, value).map(Some)
        }
    };
    let lines = document
        .lines
        .iter()
        .map(|line| {
            Ok(PrintedLine {
                line_number: line.line_number,
                description: line.description.clone(),
                quantity: decimal("lines.quantity", &line.quantity)?,
                unit_price: decimal("lines.unit_price", &line.unit_price)?,
                discount: optional_decimal("lines.discount", &line.discount)?.unwrap_or_default(),
                vat_rate: decimal("lines.vat_rate", &line.vat_rate)?,
                net_amount: decimal("lines.net_amount", &line.net_amount)?,
                unit: line.unit.clone(),
            })
        })
        .collect::<Result<_, HandlerError>>()?;
    let details = DocumentDetails {
        currency_code: document.currency_code.clone(),
        party_siren: party.siren.clone(),
        party_address: PostalAddress {
            line1: party.address_line1.clone(),
            line2: party.address_line2.clone(),
            postal_code: party.address_postal_code.clone(),
            city: party.address_city.clone(),
            country_code: party.address_country_code.clone(),
        },
        vat_exemption: document.vat_exemption.clone(),
        late_penalty_rate: optional_decimal("late_penalty_rate", &document.late_penalty_rate)?,
        recovery_fee: document.recovery_fee,
        credited_number: document.credited_number.clone(),
        credited_date: optional_date("credited_date", &document.credited_date)?,
        lines,
    };
    Ok(IssuedDocument {
        details,
        due_date: optional_date("due_date", &document.due_date)?,
        party_kind: PartyKind::from_text(&party.kind),
        // Billing keeps no delivery address: the member state of consumption of a
        // distance sale is its customer's country.
        oss_country: (document.oss && !party.address_country_code.is_empty())
            .then(|| party.address_country_code.clone()),
        party_country: party.address_country_code,
        party_vat_number: party.vat_number,
        net_total: decimal("net_total", &document.net_total)?,
        vat_total: decimal("vat_total", &document.vat_total)?,
        credited_document_id: Uuid::parse_str(&document.credited_document_id).ok(),
        document: document_of(kind, document)?,
    })
}

/// A billing document as the ledger reads it.
fn document_of(
    kind: DocumentKind,
    document: pb::BillingDocument,
) -> Result<Document, HandlerError> {
    let lines = document
        .lines
        .iter()
        .map(|line| {
            Ok(DocumentLine {
                vat_rate: decimal("lines.vat_rate", &line.vat_rate)?,
                supply: Supply::from_text(&line.supply_type),
                net_amount: decimal("lines.net_amount", &line.net_amount)?,
            })
        })
        .collect::<Result<_, HandlerError>>()?;
    let vat = document
        .vat_amounts
        .iter()
        .map(|vat| {
            Ok(VatAmount {
                rate: decimal("vat_amounts.rate", &vat.rate)?,
                taxable_amount: decimal("vat_amounts.taxable_amount", &vat.taxable_amount)?,
                vat_amount: decimal("vat_amounts.vat_amount", &vat.vat_amount)?,
            })
        })
        .collect::<Result<_, HandlerError>>()?;
    Ok(Document {
        document_id: event_uuid("document_id", &document.document_id)?,
        kind,
        number: document.number,
        date: date("document_date", &document.document_date)?,
        party: party_of(document.party),
        lines,
        vat,
        gross_total: decimal("gross_total", &document.gross_total)?,
    })
}

/// A billing payment as the ledger reads it.
fn payment_of(payment: pb::PaymentRecorded) -> Result<Payment, HandlerError> {
    let allocations = payment
        .allocations
        .iter()
        .map(|allocation| {
            Ok(Allocation {
                document_id: event_uuid("allocations.document_id", &allocation.document_id)?,
                document_number: allocation.document_number.clone(),
                amount: decimal("allocations.amount", &allocation.amount)?,
            })
        })
        .collect::<Result<_, HandlerError>>()?;
    Ok(Payment {
        payment_id: event_uuid("payment_id", &payment.payment_id)?,
        direction: match payment.direction.as_str() {
            "paid" => Direction::Paid,
            "received" => Direction::Received,
            other => {
                return Err(HandlerError::Rejected(format!(
                    "direction `{other}` is unknown"
                )));
            }
        },
        date: date("payment_date", &payment.payment_date)?,
        amount: decimal("amount", &payment.amount)?,
        reference: payment.reference,
        party: party_of(payment.party),
        allocations,
    })
}
