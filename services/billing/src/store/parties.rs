//! A company's customers and suppliers: the `party` table. Listing is a keyset over
//! `(lower(name), party_id)`, the order of the `party_by_name` index, so a page costs the
//! same however deep it is.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

use crate::domain::{PartyKind, PartyRole};

/// A party as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PartyRow {
    pub(crate) party_id: Uuid,
    pub(crate) company_id: Uuid,
    pub(crate) role: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) siren: String,
    pub(crate) vat_number: String,
    pub(crate) address_line1: String,
    pub(crate) address_line2: String,
    pub(crate) address_postal_code: String,
    pub(crate) address_city: String,
    pub(crate) address_country_code: String,
    pub(crate) email: String,
    pub(crate) payment_terms_days: i32,
    pub(crate) accounting_code: String,
    pub(crate) archived_at: Option<DateTime<Utc>>,
    pub(crate) created_by: String,
    pub(crate) updated_by: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    /// `lower(name)` as Postgres computes it: the first half of the listing cursor.
    pub(crate) sort_name: String,
}

/// The fields of a party a caller sets, validated (empty strings for absent values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartyFields {
    pub(crate) kind: PartyKind,
    pub(crate) name: String,
    pub(crate) siren: String,
    pub(crate) vat_number: String,
    pub(crate) address_line1: String,
    pub(crate) address_line2: String,
    pub(crate) address_postal_code: String,
    pub(crate) address_city: String,
    pub(crate) address_country_code: String,
    pub(crate) email: String,
    pub(crate) payment_terms_days: i32,
    pub(crate) accounting_code: String,
}

impl PartyRow {
    /// The caller-set fields of the stored party; None if its kind is not one billing
    /// knows (the table's CHECK makes that impossible).
    pub(crate) fn fields(&self) -> Option<PartyFields> {
        Some(PartyFields {
            kind: PartyKind::from_stored(&self.kind)?,
            name: self.name.clone(),
            siren: self.siren.clone(),
            vat_number: self.vat_number.clone(),
            address_line1: self.address_line1.clone(),
            address_line2: self.address_line2.clone(),
            address_postal_code: self.address_postal_code.clone(),
            address_city: self.address_city.clone(),
            address_country_code: self.address_country_code.clone(),
            email: self.email.clone(),
            payment_terms_days: self.payment_terms_days,
            accounting_code: self.accounting_code.clone(),
        })
    }
}

/// The columns every query returns; the queries are built from this constant only
/// (never from input), hence `AssertSqlSafe`.
const COLUMNS: &str = "party_id, company_id, role, kind, name, siren, vat_number, address_line1, \
     address_line2, address_postal_code, address_city, address_country_code, email, \
     payment_terms_days, accounting_code, archived_at, created_by, updated_by, created_at, \
     updated_at, lower(name) AS sort_name";

/// Inserts a party.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    company_id: Uuid,
    role: PartyRole,
    fields: &PartyFields,
    actor: &str,
) -> Result<PartyRow, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO party (party_id, company_id, role, kind, name, siren, vat_number, \
                            address_line1, address_line2, address_postal_code, address_city, \
                            address_country_code, email, payment_terms_days, accounting_code, \
                            created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
         RETURNING {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(company_id)
    .bind(role.as_str())
    .bind(fields.kind.as_str())
    .bind(&fields.name)
    .bind(&fields.siren)
    .bind(&fields.vat_number)
    .bind(&fields.address_line1)
    .bind(&fields.address_line2)
    .bind(&fields.address_postal_code)
    .bind(&fields.address_city)
    .bind(&fields.address_country_code)
    .bind(&fields.email)
    .bind(fields.payment_terms_days)
    .bind(&fields.accounting_code)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// One party of the company; None when it has no such party.
pub(crate) async fn get(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
) -> Result<Option<PartyRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM party WHERE company_id = $1 AND party_id = $2"
    )))
    .bind(company_id)
    .bind(party_id)
    .fetch_optional(conn)
    .await
}

/// One party of the company, locked until the transaction ends so concurrent changes
/// apply one after the other.
pub(crate) async fn get_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
) -> Result<Option<PartyRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM party WHERE company_id = $1 AND party_id = $2 FOR UPDATE"
    )))
    .bind(company_id)
    .bind(party_id)
    .fetch_optional(conn)
    .await
}

/// Replaces the caller-set fields of a party (its role never changes).
pub(crate) async fn update(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
    fields: &PartyFields,
    actor: &str,
) -> Result<PartyRow, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE party SET kind = $3, name = $4, siren = $5, vat_number = $6, \
                address_line1 = $7, address_line2 = $8, address_postal_code = $9, \
                address_city = $10, address_country_code = $11, email = $12, \
                payment_terms_days = $13, accounting_code = $14, updated_by = $15, \
                updated_at = now() \
         WHERE company_id = $1 AND party_id = $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(company_id)
    .bind(party_id)
    .bind(fields.kind.as_str())
    .bind(&fields.name)
    .bind(&fields.siren)
    .bind(&fields.vat_number)
    .bind(&fields.address_line1)
    .bind(&fields.address_line2)
    .bind(&fields.address_postal_code)
    .bind(&fields.address_city)
    .bind(&fields.address_country_code)
    .bind(&fields.email)
    .bind(fields.payment_terms_days)
    .bind(&fields.accounting_code)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// Archives a party.
pub(crate) async fn archive(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
    actor: &str,
) -> Result<PartyRow, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE party SET archived_at = now(), updated_by = $3, updated_at = now() \
         WHERE company_id = $1 AND party_id = $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(company_id)
    .bind(party_id)
    .bind(actor)
    .fetch_one(conn)
    .await
}

/// Which parties to list.
#[derive(Debug, Clone)]
pub(crate) struct PartyFilter {
    pub(crate) role: PartyRole,
    /// A `LIKE` pattern already escaped and wrapped in `%`; None for all.
    pub(crate) pattern: Option<String>,
    pub(crate) include_archived: bool,
    /// The `(lower(name), party_id)` the page starts after.
    pub(crate) after: Option<(String, Uuid)>,
}

/// A page of the company's parties of one role, by name.
pub(crate) async fn list(
    conn: &mut PgConnection,
    company_id: Uuid,
    filter: &PartyFilter,
    limit: i64,
) -> Result<Vec<PartyRow>, sqlx::Error> {
    let (after_name, after_id) = filter.after.clone().unzip();
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM party \
         WHERE company_id = $1 AND role = $2 \
           AND ($3 OR archived_at IS NULL) \
           AND ($4::text IS NULL OR name ILIKE $4 OR siren ILIKE $4 OR vat_number ILIKE $4 \
                OR accounting_code ILIKE $4) \
           AND ($5::text IS NULL OR (lower(name), party_id) > ($5, $6::uuid)) \
         ORDER BY lower(name), party_id \
         LIMIT $7"
    )))
    .bind(company_id)
    .bind(filter.role.as_str())
    .bind(filter.include_archived)
    .bind(filter.pattern.as_deref())
    .bind(after_name)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A `LIKE` pattern matching `text` anywhere: `%`, `_` and `\` in it match themselves.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_text_match_themselves() {
        assert_eq!(contains_pattern("dupont"), "%dupont%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
