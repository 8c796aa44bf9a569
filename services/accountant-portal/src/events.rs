//! What the portal consumes, to keep the projection its client list reads
//! (`store::clients`): tenancy's `company.created` and `company.updated` (the companies'
//! identity, creation and owning firm), `ownership.transferred` (the owning firm no
//! longer owns the company), `membership.granted` and `membership.revoked`
//! (each client's users), `firm_grant.created` and `firm_grant.revoked` (which firm keeps
//! which client's books); billing's `lock_date.changed`, `invoice.issued` and
//! `credit_note.issued` (lock date, last invoice date, turnover per year).
//!
//! Every event may come late, twice or out of order. The runtime's inbox applies each
//! event once; each write is order-safe by itself: a company event applies only when not
//! older than the company's version held, a grant, membership or lock date event only
//! when later than the last one applied to its row (UUIDv7 event ids sort by time), the
//! last invoice date only moves forward, the turnover is a sum of events applied once,
//! and a creation names its owning firm only while no ownership transfer is recorded.
//!
//! Row-level security (migration 0300): each consumer names itself for the company facts
//! it projects (`store::act_as_consumer`); the grants consumer acts as the firm the
//! grant names (`store::act_for_firm`), the only firm whose rows it writes, and the
//! ownership consumer as the firm that handed the company over (migration 0320).

use chrono::{DateTime, NaiveDate, Utc};
use comptoir_proto::events::v1::{
    AccountingSettingsChanged, BillingDocument, CompanyCreated, CreditNoteIssued, EventMeta,
    FirmGrantCreated, FirmGrantRevoked, InvoiceIssued, LockDateChanged, MembershipGranted,
    MembershipRevoked, OwnershipTransferred, PortfolioClientAdded, PortfolioClientDisconnected,
    PortfolioManagersAssigned,
};
use comptoir_runtime::events::consumer::event_uuid;
use comptoir_runtime::events::outbox::Event;
use comptoir_runtime::events::{Consume, Delivery, EventPayload, EventType, HandlerError, names};
use prost::Message as _;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::clients::{TurnoverDocument, turnover_change};
use crate::domain::settings::Versioned;
use crate::store::clients::{self, Announced};
use crate::store::{act_as_consumer, act_for_firm};

/// The consumer that keeps the directory's companies.
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
        act_as_consumer(conn, Self::NAME).await?;
        let identity = event.legal_identity();
        let CompanyCreated {
            meta,
            is_firm,
            version,
            owner_firm_id,
            ..
        } = event;
        let meta: EventMeta = meta.unwrap_or_default();
        let company_id = event_uuid("meta.company_id", &meta.company_id)?;
        let announced = Announced {
            company_id,
            legal_name: &identity.legal_name,
            siren: &identity.siren,
            is_firm,
            version,
        };
        if !clients::keep_company(conn, &announced).await? {
            tracing::info!(%company_id, version, "older company event set aside");
        }
        // `company.updated` is read as a `company.created` (their fields match) but has
        // no creation time or owner of its own.
        if delivery.event_type == names::COMPANY_CREATED {
            let owner_firm = match owner_firm_id.as_str() {
                "" => None,
                id => Some(event_uuid("owner_firm_id", id)?),
            };
            let created = occurred(&meta, delivery.event_id);
            clients::note_creation(conn, company_id, created, owner_firm).await?;
        }
        Ok(())
    }
}

/// The consumer that follows a company's change of owner: the new owner is an account,
/// so the company is no longer its firm's.
pub(crate) struct Ownership;

impl Consume for Ownership {
    type Event = OwnershipTransferred;
    const NAME: &'static str = "ownership";
    const EVENTS: &'static [EventType] = &[names::OWNERSHIP_TRANSFERRED];

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: OwnershipTransferred,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        act_as_consumer(conn, Self::NAME).await?;
        let company_id = company_of(event.meta.as_ref())?;
        if !clients::note_transfer(conn, company_id, delivery.event_id).await? {
            tracing::info!(%company_id, "older ownership transfer set aside");
        }
        // A firm handing its client over: its own record of owning it goes too.
        if !event.from_firm_id.is_empty() {
            let firm_id = event_uuid("from_firm_id", &event.from_firm_id)?;
            act_for_firm(conn, firm_id).await?;
            clients::disown(conn, firm_id, company_id).await?;
        }
        Ok(())
    }
}

/// When an event happened: its `occur_time`, or else the time in its UUIDv7 id.
fn occurred(meta: &EventMeta, event_id: Uuid) -> DateTime<Utc> {
    let from_meta = meta
        .occur_time
        .as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?));
    let from_id = || {
        let (secs, nanos) = event_id.get_timestamp()?.to_unix();
        DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
    };
    from_meta.or_else(from_id).unwrap_or_else(Utc::now)
}

