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
}
