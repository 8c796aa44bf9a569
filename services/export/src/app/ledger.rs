//! Posting to the projection, in the consumer's transaction: an entry gets the accounts
//! of the settings in force when its event happened, and every document it touches is
//! lettered once settled; settings that arrive after entries of their time rewrite those
//! entries' accounts. Applying the same events again, in any order, leaves the same rows.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::ledger::{Entry, JournalKind, PartyRef, Role};
use crate::domain::lettering;
use crate::domain::settings::{self as domain_settings, AccountingSettings};
use crate::store::ledger::{self, Resolved};
use crate::store::settings::{self, SettingsKey};

/// The accounts of an entry of `journal` with lines of `roles`, for `party`, under the
/// settings of `company_id` in force at `at` (the French defaults when it had none).
async fn resolve(
    conn: &mut PgConnection,
    company_id: Uuid,
    at: DateTime<Utc>,
    journal: JournalKind,
    party: &PartyRef,
    roles: impl Iterator<Item = Role>,
) -> Result<Resolved, sqlx::Error> {
    let (settings_version, settings) = settings::in_force(conn, company_id, at)
        .await?
        .unwrap_or_else(|| (0, AccountingSettings::french_defaults()));
    Ok(Resolved {
        journal: domain_settings::journal(&settings, journal).clone(),
        accounts: roles
            .map(|role| domain_settings::account(&settings, role, party))
            .collect(),
        settings_version,
    })
}

/// Posts `entry` of `company_id` for an event of `occurred_at`, then letters what it
/// settles. An entry already posted changes nothing.
pub(crate) async fn post(
    conn: &mut PgConnection,
    company_id: Uuid,
    occurred_at: DateTime<Utc>,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let roles = entry.lines.iter().map(|line| line.role);
    let resolved = resolve(
        conn,
        company_id,
        occurred_at,
        entry.journal,
        &entry.party,
        roles,
    )
    .await?;
    if !ledger::insert_entry(conn, company_id, entry, occurred_at, &resolved).await? {
        return Ok(false);
    }
    let mut documents: Vec<Uuid> = entry.lines.iter().filter_map(|l| l.document_id).collect();
    documents.sort_unstable();
    documents.dedup();
    for document_id in documents {
        letter_if_settled(conn, company_id, document_id).await?;
    }
    Ok(true)
}

/// Letters `document_id` with the company's next code when it has just become settled;
/// the date is that of the latest payment settling it.
async fn letter_if_settled(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_id: Uuid,
) -> Result<(), sqlx::Error> {
    let settlement = ledger::settlement(conn, company_id, document_id).await?;
    let settled = lettering::is_settled(
        settlement.posted,
        settlement.settling_lines,
        settlement.debit,
        settlement.credit,
    );
    let Some(lettered_on) = settlement
        .last_payment
        .filter(|_| settled && !settlement.lettered)
    else {
        return Ok(());
    };
    let index = ledger::lettered_count(conn, company_id).await?;
    let code = lettering::code(u64::try_from(index).unwrap_or_default());
    ledger::letter(conn, company_id, document_id, &code, lettered_on).await
}

/// Keeps a version of accounting settings in force from `effective_at`; a company's own
/// settings rewrite the accounts of its entries of that time onwards (each with the
/// settings in force at its own time, which a later version may still be). A version
/// already held changes nothing. A firm's default is kept for when export learns which
/// clients it covers.
pub(crate) async fn keep_settings(
    conn: &mut PgConnection,
    key: SettingsKey,
    effective_at: DateTime<Utc>,
    new: &AccountingSettings,
) -> Result<bool, sqlx::Error> {
    if !settings::keep(conn, key, effective_at, new).await? {
        return Ok(false);
    }
    if key.is_firm_default {
        return Ok(true);
    }
    for posted in ledger::posted_since(conn, key.company_id, effective_at).await? {
        let roles = posted.roles.iter().map(|(_, role)| *role);
        let resolved = resolve(
            conn,
            key.company_id,
            posted.occurred_at,
            posted.journal,
            &posted.party,
            roles,
        )
        .await?;
        ledger::reresolve(conn, &posted, &resolved).await?;
    }
    Ok(true)
}
