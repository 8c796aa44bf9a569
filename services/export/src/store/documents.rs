//! The `document`, `document_vat`, `document_detail`, `document_line`, `payment` and
//! `payment_allocation` tables: the documents and payments the reports read
//! and print. What a document has been paid is summed from the allocations when it is
//! read, so the order events came in does not matter.

use chrono::NaiveDate;
use futures::{Stream, StreamExt};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::documents::{
    DocumentDetails, IssuedDocument, ListedDocument, OssLine, PartyKind, PaymentRow, PostalAddress,
    PrintedDocument, PrintedLine, RecordedPayment, SupplyVat,
};
use crate::domain::ledger::{Direction, DocumentKind, Supply, VatAmount};
use crate::domain::reports::Period;

/// A document kind as stored.
pub(crate) fn kind_str(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "invoice",
        DocumentKind::CreditNote => "credit_note",
        DocumentKind::PurchaseInvoice => "purchase_invoice",
    }
}

fn kind_of(text: &str) -> DocumentKind {
    match text {
        "credit_note" => DocumentKind::CreditNote,
        "purchase_invoice" => DocumentKind::PurchaseInvoice,
        _ => DocumentKind::Invoice,
    }
}

/// Stores `issued` of `company_id` with its VAT per rate and supply; a document already
/// held changes nothing (billing's documents are frozen once published).
pub(crate) async fn insert_document(
    conn: &mut PgConnection,
    company_id: Uuid,
    issued: &IssuedDocument,
    vat: &[SupplyVat],
) -> Result<bool, sqlx::Error> {
    let document = &issued.document;
    let inserted = sqlx::query!(
        "INSERT INTO document (document_id, company_id, kind, number, document_date, due_date, \
             party_id, party_name, party_kind, party_country_code, party_vat_number, net_total, \
             vat_total, gross_total, oss, consumption_country, credited_document_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (document_id) DO NOTHING",
        document.document_id,
        company_id,
        kind_str(document.kind),
        document.number,
        document.date,
        issued.due_date,
        document.party.party_id,
        document.party.name,
        issued.party_kind.as_str(),
        issued.party_country,
        issued.party_vat_number,
        issued.net_total,
        issued.vat_total,
        document.gross_total,
        issued.oss_country.is_some(),
        issued.oss_country.clone().unwrap_or_default(),
        issued.credited_document_id,
    )
    .execute(&mut *conn)
    .await?;
    // Details and lines are written apart from the document, so a document held before
    // they were kept gets them when its event comes again.
    insert_details(conn, company_id, document.document_id, &issued.details).await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    let rates: Vec<Decimal> = vat.iter().map(|v| v.rate).collect();
    let supplies: Vec<String> = vat.iter().map(|v| v.supply.as_str().to_owned()).collect();
    let taxable: Vec<Decimal> = vat.iter().map(|v| v.taxable).collect();
    let amounts: Vec<Decimal> = vat.iter().map(|v| v.vat).collect();
    sqlx::query!(
        "INSERT INTO document_vat (document_id, company_id, vat_rate, supply, taxable_amount, \
             vat_amount) \
         SELECT $1, $2, * FROM unnest($3::numeric[], $4::text[], $5::numeric[], $6::numeric[])",
        document.document_id,
        company_id,
        &rates,
        &supplies,
        &taxable,
        &amounts,
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Stores what document `document_id` prints besides what the reports read; details
/// already held change nothing.
async fn insert_details(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    details: &DocumentDetails,
) -> Result<(), sqlx::Error> {
    let address = &details.party_address;
    sqlx::query!(
        "INSERT INTO document_detail (document_id, company_id, currency_code, party_siren, \
             party_address_line1, party_address_line2, party_postal_code, party_city, \
             vat_exemption, late_penalty_rate, recovery_fee, credited_number, credited_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (document_id) DO NOTHING",
        document_id,
        company_id,
        details.currency_code,
        details.party_siren,
        address.line1,
        address.line2,
        address.postal_code,
        address.city,
        details.vat_exemption,
        details.late_penalty_rate,
        details.recovery_fee,
        details.credited_number,
        details.credited_date,
    )
    .execute(&mut *conn)
    .await?;
    let lines = &details.lines;
    let numbers: Vec<i32> = lines.iter().map(|l| l.line_number).collect();
    let descriptions: Vec<String> = lines.iter().map(|l| l.description.clone()).collect();
    let quantities: Vec<Decimal> = lines.iter().map(|l| l.quantity).collect();
    let prices: Vec<Decimal> = lines.iter().map(|l| l.unit_price).collect();
    let discounts: Vec<Decimal> = lines.iter().map(|l| l.discount).collect();
    let rates: Vec<Decimal> = lines.iter().map(|l| l.vat_rate).collect();
    let nets: Vec<Decimal> = lines.iter().map(|l| l.net_amount).collect();
    let units: Vec<String> = lines.iter().map(|l| l.unit.clone()).collect();
    sqlx::query!(
        "INSERT INTO document_line (document_id, company_id, line_number, description, \
             quantity, unit_price, discount, vat_rate, net_amount, unit) \
         SELECT $1, $2, * FROM unnest($3::int4[], $4::text[], $5::numeric[], $6::numeric[], \
             $7::numeric[], $8::numeric[], $9::numeric[], $10::text[]) \
         ON CONFLICT DO NOTHING",
        document_id,
        company_id,
        &numbers,
        &descriptions,
        &quantities,
        &prices,
        &discounts,
        &rates,
        &nets,
        &units,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores `recorded` of `company_id` and its allocations; a payment already held
/// changes nothing.
pub(crate) async fn insert_payment(
    conn: &mut PgConnection,
    company_id: Uuid,
    recorded: &RecordedPayment,
) -> Result<bool, sqlx::Error> {
    let payment = &recorded.payment;
    let inserted = sqlx::query!(
        "INSERT INTO payment (payment_id, company_id, direction, payment_date, method, amount, \
             reference, party_id, party_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (payment_id) DO NOTHING",
        payment.payment_id,
        company_id,
        match payment.direction {
            Direction::Received => "received",
            Direction::Paid => "paid",
        },
        payment.date,
        recorded.method,
        payment.amount,
        payment.reference,
        payment.party.party_id,
        payment.party.name,
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    let documents: Vec<Uuid> = payment.allocations.iter().map(|a| a.document_id).collect();
    let numbers: Vec<String> = payment
        .allocations
        .iter()
        .map(|a| a.document_number.clone())
        .collect();
    let amounts: Vec<Decimal> = payment.allocations.iter().map(|a| a.amount).collect();
    sqlx::query!(
        "INSERT INTO payment_allocation (payment_id, company_id, document_id, document_number, \
             amount) \
         SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::numeric[]) \
         ON CONFLICT DO NOTHING",
        payment.payment_id,
        company_id,
        &documents,
        &numbers,
        &amounts,
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Which documents [`documents`] reads.
pub(crate) struct Selection<'a> {
    /// Dated in this period.
    pub(crate) period: &'a Period,
    /// Of these kinds.
    pub(crate) kinds: &'a [DocumentKind],
    /// Whose party is in this country.
    pub(crate) country: Option<&'a str>,
    /// Of this party.
    pub(crate) party_id: Option<Uuid>,
    /// Counting what was paid or credited up to this date.
    pub(crate) settled_as_of: NaiveDate,
}

/// The documents of `company_id` that `selection` names, by date then number, each with
/// what was settled by the date it names: payments allocated to it, and for an invoice
/// the credit notes correcting it; a credit note correcting an invoice is settled whole.
pub(crate) async fn documents(
    conn: &mut PgConnection,
    company_id: Uuid,
    selection: &Selection<'_>,
) -> Result<Vec<ListedDocument>, sqlx::Error> {
    let kinds: Vec<String> = selection
        .kinds
        .iter()
        .map(|k| kind_str(*k).to_owned())
        .collect();
    let rows = sqlx::query!(
        r#"SELECT d.document_id, d.kind, d.number, d.document_date, d.due_date, d.party_name,
                  d.party_country_code, d.net_total, d.vat_total, d.gross_total,
                  coalesce((SELECT sum(a.amount) FROM payment_allocation a
                             JOIN payment p USING (payment_id)
                            WHERE a.company_id = d.company_id AND a.document_id = d.document_id
                              AND p.payment_date <= $7), 0)
                  + CASE WHEN d.kind = 'credit_note' AND d.credited_document_id IS NOT NULL
                         THEN d.gross_total
                         ELSE coalesce((SELECT sum(c.gross_total) FROM document c
                                         WHERE c.company_id = d.company_id
                                           AND c.credited_document_id = d.document_id
                                           AND c.document_date <= $7), 0) END
                    AS "settled!"
           FROM document d
           WHERE d.company_id = $1 AND d.document_date BETWEEN $2 AND $3 AND d.kind = ANY($4)
             AND ($5::text IS NULL OR d.party_country_code = $5)
             AND ($6::uuid IS NULL OR d.party_id = $6)
           ORDER BY d.document_date, d.number, d.document_id"#,
        company_id,
        selection.period.start,
        selection.period.end,
        &kinds,
        selection.country,
        selection.party_id,
        selection.settled_as_of,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ListedDocument {
            document_id: row.document_id,
            kind: kind_of(&row.kind),
            number: row.number,
            date: row.document_date,
            due_date: row.due_date,
            party_name: row.party_name,
            country: row.party_country_code,
            net: row.net_total,
            vat: row.vat_total,
            gross: row.gross_total,
            settled: row.settled,
        })
        .collect())
}

/// The OSS sales of `company_id` in `period` (credit notes deducted) by member state of
/// consumption, supply and rate, highest rate first.
pub(crate) async fn oss_lines(
    conn: &mut PgConnection,
    company_id: Uuid,
    period: &Period,
) -> Result<Vec<OssLine>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT d.consumption_country, v.supply, v.vat_rate,
                  sum(CASE WHEN d.kind = 'credit_note' THEN -v.taxable_amount
                           ELSE v.taxable_amount END) AS "taxable!",
                  sum(CASE WHEN d.kind = 'credit_note' THEN -v.vat_amount
                           ELSE v.vat_amount END) AS "vat!"
           FROM document d JOIN document_vat v USING (document_id)
           WHERE d.company_id = $1 AND d.oss AND d.kind IN ('invoice', 'credit_note')
             AND d.document_date BETWEEN $2 AND $3
           GROUP BY d.consumption_country, v.supply, v.vat_rate
           ORDER BY d.consumption_country, v.supply, v.vat_rate DESC"#,
        company_id,
        period.start,
        period.end,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| OssLine {
            country: row.consumption_country,
            supply: Supply::from_text(&row.supply),
            rate: row.vat_rate,
            taxable: row.taxable,
            vat: row.vat,
        })
        .collect())
}

/// The payments of `company_id` in `period` (received, made, or both as `directions`
/// name them; only `party_id`'s when given), one row per document each settles, by date
/// then payment.
pub(crate) fn payment_rows<'c>(
    conn: &'c mut PgConnection,
    company_id: Uuid,
    period: &Period,
    directions: &[&str],
    party_id: Option<Uuid>,
) -> impl Stream<Item = Result<PaymentRow, sqlx::Error>> + Send + 'c {
    let directions: Vec<String> = directions.iter().map(|d| (*d).to_owned()).collect();
    sqlx::query!(
        r#"SELECT p.payment_id, p.payment_date, p.direction, p.method, p.reference,
                  p.party_name, p.amount,
                  coalesce(a.document_number, '') AS "document_number!",
                  coalesce(a.amount, 0) AS "allocated!"
           FROM payment p LEFT JOIN payment_allocation a USING (payment_id)
           WHERE p.company_id = $1 AND p.payment_date BETWEEN $2 AND $3
             AND p.direction = ANY($4) AND ($5::uuid IS NULL OR p.party_id = $5)
           ORDER BY p.payment_date, p.payment_id, a.document_number, a.document_id"#,
        company_id,
        period.start,
        period.end,
        &directions,
        party_id,
    )
    .fetch(conn)
    .map(|row| {
        row.map(|row| PaymentRow {
            payment_id: row.payment_id,
            date: row.payment_date,
            received: row.direction == "received",
            method: row.method,
            reference: row.reference,
            party_name: row.party_name,
            amount: row.amount,
            document_number: row.document_number,
            allocated: row.allocated,
        })
    })
}

