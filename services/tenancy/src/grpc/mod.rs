//! Tenancy's gRPC edge: one module per proto service. Each RPC decodes its request into
//! domain values (every bad field named by its path), authorises the caller, calls one
//! `app` function and encodes the answer. Proto types stop here, and the service's
//! `Error` becomes a `tonic::Status` here, through `From<Error> for Status`.

pub(crate) mod access;
pub(crate) mod audit;
pub(crate) mod companies;
pub(crate) mod firms;
pub(crate) mod members;

use comptoir_domain_types::permissions::Permission;
use comptoir_runtime::Caller;
use tonic::Request;
use uuid::Uuid;

use crate::app::{self, Ctx};
use crate::error::Error;

/// The user behind a call that acts for a person.
pub(crate) fn user_of<T>(request: &Request<T>) -> Result<Uuid, Error> {
    match Caller::of(request)? {
        Caller::User { user_id, .. } => Ok(*user_id),
        Caller::Service { .. } => Err(Error::UserRequired),
    }
}

/// The caller's active company and their live access to it, with `permission` checked
/// (see [`app::access::authorize`]).
pub(crate) async fn authorize<T>(
    pool: &sqlx::PgPool,
    request: &Request<T>,
    permission: Option<Permission>,
) -> Result<Ctx, Error> {
    let Caller::User {
        user_id,
        company_id,
        ..
    } = Caller::of(request)?
    else {
        return Err(Error::UserRequired);
    };
    app::access::authorize(pool, *user_id, *company_id, permission).await
}
