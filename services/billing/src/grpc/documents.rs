//! What the document services share: decoding a `DraftInput` and its lines (the rest of
//! the checks need the books: `app::documents::read_draft`), and the wire forms of a
//! stored document and its derived status.

use comptoir_domain_types::amount::{format, format_plain};
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::FieldViolations;
use rust_decimal::Decimal;

use super::books::document_type_to_pb;
use super::{date_string, decimal, ensure_valid, optional_date, optional_decimal, text};
use crate::app::documents::{DraftInput, LineInput, path_in, today};
use crate::domain::PartyKind;
use crate::domain::document::{Document, DocumentStatus, MAX_LINES};
use crate::error::Error;

/// Decodes a `DraftInput` (named `field` in the request, e.g. "invoice"): every bad field
/// is named in one INVALID_ARGUMENT, each with its path (`invoice.lines[2].quantity`).
/// What needs the books (the party, the items, the lock date) is checked by
/// [`read_draft`](crate::app::documents::read_draft).
pub(crate) fn decode_draft(
    field: &str,
    input: Option<&pb::DraftInput>,
) -> Result<DraftInput, Error> {
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
    let lines = decode_lines(&mut violations, field, &input.lines);
    ensure_valid(&mut violations)?;
    Ok(DraftInput {
        field: field.to_owned(),
        party_id: party_id.unwrap_or_default(),
        document_date,
        due_date,
        vat_exemption,
        notes,
        late_penalty_rate,
        recovery_fee: input.recovery_fee,
        lines,
    })
}

/// Decodes the lines of a request (at `{field}.lines[i]`, or `lines[i]` when `field` is
/// empty): an empty description, unit, unit price or VAT rate is taken from the line's
/// item, so it is required only on a line without one.
pub(crate) fn decode_lines(
    violations: &mut FieldViolations,
    field: &str,
    inputs: &[pb::LineInput],
) -> Vec<LineInput> {
    let mut lines = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let path = |name: &str| path_in(field, &format!("lines[{index}].{name}"));
        let item_id = (!input.item_id.is_empty())
            .then(|| violations.uuid(&path("item_id"), &input.item_id))
            .flatten();
        let has_item = !input.item_id.is_empty();
        let description = input.description.trim().to_owned();
        if description.is_empty() && !has_item {
            violations.add(path("description"), "is required");
        } else if description.chars().count() > 1000 {
            violations.add(path("description"), "must be at most 1000 characters");
        }
        let quantity = decimal(violations, &path("quantity"), &input.quantity, 3);
        if quantity.is_some_and(|q| q.is_zero()) {
            violations.add(path("quantity"), "must be more than 0");
        }
        let unit_price = match (input.unit_price.trim(), has_item) {
            ("", true) => None,
            (given, _) => decimal(violations, &path("unit_price"), given, 4),
        };
        let discount =
            optional_decimal(violations, &path("discount"), &input.discount, 2).unwrap_or_default();
        let vat_rate = match (input.vat_rate.trim(), has_item) {
            ("", true) => None,
            (given, _) => decimal(violations, &path("vat_rate"), given, 2),
        };
        lines.push(LineInput {
            item_id,
            description,
            quantity: quantity.unwrap_or_default(),
            unit: input.unit.trim().to_owned(),
            unit_price,
            discount,
            vat_rate,
        });
    }
    lines
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
