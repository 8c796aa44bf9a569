//! The `comptoir.tenancy.v1.AccessService` implementation: identity's question "may this
//! user act on this company, with what", for service tokens only.

use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::{Caller, Deps, FieldViolations};
use tonic::{Request, Response, Status};

use crate::app;

pub(crate) fn server(deps: Deps) -> pb::access_service_server::AccessServiceServer<AccessGrpc> {
    pb::access_service_server::AccessServiceServer::new(AccessGrpc { deps })
}

pub(crate) struct AccessGrpc {
    deps: Deps,
}

#[tonic::async_trait]
impl pb::access_service_server::AccessService for AccessGrpc {
    async fn check_access(
        &self,
        request: Request<pb::CheckAccessRequest>,
    ) -> Result<Response<pb::CheckAccessResponse>, Status> {
        Caller::of(&request)?.require_service()?;
        let mut violations = FieldViolations::new();
        let user = violations.uuid("user_id", &request.get_ref().user_id);
        let company = violations.uuid("company_id", &request.get_ref().company_id);
        violations.into_result()?;
        let (Some(user), Some(company)) = (user, company) else {
            unreachable!("validated above")
        };
        let access = app::access::check_access(&self.deps.pool, user, company).await?;
        Ok(Response::new(pb::CheckAccessResponse {
            role: access.role,
            permissions: access.permissions,
            through_firm: access.through_firm,
        }))
    }
}
