//! Bulk actions on a selection of the firm's clients: lock dates, portfolio managers,
//! disconnection. Each client gets its own outcome, never all-or-nothing: a client the
//! caller does not reach in the firm (another firm's, or not assigned to a portfolio
//! manager) is NOT_FOUND for that client only, and every other client is acted on
//! through the services that own the change, with the caller's own rights there (see
//! `peers`, and tenancy's FirmService): the portal checks only that the client is in the
//! caller's portfolio, never whether the caller may act on it.

use std::collections::HashSet;
use std::future::Future;

use chrono::NaiveDate;
use comptoir_runtime::events::outbox::Event;
use comptoir_runtime::{Deps, FieldViolations};
use futures::StreamExt as _;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::app::Ctx;
use crate::app::clients::reach;
use crate::app::firm::{ThroughTenancy, require_enabled};
use crate::domain::bulk::Selected;
use crate::error::Error;
use crate::events;
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

/// New portfolio managers for each selected client.
#[derive(Debug, Clone)]
pub(crate) struct AssignPortfolioManagers {
    /// The clients.
    pub(crate) clients: Vec<Selected>,
    /// The firm members to assign, each once; none unassigns everyone.
    pub(crate) managers: Vec<Uuid>,
}

/// Replaces the portfolio managers of each selected client: tenancy first (who may act
/// where is tenancy's; it refuses a manager who is not a member of the firm), then the
/// portfolio's own record and `portfolio.managers_assigned`, in one transaction per
/// client. The caller is a firm Administrator (checked by the gRPC layer; tenancy checks
/// it again).
pub(crate) async fn assign_portfolio_managers(
    ctx: &Ctx,
    deps: &Deps,
    through: ThroughTenancy<'_>,
    command: AssignPortfolioManagers,
) -> Result<Vec<Outcome>, Error> {
    let AssignPortfolioManagers { clients, managers } = command;
    let managers = &managers;
    for_each_reached(
        ctx,
        deps,
        clients,
        "portfolio.managers_assigned",
        |client| async move {
            through
                .tenancy
                .set_portfolio_managers(through.authorization, client, managers)
                .await?;
            let event =
                events::portfolio_managers_assigned(ctx.firm_id, client, managers, &ctx.actor);
            record(
                ctx,
                deps,
                "portfolio.managers_assigned",
                event,
                async |tx| store::clients::set_managers(tx, ctx.firm_id, client, managers).await,
            )
            .await
        },
    )
    .await
}

/// The selected clients to disconnect.
#[derive(Debug, Clone)]
pub(crate) struct DisconnectClients {
    /// The clients.
    pub(crate) clients: Vec<Selected>,
    /// One of the client's Administrators who becomes its owner; None keeps the firm
    /// as owner. Only with a single client (the gRPC layer refuses it otherwise).
    pub(crate) transfer_ownership_to: Option<Uuid>,
}

/// Ends the firm's grant on each selected client through tenancy (which hands the
/// ownership over when asked, and announces the grant's end: the client list shows the
/// client disconnected once that event is projected), then publishes
/// `portfolio.client_disconnected`. The caller is a firm Administrator (checked by the
/// gRPC layer; tenancy checks it again).
pub(crate) async fn disconnect_clients(
    ctx: &Ctx,
    deps: &Deps,
    through: ThroughTenancy<'_>,
    command: DisconnectClients,
) -> Result<Vec<Outcome>, Error> {
    let DisconnectClients {
        clients,
        transfer_ownership_to,
    } = command;
    for_each_reached(
        ctx,
        deps,
        clients,
        "portfolio.client_disconnected",
        |client| async move {
            through
                .tenancy
                .disconnect_client(through.authorization, client, transfer_ownership_to)
                .await?;
            let event = events::portfolio_client_disconnected(
                ctx.firm_id,
                client,
                transfer_ownership_to,
                &ctx.actor,
            );
            // Nothing of the portal's own to write: the client list learns that the
            // grant ended from tenancy's event, as it learnt that it began.
            record(
                ctx,
                deps,
                "portfolio.client_disconnected",
                event,
                async |_| Ok(()),
            )
            .await
        },
    )
    .await
}

/// Writes what the portal records of a change another service made (`write`) and the
/// event announcing it, in one transaction doing `action`, then wakes the outbox relay.
async fn record(
    ctx: &Ctx,
    deps: &Deps,
    action: &str,
    event: Event,
    write: impl AsyncFnOnce(&mut PgConnection) -> Result<(), sqlx::Error>,
) -> Result<(), Error> {
    let mut tx = ctx.begin(&deps.pool, action).await?;
    write(&mut tx).await?;
    event.enqueue(&mut tx).await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(())
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