/// A firm grant given or taken back.
pub(crate) enum GrantEvent {
    Created(FirmGrantCreated),
    Revoked(FirmGrantRevoked),
}

impl EventPayload for GrantEvent {
    fn from_payload(event_type: EventType, payload: &[u8]) -> Result<Self, prost::DecodeError> {
        Ok(if event_type == names::FIRM_GRANT_REVOKED {
            GrantEvent::Revoked(FirmGrantRevoked::decode(payload)?)
        } else {
            GrantEvent::Created(FirmGrantCreated::decode(payload)?)
        })
    }
}

/// The consumer that follows which firm holds a grant on which company.
pub(crate) struct FirmGrants;

impl Consume for FirmGrants {
    type Event = GrantEvent;
    const NAME: &'static str = "firm_grants";
    const EVENTS: &'static [EventType] = &[names::FIRM_GRANT_CREATED, names::FIRM_GRANT_REVOKED];

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: GrantEvent,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        let (meta, firm_id, granted) = match event {
            GrantEvent::Revoked(event) => (event.meta, event.firm_id, false),
            GrantEvent::Created(event) => (event.meta, event.firm_id, true),
        };
        let meta: EventMeta = meta.unwrap_or_default();
        let company_id = event_uuid("meta.company_id", &meta.company_id)?;
        let firm_id = event_uuid("firm_id", &firm_id)?;
        act_for_firm(conn, firm_id).await?;
        if !clients::keep_grant(conn, firm_id, company_id, granted, delivery.event_id).await? {
            tracing::info!(%firm_id, %company_id, "older firm grant event set aside");
        }
        Ok(())
    }
}

/// A membership given or taken back.
pub(crate) enum MembershipEvent {
    Granted(MembershipGranted),
    Revoked(MembershipRevoked),
}

impl EventPayload for MembershipEvent {
    fn from_payload(event_type: EventType, payload: &[u8]) -> Result<Self, prost::DecodeError> {
        Ok(if event_type == names::MEMBERSHIP_REVOKED {
            MembershipEvent::Revoked(MembershipRevoked::decode(payload)?)
        } else {
            MembershipEvent::Granted(MembershipGranted::decode(payload)?)
        })
    }
}

/// The consumer that counts each company's own users.
pub(crate) struct Memberships;

impl Consume for Memberships {
    type Event = MembershipEvent;
    const NAME: &'static str = "memberships";
    const EVENTS: &'static [EventType] = &[names::MEMBERSHIP_GRANTED, names::MEMBERSHIP_REVOKED];

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: MembershipEvent,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        act_as_consumer(conn, Self::NAME).await?;
        let (meta, user_id, active) = match event {
            MembershipEvent::Granted(event) => (event.meta, event.user_id, true),
            MembershipEvent::Revoked(event) => (event.meta, event.user_id, false),
        };
        let meta: EventMeta = meta.unwrap_or_default();
        let company_id = event_uuid("meta.company_id", &meta.company_id)?;
        let user_id = event_uuid("user_id", &user_id)?;
        if !clients::keep_membership(conn, company_id, user_id, active, delivery.event_id).await? {
            tracing::info!(%company_id, %user_id, "older membership event set aside");
        }
        Ok(())
    }
}

/// Billing's events the client list shows.
pub(crate) enum BillingEvent {
    LockDate(LockDateChanged),
    Invoice(InvoiceIssued),
    CreditNote(CreditNoteIssued),
}

impl EventPayload for BillingEvent {
    fn from_payload(event_type: EventType, payload: &[u8]) -> Result<Self, prost::DecodeError> {
        Ok(if event_type == names::LOCK_DATE_CHANGED {
            BillingEvent::LockDate(LockDateChanged::decode(payload)?)
        } else if event_type == names::CREDIT_NOTE_ISSUED {
            BillingEvent::CreditNote(CreditNoteIssued::decode(payload)?)
        } else {
            BillingEvent::Invoice(InvoiceIssued::decode(payload)?)
        })
    }
}

/// The consumer that follows each company's lock date, last invoice and turnover.
pub(crate) struct ClientActivity;

