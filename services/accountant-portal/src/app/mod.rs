//! The portal's application layer: one function per command or query, each taking the
//! authorised caller ([`Ctx`]), owning its transaction (opened by [`Ctx::begin`] for the
//! caller's firm), calling the domain's rules and the store, and enqueuing the events.
//! The gRPC layer decodes, authorises, calls one function here and encodes the answer.

pub(crate) mod accountants;
pub(crate) mod bulk;
pub(crate) mod clients;
pub(crate) mod firm;
pub(crate) mod import;
pub(crate) mod settings;

use comptoir_domain_types::permissions::Permission;
use comptoir_runtime::Caller;
use uuid::Uuid;

use crate::error::Error;
use crate::store::{self, Acting, Tx};

/// The caller of a request, authorised for its active company: the firm whose
/// portfolio it works on.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The firm: the company the caller's token is scoped to.
    pub(crate) firm_id: Uuid,
    /// The caller as recorded in events.
    pub(crate) actor: String,
    /// The caller, for finer permission checks.
    pub(crate) caller: Caller,
}

impl Ctx {
    /// Whether the caller also holds `permission` in the firm.
    pub(crate) fn may(&self, permission: Permission) -> bool {
        self.caller.require(self.firm_id, permission).is_ok()
    }

    /// The person behind the call, when it is one (a service acts for no one).
    pub(crate) fn user_id(&self) -> Option<Uuid> {
        match &self.caller {
            Caller::User { user_id, .. } => Some(*user_id),
            Caller::Service { .. } => None,
        }
    }

    /// Opens a transaction doing `action` for this caller's firm.
    pub(crate) async fn begin(&self, pool: &sqlx::PgPool, action: &str) -> Result<Tx, Error> {
        let acting = Acting {
            firm_id: self.firm_id,
            actor: &self.actor,
            action,
        };
        Ok(store::begin(pool, &acting).await?)
    }
}
