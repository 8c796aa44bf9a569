//! What the portal consumes: `tenancy.company.created` fills its directory.

use std::sync::Arc;

use comptoir_proto::events::v1::CompanyCreated;
use comptoir_runtime::events::consumer::{Handler, event_uuid};
use comptoir_runtime::events::{Consumer, HandlerError, names};

use crate::store;

/// The consumer that records new companies in the directory.
pub(crate) fn companies() -> Consumer {
    let handler: Handler = Arc::new(|conn, delivery| {
        Box::pin(async move {
            let event: CompanyCreated = delivery.decode()?;
            let meta = event.meta.unwrap_or_default();
            let company_id = event_uuid("meta.company_id", &meta.company_id)?;
            store::record_company(
                conn,
                company_id,
                &event.legal_name,
                &event.siren,
                event.is_firm,
            )
            .await?;
            Ok::<(), HandlerError>(())
        })
    });
    Consumer {
        name: "companies",
        events: vec![names::COMPANY_CREATED],
        handler,
    }
}
