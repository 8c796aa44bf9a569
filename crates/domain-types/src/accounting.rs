//! A company's accounting settings, the vocabulary the accountant portal keeps and export
//! posts with: the three journals, how customers are posted, the accounts of the plan
//! comptable per VAT rate and for the rest, the French defaults in force until a firm or
//! a client sets its own, and the rule an account number follows (its digits, its length
//! and the class it starts with). Pure values and rules; the portal names a bad field by
//! its path, export resolves a line's account, each in its own crate.

use rust_decimal::Decimal;

/// Longest account number.
pub const ACCOUNT_MAX: usize = 12;
/// Shortest account number: the class and two digits (`411`, `401`).
pub const ACCOUNT_MIN: usize = 3;

/// A journal: its code and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    /// 1 to 10 letters and digits, e.g. `VT`.
    pub code: String,
    /// 1 to 100 characters, e.g. `Ventes`.
    pub label: String,
}

/// How customers (and suppliers) are posted; unspecified means one account per
/// customer, the plan comptable's usual way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomerAccounts {
    /// The account is a prefix followed by the party's code (`411DUPONT`).
    #[default]
    PerCustomer,
    /// One collective account for every party.
    Collective,
}

impl CustomerAccounts {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerAccounts::PerCustomer => "per_customer",
            CustomerAccounts::Collective => "collective",
        }
    }

    /// The value of a stored name; None for any other text.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "per_customer" => Some(CustomerAccounts::PerCustomer),
            "collective" => Some(CustomerAccounts::Collective),
            _ => None,
        }
    }
}

/// The accounts of one VAT rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateAccounts {
    /// The rate in percent, e.g. 5.5.
    pub vat_rate: Decimal,
    /// Revenue account for goods (class 7).
    pub goods_revenue_account: String,
    /// Revenue account for services (class 7).
    pub services_revenue_account: String,
    /// Collected VAT account (class 4).
    pub collected_vat_account: String,
}

/// The journals and accounts a company's entries are posted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountingSettings {
    /// Sales journal.
    pub sales_journal: Journal,
    /// Purchases journal.
    pub purchases_journal: Journal,
    /// Bank journal.
    pub bank_journal: Journal,
    /// How customers are posted.
    pub customer_accounts: CustomerAccounts,
    /// The customer prefix, or the collective customer account (`41…`).
    pub customer_account: String,
    /// The supplier account prefix (`40…`).
    pub supplier_account: String,
    /// The bank account (`51…`).
    pub bank_account: String,
    /// Deductible VAT (class 4).
    pub deductible_vat_account: String,
    /// Revenue and collected VAT accounts, one entry per rate.
    pub rates: Vec<RateAccounts>,
    /// Expense account for purchases (class 6).
    pub expense_account: String,
}

impl AccountingSettings {
    /// The French defaults: journals VT, AC and BQ; one account per customer under 411;
    /// suppliers under 401; bank 512000; deductible VAT 445660; purchases 607000; and for
    /// each French rate (20, 10, 5.5, 2.1 and 0 %), revenue 707x00 (goods) and 706x00
    /// (services) and collected VAT 44571x.
    pub fn french_defaults() -> Self {
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
}

/// What an account number must start with: its class in the plan comptable, and for
/// some accounts the sub-class too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// Class 7.
    Revenue,
    /// Class 4 (44…, but a firm may keep VAT elsewhere in class 4).
    Vat,
    /// `41…`.
    Customer,
    /// `40…`.
    Supplier,
    /// `51…`.
    Bank,
    /// Class 6.
    Expense,
}

impl AccountKind {
    /// The digits an account of this kind starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            AccountKind::Revenue => "7",
            AccountKind::Vat => "4",
            AccountKind::Customer => "41",
            AccountKind::Supplier => "40",
            AccountKind::Bank => "51",
            AccountKind::Expense => "6",
        }
    }

    fn what(self) -> &'static str {
        match self {
            AccountKind::Revenue => "a revenue account (class 7)",
            AccountKind::Vat => "a VAT account (class 4)",
            AccountKind::Customer => "a customer account (41…)",
            AccountKind::Supplier => "a supplier account (40…)",
            AccountKind::Bank => "a bank account (51…)",
            AccountKind::Expense => "an expense account (class 6)",
        }
    }
}

