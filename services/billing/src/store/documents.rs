//! Quotes, invoices, credit notes and purchase invoices: one table of documents with
//! their lines and VAT per rate, the party copied onto each, and the balance that
//! payments and credit notes leave. Issued documents are frozen by the database; this
//! module only ever changes drafts and statuses. The queries are compile-checked against
//! billing's schema (`sqlx.toml`, offline data in `.sqlx/`, `cargo xtask sqlx-prepare`);
//! what several statements share (a document's columns, its balance, the content a
//! draft is written with) is spliced into their literals by the macros below, since the
//! query macros take only literals.
//!
//! A `!` after a column's name: the expression (a `coalesce` with a literal, a sum over
//! a non-empty group, `IS NOT NULL`) is never null, but the macros take any expression
//! as nullable.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::document::{
    Document, DocumentLine, Line, NotChronological, Seller, Standing, Totals, VatAmount,
    format_number,
};
use crate::domain::{DocumentType, PartyKind, PartyRole, Status};
use crate::store::books::{self, Calendar, SellerRow};

/// What a document copies from its party.
#[derive(Debug, Clone)]
pub(crate) struct PartyCopy {
    pub(crate) party_id: Uuid,
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
    pub(crate) payment_terms_days: i32,
    pub(crate) archived: bool,
}

impl PartyCopy {
    /// Customer or supplier.
    pub(crate) fn role(&self) -> Option<PartyRole> {
        PartyRole::from_stored(&self.role)
    }

    /// Whether a private person.
    pub(crate) fn is_private(&self) -> bool {
        PartyKind::from_stored(&self.kind) == Some(PartyKind::Private)
    }

    /// The party as printed on a stored document (a credit note copies its invoice's).
    pub(crate) fn printed_on(row: &Document, role: PartyRole) -> Self {
        PartyCopy {
            party_id: row.party_id,
            role: role.as_str().to_owned(),
            kind: row.party_kind.clone(),
            name: row.party_name.clone(),
            siren: row.party_siren.clone(),
            vat_number: row.party_vat_number.clone(),
            address_line1: row.party_address_line1.clone(),
            address_line2: row.party_address_line2.clone(),
            address_postal_code: row.party_postal_code.clone(),
            address_city: row.party_city.clone(),
            address_country_code: row.party_country_code.clone(),
            payment_terms_days: 0,
            archived: false,
        }
    }
}

/// The invoice already made from quote `quote_id`, if any: its id and number (None while
/// it is a draft).
pub(crate) async fn invoice_of_quote(
    conn: &mut PgConnection,
    company_id: Uuid,
    quote_id: Uuid,
) -> Result<Option<(Uuid, Option<String>)>, sqlx::Error> {
    let invoice = sqlx::query!(
        "SELECT document_id, number FROM document \
         WHERE company_id = $1 AND quote_id = $2 AND document_type = 'invoice' \
         ORDER BY created_at LIMIT 1",
        company_id,
        quote_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(invoice.map(|invoice| (invoice.document_id, invoice.number)))
}

/// The party a new document names; None when it is not one of the company's.
pub(crate) async fn party_copy(
    conn: &mut PgConnection,
    company_id: Uuid,
    party_id: Uuid,
) -> Result<Option<PartyCopy>, sqlx::Error> {
    sqlx::query_as!(
        PartyCopy,
        r#"SELECT party_id, role, kind, name, siren, vat_number, address_line1, address_line2,
                  address_postal_code, address_city, address_country_code, payment_terms_days,
                  archived_at IS NOT NULL AS "archived!"
             FROM party WHERE company_id = $1 AND party_id = $2"#,
        company_id,
        party_id,
    )
    .fetch_optional(conn)
    .await
}

/// An item's defaults for a line.
#[derive(Debug, Clone)]
pub(crate) struct ItemDefaults {
    pub(crate) item_id: Uuid,
    pub(crate) label: String,
    pub(crate) unit: String,
    pub(crate) unit_price: Decimal,
    pub(crate) vat_rate: Decimal,
}

/// The company's items among `ids`.
pub(crate) async fn item_defaults(
    conn: &mut PgConnection,
    company_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<ItemDefaults>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as!(
        ItemDefaults,
        "SELECT item_id, label, unit, unit_price, vat_rate FROM item \
         WHERE company_id = $1 AND item_id = ANY($2)",
        company_id,
        ids,
    )
    .fetch_all(conn)
    .await
}

/// A document's content, as written for a draft or a frozen document.
#[derive(Debug, Clone)]
pub(crate) struct Content<'a> {
    pub(crate) party: &'a PartyCopy,
    pub(crate) document_date: NaiveDate,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) lines: &'a [Line],
    pub(crate) totals: &'a Totals,
    pub(crate) vat_exemption: &'a str,
    pub(crate) late_penalty_rate: Option<Decimal>,
    pub(crate) recovery_fee: bool,
    pub(crate) notes: &'a str,
    pub(crate) oss: bool,
    pub(crate) category: &'a str,
}

