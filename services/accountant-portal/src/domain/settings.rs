//! A client's accounting settings as the portal keeps them: parsed whole from what a
//! caller sends (every bad field named relative to the settings, e.g.
//! `rates[2].collected_vat_account`), resolved client's own → firm's default → French
//! defaults, and versioned for optimistic concurrency. The settings themselves, the
//! French defaults and the plan comptable's rule for an account number are the shared
//! vocabulary's (`comptoir_domain_types::accounting`). They change what exports produce,
//! never a client's documents.

use comptoir_domain_types::accounting::{
    AccountKind, AccountingSettings, CustomerAccounts, Journal, RateAccounts, account_number,
};
use comptoir_domain_types::amount::{self, parse_decimal};
use comptoir_domain_types::fields::{Violations, add, text};
use rust_decimal::Decimal;

/// Longest journal code.
const JOURNAL_CODE_MAX: usize = 10;
/// Longest journal label.
const JOURNAL_LABEL_MAX: usize = 100;
/// Most VAT rates one set of settings maps.
const RATES_MAX: usize = 20;

/// The settings' text fields as a caller sent them, before parsing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawJournal<'a> {
    /// Code.
    pub(crate) code: &'a str,
    /// Label.
    pub(crate) label: &'a str,
}

/// One rate's accounts as a caller sent them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawRate<'a> {
    /// VAT rate in percent, a decimal string.
    pub(crate) vat_rate: &'a str,
    /// Revenue account for goods.
    pub(crate) goods_revenue_account: &'a str,
    /// Revenue account for services.
    pub(crate) services_revenue_account: &'a str,
    /// Collected VAT account.
    pub(crate) collected_vat_account: &'a str,
}

/// The settings as a caller sent them.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSettings<'a> {
    /// Sales journal.
    pub(crate) sales_journal: RawJournal<'a>,
    /// Purchases journal.
    pub(crate) purchases_journal: RawJournal<'a>,
    /// Bank journal.
    pub(crate) bank_journal: RawJournal<'a>,
    /// How customers are posted (unspecified: per customer).
    pub(crate) customer_accounts: CustomerAccounts,
    /// Customer account or prefix.
    pub(crate) customer_account: &'a str,
    /// Supplier account prefix.
    pub(crate) supplier_account: &'a str,
    /// Bank account.
    pub(crate) bank_account: &'a str,
    /// Deductible VAT account.
    pub(crate) deductible_vat_account: &'a str,
    /// Rates, in the caller's order.
    pub(crate) rates: Vec<RawRate<'a>>,
    /// Expense account.
    pub(crate) expense_account: &'a str,
}

/// A journal code: 1 to 10 ASCII letters and digits, upper-cased.
fn journal_code(input: &str) -> Result<String, String> {
    let code = input.trim();
    if code.is_empty() {
        return Err("is required".to_owned());
    }
    if code.len() > JOURNAL_CODE_MAX || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "must be 1 to {JOURNAL_CODE_MAX} letters and digits"
        ));
    }
    Ok(code.to_ascii_uppercase())
}

/// A VAT rate in percent: a plain decimal with at most 2 decimals, 0 to 100.
fn vat_rate(input: &str) -> Result<Decimal, String> {
    if input.trim().is_empty() {
        return Err("is required".to_owned());
    }
    let rate = parse_decimal(input, 2).map_err(|err| err.to_string())?;
    if rate > Decimal::ONE_HUNDRED {
        return Err("must be at most 100".to_owned());
    }
    Ok(rate.normalize())
}

/// Records the outcome of one field's parse under `field`; its value when it parsed.
fn check<T>(violations: &mut Violations, field: &str, parsed: Result<T, String>) -> Option<T> {
    parsed.map_err(|reason| add(violations, field, reason)).ok()
}

impl RawJournal<'_> {
    fn parse(self, field: &str, violations: &mut Violations) -> Option<Journal> {
        let code = check(
            violations,
            &format!("{field}.code"),
            journal_code(self.code),
        );
        let before = violations.len();
        let label = text(
            violations,
            &format!("{field}.label"),
            self.label,
            JOURNAL_LABEL_MAX,
            true,
        );
        let code = code?;
        (violations.len() == before).then_some(Journal { code, label })
    }
}

