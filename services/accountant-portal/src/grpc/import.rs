//! `ImportClientCompanies`: the file is gathered from the client's chunks (refused as
//! soon as it grows past the limit), its options read from the first chunk, then
//! `app::import` checks every row and creates the valid ones, and its reports are
//! streamed back as they come.

use std::pin::Pin;

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::{Deps, FieldViolations};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::app;
use crate::app::import::{ImportClients, Progress, file_refused};
use crate::domain::import::append_chunk;
use crate::error::Error;
use crate::grpc::authorize;
use crate::grpc::firm::director_invitation;
use crate::tenancy::{Authorization, Tenancy};

/// The reports of an import, as they come.
pub(crate) type ImportStream =
    Pin<Box<dyn Stream<Item = Result<pb::ImportClientCompaniesResponse, Status>> + Send>>;

pub(crate) async fn import_client_companies(
    deps: &Deps,
    tenancy: &Tenancy,
    request: Request<Streaming<pb::ImportClientCompaniesRequest>>,
) -> Result<Response<ImportStream>, Status> {
    let ctx = authorize(&request).map_err(Error::from)?;
    ctx.caller
        .require(ctx.firm_id, Permission::MembersManage)
        .map_err(Error::from)?;
    let authorization = Authorization::of(&request)?;
    let command = receive(request.into_inner()).await?;
    let reports = app::import::import_client_companies(
        ctx,
        deps.clone(),
        tenancy.clone(),
        authorization,
        command,
    )
    .await?;
    let stream = ReceiverStream::new(reports).map(|progress| Ok(encode(progress)));
    Ok(Response::new(Box::pin(stream)))
}

/// The import the chunks ask for: the file's bytes in order, the options of the first.
async fn receive(
    mut chunks: Streaming<pb::ImportClientCompaniesRequest>,
) -> Result<ImportClients, Status> {
    let mut command: Option<ImportClients> = None;
    while let Some(chunk) = chunks.message().await? {
        let command = match &mut command {
            Some(command) => command,
            None => command.insert(options(&chunk)?),
        };
        append_chunk(&mut command.file, &chunk.chunk).map_err(|err| file_refused(&err))?;
    }
    // No chunk at all is an empty file, refused as such by the app.
    Ok(command.unwrap_or(ImportClients {
        file: Vec::new(),
        dry_run: false,
        invite_director: false,
    }))
}

/// The options a first chunk carries.
fn options(first: &pb::ImportClientCompaniesRequest) -> Result<ImportClients, Error> {
    let mut violations = FieldViolations::new();
    let invite_director = director_invitation(first.invite_director, &mut violations);
    match invite_director {
        Some(invite_director) if violations.is_empty() => Ok(ImportClients {
            file: Vec::new(),
            dry_run: first.dry_run,
            invite_director,
        }),
        _ => Err(violations.into()),
    }
}

/// A report as the contract's message; counts past `i32::MAX` (never, with files of at
/// most 10 MiB) would show as `i32::MAX`.
fn encode(progress: Progress) -> pb::ImportClientCompaniesResponse {
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    pb::ImportClientCompaniesResponse {
        rows_read: count(progress.rows_read),
        rows_valid: count(progress.rows_valid),
        rows_created: count(progress.rows_created),
        rows_failed: count(progress.rows_failed),
        done: progress.done,
        errors: progress
            .errors
            .into_iter()
            .map(|error| pb::ImportRowError {
                line: count(error.line),
                field: error.field,
                reason: error.reason,
            })
            .collect(),
    }
}
