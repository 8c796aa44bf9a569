//! A company's customers and suppliers: the `party` table. Listing is a keyset over
//! `(lower(name), party_id)`, the order of the `party_by_name` index, so a page costs the
//! same however deep it is.

use comptoir_domain_types::legal::{Siren, VatNumber};
use comptoir_domain_types::party::{PartyIdentity, PostalAddress};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, FromRow, PgConnection, Row};
use uuid::Uuid;

use super::{authorship, stored_enum};
use crate::domain::party::{Party, PartyFields};
use crate::domain::{PartyKind, PartyRole};

/// A listed party and its `lower(name)` as Postgres computes it: the first half of the
/// listing cursor.
#[derive(Debug, Clone)]
pub(crate) struct PartyRow {
    pub(crate) party: Party,
    pub(crate) sort_name: String,
}

/// A stored text column read back as the value it was parsed into before it was written.
fn stored<T, E: std::error::Error + Send + Sync + 'static>(
    row: &PgRow,
    column: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, sqlx::Error> {
    let text: String = row.try_get(column)?;
    if text.is_empty() {
        return Ok(None);
    }
    parse(&text)
        .map(Some)
        .map_err(|err| sqlx::Error::ColumnDecode {
            index: column.to_owned(),
            source: Box::new(err),
        })
}

impl FromRow<'_, PgRow> for PartyRow {
    fn from_row(row: &PgRow) -> Result<Self, sqlx::Error> {
        let identity = PartyIdentity {
            legal_name: row.try_get("name")?,
            siren: stored(row, "siren", Siren::parse)?,
            siret: None,
            vat_number: stored(row, "vat_number", VatNumber::parse)?,
            address: PostalAddress {
                line1: row.try_get("address_line1")?,
                line2: row.try_get("address_line2")?,
                postal_code: row.try_get("address_postal_code")?,
                city: row.try_get("address_city")?,
                country_code: row.try_get("address_country_code")?,
            },
        };
        let party = Party {
            party_id: row.try_get("party_id")?,
            company_id: row.try_get("company_id")?,
            role: stored_enum(row, "role", PartyRole::from_stored)?,
            fields: PartyFields {
                kind: stored_enum(row, "kind", PartyKind::from_stored)?,
                identity,
                email: row.try_get("email")?,
                payment_terms_days: row.try_get("payment_terms_days")?,
                accounting_code: row.try_get("accounting_code")?,
            },
            archived_at: row.try_get("archived_at")?,
            authorship: authorship(row)?,
        };
        Ok(PartyRow {
            party,
            sort_name: row.try_get("sort_name")?,
        })
    }
}

/// Binds the caller-set fields of a party, in the order `insert` and `update` list them.
fn bind_fields<'q>(
    query: sqlx::query::QueryAs<'q, sqlx::Postgres, PartyRow, sqlx::postgres::PgArguments>,
    fields: &'q PartyFields,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, PartyRow, sqlx::postgres::PgArguments> {
    let identity = &fields.identity;
    let address = &identity.address;
    query
        .bind(fields.kind.as_str())
        .bind(&identity.legal_name)
        .bind(identity.siren_str())
        .bind(identity.vat_number_str())
        .bind(&address.line1)
        .bind(&address.line2)
        .bind(&address.postal_code)
        .bind(&address.city)
        .bind(&address.country_code)
        .bind(&fields.email)
        .bind(fields.payment_terms_days)
        .bind(&fields.accounting_code)
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
) -> Result<Party, sqlx::Error> {
    let query = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO party (party_id, company_id, role, kind, name, siren, vat_number, \
                            address_line1, address_line2, address_postal_code, address_city, \
                            address_country_code, email, payment_terms_days, accounting_code, \
                            created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
         RETURNING {COLUMNS}"
    )))
    .bind(Uuid::now_v7())
    .bind(company_id)
    .bind(role.as_str());
    let row: PartyRow = bind_fields(query, fields)
        .bind(actor)
        .fetch_one(conn)
        .await?;
    Ok(row.party)
}

/// One party of the company; None when it has no such party.
pub(crate) async fn get(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
) -> Result<Option<Party>, sqlx::Error> {
    let row: Option<PartyRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM party WHERE company_id = $1 AND party_id = $2"
    )))
    .bind(company_id)
    .bind(party_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| row.party))
}

/// One party of the company, locked until the transaction ends so concurrent changes
/// apply one after the other.
pub(crate) async fn get_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
) -> Result<Option<Party>, sqlx::Error> {
    let row: Option<PartyRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM party WHERE company_id = $1 AND party_id = $2 FOR UPDATE"
    )))
    .bind(company_id)
    .bind(party_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| row.party))
}

/// Replaces the caller-set fields of a party (its role never changes).
pub(crate) async fn update(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
    fields: &PartyFields,
    actor: &str,
) -> Result<Party, sqlx::Error> {
    let query = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE party SET kind = $3, name = $4, siren = $5, vat_number = $6, \
                address_line1 = $7, address_line2 = $8, address_postal_code = $9, \
                address_city = $10, address_country_code = $11, email = $12, \
                payment_terms_days = $13, accounting_code = $14, updated_by = $15, \
                updated_at = now() \
         WHERE company_id = $1 AND party_id = $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(company_id)
    .bind(party_id);
    let row: PartyRow = bind_fields(query, fields)
        .bind(actor)
        .fetch_one(conn)
        .await?;
    Ok(row.party)
}

/// Archives a party.
pub(crate) async fn archive(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
    actor: &str,
) -> Result<Party, sqlx::Error> {
    let row: PartyRow = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE party SET archived_at = now(), updated_by = $3, updated_at = now() \
         WHERE company_id = $1 AND party_id = $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(company_id)
    .bind(party_id)
    .bind(actor)
    .fetch_one(conn)
    .await?;
    Ok(row.party)
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
