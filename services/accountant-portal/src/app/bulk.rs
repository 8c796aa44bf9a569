//! Bulk actions on a selection of the firm's clients. Each client gets its own outcome,
//! never all-or-nothing: a client the caller does not reach in the firm (another firm's,
//! or not assigned to a portfolio manager) is NOT_FOUND for that client only, and every
//! other client is acted on through the services that own the change, with the caller's
//! own rights there (see `peers`): the portal checks only that the client is in the
//! caller's portfolio, never whether the caller may act on it.

use std::collections::HashSet;
use std::future::Future;

use chrono::NaiveDate;
use comptoir_runtime::{Deps, FieldViolations};
use futures::StreamExt as _;
use uuid::Uuid;

use crate::app::Ctx;
use crate::app::clients::reach;
use crate::app::firm::require_enabled;
use crate::domain::bulk::Selected;
use crate::error::Error;
use crate::peers::Peers;
use crate::store;
use crate::tenancy::Authorization;

/// How many clients of a selection are acted on at once: enough to hide the round trips
/// to identity and billing, few enough not to flood them with one request.
const CONCURRENCY: usize = 8;

/// One client's outcome: done, or why not.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The client, as selected.
    pub(crate) client: Selected,
    /// Done, or the refusal.
    pub(crate) result: Result<(), Error>,
}

/// A lock date for each selected client.
#[derive(Debug, Clone)]
pub(crate) struct SetLockDates {
    /// The clients.
    pub(crate) clients: Vec<Selected>,
    /// The new lock date; None clears it.
    pub(crate) lock_date: Option<NaiveDate>,
    /// Why, recorded by billing with the change.
    pub(crate) reason: String,
}

/// Sets the lock date of each selected client through billing, with a token of the
/// caller's session scoped to that client (identity's IssueCompanyToken, which asks
/// tenancy): billing's rules apply to the person (a firm member may not move a client's
/// lock date back, an Accountant may not lower it), never the portal's say-so.
pub(crate) async fn set_lock_dates(
    ctx: &Ctx,
    deps: &Deps,
    peers: &Peers,
    authorization: &Authorization,
    command: SetLockDates,
) -> Result<Vec<Outcome>, Error> {
    let SetLockDates {
        clients,
        lock_date,
        reason,
    } = command;
    let reason = &reason;
    for_each_reached(ctx, deps, clients, "lock_dates.set", |client| async move {
        let token = peers.company_token(authorization, client).await?;
        peers.set_lock_date(&token, lock_date, reason).await
    })
    .await
}

/// Runs `act` on each selected client the caller reaches in the firm, [`CONCURRENCY`] at
/// a time, and answers (and logs) every client's outcome in the selection's order. The firm must
/// have enabled its accounting module (refused as a whole otherwise). Which clients the
/// caller reaches is read once, in one transaction doing `action`, before anything is
/// acted on.
async fn for_each_reached<F, Fut>(
    ctx: &Ctx,
    deps: &Deps,
    clients: Vec<Selected>,
    action: &str,
    act: F,
) -> Result<Vec<Outcome>, Error>
where
    F: Fn(Uuid) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let reached = reached(ctx, deps, &clients, action).await?;
    let act = &act;
    let reached = &reached;
    let outcomes: Vec<Outcome> = futures::stream::iter(clients)
        .map(|client| async move {
            let result = match &client {
                Selected::Malformed { index, .. } => {
                    let mut violations = FieldViolations::new();
                    violations.add(format!("company_ids[{index}]"), "is not a valid UUID");
                    Err(violations.into())
                }
                Selected::Client(id) if !reached.contains(id) => Err(Error::ClientNotFound(*id)),
                Selected::Client(id) => act(*id).await,
            };
            Outcome { client, result }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    tracing::info!(
        firm_id = %ctx.firm_id,
        action,
        clients = outcomes.len(),
        done = outcomes.iter().filter(|o| o.result.is_ok()).count(),
        "bulk action"
    );
    Ok(outcomes)
}

/// The selected clients the caller reaches in the firm (see `app::clients::reach`).
async fn reached(
    ctx: &Ctx,
    deps: &Deps,
    clients: &[Selected],
    action: &str,
) -> Result<HashSet<Uuid>, Error> {
    let reach = reach(ctx);
    let mut tx = ctx.begin(&deps.pool, action).await?;
    require_enabled(&mut tx, ctx.firm_id).await?;
    let mut reached = HashSet::new();
    for client in clients {
        if let Selected::Client(id) = client
            && store::firm::reaches_client(&mut tx, ctx.firm_id, *id, reach).await?
        {
            reached.insert(*id);
        }
    }
    tx.commit().await?;
    Ok(reached)
}
