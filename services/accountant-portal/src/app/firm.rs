//! The firm workspace: enabling a firm's accounting module (the gate of every other firm
//! RPC), and the client companies the firm creates and owns, through tenancy, and whose
//! directors it invites.

use chrono::{DateTime, Utc};
use comptoir_domain_types::legal::Email;
use comptoir_runtime::Deps;
use comptoir_runtime::idempotency;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::app::Ctx;
use crate::app::clients::reach;
use crate::domain::client::{NewClient, creation_key};
use crate::error::Error;
use crate::events;
use crate::store::firm::Workspace;
use crate::store::{self, Tx};
use crate::tenancy::{Authorization, SentInvitation, Tenancy};

/// Enables the accounting module of the caller's firm, or finds it enabled. The company
/// must be a firm as tenancy announced it; one the portal has not heard of yet is
/// refused as retryable (UNAVAILABLE), not as a non-firm.
pub(crate) async fn enable_accounting_module(ctx: &Ctx, deps: &Deps) -> Result<Workspace, Error> {
    let mut tx = ctx.begin(&deps.pool, "accounting_module.enabled").await?;
    match store::firm::is_firm(&mut tx, ctx.firm_id).await? {
        None => return Err(Error::CompanyNotYetKnown(ctx.firm_id)),
        Some(false) => return Err(Error::NotAFirm(ctx.firm_id)),
        Some(true) => {}
    }
    let workspace = store::firm::enable(&mut tx, ctx.firm_id, &ctx.actor).await?;
    tx.commit().await?;
    Ok(workspace)
}

/// Refuses (FAILED_PRECONDITION `ACCOUNTING_MODULE_DISABLED`) a firm that has not
/// enabled its accounting module.
pub(crate) async fn require_enabled(conn: &mut PgConnection, firm_id: Uuid) -> Result<(), Error> {
    if store::firm::enabled(conn, firm_id).await? {
        Ok(())
    } else {
        Err(Error::AccountingModuleDisabled)
    }
}

/// Refuses, as NOT_FOUND, a company that is not a client the caller reaches in the
/// firm (see `app::clients::reach`).
pub(crate) async fn require_reached(ctx: &Ctx, tx: &mut Tx, company_id: Uuid) -> Result<(), Error> {
    if store::firm::reaches_client(tx, ctx.firm_id, company_id, reach(ctx)).await? {
        Ok(())
    } else {
        Err(Error::ClientNotFound(company_id))
    }
}

/// A client company for the caller's firm to create.
#[derive(Debug, Clone)]
pub(crate) struct CreateClient {
    /// The client.
    pub(crate) client: NewClient,
    /// Whether tenancy invites the director now.
    pub(crate) invite_director: bool,
    /// The caller's idempotency key; empty for none.
    pub(crate) idempotency_key: String,
}

/// A client company the firm created, as recorded in its portfolio.
#[derive(Debug, Clone)]
pub(crate) struct CreatedClient {
    /// The company.
    pub(crate) company_id: Uuid,
    /// When tenancy created it.
    pub(crate) created_at: DateTime<Utc>,
    /// Its portfolio managers.
    pub(crate) managers: Vec<Uuid>,
    /// The director's invitation, when one was sent.
    pub(crate) invitation_id: Option<Uuid>,
}

/// The firm's ways to tenancy for a call: the client and the caller's authorization.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThroughTenancy<'a> {
    /// Tenancy's firm calls.
    pub(crate) tenancy: &'a Tenancy,
    /// The caller's own authorization, forwarded.
    pub(crate) authorization: &'a Authorization,
}

/// Creates a client company owned by the caller's firm: refuses a code dossier the firm
/// already uses, has tenancy create the company (with its firm grant, portfolio manager
/// and, when asked, the director's invitation, in tenancy's one transaction), then
/// records the client in the portfolio with its managers and publishes
/// `portfolio.client_added`, in the portal's one transaction. Once per idempotency key:
/// a replay answers `answer`'s first answer; and tenancy's own key is derived from the
/// request's (see [`creation_key`]), so a retry after a failure between the two
/// transactions completes the first creation instead of making another.
pub(crate) async fn create_client_company<R>(
    ctx: &Ctx,
    deps: &Deps,
    through: ThroughTenancy<'_>,
    command: &CreateClient,
    request: &impl prost::Message,
    answer: impl FnOnce(&CreateClient, &CreatedClient) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let mut tx = ctx.begin(&deps.pool, "portfolio.client_added").await?;
    require_enabled(&mut tx, ctx.firm_id).await?;
    let scope = format!("{}:{}:CreateClientCompany", ctx.firm_id, ctx.actor);
    let response = idempotency::once(
        &mut tx,
        &scope,
        &command.idempotency_key,
        request,
        async |conn| {
            let created = create_once(ctx, conn, through, command).await?;
            Ok::<_, Error>(answer(command, &created))
        },
    )
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(response)
}

/// The creation itself, in the transaction `conn` of [`create_client_company`].
async fn create_once(
    ctx: &Ctx,
    conn: &mut PgConnection,
    through: ThroughTenancy<'_>,
    command: &CreateClient,
) -> Result<CreatedClient, Error> {
    let file_code = command.client.file_code.as_str();
    store::firm::lock_file_code(conn, ctx.firm_id, file_code).await?;
    if store::firm::file_code_taken(conn, ctx.firm_id, file_code).await? {
        return Err(Error::FileCodeTaken(file_code.to_owned()));
    }
    let created = through
        .tenancy
        .create_client_company(
            through.authorization,
            &command.client,
            command.invite_director,
            &creation_key(&command.idempotency_key, &command.client.file_code),
        )
        .await?;
    let managers: Vec<Uuid> = command.client.portfolio_manager.into_iter().collect();
    store::clients::record_client(conn, ctx.firm_id, created.company_id, file_code, true).await?;
    store::clients::set_managers(conn, ctx.firm_id, created.company_id, &managers).await?;
    events::portfolio_client_added(ctx.firm_id, created.company_id, file_code, true, &ctx.actor)
        .enqueue(conn)
        .await?;
    Ok(CreatedClient {
        company_id: created.company_id,
        created_at: created.created_at,
        managers,
        invitation_id: created.invitation_id,
    })
}

/// Has tenancy invite the director of the firm's client `company_id` as its
/// Administrator, at `email` or at the address of the client's identity.
pub(crate) async fn invite_director(
    ctx: &Ctx,
    deps: &Deps,
    through: ThroughTenancy<'_>,
    company_id: Uuid,
    email: Option<&Email>,
) -> Result<SentInvitation, Error> {
    let mut tx = ctx.begin(&deps.pool, "director.invited").await?;
    require_enabled(&mut tx, ctx.firm_id).await?;
    require_reached(ctx, &mut tx, company_id).await?;
    tx.commit().await?;
    through
        .tenancy
        .invite_director(through.authorization, company_id, email.map(Email::as_str))
        .await
}
