//! `GetSellerProfile`: the legal identity exports print for a company.

use comptoir_proto::export::v1 as pb;
use comptoir_runtime::{Deps, error};
use tonic::{Request, Response, Status};

use super::authorize;
use crate::app;
use crate::domain::profile::SellerProfile;

pub(crate) async fn get_seller_profile(
    deps: &Deps,
    request: Request<pb::GetSellerProfileRequest>,
) -> Result<Response<pb::GetSellerProfileResponse>, Status> {
    let company_id = error::required_uuid("company_id", &request.get_ref().company_id)?;
    authorize(&request, company_id)?;
    let profile = app::profiles::seller_profile(&deps.pool, company_id).await?;
    Ok(Response::new(profile.into()))
}

impl From<SellerProfile> for pb::GetSellerProfileResponse {
    fn from(profile: SellerProfile) -> Self {
        pb::GetSellerProfileResponse {
            company_id: profile.company_id.to_string(),
            legal_name: profile.legal_name,
            siren: profile.siren,
        }
    }
}
