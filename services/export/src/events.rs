//! What export consumes: tenancy's `company.created` and `company.updated` keep each
//! company's seller profile. Both carry the whole identity and the company's version, so
//! they apply in any order: an update arriving first adds the profile, and an event older
//! than the profile held is set aside.

use std::sync::Arc;

use comptoir_proto::events::v1::CompanyCreated;
use comptoir_runtime::events::consumer::{Handler, event_uuid};
use comptoir_runtime::events::{Consumer, HandlerError, names};

use crate::store;

/// The consumer that keeps seller profiles.
pub(crate) fn companies() -> Consumer {
    let handler: Handler = Arc::new(|conn, delivery| {
        Box::pin(async move {
            // CompanyUpdated shares CompanyCreated's field numbers (it lacks only the
            // owner), so one decoding reads the identity of either.
            let CompanyCreated {
                meta,
                legal_name,
                siren,
                version,
                ..
            } = delivery.decode()?;
            let meta = meta.unwrap_or_default();
            let company_id = event_uuid("meta.company_id", &meta.company_id)?;
            if !store::keep_profile(conn, company_id, &legal_name, &siren, version).await? {
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
