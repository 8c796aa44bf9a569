//! What identity consumes: `tenancy.membership.revoked` takes the company away from the
//! removed member's sessions at once, so their next refresh gives a token without it.

use std::sync::Arc;

use comptoir_proto::events::v1::MembershipRevoked;
use comptoir_runtime::events::consumer::{Handler, event_uuid};
use comptoir_runtime::events::{Consumer, HandlerError, names};

use crate::store;

/// The consumer of membership revocations.
pub(crate) fn memberships() -> Consumer {
    let handler: Handler = Arc::new(|conn, delivery| {
        Box::pin(async move {
            let event: MembershipRevoked = delivery.decode()?;
            let meta = event.meta.unwrap_or_default();
            let company = event_uuid("meta.company_id", &meta.company_id)?;
            let user = event_uuid("user_id", &event.user_id)?;
            let sessions = store::drop_company_from_sessions(conn, user, company).await?;
            tracing::info!(user_id = %user, company_id = %company, sessions, "membership revoked: company dropped from sessions");
            Ok::<(), HandlerError>(())
        })
    });
    Consumer {
        name: "memberships",
        events: vec![names::MEMBERSHIP_REVOKED],
        handler,
    }
}
