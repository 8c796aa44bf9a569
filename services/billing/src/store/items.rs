//! A company's articles base: the `item` table. Listing is a keyset over
//! `(lower(label), item_id)`, the order of the `item_by_label` index.

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, FromRow, PgConnection, Row};
use uuid::Uuid;

use super::{authorship, stored_enum};
use crate::domain::ItemKind;
use crate::domain::item::{Item, ItemFields};

/// A listed item and its `lower(label)` as Postgres computes it: the first half of the
/// listing cursor.
#[derive(Debug, Clone)]
pub(crate) struct ItemRow {
    pub(crate) item: Item,
    pub(crate) sort_label: String,
}

impl FromRow<'_, PgRow> for ItemRow {
    fn from_row(row: &PgRow) -> Result<Self, sqlx::Error> {
        let item = Item {
            item_id: row.try_get("item_id")?,
            company_id: row.try_get("company_id")?,
            fields: ItemFields {
                label: row.try_get("label")?,
                unit: row.try_get("unit")?,
                unit_price: row.try_get("unit_price")?,
                vat_rate: row.try_get("vat_rate")?,
                kind: stored_enum(row, "kind", ItemKind::from_stored)?,
                category: row.try_get("category")?,
            },
            archived_at: row.try_get("archived_at")?,
            authorship: authorship(row)?,
        };
        Ok(ItemRow {
            item,
            sort_label: row.try_get("sort_label")?,
        })
    }
}

/// The columns every query returns; the queries are built from this constant only
/// (never from input), hence `AssertSqlSafe`.
const COLUMNS: &str = "item_id, company_id, label, unit, unit_price, vat_rate, kind, category, \
     archived_at, created_by, updated_by, created_at, updated_at, lower(label) AS sort_label";

/// Inserts an item.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    company_id: Uuid,
    fields: &ItemFields,
    actor: &str,
) -> Result<Item, sqlx::Error> {
    let row: ItemRow = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO item (item_id, company_id, label, unit, unit_price, vat_rate, kind, \
                           category, created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         RETURNING {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(company_id)
    .bind(&fields.label)
    .bind(&fields.unit)
    .bind(fields.unit_price)
    .bind(fields.vat_rate)
    .bind(fields.kind.as_str())
    .bind(&fields.category)
    .bind(actor)
    .fetch_one(conn)
    .await?;
    Ok(row.item)
}

/// One item of the company; None when it has no such item.
pub(crate) async fn get(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
) -> Result<Option<Item>, sqlx::Error> {
    let row: Option<ItemRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM item WHERE company_id = $1 AND item_id = $2"
    )))
    .bind(company_id)
    .bind(item_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| row.item))
}

/// One item of the company, locked until the transaction ends.
pub(crate) async fn get_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
) -> Result<Option<Item>, sqlx::Error> {
    let row: Option<ItemRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM item WHERE company_id = $1 AND item_id = $2 FOR UPDATE"
    )))
    .bind(company_id)
    .bind(item_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| row.item))
}

/// Replaces the caller-set fields of an item.
pub(crate) async fn update(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
    fields: &ItemFields,
    actor: &str,
) -> Result<Item, sqlx::Error> {
    let row: ItemRow = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE item SET label = $3, unit = $4, unit_price = $5, vat_rate = $6, kind = $7, \
                category = $8, updated_by = $9, updated_at = now() \
         WHERE company_id = $1 AND item_id = $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(company_id)
    .bind(item_id)
    .bind(&fields.label)
    .bind(&fields.unit)
    .bind(fields.unit_price)
    .bind(fields.vat_rate)
    .bind(fields.kind.as_str())
    .bind(&fields.category)
    .bind(actor)
    .fetch_one(conn)
    .await?;
    Ok(row.item)
}

/// Archives an item.
pub(crate) async fn archive(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
    actor: &str,
) -> Result<Item, sqlx::Error> {
    let row: ItemRow = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE item SET archived_at = now(), updated_by = $3, updated_at = now() \
         WHERE company_id = $1 AND item_id = $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(company_id)
    .bind(item_id)
    .bind(actor)
    .fetch_one(conn)
    .await?;
    Ok(row.item)
}

/// Which items to list.
#[derive(Debug, Clone)]
pub(crate) struct ItemFilter {
    /// A `LIKE` pattern on the label, already escaped; None for all.
    pub(crate) pattern: Option<String>,
    /// A category, matched case-insensitively; None for all.
    pub(crate) category: Option<String>,
    pub(crate) include_archived: bool,
    /// The `(lower(label), item_id)` the page starts after.
    pub(crate) after: Option<(String, Uuid)>,
}

/// A page of the company's items, by label.
pub(crate) async fn list(
    conn: &mut PgConnection,
    company_id: Uuid,
    filter: &ItemFilter,
    limit: i64,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    let (after_label, after_id) = filter.after.clone().unzip();
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM item \
         WHERE company_id = $1 \
           AND ($2 OR archived_at IS NULL) \
           AND ($3::text IS NULL OR label ILIKE $3) \
           AND ($4::text IS NULL OR lower(category) = lower($4)) \
           AND ($5::text IS NULL OR (lower(label), item_id) > ($5, $6::uuid)) \
         ORDER BY lower(label), item_id \
         LIMIT $7"
    )))
    .bind(company_id)
    .bind(filter.include_archived)
    .bind(filter.pattern.as_deref())
    .bind(filter.category.as_deref())
    .bind(after_label)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
