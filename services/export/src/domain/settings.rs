//! How an entry line's role resolves to a journal, an account number and a label under
//! a company's accounting settings: its own as the accountant portal publishes them
//! (`accounting_settings.changed`), or the French defaults until it has its own. The
//! settings and the defaults are the shared vocabulary's
//! (`comptoir_domain_types::accounting`).

pub(crate) use comptoir_domain_types::accounting::{
    AccountingSettings, CustomerAccounts, Journal, RateAccounts,
};
use rust_decimal::Decimal;

use super::ledger::{JournalKind, PartyRef, Role, Supply};
use super::rate_comma;

/// An account an entry line is posted to: the general account (`CompteNum`, `CompteLib`)
/// and, for a customer or supplier, the auxiliary one (`CompAuxNum`, `CompAuxLib`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) number: String,
    pub(crate) label: String,
    pub(crate) aux_number: String,
    pub(crate) aux_label: String,
}

/// Digits of a general account once padded ("411" is posted as "411000").
const ACCOUNT_DIGITS: usize = 6;

/// The journal entries of `kind` are posted in under `settings`.
pub(crate) fn journal(settings: &AccountingSettings, kind: JournalKind) -> &Journal {
    match kind {
        JournalKind::Sales => &settings.sales_journal,
        JournalKind::Purchases => &settings.purchases_journal,
        JournalKind::Bank => &settings.bank_journal,
    }
}

/// The accounts of `rate` under `settings`: their own, else the defaults' for that rate,
/// else the generic 707000/706000/445710 (a rate neither knows).
fn rate_accounts(settings: &AccountingSettings, rate: Decimal) -> RateAccounts {
    let find = |rates: &[RateAccounts]| rates.iter().find(|r| r.vat_rate == rate).cloned();
    find(&settings.rates)
        .or_else(|| find(&AccountingSettings::french_defaults().rates))
        .unwrap_or_else(|| RateAccounts {
            vat_rate: rate,
            goods_revenue_account: "707000".to_owned(),
            services_revenue_account: "706000".to_owned(),
            collected_vat_account: "445710".to_owned(),
        })
}

/// The account a line of `role` is posted to under `settings`; `party` is the customer
/// or supplier of the entry.
pub(crate) fn account(settings: &AccountingSettings, role: Role, party: &PartyRef) -> Account {
    let general = |number: &str, label: String| Account {
        number: number.to_owned(),
        label,
        aux_number: String::new(),
        aux_label: String::new(),
    };
    let s = settings;
    match role {
        Role::Customer => party_account(s, &s.customer_account, "Clients", party),
        Role::Supplier => party_account(s, &s.supplier_account, "Fournisseurs", party),
        Role::Bank => general(&s.bank_account, s.bank_journal.label.clone()),
        Role::Expense { .. } => general(&s.expense_account, "Achats".to_owned()),
        Role::DeductibleVat { .. } => general(
            &s.deductible_vat_account,
            "TVA déductible sur autres biens et services".to_owned(),
        ),
        Role::Revenue { rate, supply } => {
            let accounts = rate_accounts(s, rate);
            let (number, what) = match supply {
                Supply::Goods => (accounts.goods_revenue_account, "Ventes de marchandises"),
                Supply::Services => (accounts.services_revenue_account, "Prestations de services"),
            };
            general(&number, format!("{what} {} %", rate_comma(rate)))
        }
        Role::CollectedVat { rate } => general(
            &rate_accounts(s, rate).collected_vat_account,
            format!("TVA collectée {} %", rate_comma(rate)),
        ),
    }
}

/// A customer's or supplier's account: the prefix and the party's code when the settings
/// keep one account per party and the party has a code, else the prefix padded as a
/// collective account. The party's code and name go in the auxiliary account either way.
fn party_account(
    settings: &AccountingSettings,
    prefix: &str,
    label: &str,
    party: &PartyRef,
) -> Account {
    let number = match settings.customer_accounts {
        CustomerAccounts::PerCustomer if !party.code.is_empty() => {
            format!("{prefix}{}", party.code)
        }
        _ => format!("{prefix:0<ACCOUNT_DIGITS$}"),
    };
    let per_party = number.len() > prefix.len() && !party.code.is_empty();
    Account {
        number,
        label: if per_party {
            party.name.clone()
        } else {
            label.to_owned()
        },
        aux_number: party.code.clone(),
        aux_label: if party.code.is_empty() {
            String::new()
        } else {
            party.name.clone()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(code: &str) -> PartyRef {
        PartyRef {
            party_id: None,
            code: code.to_owned(),
            name: "Dupont SARL".to_owned(),
        }
    }

    #[test]
    fn the_french_defaults_post_each_rate_to_its_own_accounts() {
        let defaults = AccountingSettings::french_defaults();
        let revenue =
            |rate, supply| account(&defaults, Role::Revenue { rate, supply }, &party("")).number;
        assert_eq!(revenue(Decimal::new(20, 0), Supply::Goods), "707100");
        assert_eq!(revenue(Decimal::new(55, 1), Supply::Services), "706300");
        assert_eq!(revenue(Decimal::new(21, 1), Supply::Goods), "707400");
        assert_eq!(revenue(Decimal::ZERO, Supply::Services), "706500");
        let vat = account(
            &defaults,
            Role::CollectedVat {
                rate: Decimal::new(10, 0),
            },
            &party(""),
        );
        assert_eq!(
            (vat.number.as_str(), vat.label.as_str()),
            ("445712", "TVA collectée 10 %")
        );
        assert_eq!(journal(&defaults, JournalKind::Purchases).code, "AC");
    }

    #[test]
    fn a_customer_with_a_code_gets_its_own_account_and_one_without_the_collective() {
        let mut settings = AccountingSettings::french_defaults();
        let own = account(&settings, Role::Customer, &party("DUPONT"));
        assert_eq!(
            (
                own.number.as_str(),
                own.aux_number.as_str(),
                own.aux_label.as_str()
            ),
            ("411DUPONT", "DUPONT", "Dupont SARL")
        );
        assert_eq!(
            account(&settings, Role::Customer, &party("")).number,
            "411000"
        );
        settings.customer_accounts = CustomerAccounts::Collective;
        let collective = account(&settings, Role::Supplier, &party("ACME"));
        assert_eq!(
            (collective.number.as_str(), collective.aux_number.as_str()),
            ("401000", "ACME")
        );
    }

    #[test]
    fn a_rate_the_settings_omit_falls_back_to_the_defaults() {
        let mut settings = AccountingSettings::french_defaults();
        settings.rates.retain(|r| r.vat_rate == Decimal::new(20, 0));
        settings.rates[0].goods_revenue_account = "707010".to_owned();
        let revenue = |rate| {
            account(
                &settings,
                Role::Revenue {
                    rate,
                    supply: Supply::Goods,
                },
                &party(""),
            )
            .number
        };
        assert_eq!(revenue(Decimal::new(20, 0)), "707010");
        assert_eq!(revenue(Decimal::new(10, 0)), "707200");
        assert_eq!(revenue(Decimal::new(85, 1)), "707000");
    }
}
