//! What the document commands share: reading a decoded draft against the books (the
//! party copied, item defaults filled in, lines checked against the sale's VAT regime,
//! the lock date respected) and writing it, the day documents are dated by default, the
//! lock date they respect and the lists. Numbering is the store's
//! (`store::documents::next_number`): quotes, invoices and credit notes each have a
//! series, numbered without gaps and in date order.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use comptoir_runtime::{Deps, FieldViolations};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Ctx;
use crate::domain::document::{Document, DocumentStatus, Line, Totals, check_rates};
use crate::domain::vat::Regime;
use crate::domain::{DocumentType, PartyRole, Status};
use crate::error::{Error, books_or};
use crate::store::books;
use crate::store::documents::{self, PartyCopy};

/// A draft as the request gives it, its fields parsed; what needs the books is checked
/// by [`read_draft`].
#[derive(Debug, Clone)]
pub(crate) struct DraftInput {
    /// Where the draft sits in the request, e.g. "invoice": the prefix of the paths
    /// [`read_draft`] names.
    pub(crate) field: String,
    /// The party it names.
    pub(crate) party_id: Uuid,
    /// Its date (today when the request gives none).
    pub(crate) document_date: NaiveDate,
    /// Its due date, or a quote's end of validity; None takes the default.
    pub(crate) due_date: Option<NaiveDate>,
    /// VAT exemption or reverse-charge mention.
    pub(crate) vat_exemption: String,
    /// Free notes.
    pub(crate) notes: String,
    /// Late-payment penalty rate.
    pub(crate) late_penalty_rate: Option<Decimal>,
    /// Whether the 40 € recovery fee mention is printed.
    pub(crate) recovery_fee: bool,
    /// Its lines.
    pub(crate) lines: Vec<LineInput>,
}

/// A line as the request gives it; what it leaves empty comes from its item.
#[derive(Debug, Clone)]
pub(crate) struct LineInput {
    /// The item it starts from.
    pub(crate) item_id: Option<Uuid>,
    /// Description; empty takes the item's label.
    pub(crate) description: String,
    /// Quantity, more than 0.
    pub(crate) quantity: Decimal,
    /// Unit; empty takes the item's.
    pub(crate) unit: String,
    /// Unit price; None takes the item's.
    pub(crate) unit_price: Option<Decimal>,
    /// Discount in currency.
    pub(crate) discount: Decimal,
    /// VAT rate; None takes the item's.
    pub(crate) vat_rate: Option<Decimal>,
}

/// The path of `name` under `field` ("invoice" and "notes" give "invoice.notes"; an
/// empty `field` gives "notes").
pub(crate) fn path_in(field: &str, name: &str) -> String {
    if field.is_empty() {
        name.to_owned()
    } else {
        format!("{field}.{name}")
    }
}

/// How a draft's due date defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DueDefault {
    /// The party's payment terms after the document date (invoices).
    PaymentTerms,
    /// A number of days after the document date (quote validity).
    Days(i64),
    /// No default (purchase invoices).
    None,
}

/// A draft checked against the books, ready to store.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub(crate) party: PartyCopy,
    pub(crate) document_date: NaiveDate,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) lines: Vec<Line>,
    pub(crate) totals: Totals,
    pub(crate) vat_exemption: String,
    pub(crate) late_penalty_rate: Option<Decimal>,
    pub(crate) recovery_fee: bool,
    pub(crate) notes: String,
    pub(crate) oss: bool,
}

impl Draft {
    /// The content to store, with `category` for purchase invoices.
    pub(crate) fn content<'a>(&'a self, category: &'a str) -> documents::Content<'a> {
        documents::Content {
            party: &self.party,
            document_date: self.document_date,
            due_date: self.due_date,
            lines: &self.lines,
            totals: &self.totals,
            vat_exemption: &self.vat_exemption,
            late_penalty_rate: self.late_penalty_rate,
            recovery_fee: self.recovery_fee,
            notes: &self.notes,
            oss: self.oss,
            category,
        }
    }
}

/// Reads `input` for a document whose party has `role`, inside the caller's
/// transaction: the party and items must be the company's (NOT_FOUND otherwise), what
/// the lines break is named in one INVALID_ARGUMENT, and a date on or before the lock
/// date answers FAILED_PRECONDITION.
pub(crate) async fn read_draft(
    conn: &mut PgConnection,
    company_id: Uuid,
    input: &DraftInput,
    role: PartyRole,
    due_default: DueDefault,
) -> Result<Draft, Error> {
    let field = input.field.as_str();
    let at = |name: &str| path_in(field, name);
    let party = documents::party_copy(conn, company_id, input.party_id)
        .await?
        .ok_or_else(|| Error::not_found("party", input.party_id))?;
    if party.role() != Some(role) {
        return Err(Error::invalid(
            &at("party_id"),
            format!("must be a {}", role.as_str()),
        ));
    }
    if party.archived {
        return Err(Error::invalid(&at("party_id"), "is archived"));
    }
    let regime = if role == PartyRole::Customer {
        Regime::of_sale(party.is_private(), &party.address_country_code)
    } else {
        Regime::Domestic
    };
    let lines = read_lines(conn, company_id, field, &input.lines, &regime).await?;
    let lock_date = books::lock_date(conn, company_id)
        .await
        .map_err(|err| books_or(err, company_id))?;
    let document_date = input.document_date;
    refuse_locked(lock_date, document_date, &at("document_date"))?;
    let due_date = input.due_date.or(match due_default {
        DueDefault::PaymentTerms => {
            Some(document_date + TimeDelta::days(i64::from(party.payment_terms_days)))
        }
        DueDefault::Days(days) => Some(document_date + TimeDelta::days(days)),
        DueDefault::None => None,
    });
    let totals = Totals::of(&lines);
    Ok(Draft {
        oss: regime.is_oss(),
        party,
        document_date,
        due_date,
        lines,
        totals,
        vat_exemption: input.vat_exemption.clone(),
        late_penalty_rate: input.late_penalty_rate,
        recovery_fee: input.recovery_fee,
        notes: input.notes.clone(),
    })
}

