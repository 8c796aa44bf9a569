//! Tenancy's application layer: one function per command or query. Each takes the
//! authorised caller ([`Ctx`]) or the user a call acts for, opens its transaction through
//! [`store::begin`] (which names the acting company and user for row-level security),
//! applies the domain's rules, calls the store, enqueues the events and commits. The gRPC
//! layer decodes, authorises, calls one function here and encodes the answer; nothing here
//! sees a `tonic::Status`.

pub(crate) mod access;
pub(crate) mod audit;
pub(crate) mod companies;

use uuid::Uuid;

use crate::domain::access::Access;

/// The caller of a request: a user acting on their active company, with their live
/// access to it.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The company the caller's token is scoped to.
    pub(crate) company: Uuid,
    /// The user behind the call.
    pub(crate) user: Uuid,
    /// What the user may do on the company, as read when the call was authorised.
    pub(crate) access: Access,
}
