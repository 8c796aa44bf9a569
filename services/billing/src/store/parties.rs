//! A company's customers and suppliers: the `party` table. Listing is a keyset over
//! `(lower(name), party_id)`, the order of the `party_by_name` index, so a page costs the
//! same however deep it is. The queries are compile-checked against billing's schema
//! (`sqlx.toml`, offline data in `.sqlx/`, `cargo xtask sqlx-prepare`); each names the
//! columns of [`PartyRecord`] itself, since the macros take only a literal.
//!
//! `sort_name!`: `lower(name)` of the NOT NULL name is never null, but the macros take
//! any expression as nullable.

use chrono::{DateTime, Utc};
use comptoir_domain_types::legal::{Siren, VatNumber};
use comptoir_domain_types::party::{PartyIdentity, PostalAddress};
use sqlx::PgConnection;
use uuid::Uuid;

use super::parse_stored;
use crate::domain::party::{Party, PartyFields};
use crate::domain::{Authorship, PartyKind, PartyRole};

/// A listed party and its `lower(name)` as Postgres computes it: the first half of the
/// listing cursor.
#[derive(Debug, Clone)]
pub(crate) struct PartyRow {
    pub(crate) party: Party,
    pub(crate) sort_name: String,
}

/// A party as read, its enums and legal identifiers still text.
struct PartyRecord {
    party_id: Uuid,
    company_id: Uuid,
    role: String,
    kind: String,
    name: String,
    siren: String,
    vat_number: String,
    address_line1: String,
    address_line2: String,
    address_postal_code: String,
    address_city: String,
    address_country_code: String,
    email: String,
    payment_terms_days: i32,
    accounting_code: String,
    archived_at: Option<DateTime<Utc>>,
    created_by: String,
    updated_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    sort_name: String,
}

/// A stored text column read back as the value it was parsed into before it was written;
/// None when empty.
fn stored<T, E: std::error::Error + Send + Sync + 'static>(
    column: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, sqlx::Error> {
    if text.is_empty() {
        return Ok(None);
    }
    parse(text)
        .map(Some)
        .map_err(|err| sqlx::Error::ColumnDecode {
            index: column.to_owned(),
            source: Box::new(err),
        })
}

impl TryFrom<PartyRecord> for PartyRow {
    type Error = sqlx::Error;

    fn try_from(row: PartyRecord) -> Result<Self, sqlx::Error> {
        let identity = PartyIdentity {
            siren: stored("siren", &row.siren, Siren::parse)?,
            siret: None,
            vat_number: stored("vat_number", &row.vat_number, VatNumber::parse)?,
            legal_name: row.name,
            address: PostalAddress {
                line1: row.address_line1,
                line2: row.address_line2,
                postal_code: row.address_postal_code,
                city: row.address_city,
                country_code: row.address_country_code,
            },
        };
        let party = Party {
            party_id: row.party_id,
            company_id: row.company_id,
            role: parse_stored("role", &row.role, PartyRole::from_stored)?,
            fields: PartyFields {
                kind: parse_stored("kind", &row.kind, PartyKind::from_stored)?,
                identity,
                email: row.email,
                payment_terms_days: row.payment_terms_days,
                accounting_code: row.accounting_code,
            },
            archived_at: row.archived_at,
            authorship: Authorship {
                created_by: row.created_by,
                created_at: row.created_at,
                updated_by: row.updated_by,
                updated_at: row.updated_at,
            },
        };
        Ok(PartyRow {
            party,
            sort_name: row.sort_name,
        })
    }
}

/// The party of a record, or the record's decoding error.
fn party(row: PartyRecord) -> Result<Party, sqlx::Error> {
    PartyRow::try_from(row).map(|row| row.party)
}

/// A statement writing a party's caller-set fields, as [`PartyRecord`]: `$before`
/// (`$1`…), then the fields in the order both `insert` and `update` list them, then
/// `$after`.
macro_rules! with_fields {
    ($sql:literal, [$($before:expr),* $(,)?], $fields:expr, [$($after:expr),* $(,)?] $(,)?) => {{
        let fields: &PartyFields = $fields;
        let identity = &fields.identity;
        let address = &identity.address;
        sqlx::query_as!(
            PartyRecord,
            $sql,
            $($before,)*
            fields.kind.as_str(),
            &identity.legal_name,
            identity.siren_str(),
            identity.vat_number_str(),
            &address.line1,
            &address.line2,
            &address.postal_code,
            &address.city,
            &address.country_code,
            &fields.email,
            fields.payment_terms_days,
            &fields.accounting_code,
            $($after,)*
        )
    }};
}

