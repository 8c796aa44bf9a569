//! The `comptoir.export.v1.ExportService` implementation.

use comptoir_domain_types::permissions;
use comptoir_proto::export::v1 as pb;
use comptoir_runtime::error;
use comptoir_runtime::{Caller, Deps};
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store;

pub(crate) fn server(deps: Deps) -> pb::export_service_server::ExportServiceServer<Export> {
    pb::export_service_server::ExportServiceServer::new(Export { deps })
}

pub(crate) struct Export {
    deps: Deps,
}

#[tonic::async_trait]
impl pb::export_service_server::ExportService for Export {
    async fn get_seller_profile(
        &self,
        request: Request<pb::GetSellerProfileRequest>,
    ) -> Result<Response<pb::GetSellerProfileResponse>, Status> {
        let company_id = error::required_uuid("company_id", &request.get_ref().company_id)?;
        Caller::of(&request)?.require(company_id, permissions::Permission::ExportsRead)?;
        let profile = store::profile(&self.deps.pool, company_id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::ProfileNotFound(company_id.to_string()))?;
        Ok(Response::new(pb::GetSellerProfileResponse {
            company_id: profile.company_id.to_string(),
            legal_name: profile.legal_name,
            siren: profile.siren,
        }))
    }
}
