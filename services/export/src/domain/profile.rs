//! The legal identity printed on every export, and the bank account invoices are paid
//! into, kept from tenancy's company events.

use comptoir_domain_types::bank::BankAccount;
use uuid::Uuid;

use super::documents::PostalAddress;

/// A company's seller profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SellerProfile {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) siren: String,
}

/// A company's whole legal identity, as invoices print it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SellerIdentity {
    pub(crate) legal_name: String,
    pub(crate) siren: String,
    pub(crate) siret: String,
    /// E.g. "SAS"; empty when not provided.
    pub(crate) legal_form: String,
    pub(crate) vat_number: String,
    pub(crate) rcs_city: String,
    /// Decimal text; empty when not provided.
    pub(crate) share_capital_amount: String,
    pub(crate) share_capital_currency: String,
    pub(crate) address: PostalAddress,
    /// The account invoices are paid into: printed in the payment terms, and the payment
    /// means of the e-invoice. None when the company gave none.
    pub(crate) bank_account: Option<BankAccount>,
}
