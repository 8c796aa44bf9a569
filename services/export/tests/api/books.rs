//! A company's billing activity as billing publishes it: documents and payments built as
//! billing's events carry them (VAT per rate rounded half-up, totals), published straight
//! onto the test's NATS, each remembered so a test can publish the same events again.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::events::v1 as pb;
use comptoir_runtime::events::{EventType, names};
use comptoir_test_support::{Harness, publish, publish_company_created, scoped_token};
use prost::Message as _;
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

/// One event as published: its type and payload.
#[derive(Clone)]
pub(crate) struct Published {
    pub(crate) event_type: EventType,
    pub(crate) payload: Vec<u8>,
}

/// A company known to export (its seller profile) and what it publishes.
pub(crate) struct Books {
    pub(crate) company_id: Uuid,
    pub(crate) token: String,
    pub(crate) published: Vec<Published>,
    /// The documents issued, as billing sent them.
    pub(crate) documents: Vec<pb::BillingDocument>,
}

pub(crate) fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub(crate) fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Noon UTC of a day: when the event of a document of that day happened.
pub(crate) fn noon(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(s).and_hms_opt(12, 0, 0).unwrap())
}

/// A customer or supplier.
pub(crate) fn party(name: &str, code: &str, country: &str) -> pb::BillingParty {
    pb::BillingParty {
        party_id: Uuid::now_v7().to_string(),
        kind: "professional".to_owned(),
        name: name.to_owned(),
        address_country_code: country.to_owned(),
        accounting_code: code.to_owned(),
        ..Default::default()
    }
}

/// A line of `net` at `rate`, goods or services.
pub(crate) fn line(rate: &str, supply: &str, net: &str) -> pb::BillingLine {
    pb::BillingLine {
        description: format!("{supply} à {rate} %"),
        quantity: "1".to_owned(),
        unit_price: net.to_owned(),
        discount: "0.00".to_owned(),
        vat_rate: rate.to_owned(),
        net_amount: net.to_owned(),
        supply_type: supply.to_owned(),
        ..Default::default()
    }
}

/// A document of `kind` with `lines`, its VAT per rate and totals computed as billing
/// does (per rate, half-up to the cent).
pub(crate) fn document(
    kind: &str,
    number: &str,
    date: &str,
    party: &pb::BillingParty,
    mut lines: Vec<pb::BillingLine>,
) -> pb::BillingDocument {
    let mut rates: Vec<(Decimal, Decimal)> = Vec::new();
    for (index, line) in lines.iter_mut().enumerate() {
        line.line_number = i32::try_from(index + 1).unwrap();
        let rate = d(&line.vat_rate);
        match rates.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, base)) => *base += d(&line.net_amount),
            None => rates.push((rate, d(&line.net_amount))),
        }
    }
    let vat_amounts: Vec<pb::BillingVatAmount> = rates
        .iter()
        .map(|(rate, base)| pb::BillingVatAmount {
            rate: rate.normalize().to_string(),
            taxable_amount: base.round_dp(2).to_string(),
            vat_amount: (base * rate / Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                .to_string(),
        })
        .collect();
    let net: Decimal = rates.iter().map(|(_, base)| *base).sum();
    let vat: Decimal = vat_amounts.iter().map(|v| d(&v.vat_amount)).sum();
    pb::BillingDocument {
        document_id: Uuid::now_v7().to_string(),
        document_type: kind.to_owned(),
        number: number.to_owned(),
        document_date: date.to_owned(),
        currency_code: "EUR".to_owned(),
        party: Some(party.clone()),
        lines,
        vat_amounts,
        net_total: format!("{net:.2}"),
        vat_total: format!("{vat:.2}"),
        gross_total: format!("{:.2}", net + vat),
        vat_exemption: if rates.iter().any(|(r, _)| r.is_zero()) {
            "TVA non applicable, art. 293 B du CGI".to_owned()
        } else {
            String::new()
        },
        ..Default::default()
    }
}