/// Completes decoded lines (at `{field}.lines[i]`) from their items and checks each
/// discount against its line and each rate against `regime`. The items must be the
/// company's.
pub(crate) async fn read_lines(
    conn: &mut PgConnection,
    company_id: Uuid,
    field: &str,
    inputs: &[LineInput],
    regime: &Regime,
) -> Result<Vec<Line>, Error> {
    let item_ids: Vec<Uuid> = inputs.iter().filter_map(|l| l.item_id).collect();
    let items = documents::item_defaults(conn, company_id, &item_ids).await?;
    if let Some(missing) = item_ids
        .iter()
        .find(|id| !items.iter().any(|item| item.item_id == **id))
    {
        return Err(Error::not_found("item", missing));
    }
    let mut violations = FieldViolations::new();
    let mut lines = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let item = input
            .item_id
            .and_then(|id| items.iter().find(|item| item.item_id == id));
        let line = Line {
            item_id: input.item_id,
            description: match (input.description.as_str(), item) {
                ("", Some(item)) => item.label.clone(),
                (given, _) => given.to_owned(),
            },
            quantity: input.quantity,
            unit: match (input.unit.as_str(), item) {
                ("", Some(item)) => item.unit.clone(),
                (given, _) => given.to_owned(),
            },
            unit_price: input
                .unit_price
                .or(item.map(|item| item.unit_price))
                .unwrap_or_default(),
            discount: input.discount,
            vat_rate: input
                .vat_rate
                .or(item.map(|item| item.vat_rate))
                .unwrap_or_default(),
        };
        if line.discount > line.gross_amount() {
            violations.add(
                path_in(field, &format!("lines[{index}].discount")),
                "must not exceed quantity × unit price",
            );
        }
        lines.push(line);
    }
    if violations.is_empty() {
        for (path, reason) in check_rates(&lines, regime) {
            violations.add(path_in(field, &path), reason);
        }
    }
    if !violations.is_empty() {
        return Err(Error::InvalidArgument(violations));
    }
    Ok(lines)
}

/// A document about to be created from a decoded draft.
#[derive(Debug, Clone)]
pub(crate) struct NewDocument<'a> {
    /// The draft.
    pub(crate) input: &'a DraftInput,
    /// Customer or supplier.
    pub(crate) role: PartyRole,
    /// How the due date defaults.
    pub(crate) due_default: DueDefault,
    /// What it is.
    pub(crate) document_type: DocumentType,
    /// Draft, or recorded at once (purchase invoices).
    pub(crate) status: Status,
    /// The supplier's number of a purchase invoice.
    pub(crate) number: Option<&'a str>,
    /// Expense category of a purchase invoice.
    pub(crate) category: &'a str,
}

/// Reads `new`'s draft and writes it as a new document; returns it as stored. A write the
/// database refuses comes back as [`Error::Db`] for the caller to name.
pub(crate) async fn create(
    conn: &mut PgConnection,
    company_id: Uuid,
    actor: &str,
    new: &NewDocument<'_>,
) -> Result<Document, Error> {
    let draft = read_draft(conn, company_id, new.input, new.role, new.due_default).await?;
    let document_id = Uuid::now_v7();
    documents::insert(
        conn,
        company_id,
        &documents::Header {
            document_id,
            document_type: new.document_type,
            status: new.status,
            number: new.number.map(|number| (number, None)),
            credited: None,
            quote_id: None,
            actor,
        },
        &draft.content(new.category),
    )
    .await
    .map_err(Error::Db)?;
    documents::load(conn, company_id, document_id, &[new.document_type])
        .await?
        .ok_or_else(|| Error::not_found("document", document_id))
}

/// Today in UTC: the default date of documents and payments, and the day a quote's
/// validity is judged on.
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// FAILED_PRECONDITION (PERIOD_LOCKED) naming `field` when `date` is on or before the
/// lock date.
pub(crate) fn refuse_locked(
    lock_date: Option<NaiveDate>,
    date: NaiveDate,
    field: &str,
) -> Result<(), Error> {
    match lock_date {
        Some(lock) if date <= lock => Err(Error::PeriodLocked(format!(
            "{field} {date} is on or before the lock date {lock}: the period is closed"
        ))),
        _ => Ok(()),
    }
}

/// What a list of documents asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListDocuments {
    /// The types listed.
    pub(crate) types: Vec<DocumentType>,
    /// Only documents reading as this status (today).
    pub(crate) status: Option<DocumentStatus>,
    /// Only documents naming this party.
    pub(crate) party_id: Option<Uuid>,
    /// The (created_at, id) the page starts after.
    pub(crate) after: Option<(DateTime<Utc>, Uuid)>,
    /// How many rows: one more than the page, to learn whether another follows.
    pub(crate) limit: i64,
}

/// A page of the company's documents, newest first. The status is filtered in SQL, so a
/// page holds as many documents as asked for.
pub(crate) async fn list(
    ctx: &Ctx,
    deps: &Deps,
    query: ListDocuments,
) -> Result<Vec<Document>, Error> {
    let (status, standing) = query.status.map(|s| s.filter(today())).unzip();
    let filter = documents::ListFilter {
        types: query.types,
        status,
        standing: standing.flatten(),
        party_id: query.party_id,
        category: None,
        after: query.after,
    };
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    Ok(documents::list(&mut tx, ctx.company_id, &filter, query.limit).await?)
}
