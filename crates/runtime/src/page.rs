//! AIP-158 pagination shared by every `List*` call: `page_size` (0 means the default,
//! larger values are capped) and an opaque `page_token` carrying the position after
//! which the next page starts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::FieldViolations;

/// Page size when the request gives 0.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Largest page served.
pub const MAX_PAGE_SIZE: i64 = 200;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many items to return.
    pub size: i64,
    /// The cursor the page starts after, as the service wrote it; None for the first page.
    pub after: Option<String>,
}

impl PageRequest {
    /// Validates `page_size` and decodes `page_token`, recording violations.
    pub fn parse(
        page_size: i32,
        page_token: &str,
        violations: &mut FieldViolations,
    ) -> Option<Self> {
        let size = match page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n < 0 => {
                violations.add("page_size", "must not be negative");
                return None;
            }
            n => i64::from(n).min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            let decoded = URL_SAFE_NO_PAD
                .decode(page_token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            match decoded {
                Some(cursor) => Some(cursor),
                None => {
                    violations.add("page_token", "is not a token returned by this API");
                    return None;
                }
            }
        };
        Some(Self { size, after })
    }

    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch_limit(&self) -> i64 {
        self.size + 1
    }

    /// Trims `rows` (fetched with [`Self::fetch_limit`]) to the page and returns the
    /// next page token: the cursor of the last row kept, or empty on the last page.
    pub fn finish<T>(&self, rows: &mut Vec<T>, cursor: impl Fn(&T) -> String) -> String {
        if rows.len() as i64 > self.size {
            rows.truncate(self.size as usize);
            rows.last()
                .map(|row| URL_SAFE_NO_PAD.encode(cursor(row)))
                .unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// The position a keyset page starts after: the `(timestamp, id)` of the last row seen.
pub type TimeIdCursor = (chrono::DateTime<chrono::Utc>, uuid::Uuid);

/// Validates a page request over a list ordered by `(timestamp, id)`, answering
/// INVALID_ARGUMENT naming `page_size` or `page_token` when either is bad.
pub fn parse_keyset(
    page_size: i32,
    page_token: &str,
) -> Result<(PageRequest, Option<TimeIdCursor>), FieldViolations> {
    let mut violations = FieldViolations::new();
    let page = PageRequest::parse(page_size, page_token, &mut violations);
    let after = page
        .as_ref()
        .and_then(|p| parse_time_id_cursor(p.after.as_deref(), &mut violations));
    violations.into_result()?;
    match page {
        Some(page) => Ok((page, after)),
        None => unreachable!("a page request without violations parses"),
    }
}

/// A cursor for lists ordered by `(timestamp, id)`.
pub fn time_id_cursor(at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> String {
    format!("{}|{id}", at.timestamp_micros())
}

/// Reads a [`time_id_cursor`]; a cursor that does not parse is a bad `page_token`.
pub fn parse_time_id_cursor(
    cursor: Option<&str>,
    violations: &mut FieldViolations,
) -> Option<TimeIdCursor> {
    let parsed = cursor?.split_once('|').and_then(|(micros, id)| {
        let at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        Some((at, uuid::Uuid::parse_str(id).ok()?))
    });
    if parsed.is_none() {
        violations.add("page_token", "is not a token returned by this API");
    }
    parsed
}

/// A cursor for lists ordered by `(text, id)`, such as a lower-cased name or label: the
/// id comes first, so the text may hold `|` itself.
pub fn id_text_cursor(id: uuid::Uuid, text: &str) -> String {
    format!("{id}|{text}")
}

/// Reads an [`id_text_cursor`] as `(text, id)`, the order of the list's keyset; a cursor
/// that does not parse is a bad `page_token`.
pub fn parse_id_text_cursor(
    cursor: Option<&str>,
    violations: &mut FieldViolations,
) -> Option<(String, uuid::Uuid)> {
    let parsed = cursor?
        .split_once('|')
        .and_then(|(id, text)| Some((text.to_owned(), uuid::Uuid::parse_str(id).ok()?)));
    if parsed.is_none() {
        violations.add("page_token", "is not a token returned by this API");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_default_cap_and_reject_negatives() {
        let mut v = FieldViolations::new();
        assert_eq!(
            PageRequest::parse(0, "", &mut v).unwrap().size,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::parse(5000, "", &mut v).unwrap().size,
            MAX_PAGE_SIZE
        );
        assert!(v.is_empty());
        assert!(PageRequest::parse(-1, "", &mut v).is_none());
        assert!(PageRequest::parse(10, "%%%", &mut v).is_none());
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["page_size", "page_token"]);
    }

    #[test]
    fn a_token_round_trips_its_cursor() {
        let mut v = FieldViolations::new();
        let page = PageRequest::parse(2, "", &mut v).unwrap();
        let mut rows = vec![1, 2, 3];
        let token = page.finish(&mut rows, |n| format!("after-{n}"));
        assert_eq!(rows, [1, 2]);
        let next = PageRequest::parse(2, &token, &mut v).unwrap();
        assert_eq!(next.after.as_deref(), Some("after-2"));
        let mut last = vec![3];
        assert_eq!(next.finish(&mut last, |n| n.to_string()), "");
    }

    #[test]
    fn an_id_text_cursor_round_trips_even_when_the_text_holds_a_bar() {
        let mut v = FieldViolations::new();
        let id = uuid::Uuid::now_v7();
        let cursor = id_text_cursor(id, "a|b");
        assert_eq!(
            parse_id_text_cursor(Some(&cursor), &mut v),
            Some(("a|b".to_owned(), id))
        );
        assert_eq!(parse_id_text_cursor(None, &mut v), None);
        assert!(v.is_empty());
        assert_eq!(parse_id_text_cursor(Some("nonsense"), &mut v), None);
        assert_eq!(parse_id_text_cursor(Some("x|a"), &mut v), None);
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["page_token", "page_token"]);
    }
}