impl RawRate<'_> {
    fn parse(self, field: &str, violations: &mut Violations) -> Option<RateAccounts> {
        let mut account_of = |name: &str, input: &str, kind| {
            check(
                violations,
                &format!("{field}.{name}"),
                account_number(input, kind),
            )
        };
        let goods = account_of(
            "goods_revenue_account",
            self.goods_revenue_account,
            AccountKind::Revenue,
        );
        let services = account_of(
            "services_revenue_account",
            self.services_revenue_account,
            AccountKind::Revenue,
        );
        let collected = account_of(
            "collected_vat_account",
            self.collected_vat_account,
            AccountKind::Vat,
        );
        let rate = check(
            violations,
            &format!("{field}.vat_rate"),
            vat_rate(self.vat_rate),
        );
        Some(RateAccounts {
            vat_rate: rate?,
            goods_revenue_account: goods?,
            services_revenue_account: services?,
            collected_vat_account: collected?,
        })
    }
}

impl RawSettings<'_> {
    /// The settings, or None when a field is bad; every bad field is recorded relative
    /// to the settings (`sales_journal.code`, `rates[2].collected_vat_account`).
    pub(crate) fn parse(&self, violations: &mut Violations) -> Option<AccountingSettings> {
        let before = violations.len();
        let sales_journal = self.sales_journal.parse("sales_journal", violations);
        let purchases_journal = self
            .purchases_journal
            .parse("purchases_journal", violations);
        let bank_journal = self.bank_journal.parse("bank_journal", violations);
        let mut account_of =
            |field: &str, input: &str, kind| check(violations, field, account_number(input, kind));
        let customer_account = account_of(
            "customer_account",
            self.customer_account,
            AccountKind::Customer,
        );
        let supplier_account = account_of(
            "supplier_account",
            self.supplier_account,
            AccountKind::Supplier,
        );
        let bank_account = account_of("bank_account", self.bank_account, AccountKind::Bank);
        let deductible_vat_account = account_of(
            "deductible_vat_account",
            self.deductible_vat_account,
            AccountKind::Vat,
        );
        let expense_account = account_of(
            "expense_account",
            self.expense_account,
            AccountKind::Expense,
        );
        let rates = self.parse_rates(violations);
        if violations.len() != before {
            return None;
        }
        Some(AccountingSettings {
            sales_journal: sales_journal?,
            purchases_journal: purchases_journal?,
            bank_journal: bank_journal?,
            customer_accounts: self.customer_accounts,
            customer_account: customer_account?,
            supplier_account: supplier_account?,
            bank_account: bank_account?,
            deductible_vat_account: deductible_vat_account?,
            rates,
            expense_account: expense_account?,
        })
    }

    /// The rates, each parsed, with a rate given twice refused at its second place.
    fn parse_rates(&self, violations: &mut Violations) -> Vec<RateAccounts> {
        if self.rates.is_empty() {
            add(violations, "rates", "at least one VAT rate is required");
        }
        if self.rates.len() > RATES_MAX {
            add(
                violations,
                "rates",
                format!("must have at most {RATES_MAX} VAT rates"),
            );
        }
        let mut rates: Vec<RateAccounts> = Vec::with_capacity(self.rates.len());
        for (index, raw) in self.rates.iter().enumerate() {
            let field = format!("rates[{index}]");
            let Some(rate) = raw.parse(&field, violations) else {
                continue;
            };
            if let Some(first) = rates.iter().position(|r| r.vat_rate == rate.vat_rate) {
                add(
                    violations,
                    &format!("{field}.vat_rate"),
                    format!(
                        "rate {} is already given in rates[{first}]",
                        amount::format_plain(rate.vat_rate)
                    ),
                );
            }
            rates.push(rate);
        }
        rates
    }
}

/// Settings as stored, with their version (1 for the first stored, one more at each
/// change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Versioned {
    /// The settings.
    pub(crate) settings: AccountingSettings,
    /// Their version.
    pub(crate) version: i64,
}

/// The settings in force for a client or for a firm's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InForce {
    /// The settings.
    pub(crate) settings: AccountingSettings,
    /// True when they are not the asked-for settings' own but a default (the firm's, or
    /// the French one).
    pub(crate) is_default: bool,
    /// The version of the asked-for settings' own; 0 when a default is in force.
    pub(crate) version: i64,
}

