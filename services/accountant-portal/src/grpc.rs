//! The `comptoir.accountant_portal.v1.AccountantPortalService` implementation.

use comptoir_domain_types::permissions;
use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::page;
use comptoir_runtime::{Caller, Deps};
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::store::{self, DirectoryRow};

pub(crate) fn server(
    deps: Deps,
) -> pb::accountant_portal_service_server::AccountantPortalServiceServer<Portal> {
    pb::accountant_portal_service_server::AccountantPortalServiceServer::new(Portal { deps })
}

pub(crate) struct Portal {
    deps: Deps,
}

impl From<&DirectoryRow> for pb::DirectoryCompany {
    fn from(row: &DirectoryRow) -> Self {
        pb::DirectoryCompany {
            company_id: row.company_id.to_string(),
            legal_name: row.legal_name.clone(),
            siren: row.siren.clone(),
            is_firm: row.is_firm,
            create_time: Some(timestamp(row.created_at)),
        }
    }
}

#[tonic::async_trait]
impl pb::accountant_portal_service_server::AccountantPortalService for Portal {
    async fn list_directory_companies(
        &self,
        request: Request<pb::ListDirectoryCompaniesRequest>,
    ) -> Result<Response<pb::ListDirectoryCompaniesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let firm = caller.active_company()?;
        caller.require(firm, permissions::Permission::InvoicesRead)?;
        let request = request.into_inner();
        let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
        let mut rows = store::clients(&self.deps.pool, firm, after, page.fetch_limit())
            .await
            .map_err(Error::from)?;
        let next_page_token = page.finish(&mut rows, |row| {
            page::time_id_cursor(row.created_at, row.company_id)
        });
        Ok(Response::new(pb::ListDirectoryCompaniesResponse {
            companies: rows.iter().map(Into::into).collect(),
            next_page_token,
        }))
    }

    async fn enable_accounting_module(
        &self,
        _: Request<pb::EnableAccountingModuleRequest>,
    ) -> Result<Response<pb::EnableAccountingModuleResponse>, Status> {
        Err(Status::unimplemented("enable_accounting_module is not served yet"))
    }

    async fn create_client_company(
        &self,
        _: Request<pb::CreateClientCompanyRequest>,
    ) -> Result<Response<pb::CreateClientCompanyResponse>, Status> {
        Err(Status::unimplemented("create_client_company is not served yet"))
    }

    async fn invite_director(
        &self,
        _: Request<pb::InviteDirectorRequest>,
    ) -> Result<Response<pb::InviteDirectorResponse>, Status> {
        Err(Status::unimplemented("invite_director is not served yet"))
    }

    async fn list_clients(
        &self,
        _: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        Err(Status::unimplemented("list_clients is not served yet"))
    }

    async fn set_lock_dates(
        &self,
        _: Request<pb::SetLockDatesRequest>,
    ) -> Result<Response<pb::SetLockDatesResponse>, Status> {
        Err(Status::unimplemented("set_lock_dates is not served yet"))
    }

    async fn assign_portfolio_managers(
        &self,
        _: Request<pb::AssignPortfolioManagersRequest>,
    ) -> Result<Response<pb::AssignPortfolioManagersResponse>, Status> {
        Err(Status::unimplemented("assign_portfolio_managers is not served yet"))
    }

    async fn disconnect_clients(
        &self,
        _: Request<pb::DisconnectClientsRequest>,
    ) -> Result<Response<pb::DisconnectClientsResponse>, Status> {
        Err(Status::unimplemented("disconnect_clients is not served yet"))
    }

    async fn get_accounting_settings(
        &self,
        _: Request<pb::GetAccountingSettingsRequest>,
    ) -> Result<Response<pb::GetAccountingSettingsResponse>, Status> {
        Err(Status::unimplemented("get_accounting_settings is not served yet"))
    }

    async fn update_accounting_settings(
        &self,
        _: Request<pb::UpdateAccountingSettingsRequest>,
    ) -> Result<Response<pb::UpdateAccountingSettingsResponse>, Status> {
        Err(Status::unimplemented("update_accounting_settings is not served yet"))
    }

    type ImportClientCompaniesStream =
        tokio_stream::Empty<Result<pb::ImportClientCompaniesResponse, Status>>;

    async fn import_client_companies(
        &self,
        _: Request<tonic::Streaming<pb::ImportClientCompaniesRequest>>,
    ) -> Result<Response<Self::ImportClientCompaniesStream>, Status> {
        Err(Status::unimplemented("import_client_companies is not served yet"))
    }

    type ExportClientListStream =
        tokio_stream::Empty<Result<pb::ExportClientListResponse, Status>>;

    async fn export_client_list(
        &self,
        _: Request<pb::ExportClientListRequest>,
    ) -> Result<Response<Self::ExportClientListStream>, Status> {
        Err(Status::unimplemented("export_client_list is not served yet"))
    }
}
