//! The journals and accounts a company's entries are posted with: its accounting
//! settings as the accountant portal publishes them (`accounting_settings.changed`), or
//! the French defaults until it has its own, and how an entry line's role resolves to an
//! account number and label under them.

use rust_decimal::Decimal;

use super::ledger::{JournalKind, PartyRef, Role, Supply};
use super::rate_comma;

/// A journal: code and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Journal {
    pub(crate) code: String,
    pub(crate) label: String,
}

/// How customers (and suppliers) are posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CustomerAccounts {
    /// The prefix followed by the party's code, e.g. "411DUPONT".
    PerCustomer,
    /// One collective account for every party.
    Collective,
}

impl CustomerAccounts {
    /// As stored.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CustomerAccounts::PerCustomer => "per_customer",
            CustomerAccounts::Collective => "collective",
        }
    }

    /// From its stored text; anything else is one account per customer, the default.
    pub(crate) fn from_stored(text: &str) -> Self {
        match text {
            "collective" => CustomerAccounts::Collective,
            _ => CustomerAccounts::PerCustomer,
        }
    }
}

/// The accounts of one VAT rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RateAccounts {
    pub(crate) vat_rate: Decimal,
    pub(crate) goods_revenue_account: String,
    pub(crate) services_revenue_account: String,
    pub(crate) collected_vat_account: String,
}

/// A company's journals and accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountingSettings {
    pub(crate) sales_journal: Journal,
    pub(crate) purchases_journal: Journal,
    pub(crate) bank_journal: Journal,
    pub(crate) customer_accounts: CustomerAccounts,
    pub(crate) customer_account: String,
    pub(crate) supplier_account: String,
    pub(crate) bank_account: String,
    pub(crate) deductible_vat_account: String,
    pub(crate) rates: Vec<RateAccounts>,
    pub(crate) expense_account: String,
}

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

impl AccountingSettings {
    /// The French defaults, as the portal answers them for a client without its own:
    /// journals VT, AC and BQ; one account per customer under 411; suppliers under 401;
    /// bank 512000; deductible VAT 445660; purchases 607000; and for each French rate,
    /// revenue 707x00 (goods) and 706x00 (services) and collected VAT 44571x.
    pub(crate) fn french_defaults() -> Self {
        let journal = |code: &str, label: &str| Journal {
            code: code.to_owned(),
            label: label.to_owned(),
        };
        let rates = [(20, 0, 1), (10, 0, 2), (55, 1, 3), (21, 1, 4), (0, 0, 5)]
            .into_iter()
            .map(|(mantissa, scale, n)| RateAccounts {
                vat_rate: Decimal::new(mantissa, scale),
                goods_revenue_account: format!("707{n}00"),
                services_revenue_account: format!("706{n}00"),
                collected_vat_account: format!("44571{n}"),
            })
            .collect();
        Self {
            sales_journal: journal("VT", "Ventes"),
            purchases_journal: journal("AC", "Achats"),
            bank_journal: journal("BQ", "Banque"),
            customer_accounts: CustomerAccounts::PerCustomer,
            customer_account: "411".to_owned(),
            supplier_account: "401".to_owned(),
            bank_account: "512000".to_owned(),
            deductible_vat_account: "445660".to_owned(),
            rates,
            expense_account: "607000".to_owned(),
        }
    }

    /// The journal entries of `kind` are posted in.
    pub(crate) fn journal(&self, kind: JournalKind) -> &Journal {
        match kind {
            JournalKind::Sales => &self.sales_journal,
            JournalKind::Purchases => &self.purchases_journal,
            JournalKind::Bank => &self.bank_journal,
        }
    }

    /// The accounts of `rate`: the settings' own, else the defaults' for that rate, else
    /// the generic 707000/706000/445710 (a rate neither knows).
    fn rate_accounts(&self, rate: Decimal) -> RateAccounts {
        let find = |rates: &[RateAccounts]| rates.iter().find(|r| r.vat_rate == rate).cloned();
        find(&self.rates)
            .or_else(|| find(&Self::french_defaults().rates))
            .unwrap_or_else(|| RateAccounts {
                vat_rate: rate,
                goods_revenue_account: "707000".to_owned(),
                services_revenue_account: "706000".to_owned(),
                collected_vat_account: "445710".to_owned(),
            })
    }

    /// The account a line of `role` is posted to; `party` is the customer or supplier of
    /// the entry.
    pub(crate) fn account(&self, role: Role, party: &PartyRef) -> Account {
        let general = |number: &str, label: String| Account {
            number: number.to_owned(),
            label,
            aux_number: String::new(),
            aux_label: String::new(),
        };
        match role {
            Role::Customer => self.party_account(&self.customer_account, "Clients", party),
            Role::Supplier => self.party_account(&self.supplier_account, "Fournisseurs", party),
            Role::Bank => general(&self.bank_account, self.bank_journal.label.clone()),
            Role::Expense { .. } => general(&self.expense_account, "Achats".to_owned()),
            Role::DeductibleVat { .. } => general(
                &self.deductible_vat_account,
                "TVA déductible sur autres biens et services".to_owned(),
            ),
            Role::Revenue { rate, supply } => {
                let accounts = self.rate_accounts(rate);
                let (number, what) = match supply {
                    Supply::Goods => (accounts.goods_revenue_account, "Ventes de marchandises"),
                    Supply::Services => {
                        (accounts.services_revenue_account, "Prestations de services")
                    }
                };
                general(&number, format!("{what} {} %", rate_comma(rate)))
            }
            Role::CollectedVat { rate } => general(
                &self.rate_accounts(rate).collected_vat_account,
                format!("TVA collectée {} %", rate_comma(rate)),
            ),
        }
    }

    /// A customer's or supplier's account: the prefix and the party's code when the
    /// settings keep one account per party and the party has a code, else the prefix
    /// padded as a collective account. The party's code and name go in the auxiliary
    /// account either way.
    fn party_account(&self, prefix: &str, label: &str, party: &PartyRef) -> Account {
        let number = match self.customer_accounts {
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
        let revenue = |rate, supply| {
            defaults
                .account(Role::Revenue { rate, supply }, &party(""))
                .number
        };
        assert_eq!(revenue(Decimal::new(20, 0), Supply::Goods), "707100");
        assert_eq!(revenue(Decimal::new(55, 1), Supply::Services), "706300");
        assert_eq!(revenue(Decimal::new(21, 1), Supply::Goods), "707400");
        assert_eq!(revenue(Decimal::ZERO, Supply::Services), "706500");
        let vat = defaults.account(
            Role::CollectedVat {
                rate: Decimal::new(10, 0),
            },
            &party(""),
        );
        assert_eq!(
            (vat.number.as_str(), vat.label.as_str()),
            ("445712", "TVA collectée 10 %")
        );
        assert_eq!(defaults.journal(JournalKind::Purchases).code, "AC");
    }

    #[test]
    fn a_customer_with_a_code_gets_its_own_account_and_one_without_the_collective() {
        let mut settings = AccountingSettings::french_defaults();
        let own = settings.account(Role::Customer, &party("DUPONT"));
        assert_eq!(
            (
                own.number.as_str(),
                own.aux_number.as_str(),
                own.aux_label.as_str()
            ),
            ("411DUPONT", "DUPONT", "Dupont SARL")
        );
        assert_eq!(
            settings.account(Role::Customer, &party("")).number,
            "411000"
        );
        settings.customer_accounts = CustomerAccounts::Collective;
        let collective = settings.account(Role::Supplier, &party("ACME"));
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
            settings
                .account(
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