/// The settings in force: `own` when stored, else the firm's default when stored, else
/// the French defaults. For the firm's default itself, `own` is the firm's and
/// `firm_default` is None.
pub(crate) fn in_force(own: Option<Versioned>, firm_default: Option<Versioned>) -> InForce {
    match (own, firm_default) {
        (Some(own), _) => InForce {
            settings: own.settings,
            is_default: false,
            version: own.version,
        },
        (None, Some(firm)) => InForce {
            settings: firm.settings,
            is_default: true,
            version: 0,
        },
        (None, None) => InForce {
            settings: AccountingSettings::french_defaults(),
            is_default: true,
            version: 0,
        },
    }
}

/// An update made against another version than the one stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StaleVersion {
    /// The version the caller read.
    pub(crate) expected: i64,
    /// The version stored (0 when none).
    pub(crate) current: i64,
}

/// The version after an update of settings now at `current` (0 when none is stored),
/// made by a caller who read `expected` (0 to skip the check).
pub(crate) fn next_version(expected: i64, current: i64) -> Result<i64, StaleVersion> {
    if expected != 0 && expected != current {
        return Err(StaleVersion { expected, current });
    }
    Ok(current + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rates of `settings` as text, for [`raw`] to borrow.
    fn rate_texts(settings: &AccountingSettings) -> Vec<String> {
        settings
            .rates
            .iter()
            .map(|r| amount::format_plain(r.vat_rate))
            .collect()
    }

    /// `settings` as a caller would send them, with `rates` as their rates' text.
    fn raw<'a>(settings: &'a AccountingSettings, rates: &'a [String]) -> RawSettings<'a> {
        let journal = |j: &'a Journal| RawJournal {
            code: &j.code,
            label: &j.label,
        };
        RawSettings {
            sales_journal: journal(&settings.sales_journal),
            purchases_journal: journal(&settings.purchases_journal),
            bank_journal: journal(&settings.bank_journal),
            customer_accounts: settings.customer_accounts,
            customer_account: &settings.customer_account,
            supplier_account: &settings.supplier_account,
            bank_account: &settings.bank_account,
            deductible_vat_account: &settings.deductible_vat_account,
            rates: settings
                .rates
                .iter()
                .zip(rates)
                .map(|(r, rate)| RawRate {
                    vat_rate: rate,
                    goods_revenue_account: &r.goods_revenue_account,
                    services_revenue_account: &r.services_revenue_account,
                    collected_vat_account: &r.collected_vat_account,
                })
                .collect(),
            expense_account: &settings.expense_account,
        }
    }

    fn fields(violations: &Violations) -> Vec<&str> {
        violations.iter().map(|(field, _)| field.as_str()).collect()
    }

    #[test]
    fn the_french_defaults_parse_back_to_themselves() {
        let defaults = AccountingSettings::french_defaults();
        let rates = rate_texts(&defaults);
        let raw = raw(&defaults, &rates);
        let mut violations = Violations::new();
        assert_eq!(raw.parse(&mut violations), Some(defaults.clone()));
        assert!(violations.is_empty(), "{violations:?}");
        assert_eq!(defaults.rates.len(), 5);
        assert_eq!(defaults.rates[2].collected_vat_account, "445713");
        assert_eq!(amount::format_plain(defaults.rates[2].vat_rate), "5.5");
        assert_eq!(defaults.rates[0].goods_revenue_account, "707100");
        assert_eq!(defaults.rates[0].services_revenue_account, "706100");
    }

    #[test]
    fn every_bad_account_is_named_by_its_path_with_its_class() {
        let defaults = AccountingSettings::french_defaults();
        let rates = rate_texts(&defaults);
        let mut raw = raw(&defaults, &rates);
        raw.customer_account = "401";
        raw.supplier_account = "411";
        raw.bank_account = "530000";
        raw.deductible_vat_account = "44566O";
        raw.expense_account = "60";
        raw.rates[2].collected_vat_account = "7071";
        raw.rates[1].goods_revenue_account = "6070001234567";
        raw.rates[0].services_revenue_account = "";
        let mut violations = Violations::new();
        assert_eq!(raw.parse(&mut violations), None);
        assert_eq!(
            fields(&violations),
            [
                "customer_account",
                "supplier_account",
                "bank_account",
                "deductible_vat_account",
                "expense_account",
                "rates[0].services_revenue_account",
                "rates[1].goods_revenue_account",
                "rates[2].collected_vat_account",
            ]
        );
        let reason = |field: &str| {
            violations
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, r)| r.as_str())
                .unwrap()
        };
        assert_eq!(
            reason("rates[2].collected_vat_account"),
            "must be a VAT account (class 4), starting with 4"
        );
        assert_eq!(reason("deductible_vat_account"), "must be digits only");
        assert_eq!(reason("expense_account"), "must be 3 to 12 digits long");
        assert_eq!(reason("rates[0].services_revenue_account"), "is required");
    }

    #[test]
    fn journals_are_short_alphanumeric_codes_with_a_label() {
        let defaults = AccountingSettings::french_defaults();
        let rates = rate_texts(&defaults);
        let mut raw = raw(&defaults, &rates);
        raw.sales_journal.code = "vt";
        raw.purchases_journal.code = "A-C";
        raw.bank_journal = RawJournal {
            code: "BANQUE12345",
            label: " ",
        };
        let mut violations = Violations::new();
        assert_eq!(raw.parse(&mut violations), None);
        assert_eq!(
            fields(&violations),
            [
                "purchases_journal.code",
                "bank_journal.code",
                "bank_journal.label"
            ]
        );
        raw.purchases_journal.code = "HA";
        raw.bank_journal = RawJournal {
            code: "BQ1",
            label: "Banque 1",
        };
        let mut violations = Violations::new();
        let parsed = raw.parse(&mut violations).expect("valid journals");
        assert_eq!(parsed.sales_journal.code, "VT");
    }

    #[test]
    fn a_rate_given_twice_or_out_of_range_is_refused() {
        let defaults = AccountingSettings::french_defaults();
        let mut rates = rate_texts(&defaults);
        rates[3] = "20.00".to_owned();
        rates[4] = "120".to_owned();
        let raw = raw(&defaults, &rates);
        let mut violations = Violations::new();
        assert_eq!(raw.parse(&mut violations), None);
        assert_eq!(
            violations,
            [
                (
                    "rates[3].vat_rate".to_owned(),
                    "rate 20 is already given in rates[0]".to_owned()
                ),
                (
                    "rates[4].vat_rate".to_owned(),
                    "must be at most 100".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn settings_without_rates_are_refused() {
        let defaults = AccountingSettings::french_defaults();
        let raw = raw(&defaults, &[]);
        let mut violations = Violations::new();
        assert_eq!(raw.parse(&mut violations), None);
        assert_eq!(fields(&violations), ["rates"]);
    }

    #[test]
    fn the_clients_own_settings_win_over_the_firms_which_win_over_the_french_ones() {
        let french = AccountingSettings::french_defaults();
        let mut firm = french.clone();
        firm.bank_account = "512100".to_owned();
        let mut own = french.clone();
        own.bank_account = "512200".to_owned();
        let stored = |settings: &AccountingSettings, version| Versioned {
            settings: settings.clone(),
            version,
        };
        let resolved = in_force(Some(stored(&own, 3)), Some(stored(&firm, 7)));
        assert_eq!(
            (resolved.settings, resolved.is_default, resolved.version),
            (own, false, 3)
        );
        let resolved = in_force(None, Some(stored(&firm, 7)));
        assert_eq!(
            (resolved.settings, resolved.is_default, resolved.version),
            (firm, true, 0)
        );
        let resolved = in_force(None, None);
        assert_eq!(
            (resolved.settings, resolved.is_default, resolved.version),
            (french, true, 0)
        );
    }

    #[test]
    fn a_stale_version_is_refused_and_zero_skips_the_check() {
        assert_eq!(next_version(0, 0), Ok(1));
        assert_eq!(next_version(0, 4), Ok(5));
        assert_eq!(next_version(4, 4), Ok(5));
        assert_eq!(
            next_version(3, 4),
            Err(StaleVersion {
                expected: 3,
                current: 4
            })
        );
        assert_eq!(
            next_version(1, 0),
            Err(StaleVersion {
                expected: 1,
                current: 0
            })
        );
    }
}