/// An account number of `kind`, trimmed: 3 to 12 digits starting with its class, or the
/// reason it is refused.
pub fn account_number(input: &str, kind: AccountKind) -> Result<String, String> {
    let number = input.trim();
    if number.is_empty() {
        return Err("is required".to_owned());
    }
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be digits only".to_owned());
    }
    if !(ACCOUNT_MIN..=ACCOUNT_MAX).contains(&number.len()) {
        return Err(format!(
            "must be {ACCOUNT_MIN} to {ACCOUNT_MAX} digits long"
        ));
    }
    if !number.starts_with(kind.prefix()) {
        return Err(format!(
            "must be {}, starting with {}",
            kind.what(),
            kind.prefix()
        ));
    }
    Ok(number.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_french_defaults_follow_the_plan_comptable() {
        let defaults = AccountingSettings::french_defaults();
        let codes = [
            &defaults.sales_journal,
            &defaults.purchases_journal,
            &defaults.bank_journal,
        ]
        .map(|j| j.code.as_str());
        assert_eq!(codes, ["VT", "AC", "BQ"]);
        assert_eq!(defaults.customer_accounts, CustomerAccounts::PerCustomer);
        let rates: Vec<String> = defaults
            .rates
            .iter()
            .map(|r| r.vat_rate.normalize().to_string())
            .collect();
        assert_eq!(rates, ["20", "10", "5.5", "2.1", "0"]);
        assert_eq!(defaults.rates[2].goods_revenue_account, "707300");
        assert_eq!(defaults.rates[2].services_revenue_account, "706300");
        assert_eq!(defaults.rates[2].collected_vat_account, "445713");
        let checked = [
            (&defaults.customer_account, AccountKind::Customer),
            (&defaults.supplier_account, AccountKind::Supplier),
            (&defaults.bank_account, AccountKind::Bank),
            (&defaults.deductible_vat_account, AccountKind::Vat),
            (&defaults.expense_account, AccountKind::Expense),
        ];
        for (number, kind) in checked {
            assert_eq!(account_number(number, kind).as_ref(), Ok(number));
        }
        for rate in &defaults.rates {
            let revenue = AccountKind::Revenue;
            assert!(account_number(&rate.goods_revenue_account, revenue).is_ok());
            assert!(account_number(&rate.services_revenue_account, revenue).is_ok());
            assert!(account_number(&rate.collected_vat_account, AccountKind::Vat).is_ok());
        }
    }

    #[test]
    fn an_account_number_is_digits_of_its_class_and_length() {
        assert_eq!(
            account_number(" 411 ", AccountKind::Customer),
            Ok("411".to_owned())
        );
        assert_eq!(
            account_number("", AccountKind::Bank),
            Err("is required".to_owned())
        );
        assert_eq!(
            account_number("44566O", AccountKind::Vat),
            Err("must be digits only".to_owned())
        );
        assert_eq!(
            account_number("60", AccountKind::Expense),
            Err("must be 3 to 12 digits long".to_owned())
        );
        assert_eq!(
            account_number("7070001234567", AccountKind::Revenue),
            Err("must be 3 to 12 digits long".to_owned())
        );
        assert_eq!(
            account_number("401", AccountKind::Customer),
            Err("must be a customer account (41…), starting with 41".to_owned())
        );
    }

    #[test]
    fn customer_accounts_round_trip_through_their_stored_names() {
        for accounts in [CustomerAccounts::PerCustomer, CustomerAccounts::Collective] {
            assert_eq!(CustomerAccounts::parse(accounts.as_str()), Some(accounts));
        }
        assert_eq!(CustomerAccounts::parse("both"), None);
        assert_eq!(CustomerAccounts::default(), CustomerAccounts::PerCustomer);
    }
}