/// A payment of `amount` on `date`, settling `allocations` (document, amount).
pub(crate) fn payment(
    direction: &str,
    date: &str,
    party: &pb::BillingParty,
    allocations: &[(&pb::BillingDocument, &str)],
) -> pb::PaymentRecorded {
    let amount: Decimal = allocations.iter().map(|(_, a)| d(a)).sum();
    pb::PaymentRecorded {
        meta: None,
        payment_id: Uuid::now_v7().to_string(),
        direction: direction.to_owned(),
        payment_date: date.to_owned(),
        method: "transfer".to_owned(),
        amount: format!("{amount:.2}"),
        currency_code: "EUR".to_owned(),
        reference: String::new(),
        party: Some(party.clone()),
        allocations: allocations
            .iter()
            .map(|(document, amount)| pb::BillingAllocation {
                document_id: document.document_id.clone(),
                document_number: document.number.clone(),
                document_type: document.document_type.clone(),
                amount: (*amount).to_owned(),
                balance_due: String::new(),
            })
            .collect(),
    }
}

impl Books {
    /// A company created on tenancy's stream (so export holds its seller profile), and a
    /// token with `exports.read` on it.
    pub(crate) async fn open(harness: &Harness, siren: &str) -> Self {
        let company_id =
            publish_company_created(&harness.nats, "Boulangerie Dupont", siren, false).await;
        let token = scoped_token(&harness.db, company_id, &[Permission::ExportsRead]).await;
        Self {
            company_id,
            token,
            published: Vec::new(),
            documents: Vec::new(),
        }
    }

    /// The facts of an event of this company at `at`.
    fn meta(&self, at: DateTime<Utc>) -> pb::EventMeta {
        pb::EventMeta {
            event_id: Uuid::now_v7().to_string(),
            occur_time: Some(prost_types::Timestamp {
                seconds: at.timestamp(),
                nanos: 0,
            }),
            company_id: self.company_id.to_string(),
            actor: "service:billing".to_owned(),
        }
    }

    /// Publishes `document` on the event of its type, happening on its date.
    pub(crate) async fn issue(&mut self, harness: &Harness, document: &pb::BillingDocument) {
        let meta = Some(self.meta(noon(&document.document_date)));
        let (event_type, payload) = match document.document_type.as_str() {
            "credit_note" => (
                names::CREDIT_NOTE_ISSUED,
                pb::CreditNoteIssued {
                    meta,
                    credit_note: Some(document.clone()),
                }
                .encode_to_vec(),
            ),
            "purchase_invoice" => (
                names::PURCHASE_INVOICE_RECORDED,
                pb::PurchaseInvoiceRecorded {
                    meta,
                    purchase_invoice: Some(document.clone()),
                }
                .encode_to_vec(),
            ),
            _ => (
                names::INVOICE_ISSUED,
                pb::InvoiceIssued {
                    meta,
                    invoice: Some(document.clone()),
                }
                .encode_to_vec(),
            ),
        };
        self.send(harness, event_type, payload).await;
        self.documents.push(document.clone());
    }

    /// Publishes `payment`, happening on its date.
    pub(crate) async fn pay(&mut self, harness: &Harness, mut payment: pb::PaymentRecorded) {
        payment.meta = Some(self.meta(noon(&payment.payment_date)));
        self.send(harness, names::PAYMENT_RECORDED, payment.encode_to_vec())
            .await;
    }

    /// Publishes the portal's `accounting_settings.changed` for this company, version
    /// `version`, happening at `at`.
    pub(crate) async fn change_settings(
        &mut self,
        harness: &Harness,
        settings: comptoir_proto::accountant_portal::v1::AccountingSettings,
        version: i64,
        at: DateTime<Utc>,
    ) {
        let event = pb::AccountingSettingsChanged {
            meta: Some(self.meta(at)),
            firm_id: Uuid::now_v7().to_string(),
            is_firm_default: false,
            settings: Some(settings),
            version,
        };
        self.send(
            harness,
            names::ACCOUNTING_SETTINGS_CHANGED,
            event.encode_to_vec(),
        )
        .await;
    }

    /// Publishes one event under a fresh message id and remembers it.
    async fn send(&mut self, harness: &Harness, event_type: EventType, payload: Vec<u8>) {
        publish_again(
            harness,
            &Published {
                event_type,
                payload: payload.clone(),
            },
        )
        .await;
        self.published.push(Published {
            event_type,
            payload,
        });
    }
}

/// Publishes `event` again under a fresh message id: to the consumers' inbox a new
/// delivery of the same event (its payload, event id included, unchanged).
pub(crate) async fn publish_again(harness: &Harness, event: &Published) {
    publish(
        &harness.nats,
        event.event_type.service,
        &event.event_type.subject(),
        &Uuid::now_v7().to_string(),
        event.payload.clone(),
    )
    .await;
}
