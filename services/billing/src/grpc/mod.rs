//! Billing's gRPC services: decode, authorise, call the application layer ([`crate::app`]),
//! encode. One module per service of `comptoir.billing.v1`; this one holds what they
//! share: authorising the caller for its company ([`authorize`]), and reading and writing
//! dates, amounts and texts.

pub(crate) mod books;
pub(crate) mod documents;
pub(crate) mod invoices;
pub(crate) mod items;
pub(crate) mod parties;
pub(crate) mod payments;
pub(crate) mod purchases;
pub(crate) mod quotes;

use chrono::{DateTime, NaiveDate, Utc};
use comptoir_domain_types::amount::{self, AmountError};
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::billing::v1 as pb;
use comptoir_runtime::caller::AuthError;
use comptoir_runtime::page::{PageRequest, TimeIdCursor, parse_time_id_cursor};
use comptoir_runtime::{Caller, FieldViolations};
use rust_decimal::Decimal;
use tonic::Request;

use crate::error::Error;

use crate::app::Ctx;
pub(crate) use crate::app::documents::today;

/// Authorises the caller of `request` for its active company if it holds at least one
/// of `permissions` (see [`Caller::require_any`]).
pub(crate) fn authorize<T>(
    request: &Request<T>,
    permissions: &[Permission],
) -> Result<Ctx, AuthError> {
    let caller = Caller::of(request)?.clone();
    let company_id = caller.active_company()?;
    caller.require_any(company_id, permissions)?;
    Ok(Ctx {
        company_id,
        actor: caller.actor(),
        caller,
    })
}

/// INVALID_ARGUMENT with every violation recorded so far, if any (they are taken).
pub(crate) fn ensure_valid(violations: &mut FieldViolations) -> Result<(), Error> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(std::mem::take(violations)))
    }
}

/// Reads the `page_size` and `page_token` of a list ordered by (time, id), then answers
/// INVALID_ARGUMENT with every violation recorded so far, if any; returns the page and
/// the position it starts after.
pub(crate) fn keyset_page(
    violations: &mut FieldViolations,
    page_size: i32,
    page_token: &str,
) -> Result<(PageRequest, Option<TimeIdCursor>), Error> {
    let page = PageRequest::parse(page_size, page_token, violations);
    let after = page
        .as_ref()
        .and_then(|p| parse_time_id_cursor(p.after.as_deref(), violations));
    ensure_valid(violations)?;
    match page {
        Some(page) => Ok((page, after)),
        None => unreachable!("a page request without violations parses"),
    }
}

/// Parses an optional date "YYYY-MM-DD"; empty gives None.
pub(crate) fn optional_date(
    violations: &mut FieldViolations,
    field: &str,
    value: &str,
) -> Option<NaiveDate> {
    if value.trim().is_empty() {
        return None;
    }
    violations.check(
        field,
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map_err(|_| "must be a date written YYYY-MM-DD"),
    )
}

/// Parses a required decimal with at most `scale` decimals.
pub(crate) fn decimal(
    violations: &mut FieldViolations,
    field: &str,
    value: &str,
    scale: u32,
) -> Option<Decimal> {
    if value.trim().is_empty() {
        violations.add(field, "is required");
        return None;
    }
    violations.check(field, amount::parse_decimal(value, scale))
}

/// Parses an optional decimal; empty gives None.
pub(crate) fn optional_decimal(
    violations: &mut FieldViolations,
    field: &str,
    value: &str,
    scale: u32,
) -> Option<Decimal> {
    if value.trim().is_empty() {
        return None;
    }
    violations.check::<_, AmountError>(field, amount::parse_decimal(value, scale))
}

/// An optional text with a length limit; the value is trimmed.
pub(crate) fn text(
    violations: &mut FieldViolations,
    field: &str,
    value: &str,
    max: usize,
) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        violations.add(field, format!("must be at most {max} characters"));
    }
    value.to_owned()
}

/// A required text with a length limit.
pub(crate) fn required_text(
    violations: &mut FieldViolations,
    field: &str,
    value: &str,
    max: usize,
) -> String {
    let value = text(violations, field, value, max);
    if value.is_empty() {
        violations.add(field, "is required");
    }
    value
}

/// A date on the wire.
pub(crate) fn date_string(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A timestamp on the wire (RFC 3339, UTC).
pub(crate) fn time_string(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Who created and changed an object.
pub(crate) fn authorship(
    created_by: &str,
    created_at: DateTime<Utc>,
    updated_by: &str,
    updated_at: DateTime<Utc>,
) -> pb::Authorship {
    pb::Authorship {
        created_by: created_by.to_owned(),
        create_time: time_string(created_at),
        updated_by: updated_by.to_owned(),
        update_time: time_string(updated_at),
    }
}
