//! A company's books, one function per call of `BillingService`: numbering series, the
//! lock date and the audit trail. A lock date that moves is kept with its reason on the
//! book, so the audit trail's row for the change carries it, and announced as
//! `lock_date.changed` beside both dates.

use chrono::NaiveDate;
use comptoir_domain_types::permissions::ADMINISTRATOR;
use comptoir_runtime::Deps;

use super::Ctx;
use crate::domain::DocumentType;
use crate::domain::books::{LockDateRefusal, Mover, Series, check_lock_date_move};
use crate::error::{Error, books_or};
use crate::events;
use crate::store::books::{self, AuditFilter, AuditRow};

/// A page of the company's numbering series after the document type `after` (`limit`
/// rows: one more than the page, to learn whether another follows).
pub(crate) async fn list_numbering_series(
    ctx: &Ctx,
    deps: &Deps,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Series>, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    if !books::books_open(&mut tx, ctx.company_id).await? {
        return Err(Error::BooksNotFound(ctx.company_id.to_string()));
    }
    Ok(books::series(&mut tx, ctx.company_id, after, limit).await?)
}

/// A new format for a series: its prefix (checked) and whether numbers carry the year.
#[derive(Debug, Clone)]
pub(crate) struct UpdateSeries {
    pub(crate) document_type: DocumentType,
    pub(crate) prefix: String,
    pub(crate) include_year: bool,
}

/// Changes a series' format; the numbers it gives continue.
pub(crate) async fn update_numbering_series(
    ctx: &Ctx,
    deps: &Deps,
    update: UpdateSeries,
) -> Result<Series, Error> {
    let mut tx = ctx.begin(&deps.pool, "numbering_series.updated").await?;
    let series = books::update_series(
        &mut tx,
        ctx.company_id,
        update.document_type,
        &update.prefix,
        update.include_year,
    )
    .await?
    .ok_or_else(|| Error::BooksNotFound(ctx.company_id.to_string()))?;
    tx.commit().await?;
    Ok(series)
}

/// The lock date, if one is set.
pub(crate) async fn get_lock_date(ctx: &Ctx, deps: &Deps) -> Result<Option<NaiveDate>, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    books::lock_date(&mut tx, ctx.company_id)
        .await
        .map_err(|err| books_or(err, ctx.company_id))
}

/// A new lock date (None clears it) and why it moves.
#[derive(Debug, Clone)]
pub(crate) struct SetLockDate {
    pub(crate) lock_date: Option<NaiveDate>,
    pub(crate) reason: String,
}

/// The lock date before and after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockDateMoved {
    pub(crate) lock_date: Option<NaiveDate>,
    pub(crate) previous: Option<NaiveDate>,
}

/// Moves the lock date as [`check_lock_date_move`] allows, under the book row's lock so
/// that documents being issued see either date whole; the same date again changes nothing.
pub(crate) async fn set_lock_date(
    ctx: &Ctx,
    deps: &Deps,
    set: SetLockDate,
) -> Result<LockDateMoved, Error> {
    let mut tx = ctx.begin(&deps.pool, "lock_date.changed").await?;
    let previous = books::lock_date_for_update(&mut tx, ctx.company_id)
        .await
        .map_err(|err| books_or(err, ctx.company_id))?;
    let mover = Mover {
        administrator: ctx.holds_role(&ADMINISTRATOR),
        through_firm: ctx.through_firm(),
    };
    check_lock_date_move(previous, set.lock_date, mover, &set.reason).map_err(|refusal| {
        match refusal {
            LockDateRefusal::NotAdministrator => Error::LockDateLoweringDenied,
            LockDateRefusal::ThroughFirm => Error::FirmMayNotUnlock,
            LockDateRefusal::NoReason => Error::invalid(
                "reason",
                "is required to move the lock date backwards or clear it",
            ),
        }
    })?;
    if previous != set.lock_date {
        books::set_lock_date(&mut tx, ctx.company_id, set.lock_date, &set.reason).await?;
        events::lock_date_changed(
            ctx.company_id,
            &ctx.actor,
            previous,
            set.lock_date,
            &set.reason,
        )
        .enqueue(&mut tx)
        .await?;
    }
    tx.commit().await?;
    deps.outbox.wake();
    Ok(LockDateMoved {
        lock_date: set.lock_date,
        previous,
    })
}

/// A page of the audit trail, newest first (`limit` rows: one more than the page).
pub(crate) async fn list_audit_events(
    ctx: &Ctx,
    deps: &Deps,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    Ok(books::audit_events(&mut tx, ctx.company_id, filter, limit).await?)
}
