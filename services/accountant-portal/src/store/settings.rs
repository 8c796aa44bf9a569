//! Accounting settings as stored: one `accounting_settings` row per client of a firm (or
//! for the firm's default, under the firm's own id) and its `accounting_rate` rows in the
//! caller's order. Settings are replaced whole, and only from the version the caller
//! read: a write that finds another version changes nothing and says so.

use comptoir_domain_types::accounting::{
    AccountingSettings, CustomerAccounts, Journal, RateAccounts,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::settings::Versioned;

/// The settings stored for `company_id` (a client, or the firm itself for its default)
/// in `firm_id`'s portfolio, if any.
pub(crate) async fn load(
    conn: &mut PgConnection,
    firm_id: Uuid,
    company_id: Uuid,
) -> Result<Option<Versioned>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        "SELECT sales_journal_code, sales_journal_label, purchases_journal_code, \
                purchases_journal_label, bank_journal_code, bank_journal_label, \
                customer_accounts, customer_account, supplier_account, bank_account, \
                deductible_vat_account, expense_account, version \
         FROM accounting_settings WHERE firm_id = $1 AND company_id = $2",
        firm_id,
        company_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let rates = sqlx::query!(
        "SELECT vat_rate, goods_revenue_account, services_revenue_account, \
                collected_vat_account \
         FROM accounting_rate WHERE firm_id = $1 AND company_id = $2 ORDER BY position",
        firm_id,
        company_id,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|rate| RateAccounts {
        vat_rate: rate.vat_rate.normalize(),
        goods_revenue_account: rate.goods_revenue_account,
        services_revenue_account: rate.services_revenue_account,
        collected_vat_account: rate.collected_vat_account,
    })
    .collect();
    Ok(Some(Versioned {
        settings: AccountingSettings {
            sales_journal: Journal {
                code: row.sales_journal_code,
                label: row.sales_journal_label,
            },
            purchases_journal: Journal {
                code: row.purchases_journal_code,
                label: row.purchases_journal_label,
            },
            bank_journal: Journal {
                code: row.bank_journal_code,
                label: row.bank_journal_label,
            },
            // The table's CHECK allows only the two names.
            customer_accounts: CustomerAccounts::parse(&row.customer_accounts).ok_or_else(
                || sqlx::Error::ColumnDecode {
                    index: "customer_accounts".to_owned(),
                    source: format!("unknown value {:?}", row.customer_accounts).into(),
                },
            )?,
            customer_account: row.customer_account,
            supplier_account: row.supplier_account,
            bank_account: row.bank_account,
            deductible_vat_account: row.deductible_vat_account,
            rates,
            expense_account: row.expense_account,
        },
        version: row.version,
    }))
}

/// The version stored for `company_id` in `firm_id`'s portfolio; 0 when none is.
pub(crate) async fn version(
    conn: &mut PgConnection,
    firm_id: Uuid,
    company_id: Uuid,
) -> Result<i64, sqlx::Error> {
    let version = sqlx::query_scalar!(
        "SELECT version FROM accounting_settings WHERE firm_id = $1 AND company_id = $2",
        firm_id,
        company_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(version.unwrap_or(0))
}

/// Replaces the settings of `company_id` in `firm_id`'s portfolio by `stored` (the
/// settings at their new version), provided the stored ones are still at the version
/// before (none stored, for version 1). False, with nothing written, when another write
/// came first.
pub(crate) async fn save(
    conn: &mut PgConnection,
    firm_id: Uuid,
    company_id: Uuid,
    stored: &Versioned,
    actor: &str,
) -> Result<bool, sqlx::Error> {
    let (s, version) = (&stored.settings, stored.version);
    // One statement for the first settings and the next ones: a row at another version
    // than the one replaced (or any row, for the first) is left alone, and nothing is
    // written.
    let written = sqlx::query!(
        "INSERT INTO accounting_settings AS s (firm_id, company_id, sales_journal_code, \
             sales_journal_label, purchases_journal_code, purchases_journal_label, \
             bank_journal_code, bank_journal_label, customer_accounts, customer_account, \
             supplier_account, bank_account, deductible_vat_account, expense_account, \
             version, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (firm_id, company_id) DO UPDATE SET \
             sales_journal_code = EXCLUDED.sales_journal_code, \
             sales_journal_label = EXCLUDED.sales_journal_label, \
             purchases_journal_code = EXCLUDED.purchases_journal_code, \
             purchases_journal_label = EXCLUDED.purchases_journal_label, \
             bank_journal_code = EXCLUDED.bank_journal_code, \
             bank_journal_label = EXCLUDED.bank_journal_label, \
             customer_accounts = EXCLUDED.customer_accounts, \
             customer_account = EXCLUDED.customer_account, \
             supplier_account = EXCLUDED.supplier_account, \
             bank_account = EXCLUDED.bank_account, \
             deductible_vat_account = EXCLUDED.deductible_vat_account, \
             expense_account = EXCLUDED.expense_account, version = EXCLUDED.version, \
             updated_by = EXCLUDED.updated_by, updated_at = now() \
         WHERE s.version = EXCLUDED.version - 1",
        firm_id,
        company_id,
        s.sales_journal.code,
        s.sales_journal.label,
        s.purchases_journal.code,
        s.purchases_journal.label,
        s.bank_journal.code,
        s.bank_journal.label,
        s.customer_accounts.as_str(),
        s.customer_account,
        s.supplier_account,
        s.bank_account,
        s.deductible_vat_account,
        s.expense_account,
        version,
        actor,
    )
    .execute(&mut *conn)
    .await?;
    if written.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query!(
        "DELETE FROM accounting_rate WHERE firm_id = $1 AND company_id = $2",
        firm_id,
        company_id,
    )
    .execute(&mut *conn)
    .await?;
    let positions: Vec<i16> = (0..).take(s.rates.len()).collect();
    let rates: Vec<rust_decimal::Decimal> = s.rates.iter().map(|r| r.vat_rate).collect();
    let column = |account: fn(&RateAccounts) -> &String| -> Vec<String> {
        s.rates.iter().map(|r| account(r).clone()).collect()
    };
    sqlx::query!(
        "INSERT INTO accounting_rate (firm_id, company_id, position, vat_rate, \
             goods_revenue_account, services_revenue_account, collected_vat_account) \
         SELECT $1, $2, position, vat_rate, goods, services, collected \
         FROM UNNEST($3::int2[], $4::numeric[], $5::text[], $6::text[], $7::text[]) \
             AS rate(position, vat_rate, goods, services, collected)",
        firm_id,
        company_id,
        &positions,
        &rates,
        &column(|r| &r.goods_revenue_account),
        &column(|r| &r.services_revenue_account),
        &column(|r| &r.collected_vat_account),
    )
    .execute(&mut *conn)
    .await?;
    Ok(true)
}
