//! Conversions between the shared messages of `comptoir.types.v1` and the vocabulary of
//! `comptoir_domain_types`, the accounting settings of `comptoir.accountant_portal.v1`
//! (the portal's answers and its `accounting_settings.changed`, read by export) and
//! theirs, a company's bank account, and the one place the company events' legal identity
//! is written and read. Since field 24, `CompanyCreated` and `CompanyUpdated` carry it as
//! `identity`, and still fill the deprecated flat fields from the same value for consumers
//! not yet reading it; events already in the stream carry only the flat fields. Writers
//! call `with_legal_identity`, readers `legal_identity`, so neither copies the fields.

use comptoir_domain_types::amount::format_plain;
use comptoir_domain_types::{accounting, bank, fields, party};

use crate::accountant_portal::v1 as portal;
use crate::events::v1::{CompanyCreated, CompanyUpdated};
use crate::types::v1::{BankAccount, LegalIdentity, PostalAddress};

impl From<&party::PostalAddress> for PostalAddress {
    fn from(address: &party::PostalAddress) -> Self {
        address.clone().into()
    }
}

impl From<party::PostalAddress> for PostalAddress {
    fn from(address: party::PostalAddress) -> Self {
        let party::PostalAddress {
            line1,
            line2,
            postal_code,
            city,
            country_code,
        } = address;
        PostalAddress {
            line1,
            line2,
            postal_code,
            city,
            country_code,
        }
    }
}

/// The address as sent, unchecked: a service that must check it parses it with
/// `party::PostalAddress::parse` (through `RawAddress::from`).
impl From<PostalAddress> for party::PostalAddress {
    fn from(address: PostalAddress) -> Self {
        let PostalAddress {
            line1,
            line2,
            postal_code,
            city,
            country_code,
        } = address;
        party::PostalAddress {
            line1,
            line2,
            postal_code,
            city,
            country_code,
        }
    }
}

