//! A company's articles base, one function per call of `ItemService`. A document line
//! copies what it takes from an item, so changing or archiving one never changes a
//! document; items publish nothing.

use comptoir_runtime::{Deps, FieldViolations};
use uuid::Uuid;

use super::{Ctx, idempotent, violations_under};
use crate::domain::item::{Item, ItemFields, ItemInput};
use crate::error::{Error, books_or};
use crate::store::items::{self, ItemFilter, ItemRow};

/// A new item with checked `fields`, once per idempotency `key`: a replay answers what
/// the first call answered, as `answer` encoded it.
pub(crate) async fn create_item<R>(
    ctx: &Ctx,
    deps: &Deps,
    fields: ItemFields,
    (key, request): (&str, &impl prost::Message),
    answer: impl FnOnce(&Item) -> R,
) -> Result<R, Error>
where
    R: prost::Message + Default,
{
    let company_id = ctx.company_id;
    idempotent(
        ctx,
        deps,
        ("item.created", "CreateItem"),
        (key, request),
        async |conn| {
            items::insert(conn, company_id, &fields, &ctx.actor)
                .await
                .map_err(|err| books_or(err, company_id))
        },
        answer,
    )
    .await
}

/// One item.
pub(crate) async fn get_item(ctx: &Ctx, deps: &Deps, item_id: Uuid) -> Result<Item, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    items::get(&mut tx, ctx.company_id, item_id)
        .await?
        .ok_or_else(|| Error::not_found("item", item_id))
}

/// A change to an item: the fields `paths` name, taken from `changes`.
#[derive(Debug, Clone)]
pub(crate) struct UpdateItem {
    pub(crate) item_id: Uuid,
    pub(crate) changes: ItemInput,
    pub(crate) paths: Vec<String>,
}

/// Changes the fields an update mask names; a change that changes nothing writes and
/// audits nothing.
pub(crate) async fn update_item(ctx: &Ctx, deps: &Deps, update: UpdateItem) -> Result<Item, Error> {
    let mut tx = ctx.begin(&deps.pool, "item.updated").await?;
    let item = items::get_for_update(&mut tx, ctx.company_id, update.item_id)
        .await?
        .ok_or_else(|| Error::not_found("item", update.item_id))?;
    let mut violations = FieldViolations::new();
    let mut merged = ItemInput::of(&item.fields);
    for refusal in merged.apply_mask(&update.changes, &update.paths) {
        violations.add("update_mask", refusal);
    }
    let mut field_violations = Vec::new();
    let fields = merged.parse(&mut field_violations);
    violations_under("item", &mut violations, field_violations);
    let Some(fields) = fields.filter(|_| violations.is_empty()) else {
        return Err(Error::InvalidArgument(violations));
    };
    if item.fields == fields {
        // Nothing changes: nothing is written or audited.
        return Ok(item);
    }
    let item = items::update(&mut tx, ctx.company_id, item.item_id, &fields, &ctx.actor).await?;
    tx.commit().await?;
    Ok(item)
}

/// Archives an item; archiving twice is archiving once.
pub(crate) async fn archive_item(ctx: &Ctx, deps: &Deps, item_id: Uuid) -> Result<Item, Error> {
    let mut tx = ctx.begin(&deps.pool, "item.archived").await?;
    let item = items::get_for_update(&mut tx, ctx.company_id, item_id)
        .await?
        .ok_or_else(|| Error::not_found("item", item_id))?;
    if item.archived_at.is_some() {
        return Ok(item);
    }
    let item = items::archive(&mut tx, ctx.company_id, item_id, &ctx.actor).await?;
    tx.commit().await?;
    Ok(item)
}

/// A page of the company's items, by label (`limit` rows: one more than the page, to
/// learn whether another follows).
pub(crate) async fn list_items(
    ctx: &Ctx,
    deps: &Deps,
    filter: &ItemFilter,
    limit: i64,
) -> Result<Vec<ItemRow>, Error> {
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    Ok(items::list(&mut tx, ctx.company_id, filter, limit).await?)
}
