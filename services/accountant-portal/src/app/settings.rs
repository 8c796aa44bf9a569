//! Reading and replacing accounting settings: a client's (for someone who sees the client
//! in the firm) or the firm's default. Reads resolve client's own → firm's default →
//! French defaults; a replacement checks the version the caller read, stores the next
//! one and publishes `accounting_settings.changed` in the same transaction.

use comptoir_domain_types::accounting::AccountingSettings;
use comptoir_runtime::Deps;
use uuid::Uuid;

use crate::app::{Ctx, firm};
use crate::domain::settings::{InForce, StaleVersion, Versioned, in_force, next_version};
use crate::error::Error;
use crate::events;
use crate::store;

/// Whose settings: a client of the firm, or the firm's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Whose {
    /// The firm's default for clients without their own.
    FirmDefault,
    /// A client's own.
    Client(Uuid),
}

/// The settings in force for `whose`.
pub(crate) async fn get_settings(ctx: &Ctx, deps: &Deps, whose: Whose) -> Result<InForce, Error> {
    let mut tx = ctx.begin(&deps.pool, "accounting_settings.read").await?;
    firm::require_enabled(&mut tx, ctx.firm_id).await?;
    let firm_default = store::settings::load(&mut tx, ctx.firm_id, ctx.firm_id).await?;
    let resolved = match whose {
        Whose::FirmDefault => in_force(firm_default, None),
        Whose::Client(company_id) => {
            firm::require_reached(ctx, &mut tx, company_id).await?;
            let own = store::settings::load(&mut tx, ctx.firm_id, company_id).await?;
            in_force(own, firm_default)
        }
    };
    tx.commit().await?;
    Ok(resolved)
}

/// Replaces the settings of `whose` with `settings`, provided they are still at
/// `expected_version` (0 skips the check), and publishes the change. A client's are
/// changed by whoever reaches the client (the gRPC layer lets only a firm Administrator
/// change the firm's default).
pub(crate) async fn update_settings(
    ctx: &Ctx,
    deps: &Deps,
    whose: Whose,
    settings: AccountingSettings,
    expected_version: i64,
) -> Result<Versioned, Error> {
    let mut tx = ctx.begin(&deps.pool, "accounting_settings.changed").await?;
    firm::require_enabled(&mut tx, ctx.firm_id).await?;
    let company_id = match whose {
        Whose::FirmDefault => ctx.firm_id,
        Whose::Client(company_id) => {
            firm::require_reached(ctx, &mut tx, company_id).await?;
            company_id
        }
    };
    let current = store::settings::version(&mut tx, ctx.firm_id, company_id).await?;
    let version = next_version(expected_version, current).map_err(Error::StaleSettings)?;
    let stored = Versioned { settings, version };
    if !store::settings::save(&mut tx, ctx.firm_id, company_id, &stored, &ctx.actor).await? {
        // Another replacement committed between the read and the write.
        let current = store::settings::version(&mut tx, ctx.firm_id, company_id).await?;
        return Err(Error::StaleSettings(StaleVersion {
            expected: expected_version,
            current,
        }));
    }
    events::accounting_settings_changed(
        ctx.firm_id,
        company_id,
        whose == Whose::FirmDefault,
        &stored,
        &ctx.actor,
    )
    .enqueue(&mut tx)
    .await?;
    tx.commit().await?;
    deps.outbox.wake();
    Ok(stored)
}
