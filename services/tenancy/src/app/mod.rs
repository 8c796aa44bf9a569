//! Tenancy's application layer: one function per command or query. Each takes the
//! authorised caller ([`Ctx`]) or the user a call acts for, opens its transaction through
//! [`store::begin`] (which names the acting company and user for row-level security),
//! applies the domain's rules, calls the store, enqueues the events and commits. The gRPC
//! layer decodes, authorises, calls one function here and encodes the answer; nothing here
//! sees a `tonic::Status`.

pub(crate) mod access;
pub(crate) mod accountants;
pub(crate) mod audit;
pub(crate) mod companies;
pub(crate) mod firms;
pub(crate) mod invitations;
pub(crate) mod members;
pub(crate) mod roles;

use comptoir_runtime::Deps;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::access::Access;
use crate::error::Error;
use crate::store::{self, companies::Locked};

/// The caller of a request: a user acting on their active company, with their live
/// access to it.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The company the caller's token is scoped to.
    pub(crate) company: Uuid,
    /// The user behind the call.
    pub(crate) user: Uuid,
    /// What the user may do on the company, as read when the call was authorised.
    pub(crate) access: Access,
}

impl Ctx {
    /// Runs `query` on the caller's company in a transaction acting for it and the
    /// caller, and commits it.
    pub(crate) async fn read<R>(
        &self,
        pool: &PgPool,
        query: impl AsyncFnOnce(&mut PgConnection, Uuid) -> Result<R, sqlx::Error>,
    ) -> Result<R, Error> {
        let company = self.company;
        Ok(
            store::read(pool, Some(company), Some(self.user), async |tx| {
                query(tx, company).await
            })
            .await?,
        )
    }

    /// Appends `action`, done by the caller on their company, to its audit trail.
    pub(crate) async fn audit(
        &self,
        conn: &mut PgConnection,
        action: &str,
        details: serde_json::Value,
    ) -> Result<(), Error> {
        store::audit::audit(conn, self.company, &self.user.to_string(), action, details).await?;
        Ok(())
    }
}

/// Runs `change` in a transaction acting for `company` and `user`, with the company row
/// locked (so changes to one company's members and grants apply one after the other),
/// commits it and wakes the outbox relay for the events it enqueued.
pub(crate) async fn in_company<R>(
    deps: &Deps,
    company: Uuid,
    user: Uuid,
    change: impl AsyncFnOnce(&mut PgConnection, Locked) -> Result<R, Error>,
) -> Result<R, Error> {
    let mut tx = store::begin(&deps.pool, Some(company), Some(user)).await?;
    let locked = store::companies::lock_company(&mut tx, company).await?;
    let answer = change(&mut tx, locked).await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(answer)
}
