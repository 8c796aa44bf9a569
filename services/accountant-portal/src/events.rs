//! What the portal consumes: tenancy's `company.created` and `company.updated` keep its
//! directory of companies, and `firm_grant.created` and `firm_grant.revoked` say which of
//! them each firm may see. Every event may come late, twice or out of order: a company
//! event applies only when not older than the company's version held, a grant event only
//! when later than the last one applied to the pair (see `store`).

use std::sync::Arc;

use comptoir_proto::events::v1::{CompanyCreated, EventMeta, FirmGrantCreated, FirmGrantRevoked};
use comptoir_runtime::events::consumer::{Handler, event_uuid};
use comptoir_runtime::events::{Consumer, HandlerError, names};

use crate::store::{self, Announced};

/// The consumer that keeps the directory's companies.
pub(crate) fn companies() -> Consumer {
    let handler: Handler = Arc::new(|conn, delivery| {
        Box::pin(async move {
            // CompanyUpdated shares CompanyCreated's field numbers (it lacks only the
            // owner), so one decoding reads the identity of either.
            let CompanyCreated {
                meta,
                legal_name,
                siren,
                is_firm,
                version,
                ..
            } = delivery.decode()?;
            let meta: EventMeta = meta.unwrap_or_default();
            let company_id = event_uuid("meta.company_id", &meta.company_id)?;
            let announced = Announced {
                company_id,
                legal_name: &legal_name,
                siren: &siren,
                is_firm,
                version,
            };
            if !store::keep_company(conn, &announced).await? {
                tracing::info!(%company_id, version, "older company event set aside");
            }
            Ok::<(), HandlerError>(())
        })
    });
    Consumer {
        name: "companies",
        events: vec![names::COMPANY_CREATED, names::COMPANY_UPDATED],
        handler,
    }
}

/// The consumer that follows which firm holds a grant on which company.
pub(crate) fn firm_grants() -> Consumer {
    let handler: Handler = Arc::new(|conn, delivery| {
        Box::pin(async move {
            let (meta, firm_id, granted) = if delivery.event_type == names::FIRM_GRANT_REVOKED {
                let event: FirmGrantRevoked = delivery.decode()?;
                (event.meta, event.firm_id, false)
            } else {
                let event: FirmGrantCreated = delivery.decode()?;
                (event.meta, event.firm_id, true)
            };
            let meta: EventMeta = meta.unwrap_or_default();
            let company_id = event_uuid("meta.company_id", &meta.company_id)?;
            let firm_id = event_uuid("firm_id", &firm_id)?;
            if !store::keep_grant(conn, firm_id, company_id, granted, delivery.event_id).await? {
                tracing::info!(%firm_id, %company_id, "older firm grant event set aside");
            }
            Ok::<(), HandlerError>(())
        })
    });
    Consumer {
        name: "firm_grants",
        events: vec![names::FIRM_GRANT_CREATED, names::FIRM_GRANT_REVOKED],
        handler,
    }
}