impl From<&bank::BankAccount> for BankAccount {
    fn from(account: &bank::BankAccount) -> Self {
        BankAccount {
            iban: account.iban.as_str().to_owned(),
            bic: account
                .bic
                .as_ref()
                .map(|bic| bic.as_str().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// An account as sent, parsed ([`bank::BankAccount::parse`]): each bad field under `iban`
/// or `bic`. An account with an empty IBAN is refused too, since the message's presence
/// is what says there is an account. Readers of tenancy's events, which only carry
/// accounts tenancy checked, take `.ok()`.
impl TryFrom<&BankAccount> for bank::BankAccount {
    type Error = fields::Violations;

    fn try_from(account: &BankAccount) -> Result<Self, Self::Error> {
        let mut violations = fields::Violations::new();
        match bank::BankAccount::parse(&account.iban, &account.bic, &mut violations) {
            Some(Some(account)) => Ok(account),
            Some(None) => {
                fields::add(&mut violations, "iban", "is required");
                Err(violations)
            }
            None => Err(violations),
        }
    }
}

impl From<accounting::CustomerAccounts> for portal::CustomerAccounts {
    fn from(accounts: accounting::CustomerAccounts) -> Self {
        match accounts {
            accounting::CustomerAccounts::PerCustomer => portal::CustomerAccounts::PerCustomer,
            accounting::CustomerAccounts::Collective => portal::CustomerAccounts::Collective,
        }
    }
}

/// Unspecified is one account per customer, the default.
impl From<portal::CustomerAccounts> for accounting::CustomerAccounts {
    fn from(accounts: portal::CustomerAccounts) -> Self {
        match accounts {
            portal::CustomerAccounts::Unspecified | portal::CustomerAccounts::PerCustomer => {
                accounting::CustomerAccounts::PerCustomer
            }
            portal::CustomerAccounts::Collective => accounting::CustomerAccounts::Collective,
        }
    }
}

impl From<&accounting::Journal> for portal::Journal {
    fn from(journal: &accounting::Journal) -> Self {
        portal::Journal {
            code: journal.code.clone(),
            label: journal.label.clone(),
        }
    }
}

/// The settings as the contract shapes them: rates as plain decimals ("5.5").
impl From<&accounting::AccountingSettings> for portal::AccountingSettings {
    fn from(settings: &accounting::AccountingSettings) -> Self {
        portal::AccountingSettings {
            sales_journal: Some((&settings.sales_journal).into()),
            purchases_journal: Some((&settings.purchases_journal).into()),
            bank_journal: Some((&settings.bank_journal).into()),
            customer_accounts: portal::CustomerAccounts::from(settings.customer_accounts).into(),
            customer_account: settings.customer_account.clone(),
            supplier_account: settings.supplier_account.clone(),
            bank_account: settings.bank_account.clone(),
            deductible_vat_account: settings.deductible_vat_account.clone(),
            rates: settings
                .rates
                .iter()
                .map(|rate| portal::RateAccounts {
                    vat_rate: format_plain(rate.vat_rate),
                    goods_revenue_account: rate.goods_revenue_account.clone(),
                    services_revenue_account: rate.services_revenue_account.clone(),
                    collected_vat_account: rate.collected_vat_account.clone(),
                })
                .collect(),
            expense_account: settings.expense_account.clone(),
        }
    }
}

/// Settings as sent, unchecked, for a reader of settings the portal already checked (an
/// `accounting_settings.changed`): an absent journal has an empty code and label, an
/// unknown customer accounts value is one account per customer, and a rate whose text is
/// not a decimal is left out. A service that must check settings (the portal, on an
/// update) parses the message itself, naming each bad field.
impl From<portal::AccountingSettings> for accounting::AccountingSettings {
    fn from(settings: portal::AccountingSettings) -> Self {
        let customer_accounts = settings.customer_accounts().into();
        let journal = |journal: Option<portal::Journal>| {
            let portal::Journal { code, label } = journal.unwrap_or_default();
            accounting::Journal { code, label }
        };
        accounting::AccountingSettings {
            sales_journal: journal(settings.sales_journal),
            purchases_journal: journal(settings.purchases_journal),
            bank_journal: journal(settings.bank_journal),
            customer_accounts,
            customer_account: settings.customer_account,
            supplier_account: settings.supplier_account,
            bank_account: settings.bank_account,
            deductible_vat_account: settings.deductible_vat_account,
            rates: settings
                .rates
                .into_iter()
                .filter_map(|rate| {
                    Some(accounting::RateAccounts {
                        vat_rate: rate.vat_rate.parse().ok()?,
                        goods_revenue_account: rate.goods_revenue_account,
                        services_revenue_account: rate.services_revenue_account,
                        collected_vat_account: rate.collected_vat_account,
                    })
                })
                .collect(),
            expense_account: settings.expense_account,
        }
    }
}

/// The identity accessors of a company event; both events share the field numbers.
macro_rules! company_identity {
    ($event:ty) => {
        // The flat fields are deprecated on the wire; these two functions are the only
        // code that reads or writes them.
        #[allow(deprecated)]
        impl $event {
            /// The company's legal identity: `identity` when the event carries it, else
            /// the flat fields of an event published before `identity` existed.
            pub fn legal_identity(&self) -> LegalIdentity {
                if let Some(identity) = &self.identity {
                    return identity.clone();
                }
                LegalIdentity {
                    legal_name: self.legal_name.clone(),
                    siren: self.siren.clone(),
                    nic: self.nic.clone(),
                    siret: self.siret.clone(),
                    legal_form: self.legal_form.clone(),
                    ape_code: self.ape_code.clone(),
                    vat_number: self.vat_number.clone(),
                    rcs_city: self.rcs_city.clone(),
                    share_capital_amount: self.share_capital_amount.clone(),
                    share_capital_currency_code: self.share_capital_currency_code.clone(),
                    address: Some(PostalAddress {
                        line1: self.address_line1.clone(),
                        line2: self.address_line2.clone(),
                        postal_code: self.address_postal_code.clone(),
                        city: self.address_city.clone(),
                        country_code: self.address_country_code.clone(),
                    }),
                }
            }

            /// The event carrying `identity`, both as `identity` and, from the same value,
            /// in the deprecated flat fields.
            pub fn with_legal_identity(self, identity: LegalIdentity) -> Self {
                let address = identity.address.clone().unwrap_or_default();
                Self {
                    legal_name: identity.legal_name.clone(),
                    siren: identity.siren.clone(),
                    nic: identity.nic.clone(),
                    siret: identity.siret.clone(),
                    legal_form: identity.legal_form.clone(),
                    ape_code: identity.ape_code.clone(),
                    vat_number: identity.vat_number.clone(),
                    rcs_city: identity.rcs_city.clone(),
                    share_capital_amount: identity.share_capital_amount.clone(),
                    share_capital_currency_code: identity.share_capital_currency_code.clone(),
                    address_line1: address.line1,
                    address_line2: address.line2,
                    address_postal_code: address.postal_code,
                    address_city: address.city,
                    address_country_code: address.country_code,
                    identity: Some(identity),
                    ..self
                }
            }
        }
    };
}

company_identity!(CompanyCreated);
company_identity!(CompanyUpdated);

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    fn dupont() -> LegalIdentity {
        LegalIdentity {
            legal_name: "Boulangerie Dupont".to_owned(),
            siren: "732829320".to_owned(),
            nic: "00074".to_owned(),
            siret: "73282932000074".to_owned(),
            legal_form: "SARL".to_owned(),
            ape_code: "1071C".to_owned(),
            vat_number: "FR44732829320".to_owned(),
            rcs_city: "Lyon".to_owned(),
            share_capital_amount: "10000.00".to_owned(),
            share_capital_currency_code: "EUR".to_owned(),
            address: Some(PostalAddress {
                line1: "1 rue de la République".to_owned(),
                line2: "2e étage".to_owned(),
                postal_code: "69001".to_owned(),
                city: "Lyon".to_owned(),
                country_code: "FR".to_owned(),
            }),
        }
    }

    #[test]
    fn an_event_with_only_the_flat_fields_and_one_with_only_identity_read_the_same() {
        // As tenancy published them before `identity`.
        let flat = CompanyCreated {
            legal_name: "Boulangerie Dupont".to_owned(),
            siren: "732829320".to_owned(),
            nic: "00074".to_owned(),
            siret: "73282932000074".to_owned(),
            legal_form: "SARL".to_owned(),
            ape_code: "1071C".to_owned(),
            vat_number: "FR44732829320".to_owned(),
            rcs_city: "Lyon".to_owned(),
            share_capital_amount: "10000.00".to_owned(),
            share_capital_currency_code: "EUR".to_owned(),
            address_line1: "1 rue de la République".to_owned(),
            address_line2: "2e étage".to_owned(),
            address_postal_code: "69001".to_owned(),
            address_city: "Lyon".to_owned(),
            address_country_code: "FR".to_owned(),
            version: 1,
            ..Default::default()
        }
        .encode_to_vec();
        let identity_only = CompanyUpdated {
            identity: Some(dupont()),
            version: 2,
            ..Default::default()
        }
        .encode_to_vec();
        for payload in [flat, identity_only] {
            let event = CompanyCreated::decode(payload.as_slice()).unwrap();
            assert_eq!(event.legal_identity(), dupont());
        }
    }

    #[test]
    fn a_published_identity_fills_identity_and_the_flat_fields_alike() {
        let payload = CompanyUpdated::default()
            .with_legal_identity(dupont())
            .encode_to_vec();
        let event = CompanyCreated::decode(payload.as_slice()).unwrap();
        assert_eq!(event.identity, Some(dupont()));
        let flat = CompanyCreated {
            identity: None,
            ..event
        };
        assert_eq!(flat.legal_identity(), dupont());
    }

    #[test]
    fn accounting_settings_cross_the_wire_unchanged() {
        let mut settings = accounting::AccountingSettings::french_defaults();
        settings.customer_accounts = accounting::CustomerAccounts::Collective;
        let sent = portal::AccountingSettings::from(&settings);
        let rates: Vec<&str> = sent.rates.iter().map(|r| r.vat_rate.as_str()).collect();
        assert_eq!(rates, ["20", "10", "5.5", "2.1", "0"]);
        assert_eq!(
            sent.customer_accounts(),
            portal::CustomerAccounts::Collective
        );
        let received = portal::AccountingSettings::decode(sent.encode_to_vec().as_slice()).unwrap();
        assert_eq!(accounting::AccountingSettings::from(received), settings);
    }

    #[test]
    fn settings_read_unchecked_fill_what_is_missing_and_drop_a_rate_not_decimal() {
        let mut sent =
            portal::AccountingSettings::from(&accounting::AccountingSettings::french_defaults());
        sent.bank_journal = None;
        sent.customer_accounts = portal::CustomerAccounts::Unspecified.into();
        sent.rates[1].vat_rate = "dix".to_owned();
        let read = accounting::AccountingSettings::from(sent);
        assert_eq!(read.bank_journal.code, "");
        assert_eq!(
            read.customer_accounts,
            accounting::CustomerAccounts::PerCustomer
        );
        let rates: Vec<String> = read
            .rates
            .iter()
            .map(|r| format_plain(r.vat_rate))
            .collect();
        assert_eq!(rates, ["20", "5.5", "2.1", "0"]);
    }

    #[test]
    fn a_bank_account_crosses_the_wire_unchanged_and_a_bad_one_is_refused() {
        let mut violations = fields::Violations::new();
        let account = bank::BankAccount::parse(
            "FR76 3000 6000 0112 3456 7890 189",
            "BNPAFRPP",
            &mut violations,
        )
        .unwrap()
        .unwrap();
        let sent = BankAccount::from(&account);
        assert_eq!(
            (sent.iban.as_str(), sent.bic.as_str()),
            ("FR7630006000011234567890189", "BNPAFRPP")
        );
        assert_eq!(bank::BankAccount::try_from(&sent), Ok(account));
        let without_bic = BankAccount {
            bic: String::new(),
            ..sent
        };
        assert_eq!(
            bank::BankAccount::try_from(&without_bic).map(|a| a.bic),
            Ok(None)
        );
        assert_eq!(
            bank::BankAccount::try_from(&BankAccount::default()),
            Err(vec![("iban".to_owned(), "is required".to_owned())])
        );
    }

    #[test]
    fn an_address_crosses_the_wire_unchanged() {
        let address = party::PostalAddress {
            line1: "1 rue de la Paix".to_owned(),
            line2: String::new(),
            postal_code: "75002".to_owned(),
            city: "Paris".to_owned(),
            country_code: "FR".to_owned(),
        };
        let sent = PostalAddress::from(&address);
        assert_eq!(
            (sent.line1.as_str(), sent.postal_code.as_str()),
            ("1 rue de la Paix", "75002")
        );
        assert_eq!(party::PostalAddress::from(sent), address);
    }
}
