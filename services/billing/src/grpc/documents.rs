//! What the document services share: reading a `DraftInput` into a validated draft (the
//! party copied, item defaults filled in, lines checked against the sale's VAT regime,
//! the lock date respected), and the wire forms of a stored document (the API's
//! `Document`, the events' `BillingDocument`).

use chrono::{NaiveDate, TimeDelta};
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::FieldViolations;
use comptoir_runtime::amount::{format, format_plain};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::books::document_type_to_pb;
use super::{date_string, decimal, optional_date, optional_decimal, text};
use crate::app::documents::{refuse_locked, today};
use crate::domain::document::{Document, DocumentStatus, Line, MAX_LINES, Totals, check_rates};
use crate::domain::vat::Regime;
use crate::domain::{DocumentType, PartyKind, PartyRole, Status};
use crate::error::Error;
use crate::store::books;
use crate::store::documents::{self, PartyCopy};

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

/// A draft read from the wire and checked.
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

/// One line's raw fields, before item defaults.
struct RawLine<'a> {
    index: usize,
    input: &'a pb::LineInput,
    item_id: Option<Uuid>,
}

/// Reads `input` (named `field` in the request, e.g. "invoice") for a document whose party
/// has `role`, inside the caller's transaction: the party and items must be the
/// company's (NOT_FOUND otherwise), every bad field is named in one INVALID_ARGUMENT, and
/// a date on or before the lock date answers FAILED_PRECONDITION.
pub(crate) async fn read_draft(
    conn: &mut PgConnection,
    company_id: Uuid,
    field: &str,
    input: Option<&pb::DraftInput>,
    role: PartyRole,
    due_default: DueDefault,
) -> Result<Draft, Error> {
    let Some(input) = input else {
        return Err(Error::invalid(field, "is required"));
    };
    let mut violations = FieldViolations::new();
    let at = |name: &str| format!("{field}.{name}");
    let party_id = violations.uuid(&at("party_id"), &input.party_id);
    let document_date = optional_date(&mut violations, &at("document_date"), &input.document_date)
        .unwrap_or_else(today);
    let due_date = optional_date(&mut violations, &at("due_date"), &input.due_date);
    let vat_exemption = text(
        &mut violations,
        &at("vat_exemption"),
        &input.vat_exemption,
        200,
    );
    let notes = text(&mut violations, &at("notes"), &input.notes, 2000);
    let late_penalty_rate = optional_decimal(
        &mut violations,
        &at("late_penalty_rate"),
        &input.late_penalty_rate,
        2,
    );
    if input.lines.is_empty() {
        violations.add(at("lines"), "needs at least one line");
    }
    if input.lines.len() > MAX_LINES {
        violations.add(at("lines"), format!("must have at most {MAX_LINES} lines"));
    }
    if let (Some(due), false) = (due_date, input.due_date.is_empty())
        && due < document_date
    {
        violations.add(at("due_date"), "must not be before the document date");
    }
    super::ensure_valid(&mut violations)?;
    let party_id = party_id.unwrap_or_default();

    let party = documents::party_copy(conn, company_id, party_id)
        .await?
        .ok_or_else(|| Error::not_found("party", party_id))?;
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
    let lines = read_lines(
        conn,
        company_id,
        field,
        &input.lines,
        &regime,
        &mut violations,
    )
    .await?;
    let lock_date = books::lock_date(conn, company_id)
        .await
        .map_err(|err| super::books_or(err, company_id))?;
    refuse_locked(lock_date, document_date, &at("document_date"))?;
    let due_date = due_date.or(match due_default {
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
        vat_exemption,
        late_penalty_rate,
        recovery_fee: input.recovery_fee,
        notes,
    })
}

