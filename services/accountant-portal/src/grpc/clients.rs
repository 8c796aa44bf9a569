//! The client list's RPCs: `ListClients`, `ExportClientList` and, until `ListClients`
//! replaces it, `ListDirectoryCompanies`; their decoding and the proto encoding of a
//! client.

use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::Deps;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::page;
use tonic::{Request, Response, Status};

use crate::app;
use crate::error::Error;
use crate::grpc::authorize;
use crate::store::clients::DirectoryRow;

/// The stream of an exported file's chunks.
pub(crate) type ExportStream = tokio_stream::Empty<Result<pb::ExportClientListResponse, Status>>;

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

pub(crate) async fn list_directory_companies(
    deps: &Deps,
    request: Request<pb::ListDirectoryCompaniesRequest>,
) -> Result<Response<pb::ListDirectoryCompaniesResponse>, Status> {
    let ctx = authorize(&request).map_err(Error::from)?;
    let request = request.into_inner();
    let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
    let mut rows = app::clients::list_directory(&ctx, deps, after, page.fetch_limit()).await?;
    let next_page_token = page.finish(&mut rows, |row| {
        page::time_id_cursor(row.created_at, row.company_id)
    });
    Ok(Response::new(pb::ListDirectoryCompaniesResponse {
        companies: rows.iter().map(Into::into).collect(),
        next_page_token,
    }))
}

pub(crate) async fn list_clients(
    _: &Deps,
    _: Request<pb::ListClientsRequest>,
) -> Result<Response<pb::ListClientsResponse>, Status> {
    Err(Status::unimplemented("list_clients is not served yet"))
}

pub(crate) async fn export_client_list(
    _: &Deps,
    _: Request<pb::ExportClientListRequest>,
) -> Result<Response<ExportStream>, Status> {
    Err(Status::unimplemented(
        "export_client_list is not served yet",
    ))
}
