//! `comptoir.billing.v1.ItemService`: a company's articles base, the default label,
//! price and VAT rate that document lines start from. A line copies what it takes, so
//! changing or archiving an item never changes a document.

use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::amount;
use comptoir_runtime::page::PageRequest;
use comptoir_runtime::{Deps, FieldViolations, error, permissions};
use rust_decimal::Decimal;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{authorize, authorship, books_or, decimal, required_text, text};
use crate::app::once;
use crate::domain::ItemKind;
use crate::domain::vat::Regime;
use crate::error::Error;
use crate::store::items::{self, ItemFields, ItemFilter, ItemRow};
use crate::store::parties::contains_pattern;

pub(crate) fn server(deps: Deps) -> pb::item_service_server::ItemServiceServer<Items> {
    pb::item_service_server::ItemServiceServer::new(Items { deps })
}

pub(crate) struct Items {
    deps: Deps,
}

/// Who may read items.
const READERS: [&str; 2] = [permissions::INVOICES_READ, permissions::QUOTES_WRITE];
/// Who may write items.
const WRITERS: [&str; 1] = [permissions::INVOICES_WRITE];

/// Longest label.
const LABEL_MAX: usize = 500;
/// Longest unit.
const UNIT_MAX: usize = 20;
/// Longest category.
const CATEGORY_MAX: usize = 100;
/// Decimals of a unit price.
const PRICE_SCALE: u32 = 4;
/// Decimals of a VAT rate.
const RATE_SCALE: u32 = 2;

/// A kind from the wire; None when unspecified or unknown.
fn kind_from_pb(value: i32) -> Option<ItemKind> {
    match pb::ItemKind::try_from(value).ok()? {
        pb::ItemKind::Goods => Some(ItemKind::Goods),
        pb::ItemKind::Services => Some(ItemKind::Services),
        pb::ItemKind::Unspecified => None,
    }
}

fn kind_to_pb(kind: ItemKind) -> pb::ItemKind {
    match kind {
        ItemKind::Goods => pb::ItemKind::Goods,
        ItemKind::Services => pb::ItemKind::Services,
    }
}

/// A unit price on the wire: at least 2 decimals, at most the 4 it may carry
/// ("12.50", "0.1234").
fn price_string(price: Decimal) -> String {
    let plain = price.normalize();
    if plain.scale() <= 2 {
        amount::format(price, 2)
    } else {
        plain.to_string()
    }
}

impl From<&ItemRow> for pb::Item {
    fn from(row: &ItemRow) -> Self {
        pb::Item {
            item_id: row.item_id.to_string(),
            company_id: row.company_id.to_string(),
            label: row.label.clone(),
            unit: row.unit.clone(),
            unit_price: price_string(row.unit_price),
            vat_rate: amount::format_plain(row.vat_rate),
            kind: ItemKind::from_stored(&row.kind)
                .map(kind_to_pb)
                .unwrap_or(pb::ItemKind::Unspecified) as i32,
            category: row.category.clone(),
            archived: row.archived_at.is_some(),
            authorship: Some(authorship(
                &row.created_by,
                row.created_at,
                &row.updated_by,
                row.updated_at,
            )),
        }
    }
}

/// Parses the fields of an item, recording each bad one under `item.`.
fn parse_item(input: &pb::ItemInput, violations: &mut FieldViolations) -> Option<ItemFields> {
    let label = required_text(violations, "item.label", &input.label, LABEL_MAX);
    let unit = text(violations, "item.unit", &input.unit, UNIT_MAX);
    let unit_price = decimal(
        violations,
        "item.unit_price",
        &input.unit_price,
        PRICE_SCALE,
    );
    let vat_rate =
        decimal(violations, "item.vat_rate", &input.vat_rate, RATE_SCALE).and_then(|rate| {
            violations.check("item.vat_rate", Regime::Domestic.check(rate).map(|()| rate))
        });
    let kind = kind_from_pb(input.kind);
    if kind.is_none() {
        violations.add(
            "item.kind",
            "is required: ITEM_KIND_GOODS or ITEM_KIND_SERVICES",
        );
    }
    let category = text(violations, "item.category", &input.category, CATEGORY_MAX);
    if !violations.is_empty() {
        return None;
    }
    Some(ItemFields {
        label,
        unit,
        unit_price: unit_price?,
        vat_rate: vat_rate?,
        kind: kind?,
        category,
    })
}

