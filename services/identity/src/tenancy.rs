//! Identity's one outgoing call: tenancy's `AccessService.CheckAccess`, made with a
//! service token identity signs for itself, to learn a user's role and permissions on a
//! company, and whether they come through an accounting firm's grant, before scoping a
//! token to it.
//!
//! The answer is never cached: every switch asks tenancy, so a removed member loses the
//! company at once. What is reused is plumbing: one HTTP/2 connection (the channel), and
//! the service token, which says only "identity" and is signed once per lifetime instead
//! of once per call.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use comptoir_proto::tenancy::v1::{CheckAccessRequest, access_service_client::AccessServiceClient};
use comptoir_runtime::auth;
use comptoir_runtime::caller::ACCESS_TOKEN_TTL;
use comptoir_runtime::channel::lazy_channel;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::domain::{Rights, service_claims};
use crate::error::Error;
use crate::keys;

/// How long before its expiry a cached service token is replaced: well over tenancy's
/// 30 s leeway and any call's 5 s timeout, so a token is never sent about to expire.
const SERVICE_TOKEN_RENEWAL: Duration = Duration::from_secs(60);

/// The `authorization` value of identity's service token, and when to sign a new one.
struct ServiceToken {
    header: AsciiMetadataValue,
    renew_at: Instant,
}

/// A client of tenancy's access checks; absent when no tenancy URL is configured.
#[derive(Clone)]
pub(crate) struct Tenancy {
    channel: Option<Channel>,
    /// A std mutex: it is never held across an await (signing happens outside it, so two
    /// calls that find it stale at once both sign, which is harmless).
    token: Arc<Mutex<Option<ServiceToken>>>,
}

impl Tenancy {
    /// A lazy client for `url` (nothing connects until the first check).
    pub(crate) fn new(url: Option<&str>) -> anyhow::Result<Self> {
        let channel = url
            .map(|url| lazy_channel(url, "COMPTOIR_TENANCY_URL", Duration::from_secs(5)))
            .transpose()?;
        Ok(Self {
            channel,
            token: Default::default(),
        })
    }

    /// `Bearer <service token>`, signed anew when the cached one nears its expiry. A key
    /// rotation does not invalidate it: a retired key keeps verifying for two token
    /// lifetimes.
    async fn authorization(
        &self,
        signer: &keys::Signer,
        issuer: &str,
        audience: &str,
    ) -> Result<AsciiMetadataValue, Error> {
        if let Some(token) = self.cached_token() {
            return Ok(token);
        }
        let signed_at = Instant::now();
        let key = signer.key().await?;
        let token = auth::sign(
            &service_claims(issuer, audience),
            &key.kid,
            &key.private_der,
        )
        .map_err(|err| Error::Crypto(err.to_string()))?;
        let header: AsciiMetadataValue = format!("Bearer {token}")
            .parse()
            .map_err(|_| Error::Crypto("token is not ASCII".to_owned()))?;
        *self.token_slot() = Some(ServiceToken {
            header: header.clone(),
            renew_at: signed_at + ACCESS_TOKEN_TTL - SERVICE_TOKEN_RENEWAL,
        });
        Ok(header)
    }

    fn token_slot(&self) -> MutexGuard<'_, Option<ServiceToken>> {
        // The slot holds a plain value, valid whatever a panicking holder was doing.
        self.token
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached_token(&self) -> Option<AsciiMetadataValue> {
        self.token_slot()
            .as_ref()
            .filter(|token| Instant::now() < token.renew_at)
            .map(|token| token.header.clone())
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
        let authorization = self.authorization(signer, issuer, audience).await?;
        let mut request = tonic::Request::new(CheckAccessRequest {
            user_id: user.to_string(),
            company_id: company.to_string(),
        });
        request
            .metadata_mut()
            .insert("authorization", authorization);
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
                    through_firm: answer.through_firm,
                }))
            }
            Err(status) if status.code() == tonic::Code::PermissionDenied => Ok(None),
            Err(status) => {
                if status.code() == tonic::Code::Unauthenticated {
                    // Tenancy no longer accepts the token (its keys were reset, say):
                    // the next call signs a new one rather than failing for minutes.
                    *self.token_slot() = None;
                }
                Err(Error::SwitchUnavailable(format!(
                    "tenancy answered {:?}: {}",
                    status.code(),
                    status.message()
                )))
            }
        }
    }
}
