//! The legal identity printed on every export, kept from tenancy's company events.

use uuid::Uuid;

/// A company's seller profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SellerProfile {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) siren: String,
}
