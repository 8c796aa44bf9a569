//! The portal's calls to identity and billing, made for the caller with the caller's own
//! rights: identity trades the caller's token (their `authorization`, forwarded as
//! received) for one scoped to a client (IssueCompanyToken, which asks tenancy whether
//! the caller may act there), and billing acts on that client with that token. The
//! portal never acts on its own say-so, so billing's and tenancy's rules apply to the
//! person, as if they had switched into the client themselves.
//!
//! A refusal comes back as identity's or billing's status, unchanged.

use chrono::NaiveDate;
use comptoir_proto::billing::v1 as billing_pb;
use comptoir_proto::identity::v1 as identity_pb;
use comptoir_runtime::channel::lazy_channel;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::error::Error;
use crate::tenancy::{Authorization, CALL_TIMEOUT, Propagate, forwarded};

/// A channel with the caller's trace context propagated.
type Traced = InterceptedService<Channel, Propagate>;

/// Identity's and billing's clients.
#[derive(Clone, Debug)]
pub(crate) struct Peers {
    identity: Channel,
    /// None without COMPTOIR_BILLING_URL: billing's calls answer UNAVAILABLE.
    billing: Option<Channel>,
}

impl Peers {
    /// Lazy clients of identity at `identity_url` (the address the portal fetches its
    /// keys from) and of billing at `billing_url`, when set.
    pub(crate) fn new(identity_url: &str, billing_url: Option<&str>) -> anyhow::Result<Self> {
        Ok(Self {
            identity: lazy_channel(identity_url, "COMPTOIR_IDENTITY_URL", CALL_TIMEOUT)?,
            billing: billing_url
                .map(|url| lazy_channel(url, "COMPTOIR_BILLING_URL", CALL_TIMEOUT))
                .transpose()?,
        })
    }

    fn identity(&self) -> identity_pb::identity_service_client::IdentityServiceClient<Traced> {
        identity_pb::identity_service_client::IdentityServiceClient::with_interceptor(
            self.identity.clone(),
            comptoir_runtime::telemetry::propagate_context as Propagate,
        )
    }

    fn billing(
        &self,
    ) -> Result<billing_pb::billing_service_client::BillingServiceClient<Traced>, Error> {
        let channel = self.billing.clone().ok_or(Error::BillingNotConfigured)?;
        Ok(
            billing_pb::billing_service_client::BillingServiceClient::with_interceptor(
                channel,
                comptoir_runtime::telemetry::propagate_context as Propagate,
            ),
        )
    }

    /// A token of the caller's session scoped to `company_id`, with the caller's rights
    /// there as tenancy gives them; identity refuses (PERMISSION_DENIED) a company the
    /// caller may not act on.
    pub(crate) async fn company_token(
        &self,
        authorization: &Authorization,
        company_id: Uuid,
    ) -> Result<Authorization, Error> {
        let request = identity_pb::IssueCompanyTokenRequest {
            company_id: company_id.to_string(),
        };
        let issued = self
            .identity()
            .issue_company_token(forwarded(request, authorization))
            .await
            .map_err(Error::Identity)?
            .into_inner();
        Authorization::bearer(&issued.access_token)
    }

    /// Sets the lock date (None clears it) of the company `company_token` is scoped to,
    /// giving `reason`; billing decides whether the token's holder may.
    pub(crate) async fn set_lock_date(
        &self,
        company_token: &Authorization,
        lock_date: Option<NaiveDate>,
        reason: &str,
    ) -> Result<(), Error> {
        let request = billing_pb::SetLockDateRequest {
            lock_date: lock_date.map(|date| date.to_string()).unwrap_or_default(),
            reason: reason.to_owned(),
        };
        self.billing()?
            .set_lock_date(forwarded(request, company_token))
            .await
            .map_err(Error::Billing)?;
        Ok(())
    }
}