/// Reads the lines of a request (at `{field}.lines[i]`), filling empty fields from their
/// items and checking each rate against `regime`. The items must be the company's.
pub(crate) async fn read_lines(
    conn: &mut PgConnection,
    company_id: Uuid,
    field: &str,
    inputs: &[pb::LineInput],
    regime: &Regime,
    violations: &mut FieldViolations,
) -> Result<Vec<Line>, Error> {
    let raw: Vec<RawLine<'_>> = inputs
        .iter()
        .enumerate()
        .map(|(index, line)| RawLine {
            index,
            input: line,
            item_id: (!line.item_id.is_empty())
                .then(|| violations.uuid(&format!("{field}.lines[{index}].item_id"), &line.item_id))
                .flatten(),
        })
        .collect();
    super::ensure_valid(violations)?;
    let item_ids: Vec<Uuid> = raw.iter().filter_map(|r| r.item_id).collect();
    let items = documents::item_defaults(conn, company_id, &item_ids).await?;
    if let Some(missing) = item_ids
        .iter()
        .find(|id| !items.iter().any(|item| item.item_id == **id))
    {
        return Err(Error::not_found("item", missing));
    }

    let mut lines = Vec::with_capacity(raw.len());
    for line in &raw {
        let item = line
            .item_id
            .and_then(|id| items.iter().find(|item| item.item_id == id));
        let path = |name: &str| format!("{field}.lines[{}].{name}", line.index);
        let input = line.input;
        let description = match (input.description.trim(), item) {
            ("", Some(item)) => item.label.clone(),
            (given, _) => given.to_owned(),
        };
        if description.is_empty() {
            violations.add(path("description"), "is required");
        } else if description.chars().count() > 1000 {
            violations.add(path("description"), "must be at most 1000 characters");
        }
        let quantity = decimal(violations, &path("quantity"), &input.quantity, 3);
        if quantity.is_some_and(|q| q.is_zero()) {
            violations.add(path("quantity"), "must be more than 0");
        }
        let unit_price = match (input.unit_price.trim(), item) {
            ("", Some(item)) => Some(item.unit_price),
            (given, _) => decimal(violations, &path("unit_price"), given, 4),
        };
        let discount =
            optional_decimal(violations, &path("discount"), &input.discount, 2).unwrap_or_default();
        let vat_rate = match (input.vat_rate.trim(), item) {
            ("", Some(item)) => Some(item.vat_rate),
            (given, _) => decimal(violations, &path("vat_rate"), given, 2),
        };
        let unit = match (input.unit.trim(), item) {
            ("", Some(item)) => item.unit.clone(),
            (given, _) => given.to_owned(),
        };
        if let (Some(quantity), Some(unit_price), Some(vat_rate)) = (quantity, unit_price, vat_rate)
        {
            let line = Line {
                item_id: line.item_id,
                description,
                quantity,
                unit,
                unit_price,
                discount,
                vat_rate,
            };
            if discount > line.gross_amount() {
                violations.add(path("discount"), "must not exceed quantity × unit price");
            }
            lines.push(line);
        }
    }
    if violations.is_empty() {
        for (path, reason) in check_rates(&lines, regime) {
            violations.add(format!("{field}.{path}"), reason);
        }
    }

    super::ensure_valid(violations)?;
    Ok(lines)
}

/// A document about to be created from a `DraftInput`.
#[derive(Debug, Clone)]
pub(crate) struct NewDocument<'a> {
    /// Where the draft sits in the request, e.g. "invoice".
    pub(crate) field: &'a str,
    /// The draft.
    pub(crate) input: Option<&'a pb::DraftInput>,
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
    let draft = read_draft(
        conn,
        company_id,
        new.field,
        new.input,
        new.role,
        new.due_default,
    )
    .await?;
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

/// The wire form of a derived status.
pub(crate) fn status_to_pb(status: DocumentStatus) -> pb::DocumentStatus {
    match status {
        DocumentStatus::Draft => pb::DocumentStatus::Draft,
        DocumentStatus::Sent => pb::DocumentStatus::Sent,
        DocumentStatus::Expired => pb::DocumentStatus::Expired,
        DocumentStatus::Accepted => pb::DocumentStatus::Accepted,
        DocumentStatus::Refused => pb::DocumentStatus::Refused,
        DocumentStatus::Issued => pb::DocumentStatus::Issued,
        DocumentStatus::PartiallyPaid => pb::DocumentStatus::PartiallyPaid,
        DocumentStatus::Paid => pb::DocumentStatus::Paid,
    }
}

