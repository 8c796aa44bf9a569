//! The accounting settings' RPCs: `GetAccountingSettings` and `UpdateAccountingSettings`,
//! the decoding of whose settings and of the settings themselves (every bad field named
//! under `settings.`, e.g. `settings.rates[2].collected_vat_account`).

use comptoir_domain_types::accounting::{AccountingSettings, CustomerAccounts};
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};

use crate::app::settings::{self, Whose};
use crate::domain::settings::{RawJournal, RawRate, RawSettings};
use crate::error::Error;
use crate::grpc::authorize;

pub(crate) async fn get_accounting_settings(
    deps: &Deps,
    request: Request<pb::GetAccountingSettingsRequest>,
) -> Result<Response<pb::GetAccountingSettingsResponse>, Status> {
    let ctx = authorize(&request).map_err(Error::from)?;
    let mut violations = FieldViolations::new();
    let whose = whose(&request.get_ref().company_id, &mut violations);
    violations.into_result().map_err(Error::from)?;
    let resolved = settings::get_settings(&ctx, deps, whose.unwrap_or(Whose::FirmDefault)).await?;
    Ok(Response::new(pb::GetAccountingSettingsResponse {
        settings: Some((&resolved.settings).into()),
        is_default: resolved.is_default,
        version: resolved.version,
    }))
}

pub(crate) async fn update_accounting_settings(
    deps: &Deps,
    request: Request<pb::UpdateAccountingSettingsRequest>,
) -> Result<Response<pb::UpdateAccountingSettingsResponse>, Status> {
    let ctx = authorize(&request).map_err(Error::from)?;
    let request = request.into_inner();
    let mut violations = FieldViolations::new();
    let whose = whose(&request.company_id, &mut violations);
    let parsed = decode_settings(request.settings.as_ref(), &mut violations);
    if request.expected_version < 0 {
        violations.add("expected_version", "must be 0 or a version read");
    }
    let (Some(whose), Some(parsed)) = (whose, parsed) else {
        return Err(Error::from(violations).into());
    };
    if whose == Whose::FirmDefault {
        // The firm's default is the firm Administrators' to change; a client's, of
        // whoever reaches the client (decided with the data, by the app).
        ctx.caller
            .require(ctx.firm_id, Permission::SettingsWrite)
            .map_err(Error::from)?;
    }
    let stored =
        settings::update_settings(&ctx, deps, whose, parsed, request.expected_version).await?;
    Ok(Response::new(pb::UpdateAccountingSettingsResponse {
        settings: Some((&stored.settings).into()),
        version: stored.version,
    }))
}

/// Whose settings `company_id` names: empty for the firm's default.
fn whose(company_id: &str, violations: &mut FieldViolations) -> Option<Whose> {
    if company_id.trim().is_empty() {
        return Some(Whose::FirmDefault);
    }
    violations
        .uuid("company_id", company_id.trim())
        .map(Whose::Client)
}

/// The settings of a request, every bad field recorded under `settings.`.
fn decode_settings(
    settings: Option<&pb::AccountingSettings>,
    violations: &mut FieldViolations,
) -> Option<AccountingSettings> {
    let Some(settings) = settings else {
        violations.add("settings", "is required");
        return None;
    };
    let mut found = Vec::new();
    let customer_accounts = match pb::CustomerAccounts::try_from(settings.customer_accounts) {
        Ok(accounts) => accounts.into(),
        Err(_) => {
            found.push((
                "customer_accounts".to_owned(),
                "must be CUSTOMER_ACCOUNTS_PER_CUSTOMER or CUSTOMER_ACCOUNTS_COLLECTIVE".to_owned(),
            ));
            CustomerAccounts::PerCustomer
        }
    };
    let raw = RawSettings {
        sales_journal: raw_journal(settings.sales_journal.as_ref()),
        purchases_journal: raw_journal(settings.purchases_journal.as_ref()),
        bank_journal: raw_journal(settings.bank_journal.as_ref()),
        customer_accounts,
        customer_account: &settings.customer_account,
        supplier_account: &settings.supplier_account,
        bank_account: &settings.bank_account,
        deductible_vat_account: &settings.deductible_vat_account,
        rates: settings
            .rates
            .iter()
            .map(|rate| RawRate {
                vat_rate: &rate.vat_rate,
                goods_revenue_account: &rate.goods_revenue_account,
                services_revenue_account: &rate.services_revenue_account,
                collected_vat_account: &rate.collected_vat_account,
            })
            .collect(),
        expense_account: &settings.expense_account,
    };
    let parsed = raw.parse(&mut found);
    let clean = found.is_empty();
    for (field, reason) in found {
        violations.add(format!("settings.{field}"), reason);
    }
    parsed.filter(|_| clean)
}

/// A journal as sent; an absent one has an empty code and label.
fn raw_journal(journal: Option<&pb::Journal>) -> RawJournal<'_> {
    journal.map_or_else(RawJournal::default, |journal| RawJournal {
        code: &journal.code,
        label: &journal.label,
    })
}
