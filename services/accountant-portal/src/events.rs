//! What the portal consumes: tenancy's `company.created` and `company.updated` keep its
//! directory of companies, and `firm_grant.created` and `firm_grant.revoked` say which of
//! them each firm may see. Every event may come late, twice or out of order: a company
//! event applies only when not older than the company's version held, a grant event only
//! when later than the last one applied to the pair (see `store::clients`).

use comptoir_proto::events::v1::{CompanyCreated, EventMeta, FirmGrantCreated, FirmGrantRevoked};
use comptoir_runtime::events::consumer::event_uuid;
use comptoir_runtime::events::{Consume, Delivery, EventPayload, EventType, HandlerError, names};
use prost::Message as _;
use sqlx::PgConnection;

use crate::store::clients::{self, Announced};

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
        _: &Delivery,
    ) -> Result<(), HandlerError> {
        let identity = event.legal_identity();
        let CompanyCreated {
            meta,
            is_firm,
            version,
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
        Ok(())
    }
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
        if !clients::keep_grant(conn, firm_id, company_id, granted, delivery.event_id).await? {
            tracing::info!(%firm_id, %company_id, "older firm grant event set aside");
        }
        Ok(())
    }
}