/// The derived status a wire status filter asks for; None for no filter (unspecified or
/// unknown).
pub(crate) fn status_from_pb(status: i32) -> Option<DocumentStatus> {
    match pb::DocumentStatus::try_from(status).unwrap_or(pb::DocumentStatus::Unspecified) {
        pb::DocumentStatus::Unspecified => None,
        pb::DocumentStatus::Draft => Some(DocumentStatus::Draft),
        pb::DocumentStatus::Sent => Some(DocumentStatus::Sent),
        pb::DocumentStatus::Expired => Some(DocumentStatus::Expired),
        pb::DocumentStatus::Accepted => Some(DocumentStatus::Accepted),
        pb::DocumentStatus::Refused => Some(DocumentStatus::Refused),
        pb::DocumentStatus::Issued => Some(DocumentStatus::Issued),
        pb::DocumentStatus::PartiallyPaid => Some(DocumentStatus::PartiallyPaid),
        pb::DocumentStatus::Paid => Some(DocumentStatus::Paid),
    }
}

fn party_kind_to_pb(kind: &str) -> pb::PartyKind {
    match PartyKind::from_stored(kind) {
        Some(PartyKind::Professional) => pb::PartyKind::Professional,
        Some(PartyKind::Private) => pb::PartyKind::Private,
        None => pb::PartyKind::Unspecified,
    }
}

/// The API's form of a stored document.
pub(crate) fn document_to_pb(row: &Document) -> pb::Document {
    pb::Document {
        document_id: row.document_id.to_string(),
        company_id: row.company_id.to_string(),
        document_type: document_type_to_pb(row.document_type()) as i32,
        status: status_to_pb(row.status_on(today())) as i32,
        number: row.number.clone().unwrap_or_default(),
        party: Some(pb::PartySnapshot {
            party_id: row.party_id.to_string(),
            kind: party_kind_to_pb(&row.party_kind) as i32,
            name: row.party_name.clone(),
            siren: row.party_siren.clone(),
            vat_number: row.party_vat_number.clone(),
            address: Some(pb::PostalAddress {
                line1: row.party_address_line1.clone(),
                line2: row.party_address_line2.clone(),
                postal_code: row.party_postal_code.clone(),
                city: row.party_city.clone(),
                country_code: row.party_country_code.clone(),
            }),
        }),
        document_date: date_string(Some(row.document_date)),
        due_date: date_string(row.due_date),
        currency_code: row.currency_code.clone(),
        lines: row
            .lines
            .iter()
            .map(|line| pb::Line {
                line_number: line.line_number,
                item_id: line.item_id.map(|id| id.to_string()).unwrap_or_default(),
                description: line.description.clone(),
                quantity: format_plain(line.quantity),
                unit: line.unit.clone(),
                unit_price: format_plain(line.unit_price),
                discount: format(line.discount, 2),
                vat_rate: format_plain(line.vat_rate),
                net_amount: format(line.net_amount, 2),
            })
            .collect(),
        vat_amounts: row
            .vat
            .iter()
            .map(|vat| pb::VatAmount {
                rate: format_plain(vat.rate),
                taxable_amount: format(vat.taxable_amount, 2),
                vat_amount: format(vat.vat_amount, 2),
            })
            .collect(),
        net_total: format(row.net_total, 2),
        vat_total: format(row.vat_total, 2),
        gross_total: format(row.gross_total, 2),
        balance_due: format(row.balance_due.max(Decimal::ZERO), 2),
        vat_exemption: row.vat_exemption.clone(),
        late_penalty_rate: row.late_penalty_rate.map(format_plain).unwrap_or_default(),
        recovery_fee: row.recovery_fee,
        notes: row.notes.clone(),
        credited_document_id: row
            .credited_document_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        credited_number: row.credited_number.clone(),
        credited_date: date_string(row.credited_date),
        quote_id: row.quote_id.map(|id| id.to_string()).unwrap_or_default(),
        oss: row.oss,
        category: row.category.clone(),
        authorship: Some(super::authorship(
            &row.created_by,
            row.created_at,
            &row.updated_by,
            row.updated_at,
        )),
    }
}