/// How a new document starts.
#[derive(Debug, Clone)]
pub(crate) struct Header<'a> {
    pub(crate) document_id: Uuid,
    pub(crate) document_type: DocumentType,
    pub(crate) status: Status,
    /// Number and position in its series (sales documents issued at creation), or the
    /// supplier's number (purchase invoices, no position).
    pub(crate) number: Option<(&'a str, Option<i64>)>,
    /// The invoice a credit note corrects: id, number, date.
    pub(crate) credited: Option<(Uuid, &'a str, NaiveDate)>,
    pub(crate) quote_id: Option<Uuid>,
    pub(crate) actor: &'a str,
}

/// A statement writing a document's party and content: `$before` (`$1`…), then the party
/// and content columns in the order both `insert` and `replace_draft` list them, then
/// `$after`.
macro_rules! with_content {
    ($sql:literal, [$($before:expr),* $(,)?], $content:expr, [$($after:expr),* $(,)?] $(,)?) => {{
        let content: &Content<'_> = $content;
        let party = content.party;
        sqlx::query!(
            $sql,
            $($before,)*
            party.party_id,
            &party.kind,
            &party.name,
            &party.siren,
            &party.vat_number,
            &party.address_line1,
            &party.address_line2,
            &party.address_postal_code,
            &party.address_city,
            &party.address_country_code,
            content.document_date,
            content.due_date,
            content.totals.net_total,
            content.totals.vat_total,
            content.totals.gross_total,
            content.vat_exemption,
            content.late_penalty_rate,
            content.recovery_fee,
            content.notes,
            content.oss,
            content.category,
            $($after,)*
        )
    }};
}

/// Writes a new document with its lines and VAT amounts.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    company_id: Uuid,
    header: &Header<'_>,
    content: &Content<'_>,
) -> Result<(), sqlx::Error> {
    let issued_at = (header.status == Status::Issued).then(Utc::now);
    with_content!(
        "INSERT INTO document (document_id, company_id, document_type, status, number, sequence, \
             party_id, party_kind, party_name, party_siren, party_vat_number, party_address_line1, \
             party_address_line2, party_postal_code, party_city, party_country_code, \
             document_date, due_date, net_total, vat_total, gross_total, vat_exemption, \
             late_penalty_rate, recovery_fee, notes, oss, category, credited_document_id, \
             credited_number, credited_date, quote_id, issued_at, created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                 $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, \
                 $33, $33)",
        [
            header.document_id,
            company_id,
            header.document_type.as_str(),
            header.status.as_str(),
            header.number.map(|(n, _)| n),
            header.number.and_then(|(_, s)| s),
        ],
        content,
        [
            header.credited.map(|(id, _, _)| id),
            header.credited.map(|(_, n, _)| n).unwrap_or_default(),
            header.credited.map(|(_, _, d)| d),
            header.quote_id,
            issued_at,
            header.actor,
        ],
    )
    .execute(&mut *conn)
    .await?;
    insert_parts(conn, company_id, header.document_id, content).await
}

