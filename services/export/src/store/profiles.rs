//! The `seller_profile` table: each company's whole legal identity and bank account, kept
//! from tenancy's events.

use comptoir_domain_types::bank::BankAccount;
use comptoir_domain_types::fields::Violations;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::documents::PostalAddress;
use crate::domain::profile::{SellerIdentity, SellerProfile};

/// Keeps a company's seller profile at `version` (from `company.created` or
/// `company.updated`, which both carry the whole identity), adding it when unknown. A
/// profile older than the one held changes nothing; the same version again rewrites the
/// same values (the inbox keeps redeliveries out). False when it was set aside.
pub(crate) async fn keep_profile(
    conn: &mut PgConnection,
    company_id: Uuid,
    identity: &SellerIdentity,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let address = &identity.address;
    let account = identity.bank_account.as_ref();
    let kept = sqlx::query!(
        "INSERT INTO seller_profile AS p (company_id, legal_name, siren, version, siret, \
             legal_form, vat_number, rcs_city, share_capital_amount, share_capital_currency, \
             address_line1, address_line2, address_postal_code, address_city, \
             address_country_code, iban, bic) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17) \
         ON CONFLICT (company_id) DO UPDATE SET legal_name = EXCLUDED.legal_name, \
             siren = EXCLUDED.siren, version = EXCLUDED.version, siret = EXCLUDED.siret, \
             legal_form = EXCLUDED.legal_form, vat_number = EXCLUDED.vat_number, \
             rcs_city = EXCLUDED.rcs_city, \
             share_capital_amount = EXCLUDED.share_capital_amount, \
             share_capital_currency = EXCLUDED.share_capital_currency, \
             address_line1 = EXCLUDED.address_line1, address_line2 = EXCLUDED.address_line2, \
             address_postal_code = EXCLUDED.address_postal_code, \
             address_city = EXCLUDED.address_city, \
             address_country_code = EXCLUDED.address_country_code, iban = EXCLUDED.iban, \
             bic = EXCLUDED.bic, updated_at = now() \
         WHERE p.version <= EXCLUDED.version",
        company_id,
        identity.legal_name,
        identity.siren,
        version,
        identity.siret,
        identity.legal_form,
        identity.vat_number,
        identity.rcs_city,
        identity.share_capital_amount,
        identity.share_capital_currency,
        address.line1,
        address.line2,
        address.postal_code,
        address.city,
        address.country_code,
        account.map(|a| a.iban.as_str()),
        account.and_then(|a| a.bic.as_ref()).map(|b| b.as_str()),
    )
    .execute(conn)
    .await?;
    Ok(kept.rows_affected() == 1)
}

/// The whole legal identity of a company, if known.
pub(crate) async fn identity(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<SellerIdentity>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT legal_name, siren, siret, legal_form, vat_number, rcs_city, \
             share_capital_amount, share_capital_currency, address_line1, address_line2, \
             address_postal_code, address_city, address_country_code, iban, bic \
         FROM seller_profile WHERE company_id = $1",
        company_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| SellerIdentity {
        legal_name: row.legal_name,
        siren: row.siren,
        siret: row.siret,
        legal_form: row.legal_form,
        vat_number: row.vat_number,
        rcs_city: row.rcs_city,
        share_capital_amount: row.share_capital_amount,
        share_capital_currency: row.share_capital_currency,
        address: PostalAddress {
            line1: row.address_line1,
            line2: row.address_line2,
            postal_code: row.address_postal_code,
            city: row.address_city,
            country_code: row.address_country_code,
        },
        // Tenancy checked the account before publishing it, so parsing it again keeps it.
        bank_account: row.iban.and_then(|iban| {
            BankAccount::parse(
                &iban,
                row.bic.as_deref().unwrap_or_default(),
                &mut Violations::new(),
            )
            .flatten()
        }),
    }))
}

/// The profile of a company, if known.
pub(crate) async fn profile(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<SellerProfile>, sqlx::Error> {
    sqlx::query_as!(
        SellerProfile,
        "SELECT company_id, legal_name, siren FROM seller_profile WHERE company_id = $1",
        company_id,
    )
    .fetch_optional(conn)
    .await
}
