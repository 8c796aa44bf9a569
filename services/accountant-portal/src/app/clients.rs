//! The firm's client list: the queries over the portal's projection of its clients.

use comptoir_runtime::Deps;
use comptoir_runtime::page::TimeIdCursor;

use crate::app::Ctx;
use crate::error::Error;
use crate::store::clients::{self, DirectoryRow};

/// A page of the firm's clients in arrival order, after `after`.
pub(crate) async fn list_directory(
    ctx: &Ctx,
    deps: &Deps,
    after: Option<TimeIdCursor>,
    limit: i64,
) -> Result<Vec<DirectoryRow>, Error> {
    let mut tx = ctx.begin(&deps.pool, "clients.listed").await?;
    let rows = clients::directory(&mut tx, ctx.firm_id, after, limit).await?;
    tx.commit().await?;
    Ok(rows)
}
