//! The FEC's rows: every entry line of a fiscal year with its entry's facts, its number
//! within its journal, and its lettering when every line it matches is in the year (a
//! document settled after the closing date, or posted before the start, is shown
//! unlettered, so each file's lettered lines balance on their own), read as a stream so
//! that a year of any size goes out in constant memory.

use futures::{Stream, StreamExt};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::fec::{FecLine, FiscalYear};

/// The lines of `company_id`'s entries dated within `year`, in date order; entries are
/// numbered from 1 per journal in date order (then piece, then id).
pub(crate) fn lines<'c>(
    conn: &'c mut PgConnection,
    company_id: Uuid,
    year: &FiscalYear,
) -> impl Stream<Item = Result<FecLine, sqlx::Error>> + Send + 'c {
    sqlx::query!(
        r#"WITH numbered AS (
               SELECT e.entry_id, e.journal_code, e.journal_label, e.entry_date, e.piece_ref,
                      e.piece_date, e.label,
                      row_number() OVER (PARTITION BY e.journal_code
                                         ORDER BY e.entry_date, e.piece_ref, e.entry_id) AS number
               FROM entry e
               WHERE e.company_id = $1 AND e.entry_date BETWEEN $2 AND $3)
           SELECT n.journal_code, n.journal_label, n.number AS "number!", n.entry_date,
                  l.account_number, l.account_label, l.aux_number, l.aux_label, n.piece_ref,
                  n.piece_date, n.label, l.debit, l.credit,
                  t.code AS "lettering_code?", t.lettered_on AS "lettered_on?"
           FROM numbered n
           JOIN entry_line l ON l.entry_id = n.entry_id
           LEFT JOIN lettering t ON t.company_id = l.company_id AND t.document_id = l.document_id
               AND l.role IN ('customer', 'supplier') AND t.lettered_on <= $3
               AND NOT EXISTS (
                   SELECT 1 FROM entry_line o JOIN entry oe ON oe.entry_id = o.entry_id
                   WHERE o.company_id = t.company_id AND o.document_id = t.document_id
                     AND o.role IN ('customer', 'supplier') AND oe.entry_date < $2)
           ORDER BY n.entry_date, n.journal_code, n.number, l.line_number"#,
        company_id,
        year.start,
        year.closing,
    )
    .fetch(conn)
    .map(|row| {
        row.map(|row| FecLine {
            journal_code: row.journal_code,
            journal_label: row.journal_label,
            entry_number: row.number,
            entry_date: row.entry_date,
            account_number: row.account_number,
            account_label: row.account_label,
            aux_number: row.aux_number,
            aux_label: row.aux_label,
            piece_ref: row.piece_ref,
            piece_date: row.piece_date,
            label: row.label,
            debit: row.debit,
            credit: row.credit,
            lettering: row.lettering_code.zip(row.lettered_on),
            valid_date: row.entry_date,
        })
    })
}