/// The stored item as the input that would create it: what an update starts from.
fn input_of(row: &ItemRow) -> pb::ItemInput {
    let item = pb::Item::from(row);
    pb::ItemInput {
        label: item.label,
        unit: item.unit,
        unit_price: item.unit_price,
        vat_rate: item.vat_rate,
        kind: item.kind,
        category: item.category,
    }
}

/// Copies the fields `paths` name from `changes` onto `base`, recording unknown paths.
fn apply_mask(
    base: &mut pb::ItemInput,
    changes: &pb::ItemInput,
    paths: &[String],
    violations: &mut FieldViolations,
) {
    if paths.is_empty() {
        violations.add("update_mask", "must name at least one field");
    }
    for path in paths {
        match path.as_str() {
            "label" => base.label = changes.label.clone(),
            "unit" => base.unit = changes.unit.clone(),
            "unit_price" => base.unit_price = changes.unit_price.clone(),
            "vat_rate" => base.vat_rate = changes.vat_rate.clone(),
            "kind" => base.kind = changes.kind,
            "category" => base.category = changes.category.clone(),
            other => violations.add(
                "update_mask",
                format!(
                    "names `{other}`, which is not one of: label, unit, unit_price, vat_rate, \
                     kind, category"
                ),
            ),
        }
    }
}

/// An item id from the wire, or INVALID_ARGUMENT naming `item_id`.
fn item_id(value: &str) -> Result<Uuid, Status> {
    error::required_uuid("item_id", value)
}

/// The cursor of a listed item: its id, then its lower-cased label (an id has no `|`).
fn cursor(row: &ItemRow) -> String {
    format!("{}|{}", row.item_id, row.sort_label)
}

fn parse_cursor(cursor: &str) -> Option<(String, Uuid)> {
    let (id, label) = cursor.split_once('|')?;
    Some((label.to_owned(), Uuid::parse_str(id).ok()?))
}

