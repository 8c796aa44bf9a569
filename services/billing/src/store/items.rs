//! A company's articles base: the `item` table. Listing is a keyset over
//! `(lower(label), item_id)`, the order of the `item_by_label` index. The queries are
//! compile-checked against billing's schema (`sqlx.toml`, offline data in `.sqlx/`,
//! `cargo xtask sqlx-prepare`); each names the columns of [`ItemRecord`] itself, since the
//! macros take only a literal.
//!
//! `sort_label!`: `lower(label)` of the NOT NULL label is never null, but the macros take
//! any expression as nullable.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::parse_stored;
use crate::domain::item::{Item, ItemFields};
use crate::domain::{Authorship, ItemKind};

/// A listed item and its `lower(label)` as Postgres computes it: the first half of the
/// listing cursor.
#[derive(Debug, Clone)]
pub(crate) struct ItemRow {
    pub(crate) item: Item,
    pub(crate) sort_label: String,
}

/// An item as read, its kind still text.
struct ItemRecord {
    item_id: Uuid,
    company_id: Uuid,
    label: String,
    unit: String,
    unit_price: Decimal,
    vat_rate: Decimal,
    kind: String,
    category: String,
    archived_at: Option<DateTime<Utc>>,
    created_by: String,
    updated_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    sort_label: String,
}

impl TryFrom<ItemRecord> for ItemRow {
    type Error = sqlx::Error;

    fn try_from(row: ItemRecord) -> Result<Self, sqlx::Error> {
        let item = Item {
            item_id: row.item_id,
            company_id: row.company_id,
            fields: ItemFields {
                label: row.label,
                unit: row.unit,
                unit_price: row.unit_price,
                vat_rate: row.vat_rate,
                kind: parse_stored("kind", &row.kind, ItemKind::from_stored)?,
                category: row.category,
            },
            archived_at: row.archived_at,
            authorship: Authorship {
                created_by: row.created_by,
                created_at: row.created_at,
                updated_by: row.updated_by,
                updated_at: row.updated_at,
            },
        };
        Ok(ItemRow {
            item,
            sort_label: row.sort_label,
        })
    }
}

/// The item of a record, or the record's decoding error.
fn item(row: ItemRecord) -> Result<Item, sqlx::Error> {
    ItemRow::try_from(row).map(|row| row.item)
}

/// Inserts an item.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    company_id: Uuid,
    fields: &ItemFields,
    actor: &str,
) -> Result<Item, sqlx::Error> {
    let row = sqlx::query_as!(
        ItemRecord,
        r#"INSERT INTO item (item_id, company_id, label, unit, unit_price, vat_rate, kind,
                             category, created_by, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
           RETURNING item_id, company_id, label, unit, unit_price, vat_rate, kind, category,
                     archived_at, created_by, updated_by, created_at, updated_at,
                     lower(label) AS "sort_label!""#,
        Uuid::now_v7(),
        company_id,
        &fields.label,
        &fields.unit,
        fields.unit_price,
        fields.vat_rate,
        fields.kind.as_str(),
        &fields.category,
        actor,
    )
    .fetch_one(conn)
    .await?;
    item(row)
}

/// One item of the company; None when it has no such item.
pub(crate) async fn get(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
) -> Result<Option<Item>, sqlx::Error> {
    sqlx::query_as!(
        ItemRecord,
        r#"SELECT item_id, company_id, label, unit, unit_price, vat_rate, kind, category,
                  archived_at, created_by, updated_by, created_at, updated_at,
                  lower(label) AS "sort_label!"
             FROM item WHERE company_id = $1 AND item_id = $2"#,
        company_id,
        item_id,
    )
    .fetch_optional(conn)
    .await?
    .map(item)
    .transpose()
}

/// One item of the company, locked until the transaction ends.
pub(crate) async fn get_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
) -> Result<Option<Item>, sqlx::Error> {
    sqlx::query_as!(
        ItemRecord,
        r#"SELECT item_id, company_id, label, unit, unit_price, vat_rate, kind, category,
                  archived_at, created_by, updated_by, created_at, updated_at,
                  lower(label) AS "sort_label!"
             FROM item WHERE company_id = $1 AND item_id = $2 FOR UPDATE"#,
        company_id,
        item_id,
    )
    .fetch_optional(conn)
    .await?
    .map(item)
    .transpose()
}

/// Replaces the caller-set fields of an item.
pub(crate) async fn update(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
    fields: &ItemFields,
    actor: &str,
) -> Result<Item, sqlx::Error> {
    let row = sqlx::query_as!(
        ItemRecord,
        r#"UPDATE item SET label = $3, unit = $4, unit_price = $5, vat_rate = $6, kind = $7,
                  category = $8, updated_by = $9, updated_at = now()
            WHERE company_id = $1 AND item_id = $2
           RETURNING item_id, company_id, label, unit, unit_price, vat_rate, kind, category,
                     archived_at, created_by, updated_by, created_at, updated_at,
                     lower(label) AS "sort_label!""#,
        company_id,
        item_id,
        &fields.label,
        &fields.unit,
        fields.unit_price,
        fields.vat_rate,
        fields.kind.as_str(),
        &fields.category,
        actor,
    )
    .fetch_one(conn)
    .await?;
    item(row)
}

/// Archives an item.
pub(crate) async fn archive(
    conn: &mut PgConnection,
    company_id: Uuid,
    item_id: Uuid,
    actor: &str,
) -> Result<Item, sqlx::Error> {
    let row = sqlx::query_as!(
        ItemRecord,
        r#"UPDATE item SET archived_at = now(), updated_by = $3, updated_at = now()
            WHERE company_id = $1 AND item_id = $2
           RETURNING item_id, company_id, label, unit, unit_price, vat_rate, kind, category,
                     archived_at, created_by, updated_by, created_at, updated_at,
                     lower(label) AS "sort_label!""#,
        company_id,
        item_id,
        actor,
    )
    .fetch_one(conn)
    .await?;
    item(row)
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
    sqlx::query_as!(
        ItemRecord,
        r#"SELECT item_id, company_id, label, unit, unit_price, vat_rate, kind, category,
                  archived_at, created_by, updated_by, created_at, updated_at,
                  lower(label) AS "sort_label!"
             FROM item
            WHERE company_id = $1
              AND ($2 OR archived_at IS NULL)
              AND ($3::text IS NULL OR label ILIKE $3)
              AND ($4::text IS NULL OR lower(category) = lower($4))
              AND ($5::text IS NULL OR (lower(label), item_id) > ($5, $6::uuid))
            ORDER BY lower(label), item_id
            LIMIT $7"#,
        company_id,
        filter.include_archived,
        filter.pattern.as_deref(),
        filter.category.as_deref(),
        after_label,
        after_id,
        limit,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(ItemRow::try_from)
    .collect()
}
