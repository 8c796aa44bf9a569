//! Who is behind an account, as far as invitations need: tenancy consumes identity's
//! `user.registered` into the e-mail of each account, so an invitation is accepted only
//! by the account of the address it was sent to (see `members::accept_invitation`).
//! Tokens carry no e-mail, and asking identity at each acceptance would make tenancy
//! depend on identity being up; the event is on its way before the new account's first
//! login returns.

use std::sync::Arc;

use comptoir_proto::events::v1::UserRegistered;
use comptoir_runtime::events::consumer::{Handler, event_uuid};
use comptoir_runtime::events::names::USER_REGISTERED;
use comptoir_runtime::events::{Consumer, HandlerError};

use crate::store::accounts;

/// The consumer that records accounts' e-mails.
pub(crate) fn consumer() -> Consumer {
    let handler: Handler = Arc::new(|conn, delivery| {
        Box::pin(async move {
            let event: UserRegistered = delivery.decode()?;
            let user = event_uuid("user_id", &event.user_id)?;
            let email = event.email.trim().to_lowercase();
            accounts::keep_account(conn, user, &email, delivery.event_id).await?;
            Ok::<(), HandlerError>(())
        })
    });
    Consumer {
        name: "accounts",
        events: vec![USER_REGISTERED],
        handler,
    }
}