#[tonic::async_trait]
impl pb::item_service_server::ItemService for Items {
    async fn create_item(
        &self,
        request: Request<pb::CreateItemRequest>,
    ) -> Result<Response<pb::CreateItemResponse>, Status> {
        let ctx = authorize(&request, &WRITERS)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let fields = parse_item(&request.item.clone().unwrap_or_default(), &mut violations);
        violations.into_result()?;
        let Some(fields) = fields else {
            unreachable!("validated above")
        };
        let company_id = ctx.company_id;
        let mut tx = ctx.begin(&self.deps.pool, "item.created").await?;
        let response = once(
            &mut tx,
            &ctx.scope("CreateItem"),
            &request.idempotency_key,
            &request,
            async |conn| {
                let row = items::insert(conn, company_id, &fields, &ctx.actor)
                    .await
                    .map_err(|err| books_or(err, company_id))?;
                Ok(pb::CreateItemResponse {
                    item: Some((&row).into()),
                })
            },
        )
        .await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(response))
    }

    async fn get_item(
        &self,
        request: Request<pb::GetItemRequest>,
    ) -> Result<Response<pb::GetItemResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let item_id = item_id(&request.get_ref().item_id)?;
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let row = items::get(&mut tx, ctx.company_id, item_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("item", item_id))?;
        Ok(Response::new(pb::GetItemResponse {
            item: Some((&row).into()),
        }))
    }

    async fn update_item(
        &self,
        request: Request<pb::UpdateItemRequest>,
    ) -> Result<Response<pb::UpdateItemResponse>, Status> {
        let ctx = authorize(&request, &WRITERS)?;
        let request = request.into_inner();
        let item_id = item_id(&request.item_id)?;
        let mut tx = ctx.begin(&self.deps.pool, "item.updated").await?;
        let row = items::get_for_update(&mut tx, ctx.company_id, item_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("item", item_id))?;
        let mut violations = FieldViolations::new();
        let mut merged = input_of(&row);
        let paths = request
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.as_slice())
            .unwrap_or_default();
        apply_mask(
            &mut merged,
            &request.item.clone().unwrap_or_default(),
            paths,
            &mut violations,
        );
        let fields = parse_item(&merged, &mut violations);
        violations.into_result()?;
        let Some(fields) = fields else {
            unreachable!("validated above")
        };
        if row.fields().as_ref() == Some(&fields) {
            // Nothing changes: nothing is written or audited.
            return Ok(Response::new(pb::UpdateItemResponse {
                item: Some((&row).into()),
            }));
        }
        let row = items::update(&mut tx, ctx.company_id, item_id, &fields, &ctx.actor)
            .await
            .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::UpdateItemResponse {
            item: Some((&row).into()),
        }))
    }

    async fn archive_item(
        &self,
        request: Request<pb::ArchiveItemRequest>,
    ) -> Result<Response<pb::ArchiveItemResponse>, Status> {
        let ctx = authorize(&request, &WRITERS)?;
        let item_id = item_id(&request.get_ref().item_id)?;
        let mut tx = ctx.begin(&self.deps.pool, "item.archived").await?;
        let row = items::get_for_update(&mut tx, ctx.company_id, item_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::not_found("item", item_id))?;
        if row.archived_at.is_some() {
            // Archiving twice is archiving once.
            return Ok(Response::new(pb::ArchiveItemResponse {
                item: Some((&row).into()),
            }));
        }
        let row = items::archive(&mut tx, ctx.company_id, item_id, &ctx.actor)
            .await
            .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::ArchiveItemResponse {
            item: Some((&row).into()),
        }))
    }

    async fn list_items(
        &self,
        request: Request<pb::ListItemsRequest>,
    ) -> Result<Response<pb::ListItemsResponse>, Status> {
        let ctx = authorize(&request, &READERS)?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let page = PageRequest::parse(request.page_size, &request.page_token, &mut violations);
        let after = match page.as_ref().and_then(|p| p.after.as_deref()) {
            None => None,
            Some(cursor) => {
                let parsed = parse_cursor(cursor);
                if parsed.is_none() {
                    violations.add("page_token", "is not a token returned by this API");
                }
                parsed
            }
        };
        violations.into_result()?;
        let Some(page) = page else {
            unreachable!("validated above")
        };
        let query = request.query.trim();
        let category = request.category.trim();
        let filter = ItemFilter {
            pattern: (!query.is_empty()).then(|| contains_pattern(query)),
            category: (!category.is_empty()).then(|| category.to_owned()),
            include_archived: request.include_archived,
            after,
        };
        let mut tx = ctx.begin(&self.deps.pool, "read").await?;
        let mut rows = items::list(&mut tx, ctx.company_id, &filter, page.fetch_limit())
            .await
            .map_err(Error::from)?;
        let next_page_token = page.finish(&mut rows, cursor);
        Ok(Response::new(pb::ListItemsResponse {
            items: rows.iter().map(Into::into).collect(),
            next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> pb::ItemInput {
        pb::ItemInput {
            label: "Pain de campagne".to_owned(),
            unit: "kg".to_owned(),
            unit_price: "4.2500".to_owned(),
            vat_rate: "5.5".to_owned(),
            kind: pb::ItemKind::Goods as i32,
            category: "Boulangerie".to_owned(),
        }
    }

    #[test]
    fn prices_keep_up_to_4_decimals_and_rates_only_the_french_ones() {
        let mut violations = FieldViolations::new();
        let fields = parse_item(&input(), &mut violations).unwrap();
        assert_eq!(price_string(fields.unit_price), "4.25");
        assert_eq!(price_string(Decimal::new(1234, 4)), "0.1234");
        assert_eq!(price_string(Decimal::new(12, 0)), "12.00");

        let mut bad = input();
        bad.unit_price = "1.23456".to_owned();
        bad.vat_rate = "19".to_owned();
        bad.kind = 0;
        bad.label = String::new();
        let mut violations = FieldViolations::new();
        assert!(parse_item(&bad, &mut violations).is_none());
        let fields: Vec<_> = violations.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "item.label",
                "item.unit_price",
                "item.vat_rate",
                "item.kind"
            ]
        );
    }
}
