//! The reports' rows, read from the ledger: the sales journal's documents by VAT rate
//! (as a stream) and the period's bases and VAT by rate.

use futures::{Stream, StreamExt};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::reports::{Period, RateTotals, SalesRow, Totals};

/// The sales journal's rows of `company_id` in `period`: each invoice and credit note
/// of the sales journal (only the `sources` named, e.g. "invoice", and only `party_id`'s
/// when given), one row per VAT rate, in date then number order. Amounts are what the
/// entry credits revenue and collected VAT, so a credit note's are negative.
pub(crate) fn sales_rows<'c>(
    conn: &'c mut PgConnection,
    company_id: Uuid,
    period: &Period,
    sources: &[&str],
    party_id: Option<Uuid>,
) -> impl Stream<Item = Result<SalesRow, sqlx::Error>> + Send + 'c {
    let sources: Vec<String> = sources.iter().map(|s| (*s).to_owned()).collect();
    sqlx::query!(
        r#"SELECT e.entry_date, e.piece_ref, e.source, e.party_name,
                  l.vat_rate AS "vat_rate!",
                  coalesce(sum(l.credit - l.debit) FILTER (WHERE l.role = 'revenue'), 0) AS "net!",
                  coalesce(sum(l.credit - l.debit) FILTER (WHERE l.role = 'collected_vat'), 0)
                      AS "vat!"
           FROM entry e JOIN entry_line l USING (entry_id)
           WHERE e.company_id = $1 AND e.journal = 'sales' AND e.entry_date BETWEEN $2 AND $3
             AND e.source = ANY($4) AND ($5::uuid IS NULL OR e.party_id = $5)
             AND l.role IN ('revenue', 'collected_vat')
           GROUP BY e.entry_id, e.entry_date, e.piece_ref, e.source, e.party_name, l.vat_rate
           ORDER BY e.entry_date, e.piece_ref, e.entry_id, l.vat_rate DESC"#,
        company_id,
        period.start,
        period.end,
        &sources,
        party_id,
    )
    .fetch(conn)
    .map(|row| {
        row.map(|row| SalesRow {
            date: row.entry_date,
            number: row.piece_ref,
            credit_note: row.source == "credit_note",
            customer: row.party_name,
            amounts: RateTotals {
                rate: row.vat_rate,
                net: row.net,
                vat: row.vat,
            },
        })
    })
}

/// The bases and VAT by rate of `company_id` in `period`: collected (what sales entries
/// credit revenue and collected VAT, credit notes deducted) and deductible (what
/// purchase entries debit expense and deductible VAT).
pub(crate) async fn vat_by_rate(
    conn: &mut PgConnection,
    company_id: Uuid,
    period: &Period,
) -> Result<(Totals, Totals), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT l.vat_rate AS "vat_rate!",
                  bool_or(l.role IN ('revenue', 'collected_vat')) AS "sold!",
                  coalesce(sum(l.credit - l.debit) FILTER (WHERE l.role = 'revenue'), 0)
                      AS "sales_base!",
                  coalesce(sum(l.credit - l.debit) FILTER (WHERE l.role = 'collected_vat'), 0)
                      AS "sales_vat!",
                  bool_or(l.role IN ('expense', 'deductible_vat')) AS "bought!",
                  coalesce(sum(l.debit - l.credit) FILTER (WHERE l.role = 'expense'), 0)
                      AS "purchase_base!",
                  coalesce(sum(l.debit - l.credit) FILTER (WHERE l.role = 'deductible_vat'), 0)
                      AS "purchase_vat!"
           FROM entry e JOIN entry_line l USING (entry_id)
           WHERE e.company_id = $1 AND e.entry_date BETWEEN $2 AND $3
             AND l.vat_rate IS NOT NULL
           GROUP BY l.vat_rate"#,
        company_id,
        period.start,
        period.end,
    )
    .fetch_all(conn)
    .await?;
    let (mut collected, mut deductible) = (Totals::default(), Totals::default());
    for row in rows {
        if row.sold {
            collected.add(&RateTotals {
                rate: row.vat_rate,
                net: row.sales_base,
                vat: row.sales_vat,
            });
        }
        if row.bought {
            deductible.add(&RateTotals {
                rate: row.vat_rate,
                net: row.purchase_base,
                vat: row.purchase_vat,
            });
        }
    }
    Ok((collected, deductible))
}
