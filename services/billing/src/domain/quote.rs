//! What a quote's customer may still answer. A sent quote is accepted (or turned into an
//! invoice) only while it is valid: past its end of validity it reads as expired
//! ([`Document::status_on`]) and the answer is refused; a draft, accepted or refused
//! quote has nothing to answer. Refusing is recorded even when expired, so it has no
//! rule here.

use chrono::NaiveDate;

use super::document::{Document, DocumentStatus};

/// Why a quote cannot be accepted or converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswerable {
    /// It is sent but its validity ended on that day.
    Expired {
        /// The end of its validity.
        on: NaiveDate,
    },
    /// It is not sent (a draft, or already answered).
    NotSent,
}

/// Whether `quote` may be accepted or converted on `today`: sent and still valid.
pub fn check_answerable(quote: &Document, today: NaiveDate) -> Result<(), Unanswerable> {
    match quote.status_on(today) {
        DocumentStatus::Sent => Ok(()),
        DocumentStatus::Expired => Err(Unanswerable::Expired {
            on: quote.due_date.unwrap_or_default(),
        }),
        _ => Err(Unanswerable::NotSent),
    }
}

/// How refusals name a quote: its number, or its id while it has none.
pub fn number_of(quote: &Document) -> String {
    quote
        .number
        .clone()
        .unwrap_or_else(|| quote.document_id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::document::tests::{day, stored};
    use crate::domain::{DocumentType, Status};

    #[test]
    fn a_sent_quote_is_answered_until_its_last_valid_day_and_is_expired_after() {
        let mut quote = stored(DocumentType::Quote, Status::Sent);
        quote.due_date = Some(day("2026-03-31"));
        assert_eq!(check_answerable(&quote, day("2026-03-31")), Ok(()));
        assert_eq!(
            check_answerable(&quote, day("2026-04-01")),
            Err(Unanswerable::Expired {
                on: day("2026-03-31")
            })
        );
    }

    #[test]
    fn a_draft_or_answered_quote_has_nothing_to_answer() {
        for status in [Status::Draft, Status::Accepted, Status::Refused] {
            let quote = stored(DocumentType::Quote, status);
            assert_eq!(
                check_answerable(&quote, day("2026-03-01")),
                Err(Unanswerable::NotSent),
                "{status:?}"
            );
        }
    }

    #[test]
    fn a_quote_is_named_by_its_number_or_else_its_id() {
        let mut quote = stored(DocumentType::Quote, Status::Draft);
        assert_eq!(number_of(&quote), quote.document_id.to_string());
        quote.number = Some("D-2026-000001".into());
        assert_eq!(number_of(&quote), "D-2026-000001");
    }
}
