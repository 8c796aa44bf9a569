//! What identity publishes and consumes. It publishes `user.registered` in the
//! transaction that creates an account, and `session.revoked` whenever sessions end
//! before their time, in the transaction that ends them, so every service stops
//! honouring their access tokens at once. It consumes `tenancy.membership.revoked`, which
//! takes the company away from the removed member's sessions at once, so their next
//! refresh gives a token without it.

use comptoir_proto::events::v1::{
    MembershipRevoked, SessionRevoked, SessionRevokedReason, UserRegistered,
};
use comptoir_runtime::events::consumer::event_uuid;
use comptoir_runtime::events::{Consume, Delivery, Event, EventType, HandlerError, names};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::Email;
use crate::store;

/// Which sessions of an account ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ended {
    /// This one.
    Session(Uuid),
    /// Every one started until now.
    All,
}

/// Enqueues `session.revoked` in the transaction that ended the sessions: `sessions` of
/// `user_id`, for `reason`, now (its `revoke_time` is the event's `occur_time`).
pub(crate) async fn session_revoked(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    sessions: Ended,
    reason: SessionRevokedReason,
) -> Result<(), sqlx::Error> {
    let (session_id, all_sessions) = match sessions {
        Ended::Session(id) => (id.to_string(), false),
        Ended::All => (String::new(), true),
    };
    let actor = match reason {
        SessionRevokedReason::RefreshTokenReused => "service:identity".to_owned(),
        _ => user_id.to_string(),
    };
    Event::new(names::SESSION_REVOKED, None, &actor, |meta| {
        SessionRevoked {
            revoke_time: meta.occur_time,
            meta: Some(meta),
            user_id: user_id.to_string(),
            session_id,
            all_sessions,
            reason: reason as i32,
        }
    })
    .enqueue(conn)
    .await
}

/// Enqueues `user.registered` in the transaction that created the account `user_id` of
/// `email`; the new account is its actor, and its `register_time` the event's
/// `occur_time`.
pub(crate) async fn user_registered(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    email: &Email,
) -> Result<(), sqlx::Error> {
    Event::new(names::USER_REGISTERED, None, &user_id.to_string(), |meta| {
        UserRegistered {
            register_time: meta.occur_time,
            meta: Some(meta),
            user_id: user_id.to_string(),
            email: email.as_str().to_owned(),
        }
    })
    .enqueue(conn)
    .await
}

/// The consumer of membership revocations.
pub(crate) struct Memberships;

impl Consume for Memberships {
    type Event = MembershipRevoked;
    const NAME: &'static str = "memberships";
    const EVENTS: &'static [EventType] = &[names::MEMBERSHIP_REVOKED];

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: MembershipRevoked,
        _: &Delivery,
    ) -> Result<(), HandlerError> {
        let meta = event.meta.unwrap_or_default();
        let company = event_uuid("meta.company_id", &meta.company_id)?;
        let user = event_uuid("user_id", &event.user_id)?;
        let sessions = store::drop_company_from_sessions(conn, user, company).await?;
        tracing::info!(user_id = %user, company_id = %company, sessions, "membership revoked: company dropped from sessions");
        Ok(())
    }
}
