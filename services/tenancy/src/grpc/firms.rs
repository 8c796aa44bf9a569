//! The `comptoir.tenancy.v1.FirmService` implementation: accounting firms' grants on
//! client companies, and the firm members assigned to each client (see `app::firms`).

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::authorize;
use crate::app;
use crate::domain::access::firm_grant_role;

pub(crate) fn server(deps: Deps) -> pb::firm_service_server::FirmServiceServer<Firms> {
    pb::firm_service_server::FirmServiceServer::new(Firms { deps })
}

pub(crate) struct Firms {
    deps: Deps,
}

#[tonic::async_trait]
impl pb::firm_service_server::FirmService for Firms {
    async fn grant_firm_access(
        &self,
        request: Request<pb::GrantFirmAccessRequest>,
    ) -> Result<Response<pb::GrantFirmAccessResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let firm = violations.uuid("firm_id", &request.firm_id);
        violations.check("role", firm_grant_role(&request.role));
        if firm == Some(ctx.company) {
            violations.add("firm_id", "is the company itself");
        }
        violations.into_result()?;
        let firm = firm.unwrap_or_default();
        app::firms::grant_firm_access(&self.deps, &ctx, firm, &request.role).await?;
        Ok(Response::new(pb::GrantFirmAccessResponse {
            firm_id: firm.to_string(),
            company_id: ctx.company.to_string(),
            role: request.role,
        }))
    }

    async fn revoke_firm_access(
        &self,
        request: Request<pb::RevokeFirmAccessRequest>,
    ) -> Result<Response<pb::RevokeFirmAccessResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let mut violations = FieldViolations::new();
        let firm = violations.uuid("firm_id", &request.get_ref().firm_id);
        let company = violations.uuid("company_id", &request.get_ref().company_id);
        violations.into_result()?;
        let (firm, company) = (firm.unwrap_or_default(), company.unwrap_or_default());
        app::firms::revoke_firm_access(&self.deps, &ctx, firm, company).await?;
        Ok(Response::new(pb::RevokeFirmAccessResponse {}))
    }

    async fn set_portfolio_managers(
        &self,
        request: Request<pb::SetPortfolioManagersRequest>,
    ) -> Result<Response<pb::SetPortfolioManagersResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company = violations.uuid("company_id", &request.company_id);
        let users: Vec<Uuid> = request
            .user_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| violations.uuid(&format!("user_ids[{i}]"), id))
            .collect();
        violations.into_result()?;
        let company = company.unwrap_or_default();
        app::firms::set_portfolio_managers(&self.deps, &ctx, company, &users).await?;
        Ok(Response::new(pb::SetPortfolioManagersResponse {
            user_ids: users.iter().map(Uuid::to_string).collect(),
        }))
    }

    async fn create_client_company(
        &self,
        _: Request<pb::CreateClientCompanyRequest>,
    ) -> Result<Response<pb::CreateClientCompanyResponse>, Status> {
        Err(Status::unimplemented(
            "CreateClientCompany is not served yet",
        ))
    }

    async fn invite_director(
        &self,
        _: Request<pb::InviteDirectorRequest>,
    ) -> Result<Response<pb::InviteDirectorResponse>, Status> {
        Err(Status::unimplemented("InviteDirector is not served yet"))
    }

    async fn disconnect_client(
        &self,
        _: Request<pb::DisconnectClientRequest>,
    ) -> Result<Response<pb::DisconnectClientResponse>, Status> {
        Err(Status::unimplemented("DisconnectClient is not served yet"))
    }
}
