//! What export consumes: tenancy's `company.created` and `company.updated` keep each
//! company's seller profile. Both carry the whole identity and the company's version, so
//! they apply in any order: an update arriving first adds the profile, and an event older
//! than the profile held is set aside.

use comptoir_proto::events::v1::CompanyCreated;
use comptoir_runtime::events::consumer::event_uuid;
use comptoir_runtime::events::{Consume, Delivery, EventType, HandlerError, names};
use sqlx::PgConnection;

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
        let identity = event.legal_identity();
        let (meta, version) = (event.meta.unwrap_or_default(), event.version);
        let company_id = event_uuid("meta.company_id", &meta.company_id)?;
        store::act_for(conn, company_id).await?;
        if !profiles::keep_profile(
            conn,
            company_id,
            &identity.legal_name,
            &identity.siren,
            version,
        )
        .await?
        {
            tracing::info!(%company_id, version, "older company event set aside");
        }
        Ok(())
    }
}
