//! The `entry`, `entry_line` and `lettering` tables: the double-entry projection.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::ledger::{Entry, JournalKind, PartyRef, Role};
use crate::domain::settings::{Account, Journal};

/// How an entry's accounts were resolved: the journal, one account per line (in the
/// entry's line order), and the settings version they come from (0: the defaults).
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) journal: Journal,
    pub(crate) accounts: Vec<Account>,
    pub(crate) settings_version: i64,
}

/// Stores `entry` of `company_id`, for an event of `occurred_at`, with its resolved
/// accounts. An entry already held (a replayed event) changes nothing: documents and
/// payments are frozen once published. False when it was already held.
pub(crate) async fn insert_entry(
    conn: &mut PgConnection,
    company_id: Uuid,
    entry: &Entry,
    occurred_at: DateTime<Utc>,
    resolved: &Resolved,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO entry (entry_id, company_id, source, journal, journal_code, journal_label, \
             entry_date, piece_ref, piece_date, label, party_id, party_code, party_name, \
             occurred_at, settings_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (entry_id) DO NOTHING",
        entry.entry_id,
        company_id,
        entry.source.as_str(),
        entry.journal.as_str(),
        resolved.journal.code,
        resolved.journal.label,
        entry.date,
        entry.piece_ref,
        entry.piece_date,
        entry.label,
        entry.party.party_id,
        entry.party.code,
        entry.party.name,
        occurred_at,
        resolved.settings_version,
    )
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    let mut columns = LineColumns::default();
    for (index, (line, account)) in entry.lines.iter().zip(&resolved.accounts).enumerate() {
        let (role, rate, supply) = line.role.stored();
        columns
            .numbers
            .push(i32::try_from(index + 1).unwrap_or(i32::MAX));
        columns.roles.push(role.to_owned());
        columns.rates.push(rate);
        columns.supplies.push(supply.map(str::to_owned));
        columns.accounts.push(account.number.clone());
        columns.labels.push(account.label.clone());
        columns.aux_numbers.push(account.aux_number.clone());
        columns.aux_labels.push(account.aux_label.clone());
        columns.debits.push(line.debit);
        columns.credits.push(line.credit);
        columns.documents.push(line.document_id);
    }
    sqlx::query!(
        "INSERT INTO entry_line (entry_id, company_id, line_number, role, vat_rate, supply, \
             account_number, account_label, aux_number, aux_label, debit, credit, document_id) \
         SELECT $1, $2, * FROM UNNEST($3::int[], $4::text[], $5::numeric[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::text[], $11::numeric[], $12::numeric[], \
             $13::uuid[])",
        entry.entry_id,
        company_id,
        &columns.numbers,
        &columns.roles,
        &columns.rates as &[Option<Decimal>],
        &columns.supplies as &[Option<String>],
        &columns.accounts,
        &columns.labels,
        &columns.aux_numbers,
        &columns.aux_labels,
        &columns.debits,
        &columns.credits,
        &columns.documents as &[Option<Uuid>],
    )
    .execute(conn)
    .await?;
    Ok(true)
}

/// An entry's lines as columns, for one insert.
#[derive(Default)]
struct LineColumns {
    numbers: Vec<i32>,
    roles: Vec<String>,
    rates: Vec<Option<Decimal>>,
    supplies: Vec<Option<String>>,
    accounts: Vec<String>,
    labels: Vec<String>,
    aux_numbers: Vec<String>,
    aux_labels: Vec<String>,
    debits: Vec<Decimal>,
    credits: Vec<Decimal>,
    documents: Vec<Option<Uuid>>,
}

/// A stored entry as account resolution needs it: its journal, party, event time and
/// its lines' roles (by line number).
#[derive(Debug, Clone)]
pub(crate) struct Posted {
    pub(crate) entry_id: Uuid,
    pub(crate) journal: JournalKind,
    pub(crate) occurred_at: DateTime<Utc>,
    pub(crate) party: PartyRef,
    pub(crate) roles: Vec<(i32, Role)>,
}

