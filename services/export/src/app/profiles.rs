//! The seller profile of a company, as exports print it.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::profile::SellerProfile;
use crate::error::Error;
use crate::store;

/// The profile of `company_id`; a company export has not heard of is
/// [`Error::ProfileNotFound`].
pub(crate) async fn seller_profile(
    pool: &PgPool,
    company_id: Uuid,
) -> Result<SellerProfile, Error> {
    let mut tx = store::begin(pool, company_id).await?;
    let profile = store::profiles::profile(&mut tx, company_id)
        .await?
        .ok_or(Error::ProfileNotFound(company_id))?;
    tx.commit().await?;
    Ok(profile)
}
