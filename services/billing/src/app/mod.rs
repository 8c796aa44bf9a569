//! Billing's application layer: one function per command or query, each taking the
//! authorised caller ([`Ctx`]), owning its transaction and idempotency, calling the
//! domain's rules and the store, and enqueuing the events. The gRPC layer decodes,
//! authorises, calls one function here and encodes the answer.

pub(crate) mod books;
pub(crate) mod documents;
pub(crate) mod invoices;
pub(crate) mod items;
pub(crate) mod parties;
pub(crate) mod payments;
pub(crate) mod purchases;
pub(crate) mod quotes;

use comptoir_domain_types::permissions::{BuiltInRole, Permission};
use comptoir_runtime::{Caller, Deps};
use uuid::Uuid;

use crate::error::Error;
use crate::store::{self, Acting, Tx};

/// The caller of a request, authorised for its active company.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The company the caller's token is scoped to.
    pub(crate) company_id: Uuid,
    /// The caller as recorded in the audit trail and events.
    pub(crate) actor: String,
    /// The caller, for finer permission checks.
    pub(crate) caller: Caller,
}

impl Ctx {
    /// Whether the caller also holds `permission`.
    pub(crate) fn may(&self, permission: Permission) -> bool {
        self.caller.require(self.company_id, permission).is_ok()
    }

    /// Whether the caller holds the built-in `role` in its active company, as its token
    /// says (whatever permissions a custom role may add, only the role itself counts).
    pub(crate) fn holds_role(&self, role: &BuiltInRole) -> bool {
        matches!(&self.caller, Caller::User { role: Some(held), .. } if held == role.key)
    }

    /// Whether the caller reaches its active company only through an accounting firm's
    /// grant, as its token says.
    pub(crate) fn through_firm(&self) -> bool {
        matches!(
            &self.caller,
            Caller::User {
                through_firm: true,
                ..
            }
        )
    }

    /// The settings of a transaction doing `action` for this caller.
    pub(crate) fn acting<'a>(&'a self, action: &'a str) -> Acting<'a> {
        Acting {
            company_id: self.company_id,
            actor: &self.actor,
            action,
        }
    }

    /// Opens a transaction doing `action` for this caller.
    pub(crate) async fn begin(&self, pool: &sqlx::PgPool, action: &str) -> Result<Tx, Error> {
        Ok(store::begin(pool, &self.acting(action)).await?)
    }

    /// The idempotency scope of `method` for this caller: keys never collide across
    /// callers or methods.
    pub(crate) fn scope(&self, method: &str) -> String {
        format!("{}:{}:{method}", self.company_id, self.actor)
    }
}

/// Runs `mutation` once per idempotency key in the caller's scope (see
/// [`comptoir_runtime::idempotency::once`]), inside `tx`.
pub(crate) async fn once<R>(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request: &impl prost::Message,
    mutation: impl AsyncFnOnce(&mut sqlx::PgConnection) -> Result<R, Error>,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    comptoir_runtime::idempotency::once(tx, scope, key, request, mutation).await
}

/// Runs `command` in a transaction doing `action`, once per idempotency `key` in the
/// caller's scope of `method`: the first call commits and answers what `answer` makes
/// of the command's result; a replay of the same request answers that same answer. The
/// outbox relay is woken after the commit, for the events the command enqueued.
pub(crate) async fn idempotent<T, R>(
    ctx: &Ctx,
    deps: &Deps,
    (action, method): (&str, &str),
    (key, request): (&str, &impl prost::Message),
    command: impl AsyncFnOnce(&mut sqlx::PgConnection) -> Result<T, Error>,
    answer: impl FnOnce(&T) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let mut tx = ctx.begin(&deps.pool, action).await?;
    let response = once(&mut tx, &ctx.scope(method), key, request, async |conn| {
        let result = command(conn).await?;
        Ok(answer(&result))
    })
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(response)
}

/// Records the `violations` a domain parse collected (fields relative to the value) under
/// `prefix`, e.g. `party.` + `address.city`.
pub(crate) fn violations_under(
    prefix: &str,
    into: &mut comptoir_runtime::FieldViolations,
    violations: comptoir_domain_types::fields::Violations,
) {
    for (field, reason) in violations {
        into.add(format!("{prefix}.{field}"), reason);
    }
}
