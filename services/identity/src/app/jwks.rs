//! The public keys other services verify tokens with.

use comptoir_runtime::auth::PublicKey;

use super::Ctx;
use crate::error::Error;
use crate::store;

/// Every key that may have signed a live token, newest first.
pub(crate) async fn jwks(ctx: &Ctx) -> Result<Vec<PublicKey>, Error> {
    Ok(store::keys::public_keys(ctx.pool()).await?)
}