/// Inserts a party.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    company_id: Uuid,
    role: PartyRole,
    fields: &PartyFields,
    actor: &str,
) -> Result<Party, sqlx::Error> {
    let row = with_fields!(
        r#"INSERT INTO party (party_id, company_id, role, kind, name, siren, vat_number,
                              address_line1, address_line2, address_postal_code, address_city,
                              address_country_code, email, payment_terms_days, accounting_code,
                              created_by, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
           RETURNING party_id, company_id, role, kind, name, siren, vat_number, address_line1,
                     address_line2, address_postal_code, address_city, address_country_code,
                     email, payment_terms_days, accounting_code, archived_at, created_by,
                     updated_by, created_at, updated_at, lower(name) AS "sort_name!""#,
        [Uuid::now_v7(), company_id, role.as_str()],
        fields,
        [actor],
    )
    .fetch_one(conn)
    .await?;
    party(row)
}

/// One party of the company; None when it has no such party.
pub(crate) async fn get(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
) -> Result<Option<Party>, sqlx::Error> {
    sqlx::query_as!(
        PartyRecord,
        r#"SELECT party_id, company_id, role, kind, name, siren, vat_number, address_line1,
                  address_line2, address_postal_code, address_city, address_country_code,
                  email, payment_terms_days, accounting_code, archived_at, created_by,
                  updated_by, created_at, updated_at, lower(name) AS "sort_name!"
             FROM party WHERE company_id = $1 AND party_id = $2"#,
        company_id,
        party_id,
    )
    .fetch_optional(conn)
    .await?
    .map(party)
    .transpose()
}

/// One party of the company, locked until the transaction ends so concurrent changes
/// apply one after the other.
pub(crate) async fn get_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
) -> Result<Option<Party>, sqlx::Error> {
    sqlx::query_as!(
        PartyRecord,
        r#"SELECT party_id, company_id, role, kind, name, siren, vat_number, address_line1,
                  address_line2, address_postal_code, address_city, address_country_code,
                  email, payment_terms_days, accounting_code, archived_at, created_by,
                  updated_by, created_at, updated_at, lower(name) AS "sort_name!"
             FROM party WHERE company_id = $1 AND party_id = $2 FOR UPDATE"#,
        company_id,
        party_id,
    )
    .fetch_optional(conn)
    .await?
    .map(party)
    .transpose()
}

/// Replaces the caller-set fields of a party (its role never changes).
pub(crate) async fn update(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
    fields: &PartyFields,
    actor: &str,
) -> Result<Party, sqlx::Error> {
    let row = with_fields!(
        r#"UPDATE party SET kind = $3, name = $4, siren = $5, vat_number = $6,
                  address_line1 = $7, address_line2 = $8, address_postal_code = $9,
                  address_city = $10, address_country_code = $11, email = $12,
                  payment_terms_days = $13, accounting_code = $14, updated_by = $15,
                  updated_at = now()
            WHERE company_id = $1 AND party_id = $2
           RETURNING party_id, company_id, role, kind, name, siren, vat_number, address_line1,
                     address_line2, address_postal_code, address_city, address_country_code,
                     email, payment_terms_days, accounting_code, archived_at, created_by,
                     updated_by, created_at, updated_at, lower(name) AS "sort_name!""#,
        [company_id, party_id],
        fields,
        [actor],
    )
    .fetch_one(conn)
    .await?;
    party(row)
}

/// Archives a party.
pub(crate) async fn archive(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
    actor: &str,
) -> Result<Party, sqlx::Error> {
    let row = sqlx::query_as!(
        PartyRecord,
        r#"UPDATE party SET archived_at = now(), updated_by = $3, updated_at = now()
            WHERE company_id = $1 AND party_id = $2
           RETURNING party_id, company_id, role, kind, name, siren, vat_number, address_line1,
                     address_line2, address_postal_code, address_city, address_country_code,
                     email, payment_terms_days, accounting_code, archived_at, created_by,
                     updated_by, created_at, updated_at, lower(name) AS "sort_name!""#,
        company_id,
        party_id,
        actor,
    )
    .fetch_one(conn)
    .await?;
    party(row)
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
    sqlx::query_as!(
        PartyRecord,
        r#"SELECT party_id, company_id, role, kind, name, siren, vat_number, address_line1,
                  address_line2, address_postal_code, address_city, address_country_code,
                  email, payment_terms_days, accounting_code, archived_at, created_by,
                  updated_by, created_at, updated_at, lower(name) AS "sort_name!"
             FROM party
            WHERE company_id = $1 AND role = $2
              AND ($3 OR archived_at IS NULL)
              AND ($4::text IS NULL OR name ILIKE $4 OR siren ILIKE $4 OR vat_number ILIKE $4
                   OR accounting_code ILIKE $4)
              AND ($5::text IS NULL OR (lower(name), party_id) > ($5, $6::uuid))
            ORDER BY lower(name), party_id
            LIMIT $7"#,
        company_id,
        filter.role.as_str(),
        filter.include_archived,
        filter.pattern.as_deref(),
        after_name,
        after_id,
        limit,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(PartyRow::try_from)
    .collect()
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