/// Today's date in France.
pub(crate) async fn today_in_france(conn: &mut PgConnection) -> Result<NaiveDate, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT (now() AT TIME ZONE 'Europe/Paris')::date AS "today!""#)
        .fetch_one(conn)
        .await
}

/// Issued invoice or credit note `document_id` of `company_id` as printed, its seller's
/// identity aside; None when export holds no such sales document.
pub(crate) async fn printed(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
) -> Result<Option<PrintedDocument>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"SELECT d.kind, d.number, d.document_date, d.due_date, d.party_name, d.party_kind,
                  d.party_country_code, d.party_vat_number, d.net_total, d.vat_total,
                  d.gross_total, d.oss,
                  coalesce(t.currency_code, 'EUR') AS "currency_code!",
                  coalesce(t.party_siren, '') AS "party_siren!",
                  coalesce(t.party_address_line1, '') AS "party_address_line1!",
                  coalesce(t.party_address_line2, '') AS "party_address_line2!",
                  coalesce(t.party_postal_code, '') AS "party_postal_code!",
                  coalesce(t.party_city, '') AS "party_city!",
                  coalesce(t.vat_exemption, '') AS "vat_exemption!",
                  t.late_penalty_rate AS "late_penalty_rate?",
                  coalesce(t.recovery_fee, false) AS "recovery_fee!",
                  coalesce(t.credited_number, '') AS "credited_number!",
                  t.credited_date AS "credited_date?"
           FROM document d LEFT JOIN document_detail t USING (document_id)
           WHERE d.company_id = $1 AND d.document_id = $2
             AND d.kind IN ('invoice', 'credit_note')"#,
        company_id,
        document_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let lines = sqlx::query_as!(
        PrintedLine,
        "SELECT line_number, description, quantity, unit_price, discount, vat_rate, net_amount, \
             unit FROM document_line WHERE company_id = $1 AND document_id = $2 ORDER BY line_number",
        company_id,
        document_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let vat = sqlx::query!(
        r#"SELECT vat_rate, sum(taxable_amount) AS "taxable!", sum(vat_amount) AS "vat!"
           FROM document_vat WHERE company_id = $1 AND document_id = $2
           GROUP BY vat_rate ORDER BY vat_rate DESC"#,
        company_id,
        document_id,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| VatAmount {
        rate: row.vat_rate,
        taxable_amount: row.taxable,
        vat_amount: row.vat,
    })
    .collect();
    Ok(Some(PrintedDocument {
        kind: kind_of(&row.kind),
        number: row.number,
        date: row.document_date,
        due_date: row.due_date,
        party_name: row.party_name,
        party_kind: PartyKind::from_text(&row.party_kind),
        party_vat_number: row.party_vat_number,
        party_country: row.party_country_code.clone(),
        oss: row.oss,
        details: DocumentDetails {
            currency_code: row.currency_code,
            party_siren: row.party_siren,
            party_address: PostalAddress {
                line1: row.party_address_line1,
                line2: row.party_address_line2,
                postal_code: row.party_postal_code,
                city: row.party_city,
                country_code: row.party_country_code,
            },
            vat_exemption: row.vat_exemption,
            late_penalty_rate: row.late_penalty_rate,
            recovery_fee: row.recovery_fee,
            credited_number: row.credited_number,
            credited_date: row.credited_date,
            lines,
        },
        vat,
        net_total: row.net_total,
        vat_total: row.vat_total,
        gross_total: row.gross_total,
    }))
}

/// The invoices and credit notes of `company_id` dated in `period`, by date then
/// number: their ids and numbers.
pub(crate) async fn sales_documents(
    conn: &mut PgConnection,
    company_id: Uuid,
    period: &Period,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT document_id, number FROM document \
         WHERE company_id = $1 AND kind IN ('invoice', 'credit_note') \
           AND document_date BETWEEN $2 AND $3 \
         ORDER BY document_date, number, document_id",
        company_id,
        period.start,
        period.end,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.document_id, row.number))
        .collect())
}