/// Writes the lines and VAT amounts of a document.
async fn insert_parts(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    content: &Content<'_>,
) -> Result<(), sqlx::Error> {
    let lines = content.lines;
    let numbers: Vec<i32> = (1..=lines.len() as i32).collect();
    let item_ids: Vec<Option<Uuid>> = lines.iter().map(|l| l.item_id).collect();
    let descriptions: Vec<&str> = lines.iter().map(|l| l.description.as_str()).collect();
    let quantities: Vec<Decimal> = lines.iter().map(|l| l.quantity).collect();
    let units: Vec<&str> = lines.iter().map(|l| l.unit.as_str()).collect();
    let prices: Vec<Decimal> = lines.iter().map(|l| l.unit_price).collect();
    let discounts: Vec<Decimal> = lines.iter().map(|l| l.discount).collect();
    let rates: Vec<Decimal> = lines.iter().map(|l| l.vat_rate).collect();
    let nets: Vec<Decimal> = lines.iter().map(Line::net_amount).collect();
    sqlx::query!(
        "INSERT INTO document_line (document_id, company_id, line_number, item_id, description, \
             quantity, unit, unit_price, discount, vat_rate, net_amount) \
         SELECT $1, $2, * FROM UNNEST($3::int[], $4::uuid[], $5::text[], $6::numeric[], \
             $7::text[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[])",
        document_id,
        company_id,
        &numbers,
        &item_ids as &[Option<Uuid>],
        &descriptions as &[&str],
        &quantities,
        &units as &[&str],
        &prices,
        &discounts,
        &rates,
        &nets,
    )
    .execute(&mut *conn)
    .await?;
    let vat = &content.totals.vat_amounts;
    let rates: Vec<Decimal> = vat.iter().map(|v| v.rate).collect();
    let bases: Vec<Decimal> = vat.iter().map(|v| v.taxable_amount).collect();
    let amounts: Vec<Decimal> = vat.iter().map(|v| v.vat_amount).collect();
    sqlx::query!(
        "INSERT INTO document_vat (document_id, company_id, vat_rate, taxable_amount, vat_amount) \
         SELECT $1, $2, * FROM UNNEST($3::numeric[], $4::numeric[], $5::numeric[])",
        document_id,
        company_id,
        &rates,
        &bases,
        &amounts,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a draft's content. False when `document_id` is not a draft of this type.
pub(crate) async fn replace_draft(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    document_type: DocumentType,
    content: &Content<'_>,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let updated = with_content!(
        "UPDATE document SET party_id = $4, party_kind = $5, party_name = $6, party_siren = $7, \
             party_vat_number = $8, party_address_line1 = $9, party_address_line2 = $10, \
             party_postal_code = $11, party_city = $12, party_country_code = $13, \
             document_date = $14, due_date = $15, net_total = $16, vat_total = $17, \
             gross_total = $18, vat_exemption = $19, late_penalty_rate = $20, \
             recovery_fee = $21, notes = $22, oss = $23, category = $24, updated_by = $25, \
             updated_at = now() \
         WHERE company_id = $1 AND document_id = $2 AND document_type = $3 AND status = 'draft'",
        [company_id, document_id, document_type.as_str()],
        content,
        [actor],
    )
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query!(
        "DELETE FROM document_line WHERE company_id = $1 AND document_id = $2",
        company_id,
        document_id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM document_vat WHERE company_id = $1 AND document_id = $2",
        company_id,
        document_id,
    )
    .execute(&mut *conn)
    .await?;
    insert_parts(conn, company_id, document_id, content).await?;
    Ok(true)
}

/// Deletes a draft of this type; false when there is none.
pub(crate) async fn delete_draft(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    document_type: DocumentType,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query!(
        "DELETE FROM document WHERE company_id = $1 AND document_id = $2 \
         AND document_type = $3 AND status = 'draft'",
        company_id,
        document_id,
        document_type.as_str(),
    )
    .execute(conn)
    .await?;
    Ok(deleted.rows_affected() == 1)
}

/// What numbering a draft gives it.
#[derive(Debug, Clone)]
pub(crate) struct Numbered<'a> {
    /// The number as printed.
    pub(crate) number: &'a str,
    /// Its position in the series.
    pub(crate) sequence: i64,
    /// Issued (invoices) or sent (quotes).
    pub(crate) status: Status,
    /// The date it is numbered with.
    pub(crate) document_date: NaiveDate,
    /// Its due date (or validity end).
    pub(crate) due_date: Option<NaiveDate>,
}

