//! The `comptoir.accountant_portal.v1.AccountantPortalService` edge: the server's wiring,
//! authorising the caller for its firm ([`authorize`]), and the one trait impl, whose
//! methods each delegate to the module of their concern (`clients`, …). Each RPC decodes
//! its request, authorises, calls one `app` function and encodes the answer; the
//! service's `Error` becomes a `tonic::Status` here, through `From<Error> for Status`.
//! The RPCs not served yet answer UNIMPLEMENTED.

pub(crate) mod accountants;
pub(crate) mod bulk;
pub(crate) mod clients;
pub(crate) mod firm;
pub(crate) mod import;
pub(crate) mod settings;

use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::caller::AuthError;
use comptoir_runtime::{Caller, Deps};
use tonic::{Request, Response, Status};

use crate::app::Ctx;
use crate::peers::Peers;
use crate::tenancy::Tenancy;

pub(crate) fn server(
    deps: Deps,
    tenancy: Tenancy,
    peers: Peers,
) -> pb::accountant_portal_service_server::AccountantPortalServiceServer<Portal> {
    pb::accountant_portal_service_server::AccountantPortalServiceServer::new(Portal {
        deps,
        tenancy,
        peers,
    })
}

pub(crate) struct Portal {
    deps: Deps,
    /// Tenancy's firm calls, made with the caller's token.
    tenancy: Tenancy,
    /// Identity's and billing's calls, made with the caller's rights.
    peers: Peers,
}

/// Authorises the caller of `request` for its active company, the firm whose portfolio
/// the call works on. Which clients of the firm it reaches is decided by the app
/// function, from the caller's permissions in the firm and its assignments.
pub(crate) fn authorize<T>(request: &Request<T>) -> Result<Ctx, AuthError> {
    let caller = Caller::of(request)?.clone();
    let firm_id = caller.active_company()?;
    Ok(Ctx {
        firm_id,
        actor: caller.actor(),
        caller,
    })
}

#[tonic::async_trait]
impl pb::accountant_portal_service_server::AccountantPortalService for Portal {
    async fn enable_accounting_module(
        &self,
        request: Request<pb::EnableAccountingModuleRequest>,
    ) -> Result<Response<pb::EnableAccountingModuleResponse>, Status> {
        firm::enable_accounting_module(&self.deps, request).await
    }

    async fn create_client_company(
        &self,
        request: Request<pb::CreateClientCompanyRequest>,
    ) -> Result<Response<pb::CreateClientCompanyResponse>, Status> {
        firm::create_client_company(&self.deps, &self.tenancy, request).await
    }

    async fn invite_director(
        &self,
        request: Request<pb::InviteDirectorRequest>,
    ) -> Result<Response<pb::InviteDirectorResponse>, Status> {
        firm::invite_director(&self.deps, &self.tenancy, request).await
    }

    async fn list_clients(
        &self,
        request: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        clients::list_clients(&self.deps, request).await
    }

    async fn set_lock_dates(
        &self,
        request: Request<pb::SetLockDatesRequest>,
    ) -> Result<Response<pb::SetLockDatesResponse>, Status> {
        bulk::set_lock_dates(&self.deps, &self.peers, request).await
    }

    async fn assign_portfolio_managers(
        &self,
        request: Request<pb::AssignPortfolioManagersRequest>,
    ) -> Result<Response<pb::AssignPortfolioManagersResponse>, Status> {
        bulk::assign_portfolio_managers(&self.deps, &self.tenancy, request).await
    }

    async fn disconnect_clients(
        &self,
        request: Request<pb::DisconnectClientsRequest>,
    ) -> Result<Response<pb::DisconnectClientsResponse>, Status> {
        bulk::disconnect_clients(&self.deps, &self.tenancy, request).await
    }

    async fn get_accounting_settings(
        &self,
        request: Request<pb::GetAccountingSettingsRequest>,
    ) -> Result<Response<pb::GetAccountingSettingsResponse>, Status> {
        settings::get_accounting_settings(&self.deps, request).await
    }

    async fn update_accounting_settings(
        &self,
        request: Request<pb::UpdateAccountingSettingsRequest>,
    ) -> Result<Response<pb::UpdateAccountingSettingsResponse>, Status> {
        settings::update_accounting_settings(&self.deps, request).await
    }

    type ImportClientCompaniesStream = import::ImportStream;

    async fn import_client_companies(
        &self,
        request: Request<tonic::Streaming<pb::ImportClientCompaniesRequest>>,
    ) -> Result<Response<Self::ImportClientCompaniesStream>, Status> {
        import::import_client_companies(&self.deps, &self.tenancy, request).await
    }

    type ExportClientListStream = clients::ExportStream;

    async fn export_client_list(
        &self,
        request: Request<pb::ExportClientListRequest>,
    ) -> Result<Response<Self::ExportClientListStream>, Status> {
        clients::export_client_list(&self.deps, request).await
    }
}