/// The entries of `company_id` whose event happened at or after `since`, oldest first.
pub(crate) async fn posted_since(
    conn: &mut PgConnection,
    company_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<Posted>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT e.entry_id, e.journal, e.occurred_at, e.party_id, e.party_code, e.party_name, \
             l.line_number, l.role, l.vat_rate, l.supply \
         FROM entry e JOIN entry_line l USING (entry_id) \
         WHERE e.company_id = $1 AND e.occurred_at >= $2 \
         ORDER BY e.occurred_at, e.entry_id, l.line_number",
        company_id,
        since,
    )
    .fetch_all(conn)
    .await?;
    let mut posted: Vec<Posted> = Vec::new();
    for row in rows {
        let role = Role::from_stored(&row.role, row.vat_rate, row.supply.as_deref())
            .ok_or_else(|| sqlx::Error::Decode(format!("entry line role {}", row.role).into()))?;
        match posted.last_mut() {
            Some(last) if last.entry_id == row.entry_id => last.roles.push((row.line_number, role)),
            _ => posted.push(Posted {
                entry_id: row.entry_id,
                journal: JournalKind::from_stored(&row.journal),
                occurred_at: row.occurred_at,
                party: PartyRef {
                    party_id: row.party_id,
                    code: row.party_code,
                    name: row.party_name,
                },
                roles: vec![(row.line_number, role)],
            }),
        }
    }
    Ok(posted)
}

/// Rewrites the accounts of a stored entry (settings for its time arrived after it).
pub(crate) async fn reresolve(
    conn: &mut PgConnection,
    posted: &Posted,
    resolved: &Resolved,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE entry SET journal_code = $2, journal_label = $3, settings_version = $4, \
             updated_at = now() \
         WHERE entry_id = $1",
        posted.entry_id,
        resolved.journal.code,
        resolved.journal.label,
        resolved.settings_version,
    )
    .execute(&mut *conn)
    .await?;
    let numbers: Vec<i32> = posted.roles.iter().map(|(number, _)| *number).collect();
    let pick = |field: fn(&Account) -> &String| -> Vec<String> {
        resolved.accounts.iter().map(|a| field(a).clone()).collect()
    };
    sqlx::query!(
        "UPDATE entry_line l SET account_number = n.account_number, \
             account_label = n.account_label, aux_number = n.aux_number, aux_label = n.aux_label \
         FROM UNNEST($2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) \
             AS n(line_number, account_number, account_label, aux_number, aux_label) \
         WHERE l.entry_id = $1 AND l.line_number = n.line_number",
        posted.entry_id,
        &numbers,
        &pick(|a| &a.number),
        &pick(|a| &a.label),
        &pick(|a| &a.aux_number),
        &pick(|a| &a.aux_label),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a document's settlement stands: whether its own line is posted, how many
/// payment lines settle it, the sums of all those lines, and the latest payment's date.
#[derive(Debug, Clone)]
pub(crate) struct Settlement {
    pub(crate) posted: bool,
    pub(crate) settling_lines: i64,
    pub(crate) debit: Decimal,
    pub(crate) credit: Decimal,
    pub(crate) last_payment: Option<NaiveDate>,
    pub(crate) lettered: bool,
}

/// The settlement of `document_id` of `company_id`.
pub(crate) async fn settlement(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
) -> Result<Settlement, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE l.entry_id = $2) AS "posted!",
               count(*) FILTER (WHERE l.entry_id <> $2) AS "settling!",
               coalesce(sum(l.debit), 0) AS "debit!",
               coalesce(sum(l.credit), 0) AS "credit!",
               max(e.entry_date) FILTER (WHERE l.entry_id <> $2) AS last_payment,
               EXISTS (SELECT 1 FROM lettering t
                       WHERE t.company_id = $1 AND t.document_id = $2) AS "lettered!"
           FROM entry_line l JOIN entry e USING (entry_id)
           WHERE l.company_id = $1 AND l.document_id = $2
             AND l.role IN ('customer', 'supplier')"#,
        company_id,
        document_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(Settlement {
        posted: row.posted > 0,
        settling_lines: row.settling,
        debit: row.debit,
        credit: row.credit,
        last_payment: row.last_payment,
        lettered: row.lettered,
    })
}

/// How many documents of `company_id` are lettered: the index of the next code.
pub(crate) async fn lettered_count(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM lettering WHERE company_id = $1"#,
        company_id
    )
    .fetch_one(conn)
    .await
}

/// Letters `document_id` with `code` on `lettered_on`.
pub(crate) async fn letter(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
    code: &str,
    lettered_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO lettering (company_id, document_id, code, lettered_on) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, document_id) DO NOTHING",
        company_id,
        document_id,
        code,
        lettered_on,
    )
    .execute(conn)
    .await?;
    Ok(())
}