/// Takes the next number of `document_type`'s series for a document dated `date`: the
/// number as printed and its position in the series. The series row stays locked until
/// the transaction ends, so concurrent issuers queue and a rollback gives the number
/// back. A date earlier than the series' last one takes nothing.
pub(crate) async fn next_number(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_type: DocumentType,
    date: NaiveDate,
) -> Result<Result<(String, i64), NotChronological>, sqlx::Error> {
    Ok(books::take_number(conn, company_id, document_type, date)
        .await?
        .map(|(number, prefix, include_year)| {
            (format_number(&prefix, include_year, date, number), number)
        })
        .map_err(|last| NotChronological {
            document_type,
            date,
            last,
        }))
}

/// Numbers a draft and freezes it. False when it is no longer a draft.
pub(crate) async fn issue(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    numbered: &Numbered<'_>,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE document SET status = $3, number = $4, sequence = $5, document_date = $6, \
             due_date = $7, issued_at = now(), updated_by = $8, updated_at = now() \
         WHERE company_id = $1 AND document_id = $2 AND status = 'draft'",
        company_id,
        document_id,
        numbered.status.as_str(),
        numbered.number,
        numbered.sequence,
        numbered.document_date,
        numbered.due_date,
        actor,
    )
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Moves a quote from one status to another. False when it was not in `from`.
pub(crate) async fn set_status(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    from: &[Status],
    to: Status,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let updated = sqlx::query!(
        "UPDATE document SET status = $4, updated_by = $5, updated_at = now() \
         WHERE company_id = $1 AND document_id = $2 AND status = ANY($3)",
        company_id,
        document_id,
        &from as &[&str],
        to.as_str(),
        actor,
    )
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A record of a stored document as `select_documents!` reads it, its lines and VAT
/// amounts arriving as JSON (numbers as exact strings), followed by `$extra`, the columns
/// a statement adds; `into_parts` gives the [`Document`] and `$Extra` built from those
/// columns.
macro_rules! document_record {
    ($(#[$meta:meta])* $name:ident { $($extra:ident: $ty:ty,)* } => $Extra:ident) => {
        $(#[$meta])*
        struct $name {
            document_id: Uuid,
            company_id: Uuid,
            document_type: String,
            status: String,
            number: Option<String>,
            sequence: Option<i64>,
            party_id: Uuid,
            party_kind: String,
            party_name: String,
            party_siren: String,
            party_vat_number: String,
            party_address_line1: String,
            party_address_line2: String,
            party_postal_code: String,
            party_city: String,
            party_country_code: String,
            party_accounting_code: String,
            document_date: NaiveDate,
            due_date: Option<NaiveDate>,
            currency_code: String,
            net_total: Decimal,
            vat_total: Decimal,
            gross_total: Decimal,
            balance_due: Decimal,
            vat_exemption: String,
            late_penalty_rate: Option<Decimal>,
            recovery_fee: bool,
            notes: String,
            oss: bool,
            category: String,
            credited_document_id: Option<Uuid>,
            credited_number: String,
            credited_date: Option<NaiveDate>,
            quote_id: Option<Uuid>,
            created_by: String,
            updated_by: String,
            created_at: DateTime<Utc>,
            updated_at: DateTime<Utc>,
            lines: Json<Vec<DocumentLine>>,
            vat: Json<Vec<VatAmount>>,
            $($extra: $ty,)*
        }

        impl $name {
            /// The document, and what the statement read besides.
            fn into_parts(self) -> (Document, $Extra) {
                let document = Document {
                    document_id: self.document_id,
                    company_id: self.company_id,
                    document_type: self.document_type,
                    status: self.status,
                    number: self.number,
                    sequence: self.sequence,
                    party_id: self.party_id,
                    party_kind: self.party_kind,
                    party_name: self.party_name,
                    party_siren: self.party_siren,
                    party_vat_number: self.party_vat_number,
                    party_address_line1: self.party_address_line1,
                    party_address_line2: self.party_address_line2,
                    party_postal_code: self.party_postal_code,
                    party_city: self.party_city,
                    party_country_code: self.party_country_code,
                    party_accounting_code: self.party_accounting_code,
                    document_date: self.document_date,
                    due_date: self.due_date,
                    currency_code: self.currency_code,
                    net_total: self.net_total,
                    vat_total: self.vat_total,
                    gross_total: self.gross_total,
                    balance_due: self.balance_due,
                    vat_exemption: self.vat_exemption,
                    late_penalty_rate: self.late_penalty_rate,
                    recovery_fee: self.recovery_fee,
                    notes: self.notes,
                    oss: self.oss,
                    category: self.category,
                    credited_document_id: self.credited_document_id,
                    credited_number: self.credited_number,
                    credited_date: self.credited_date,
                    quote_id: self.quote_id,
                    created_by: self.created_by,
                    updated_by: self.updated_by,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                    lines: self.lines.0,
                    vat: self.vat.0,
                };
                (document, $Extra { $($extra: self.$extra,)* })
            }
        }
    };
}

/// A statement over documents `d`, each beside `bal.balance_due`: what is left to pay
/// on it, its total less the payments allocated to it and the credit notes issued
/// against it. The one definition lists and reads share. `$select` (literals) comes
/// before the `FROM`, `$tail` after it.
macro_rules! over_documents {
    ($query:ident!($($record:ident,)? [$($select:tt),+], $tail:tt $(, $arg:expr)* $(,)?)) => {
        sqlx::$query!(
            $($record,)?
            $($select +)+
            " FROM document d CROSS JOIN LATERAL (SELECT (d.gross_total \
                - coalesce((SELECT sum(a.amount) FROM payment_allocation a \
                            WHERE a.document_id = d.document_id), 0) \
                - coalesce((SELECT sum(c.gross_total) FROM document c \
                            WHERE c.credited_document_id = d.document_id \
                              AND c.status = 'issued'), 0)) AS balance_due) bal "
                + $tail
            $(, $arg)*
        )
    };
}

/// Reads documents into `$record` (a `document_record!`): their columns, then
/// `$more` (a literal starting with a comma, or empty), from `d` and `$tail`.
macro_rules! select_documents {
    ($record:ident, $more:tt, $tail:tt $(, $arg:expr)* $(,)?) => {
        over_documents!(query_as!(
            $record,
            [
                r#"SELECT d.document_id, d.company_id, d.document_type, d.status,
                    d.number, d.sequence, d.party_id, d.party_kind, d.party_name, d.party_siren,
                    d.party_vat_number, d.party_address_line1, d.party_address_line2,
                    d.party_postal_code, d.party_city, d.party_country_code,
                    coalesce((SELECT p.accounting_code FROM party p
                               WHERE p.party_id = d.party_id), '') AS "party_accounting_code!",
                    d.document_date, d.due_date, d.currency_code, d.net_total, d.vat_total,
                    d.gross_total, bal.balance_due AS "balance_due!",
                    d.vat_exemption, d.late_penalty_rate, d.recovery_fee, d.notes, d.oss,
                    d.category, d.credited_document_id, d.credited_number, d.credited_date,
                    d.quote_id, d.created_by, d.updated_by, d.created_at, d.updated_at,
                    coalesce((SELECT json_agg(json_build_object(
                                 'line_number', l.line_number,
                                 'item_id', l.item_id, 'description', l.description,
                                 'quantity', l.quantity::text, 'unit', l.unit,
                                 'unit_price', l.unit_price::text, 'discount', l.discount::text,
                                 'vat_rate', l.vat_rate::text, 'net_amount', l.net_amount::text,
                                 'supply_type', (SELECT i.kind FROM item i
                                                  WHERE i.item_id = l.item_id))
                               ORDER BY l.line_number)
                              FROM document_line l WHERE l.document_id = d.document_id), '[]')
                        AS "lines!: Json<Vec<DocumentLine>>",
                    coalesce((SELECT json_agg(json_build_object(
                                 'rate', v.vat_rate::text,
                                 'taxable_amount', v.taxable_amount::text,
                                 'vat_amount', v.vat_amount::text)
                               ORDER BY v.vat_rate DESC)
                              FROM document_vat v WHERE v.document_id = d.document_id), '[]')
                        AS "vat!: Json<Vec<VatAmount>>""#,
                $more
            ],
            $tail
            $(, $arg)*
        ))
    };
}

/// What a plain document read reads besides the document: nothing.
struct Nothing {}

document_record!(
    /// A document as read.
    DocumentRecord {} => Nothing
);

/// The document of a record.
fn document(row: DocumentRecord) -> Document {
    row.into_parts().0
}

/// Documents of the company by id, with their parts, in the order of `ids`.
pub(crate) async fn load_many(
    conn: &mut PgConnection,
    company_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Document>, sqlx::Error> {
    let mut rows: Vec<Document> = select_documents!(
        DocumentRecord,
        "",
        "WHERE d.company_id = $1 AND d.document_id = ANY($2)",
        company_id,
        ids,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(document)
    .collect();
    let mut loaded = Vec::with_capacity(rows.len());
    for id in ids {
        if let Some(at) = rows.iter().position(|r| r.document_id == *id) {
            loaded.push(rows.swap_remove(at));
        }
    }
    Ok(loaded)
}

/// One document of the company of one of `types`; None otherwise.
pub(crate) async fn load(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    types: &[DocumentType],
) -> Result<Option<Document>, sqlx::Error> {
    let loaded = load_many(conn, company_id, &[document_id]).await?;
    Ok(loaded
        .into_iter()
        .find(|d| types.contains(&d.document_type())))
}

/// Like [`load`], locking the document until the transaction ends (in the same round
/// trip), so whatever decides from its state (issuing, crediting, paying) decides alone.
pub(crate) async fn load_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    types: &[DocumentType],
) -> Result<Option<Document>, sqlx::Error> {
    let row = select_documents!(
        DocumentRecord,
        "",
        "WHERE d.company_id = $1 AND d.document_id = $2 FOR UPDATE OF d",
        company_id,
        document_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row
        .map(document)
        .filter(|d| types.contains(&d.document_type())))
}

document_record!(
    /// A document locked for issuing, read with what issuing needs from the books.
    IssueRecord {
        legal_name: String,
        legal_form: String,
        siren: String,
        vat_number: String,
        rcs_city: String,
        share_capital_amount: String,
        address_line1: String,
        address_postal_code: String,
        address_city: String,
        lock_date: Option<NaiveDate>,
        today: NaiveDate,
    } => SellerRow
);

/// Like [`load_for_update`], with the seller and the calendar (lock date, today) read in
/// the same round trip: the three things issuing decides from. The book row is
/// key-share locked until the transaction ends (see `books::calendar_for_issue`), so a
/// concurrent SetLockDate cannot move the lock date over the date being issued.
pub(crate) async fn load_for_issue(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    document_type: DocumentType,
) -> Result<Option<(Document, Seller, Calendar)>, sqlx::Error> {
    let row = select_documents!(
        IssueRecord,
        r#", b.legal_name, b.legal_form, b.siren, b.vat_number, b.rcs_city,
           b.share_capital_amount, b.address_line1, b.address_postal_code, b.address_city,
           b.lock_date, (now() AT TIME ZONE b.time_zone)::date AS "today!""#,
        "JOIN book b ON b.company_id = d.company_id \
         WHERE d.company_id = $1 AND d.document_id = $2 AND d.document_type = $3 \
         FOR UPDATE OF d FOR KEY SHARE OF b",
        company_id,
        document_id,
        document_type.as_str(),
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| {
        let (document, book) = row.into_parts();
        let (seller, calendar) = book.into_parts();
        (document, seller, calendar)
    }))
}

/// Locks documents of the company until the transaction ends (payments and credit notes
/// against them queue, so a balance is never spent twice).
pub(crate) async fn lock(
    conn: &mut PgConnection,
    company_id: Uuid,
    ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT 1 AS locked FROM document WHERE company_id = $1 AND document_id = ANY($2) \
         ORDER BY document_id FOR UPDATE",
        company_id,
        ids,
    )
    .fetch_all(conn)
    .await?;
    Ok(())
}

/// Filters of a document list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter<'a> {
    pub(crate) types: Vec<DocumentType>,
    pub(crate) status: Option<Status>,
    /// What the stored status alone does not say.
    pub(crate) standing: Option<Standing>,
    pub(crate) party_id: Option<Uuid>,
    pub(crate) category: Option<&'a str>,
    /// The (created_at, id) the page starts after.
    pub(crate) after: Option<(DateTime<Utc>, Uuid)>,
}

/// How a list's SQL names a standing, and the day it is judged on.
fn standing_key(standing: Standing) -> (&'static str, Option<NaiveDate>) {
    match standing {
        Standing::ValidOn(day) => ("valid", Some(day)),
        Standing::ExpiredOn(day) => ("expired", Some(day)),
        Standing::Unpaid => ("unpaid", None),
        Standing::PartiallyPaid => ("partially_paid", None),
        Standing::Paid => ("paid", None),
    }
}

/// A page of documents, newest first.
pub(crate) async fn list(
    conn: &mut PgConnection,
    company_id: Uuid,
    filter: &ListFilter<'_>,
    limit: i64,
) -> Result<Vec<Document>, sqlx::Error> {
    let types: Vec<&str> = filter.types.iter().map(|t| t.as_str()).collect();
    let standing = filter.standing.map(standing_key);
    let ids: Vec<Uuid> = over_documents!(query_scalar!(
        ["SELECT d.document_id"],
        "WHERE d.company_id = $1 AND d.document_type = ANY($2) \
           AND ($3::text IS NULL OR d.status = $3) \
           AND ($4::uuid IS NULL OR d.party_id = $4) \
           AND ($5::text IS NULL OR d.category = $5) \
           AND ($6::timestamptz IS NULL OR (d.created_at, d.document_id) < ($6, $7)) \
           AND CASE $9::text \
                 WHEN 'valid' THEN NOT coalesce(d.due_date < $10, false) \
                 WHEN 'expired' THEN coalesce(d.due_date < $10, false) \
                 WHEN 'unpaid' THEN d.document_type = 'credit_note' \
                   OR (bal.balance_due > 0 AND bal.balance_due >= d.gross_total) \
                 WHEN 'partially_paid' THEN d.document_type <> 'credit_note' \
                   AND bal.balance_due > 0 AND bal.balance_due < d.gross_total \
                 WHEN 'paid' THEN d.document_type <> 'credit_note' AND bal.balance_due <= 0 \
                 ELSE true END \
         ORDER BY d.created_at DESC, d.document_id DESC LIMIT $8",
        company_id,
        &types as &[&str],
        filter.status.map(Status::as_str),
        filter.party_id,
        filter.category,
        filter.after.map(|(at, _)| at),
        filter.after.map(|(_, id)| id),
        limit,
        standing.map(|(key, _)| key),
        standing.and_then(|(_, day)| day),
    ))
    .fetch_all(&mut *conn)
    .await?;
    load_many(conn, company_id, &ids).await
}

/// What the issued credit notes of an invoice took back, per VAT rate.
pub(crate) async fn credited_per_rate(
    conn: &mut PgConnection,
    company_id: Uuid,
    invoice_id: Uuid,
) -> Result<Vec<VatAmount>, sqlx::Error> {
    sqlx::query_as!(
        VatAmount,
        r#"SELECT v.vat_rate AS rate, sum(v.taxable_amount) AS "taxable_amount!",
                  sum(v.vat_amount) AS "vat_amount!"
             FROM document_vat v JOIN document c ON c.document_id = v.document_id
            WHERE c.company_id = $1 AND c.credited_document_id = $2 AND c.status = 'issued'
            GROUP BY v.vat_rate"#,
        company_id,
        invoice_id,
    )
    .fetch_all(conn)
    .await
}