impl Consume for ClientActivity {
    type Event = BillingEvent;
    const NAME: &'static str = "client_activity";
    const EVENTS: &'static [EventType] = &[
        names::LOCK_DATE_CHANGED,
        names::INVOICE_ISSUED,
        names::CREDIT_NOTE_ISSUED,
    ];

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: BillingEvent,
        delivery: &Delivery,
    ) -> Result<(), HandlerError> {
        act_as_consumer(conn, Self::NAME).await?;
        match event {
            BillingEvent::LockDate(event) => {
                let company_id = company_of(event.meta.as_ref())?;
                let lock_date = match event.lock_date.as_str() {
                    "" => None,
                    date => Some(event_date("lock_date", date)?),
                };
                if !clients::keep_lock_date(conn, company_id, lock_date, delivery.event_id).await? {
                    tracing::info!(%company_id, "older lock date event set aside");
                }
            }
            BillingEvent::Invoice(event) => {
                let company_id = company_of(event.meta.as_ref())?;
                let invoice = event.invoice.unwrap_or_default();
                let issue_date = count_turnover(
                    conn,
                    company_id,
                    TurnoverDocument::Invoice,
                    ("invoice", &invoice),
                )
                .await?;
                clients::note_invoice(conn, company_id, issue_date).await?;
            }
            BillingEvent::CreditNote(event) => {
                let company_id = company_of(event.meta.as_ref())?;
                let credit_note = event.credit_note.unwrap_or_default();
                count_turnover(
                    conn,
                    company_id,
                    TurnoverDocument::CreditNote,
                    ("credit_note", &credit_note),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// The company an event is about.
fn company_of(meta: Option<&EventMeta>) -> Result<Uuid, HandlerError> {
    event_uuid(
        "meta.company_id",
        meta.map(|m| m.company_id.as_str()).unwrap_or(""),
    )
}

/// A date carried in an event, "YYYY-MM-DD"; a malformed one rejects the event.
fn event_date(field: &str, value: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| HandlerError::Rejected(format!("{field} `{value}` is not a date")))
}

/// Adds an issued document (`field` names it in a rejection) to its company's turnover
/// of its year, and returns its issue date. Only euros count: a document in another
/// currency is logged and left out of the turnover.
async fn count_turnover(
    conn: &mut PgConnection,
    company_id: Uuid,
    kind: TurnoverDocument,
    (field, document): (&str, &BillingDocument),
) -> Result<NaiveDate, HandlerError> {
    let issue_date = event_date(&format!("{field}.document_date"), &document.document_date)?;
    if document.currency_code != "EUR" {
        tracing::warn!(%company_id, currency = %document.currency_code,
            "document not in euros left out of the turnover");
        return Ok(issue_date);
    }
    // Read as any decimal: the domain counts a credit note negative whichever sign
    // billing writes it with.
    let net_total: Decimal = document.net_total.trim().parse().map_err(|_| {
        HandlerError::Rejected(format!(
            "{field}.net_total `{}` is not a decimal",
            document.net_total
        ))
    })?;
    let (year, change) = turnover_change(kind, issue_date, net_total);
    clients::add_turnover(conn, company_id, year, change).await?;
    Ok(issue_date)
}

/// `accounting_settings.changed`: `company_id`'s settings (the firm's default when it is
/// the firm) in `firm_id`'s portfolio are now `stored`.
pub(crate) fn accounting_settings_changed(
    firm_id: Uuid,
    company_id: Uuid,
    is_firm_default: bool,
    stored: &Versioned,
    actor: &str,
) -> Event {
    Event::about(
        names::ACCOUNTING_SETTINGS_CHANGED,
        company_id,
        actor,
        |meta| AccountingSettingsChanged {
            meta: Some(meta),
            firm_id: firm_id.to_string(),
            is_firm_default,
            settings: Some((&stored.settings).into()),
            version: stored.version,
        },
    )
}

/// `portfolio.client_added`: `client_id` entered `firm_id`'s portfolio.
pub(crate) fn portfolio_client_added(
    firm_id: Uuid,
    client_id: Uuid,
    file_code: &str,
    owned_by_firm: bool,
    actor: &str,
) -> Event {
    Event::about(names::PORTFOLIO_CLIENT_ADDED, firm_id, actor, |meta| {
        PortfolioClientAdded {
            meta: Some(meta),
            client_id: client_id.to_string(),
            file_code: file_code.to_owned(),
            owned_by_firm,
        }
    })
}

/// `portfolio.managers_assigned`: `managers` now look after `client_id` in `firm_id`'s
/// portfolio.
pub(crate) fn portfolio_managers_assigned(
    firm_id: Uuid,
    client_id: Uuid,
    managers: &[Uuid],
    actor: &str,
) -> Event {
    Event::about(names::PORTFOLIO_MANAGERS_ASSIGNED, firm_id, actor, |meta| {
        PortfolioManagersAssigned {
            meta: Some(meta),
            client_id: client_id.to_string(),
            user_ids: managers.iter().map(Uuid::to_string).collect(),
        }
    })
}

/// `portfolio.client_disconnected`: `firm_id`'s grant on `client_id` ended through the
/// portal, its ownership handed to `new_owner` when named.
pub(crate) fn portfolio_client_disconnected(
    firm_id: Uuid,
    client_id: Uuid,
    new_owner: Option<Uuid>,
    actor: &str,
) -> Event {
    Event::about(
        names::PORTFOLIO_CLIENT_DISCONNECTED,
        firm_id,
        actor,
        |meta| PortfolioClientDisconnected {
            meta: Some(meta),
            client_id: client_id.to_string(),
            new_owner_id: new_owner.map(|user| user.to_string()).unwrap_or_default(),
        },
    )
}
