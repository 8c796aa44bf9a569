//! The `accounting_settings` table: every version of a company's (or a firm default's)
//! settings with the time it took effect.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::settings::{AccountingSettings, CustomerAccounts, Journal, RateAccounts};

/// Whose settings a version is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SettingsKey {
    /// The client, or the firm for its default.
    pub(crate) company_id: Uuid,
    pub(crate) is_firm_default: bool,
    pub(crate) version: i64,
    pub(crate) firm_id: Uuid,
}

/// Keeps `settings` as version `key.version`, in force from `effective_at`. The same
/// version again changes nothing. False when it was already held.
pub(crate) async fn keep(
    conn: &mut PgConnection,
    key: SettingsKey,
    effective_at: DateTime<Utc>,
    settings: &AccountingSettings,
) -> Result<bool, sqlx::Error> {
    let rates = &settings.rates;
    let vat_rates: Vec<Decimal> = rates.iter().map(|r| r.vat_rate).collect();
    let goods: Vec<String> = rates
        .iter()
        .map(|r| r.goods_revenue_account.clone())
        .collect();
    let services: Vec<String> = rates
        .iter()
        .map(|r| r.services_revenue_account.clone())
        .collect();
    let collected: Vec<String> = rates
        .iter()
        .map(|r| r.collected_vat_account.clone())
        .collect();
    let kept = sqlx::query!(
        "INSERT INTO accounting_settings (company_id, is_firm_default, version, firm_id, \
             effective_at, sales_journal_code, sales_journal_label, purchases_journal_code, \
             purchases_journal_label, bank_journal_code, bank_journal_label, customer_accounts, \
             customer_account, supplier_account, bank_account, deductible_vat_account, \
             expense_account, rate_vat_rates, rate_goods_accounts, rate_services_accounts, \
             rate_collected_accounts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21) \
         ON CONFLICT DO NOTHING",
        key.company_id,
        key.is_firm_default,
        key.version,
        key.firm_id,
        effective_at,
        settings.sales_journal.code,
        settings.sales_journal.label,
        settings.purchases_journal.code,
        settings.purchases_journal.label,
        settings.bank_journal.code,
        settings.bank_journal.label,
        settings.customer_accounts.as_str(),
        settings.customer_account,
        settings.supplier_account,
        settings.bank_account,
        settings.deductible_vat_account,
        settings.expense_account,
        &vat_rates,
        &goods,
        &services,
        &collected,
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// The company's own settings in force at `at` (the newest version effective by then)
/// and their version; None when it had none yet.
pub(crate) async fn in_force(
    conn: &mut PgConnection,
    company_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<(i64, AccountingSettings)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT version, sales_journal_code, sales_journal_label, purchases_journal_code,
               purchases_journal_label, bank_journal_code, bank_journal_label, customer_accounts,
               customer_account, supplier_account, bank_account, deductible_vat_account,
               expense_account, rate_vat_rates AS "rate_vat_rates: Vec<Decimal>",
               rate_goods_accounts, rate_services_accounts, rate_collected_accounts
           FROM accounting_settings
           WHERE company_id = $1 AND NOT is_firm_default AND effective_at <= $2
           ORDER BY version DESC LIMIT 1"#,
        company_id,
        at,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| {
        let journal = |code: String, label: String| Journal { code, label };
        let rates = row
            .rate_vat_rates
            .into_iter()
            .zip(row.rate_goods_accounts)
            .zip(row.rate_services_accounts)
            .zip(row.rate_collected_accounts)
            .map(|(((vat_rate, goods), services), collected)| RateAccounts {
                vat_rate,
                goods_revenue_account: goods,
                services_revenue_account: services,
                collected_vat_account: collected,
            })
            .collect();
        (
            row.version,
            AccountingSettings {
                sales_journal: journal(row.sales_journal_code, row.sales_journal_label),
                purchases_journal: journal(row.purchases_journal_code, row.purchases_journal_label),
                bank_journal: journal(row.bank_journal_code, row.bank_journal_label),
                // Any other text is one account per customer, the default.
                customer_accounts: CustomerAccounts::parse(&row.customer_accounts)
                    .unwrap_or_default(),
                customer_account: row.customer_account,
                supplier_account: row.supplier_account,
                bank_account: row.bank_account,
                deductible_vat_account: row.deductible_vat_account,
                rates,
                expense_account: row.expense_account,
            },
        )
    }))
}
