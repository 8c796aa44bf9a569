//! Identity's one outgoing call: tenancy's `AccessService.CheckAccess`, made with a
//! service token identity signs for itself, to learn a user's role and permissions on a
//! company before scoping a token to it.

use std::time::Duration;

use comptoir_proto::tenancy::v1::{CheckAccessRequest, access_service_client::AccessServiceClient};
use comptoir_runtime::auth::{self, Claims};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::error::Error;
use crate::keys;

/// A user's rights on a company, as tenancy answered.
#[derive(Debug, Clone)]
pub(crate) struct Rights {
    pub(crate) company_id: Uuid,
    pub(crate) role: String,
    pub(crate) permissions: Vec<String>,
}

/// A client of tenancy's access checks; absent when no tenancy URL is configured.
#[derive(Clone)]
pub(crate) struct Tenancy {
    channel: Option<Channel>,
}

impl Tenancy {
    /// A lazy client for `url` (nothing connects until the first check).
    pub(crate) fn new(url: Option<&str>) -> anyhow::Result<Self> {
        let channel = match url {
            Some(url) => Some(
                tonic::transport::Endpoint::from_shared(url.to_owned())
                    .map_err(|err| anyhow::anyhow!("COMPTOIR_TENANCY_URL `{url}`: {err}"))?
                    .connect_timeout(Duration::from_secs(5))
                    .timeout(Duration::from_secs(5))
                    .connect_lazy(),
            ),
            None => None,
        };
        Ok(Self { channel })
    }

    /// The user's rights on the company, or None when tenancy says no.
    pub(crate) async fn check(
        &self,
        signer: &keys::Signer,
        issuer: &str,
        audience: &str,
        user: Uuid,
        company: Uuid,
    ) -> Result<Option<Rights>, Error> {
        let channel = self.channel.clone().ok_or(Error::SwitchUnavailable(
            "no tenancy address is configured (COMPTOIR_TENANCY_URL)".to_owned(),
        ))?;
        let key = signer.key().await?;
        let token = auth::sign(
            &Claims::new("service:identity", issuer, audience),
            &key.kid,
            &key.private_der,
        )
        .map_err(|err| Error::Crypto(err.to_string()))?;
        let mut request = tonic::Request::new(CheckAccessRequest {
            user_id: user.to_string(),
            company_id: company.to_string(),
        });
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}")
                .parse()
                .map_err(|_| Error::Crypto("token is not ASCII".to_owned()))?,
        );
        let mut client = AccessServiceClient::with_interceptor(
            channel,
            comptoir_runtime::telemetry::propagate_context,
        );
        match client.check_access(request).await {
            Ok(answer) => {
                let answer = answer.into_inner();
                Ok(Some(Rights {
                    company_id: company,
                    role: answer.role,
                    permissions: answer.permissions,
                }))
            }
            Err(status) if status.code() == tonic::Code::PermissionDenied => Ok(None),
            Err(status) => Err(Error::SwitchUnavailable(format!(
                "tenancy answered {:?}: {}",
                status.code(),
                status.message()
            ))),
        }
    }
}
