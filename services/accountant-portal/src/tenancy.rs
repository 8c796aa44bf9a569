//! The portal's calls to tenancy's `FirmService` (and `MemberService` for a firm's
//! members): creating a client company owned by the firm, inviting its director,
//! assigning and disconnecting clients, and, from a client company's side, inviting,
//! listing and revoking its accounting firms. Each call carries the caller's own access
//! token (their `authorization` metadata, forwarded as received), so tenancy checks the
//! caller's rights itself; the portal never acts on its own say-so.
//!
//! Tenancy's refusals reach the caller unchanged, except that an INVALID_ARGUMENT's field
//! paths are renamed from tenancy's request (`company.siren`, `company.director.email`,
//! `portfolio_manager_ids[0]`) to the portal's (`client.siren`, `client.director_email`,
//! `client.portfolio_manager_id`), so the caller finds the field it sent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use comptoir_proto::tenancy::v1 as pb;
use comptoir_proto::types::v1::PostalAddress;
use comptoir_runtime::FieldViolations;
use comptoir_runtime::channel::lazy_channel;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use uuid::Uuid;

use crate::domain::client::NewClient;
use crate::error::Error;

/// How long one call of the portal to another service (tenancy, identity, billing) may
/// take.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The caller's `authorization` metadata, forwarded to tenancy as received.
#[derive(Clone)]
pub(crate) struct Authorization(AsciiMetadataValue);

impl std::fmt::Debug for Authorization {
    /// A bearer token never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authorization(..)")
    }
}

impl Authorization {
    /// The `authorization` metadata of `request` (the auth layer already verified it, so
    /// it is there).
    pub(crate) fn of<T>(request: &tonic::Request<T>) -> Result<Self, Error> {
        request
            .metadata()
            .get("authorization")
            .cloned()
            .map(Self)
            .ok_or(Error::Auth(comptoir_runtime::caller::AuthError::Missing))
    }

    /// `Bearer <token>`, for a call made with a token the portal obtained for the caller
    /// (identity's IssueCompanyToken).
    pub(crate) fn bearer(token: &str) -> Result<Self, Error> {
        format!("Bearer {token}")
            .parse()
            .map(Self)
            .map_err(|_| Error::IdentityAnswer("access_token".to_owned()))
    }
}

/// A client company as tenancy created it.
#[derive(Debug, Clone)]
pub(crate) struct CreatedCompany {
    /// The company.
    pub(crate) company_id: Uuid,
    /// When tenancy created it.
    pub(crate) created_at: DateTime<Utc>,
    /// The director's invitation, when one was sent.
    pub(crate) invitation_id: Option<Uuid>,
}

/// An invitation tenancy sent.
#[derive(Debug, Clone)]
pub(crate) struct SentInvitation {
    /// The invitation.
    pub(crate) invitation_id: String,
    /// When its link stops working.
    pub(crate) expire_time: Option<prost_types::Timestamp>,
}

/// A client of tenancy's `FirmService`; without a configured URL every call answers
/// UNAVAILABLE.
#[derive(Clone, Debug)]
pub(crate) struct Tenancy {
    channel: Option<Channel>,
}

impl Tenancy {
    /// A lazy client for `url` (nothing connects until the first call).
    pub(crate) fn new(url: Option<&str>) -> anyhow::Result<Self> {
        let channel = url
            .map(|url| lazy_channel(url, "COMPTOIR_TENANCY_URL", CALL_TIMEOUT))
            .transpose()?;
        Ok(Self { channel })
    }

    /// Tenancy's `FirmService`, with the caller's trace context propagated.
    fn firms(
        &self,
    ) -> Result<
        pb::firm_service_client::FirmServiceClient<
            tonic::service::interceptor::InterceptedService<Channel, Propagate>,
        >,
        Error,
    > {
        let channel = self.channel.clone().ok_or(Error::TenancyNotConfigured)?;
        Ok(
            pb::firm_service_client::FirmServiceClient::with_interceptor(
                channel,
                comptoir_runtime::telemetry::propagate_context as Propagate,
            ),
        )
    }

    /// Asks tenancy to create `client` for the caller's firm, with its portfolio manager,
    /// and to invite its director when `invite_director`. `idempotency_key` makes a retry
    /// answer the company first created.
    pub(crate) async fn create_client_company(
        &self,
        authorization: &Authorization,
        client: &NewClient,
        invite_director: bool,
        idempotency_key: &str,
    ) -> Result<CreatedCompany, Error> {
        let request = pb::CreateClientCompanyRequest {
            company: Some(pb::CreateCompanyRequest {
                legal_name: client.legal_name.clone(),
                siren: client.siret.siren().as_str().to_owned(),
                kind: pb::CompanyKind::Company as i32,
                nic: client.siret.nic().as_str().to_owned(),
                ape_code: client.ape_code.as_str().to_owned(),
                address: Some(PostalAddress {
                    line1: client.address.line1.clone(),
                    line2: client.address.line2.clone(),
                    postal_code: client.address.postal_code.clone(),
                    city: client.address.city.clone(),
                    country_code: client.address.country_code.clone(),
                }),
                director: Some(pb::Director {
                    name: client.director.name.clone(),
                    email: client
                        .director
                        .email
                        .as_ref()
                        .map(|email| email.as_str().to_owned())
                        .unwrap_or_default(),
                    phone: client.director.phone.clone(),
                }),
                ..Default::default()
            }),
            portfolio_manager_ids: client
                .portfolio_manager
                .iter()
                .map(Uuid::to_string)
                .collect(),
            invite_director,
            idempotency_key: idempotency_key.to_owned(),
        };
        let answer = self
            .firms()?
            .create_client_company(forwarded(request, authorization))
            .await
            .map_err(refusal)?
            .into_inner();
        let company = answer.company.unwrap_or_default();
        let invitation_id = match answer.invitation_id.as_str() {
            "" => None,
            id => Some(parse_id("invitation_id", id)?),
        };
        Ok(CreatedCompany {
            company_id: parse_id("company.company_id", &company.company_id)?,
            created_at: company
                .create_time
                .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
                .unwrap_or_else(Utc::now),
            invitation_id,
        })
    }

    /// Asks tenancy to invite the director of `company_id`, at `email` or, when None, at
    /// the address of the company's identity.
    pub(crate) async fn invite_director(
        &self,
        authorization: &Authorization,
        company_id: Uuid,
        email: Option<&str>,
    ) -> Result<SentInvitation, Error> {
        let request = pb::InviteDirectorRequest {
            company_id: company_id.to_string(),
            email: email.unwrap_or_default().to_owned(),
        };
        let invitation = self
            .firms()?
            .invite_director(forwarded(request, authorization))
            .await
            .map_err(refusal)?
            .into_inner()
            .invitation
            .unwrap_or_default();
        Ok(SentInvitation {
            invitation_id: invitation.invitation_id,
            expire_time: invitation.expire_time,
        })
    }
}

impl Tenancy {
    /// Asks tenancy to make `user_ids` (none: nobody) the portfolio managers of the
    /// firm's client `company_id`, replacing those assigned. Tenancy's refusal comes back
    /// unchanged, as the client's own.
    pub(crate) async fn set_portfolio_managers(
        &self,
        authorization: &Authorization,
        company_id: Uuid,
        user_ids: &[Uuid],
    ) -> Result<(), Error> {
        let request = pb::SetPortfolioManagersRequest {
            company_id: company_id.to_string(),
            user_ids: user_ids.iter().map(Uuid::to_string).collect(),
        };
        self.firms()?
            .set_portfolio_managers(forwarded(request, authorization))
            .await
            .map_err(Error::Tenancy)?;
        Ok(())
    }

    /// Asks tenancy to end the firm's grant on its client `company_id`, handing the
    /// client's ownership to `transfer_ownership_to` when named. Tenancy's refusal comes
    /// back unchanged, as the client's own.
    pub(crate) async fn disconnect_client(
        &self,
        authorization: &Authorization,
        company_id: Uuid,
        transfer_ownership_to: Option<Uuid>,
    ) -> Result<(), Error> {
        let request = pb::DisconnectClientRequest {
            company_id: company_id.to_string(),
            transfer_ownership_to: transfer_ownership_to
                .map(|user| user.to_string())
                .unwrap_or_default(),
        };
        self.firms()?
            .disconnect_client(forwarded(request, authorization))
            .await
            .map_err(Error::Tenancy)?;
        Ok(())
    }
}

impl Tenancy {
    /// The members of the caller's firm (the active company of its token), every page of
    /// tenancy's MemberService.ListMembers: who may be a client's portfolio manager.
    pub(crate) async fn firm_members(
        &self,
        authorization: &Authorization,
    ) -> Result<std::collections::HashSet<Uuid>, Error> {
        let channel = self.channel.clone().ok_or(Error::TenancyNotConfigured)?;
        let mut members_client = pb::member_service_client::MemberServiceClient::with_interceptor(
            channel,
            comptoir_runtime::telemetry::propagate_context as Propagate,
        );
        let mut members = std::collections::HashSet::new();
        let mut page_token = String::new();
        loop {
            let request = pb::ListMembersRequest {
                page_size: 200,
                page_token,
            };
            let page = members_client
                .list_members(forwarded(request, authorization))
                .await
                .map_err(Error::Tenancy)?
                .into_inner();
            for member in &page.members {
                members.insert(parse_id("members.user_id", &member.user_id)?);
            }
            if page.next_page_token.is_empty() {
                return Ok(members);
            }
            page_token = page.next_page_token;
        }
    }
}

/// A firm holding a grant on the caller's company, as tenancy lists it.
#[derive(Debug, Clone)]
pub(crate) struct GrantedFirm {
    /// The firm.
    pub(crate) firm_id: String,
    /// Its legal name.
    pub(crate) legal_name: String,
    /// The role its people act with.
    pub(crate) role: String,
}

/// A firm invitation of the caller's company still pending, as tenancy lists it.
#[derive(Debug, Clone)]
pub(crate) struct PendingFirmInvitation {
    /// The invitation.
    pub(crate) invitation_id: String,
    /// The invited accountant's address.
    pub(crate) email: String,
    /// When its link stops working.
    pub(crate) expire_time: Option<prost_types::Timestamp>,
}

/// What accepting a firm invitation left in place, as tenancy answered.
#[derive(Debug, Clone)]
pub(crate) struct FirmInvitationAccepted {
    /// The client company that invited the firm.
    pub(crate) company_id: Uuid,
    /// True when the firm's grant was made now; false when it already held one.
    pub(crate) granted: bool,
}

impl Tenancy {
    /// The company's side of its accounting firms (tenancy's `FirmService.InviteFirm`):
    /// invites the accountant at `email` for the caller's active company.
    pub(crate) async fn invite_firm(
        &self,
        authorization: &Authorization,
        email: &str,
    ) -> Result<SentInvitation, Error> {
        let request = pb::InviteFirmRequest {
            email: email.to_owned(),
        };
        let invitation = self
            .firms()?
            .invite_firm(forwarded(request, authorization))
            .await
            .map_err(Error::Tenancy)?
            .into_inner()
            .invitation
            .unwrap_or_default();
        Ok(SentInvitation {
            invitation_id: invitation.invitation_id,
            expire_time: invitation.expire_time,
        })
    }

    /// Accepts the firm invitation `token` opens for the caller's active company, a firm
    /// (`FirmService.AcceptFirmInvitation`).
    pub(crate) async fn accept_firm_invitation(
        &self,
        authorization: &Authorization,
        token: &str,
    ) -> Result<FirmInvitationAccepted, Error> {
        let request = pb::AcceptFirmInvitationRequest {
            token: token.to_owned(),
        };
        let accepted = self
            .firms()?
            .accept_firm_invitation(forwarded(request, authorization))
            .await
            .map_err(Error::Tenancy)?
            .into_inner();
        Ok(FirmInvitationAccepted {
            company_id: parse_id("company_id", &accepted.company_id)?,
            granted: accepted.granted,
        })
    }

    /// The firms holding a grant on the caller's active company and its pending firm
    /// invitations (`FirmService.ListFirmGrants`).
    pub(crate) async fn firm_grants(
        &self,
        authorization: &Authorization,
    ) -> Result<(Vec<GrantedFirm>, Vec<PendingFirmInvitation>), Error> {
        let listed = self
            .firms()?
            .list_firm_grants(forwarded(pb::ListFirmGrantsRequest {}, authorization))
            .await
            .map_err(Error::Tenancy)?
            .into_inner();
        let firms = listed
            .grants
            .into_iter()
            .map(|grant| GrantedFirm {
                firm_id: grant.firm_id,
                legal_name: grant.legal_name,
                role: grant.role,
            })
            .collect();
        let invitations = listed
            .invitations
            .into_iter()
            .map(|invitation| PendingFirmInvitation {
                invitation_id: invitation.invitation_id,
                email: invitation.email,
                expire_time: invitation.expire_time,
            })
            .collect();
        Ok((firms, invitations))
    }

    /// Ends `firm_id`'s grant on `company_id`, the caller's active company
    /// (`FirmService.RevokeFirmAccess`).
    pub(crate) async fn revoke_firm_access(
        &self,
        authorization: &Authorization,
        firm_id: Uuid,
        company_id: Uuid,
    ) -> Result<(), Error> {
        let request = pb::RevokeFirmAccessRequest {
            firm_id: firm_id.to_string(),
            company_id: company_id.to_string(),
        };
        self.firms()?
            .revoke_firm_access(forwarded(request, authorization))
            .await
            .map_err(Error::Tenancy)?;
        Ok(())
    }
}

/// The interceptor that propagates the trace context.
pub(crate) type Propagate = fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>;

/// `message` with the caller's `authorization`.
pub(crate) fn forwarded<T>(message: T, authorization: &Authorization) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", authorization.0.clone());
    request
}

/// A malformed id in tenancy's answer: tenancy broke its contract.
fn parse_id(field: &str, value: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(value).map_err(|_| Error::TenancyAnswer(format!("{field} {value:?}")))
}

/// Tenancy's refusal as the portal's: bad fields renamed to the portal's request,
/// anything else unchanged.
fn refusal(status: tonic::Status) -> Error {
    if status.code() != tonic::Code::InvalidArgument {
        return Error::Tenancy(status);
    }
    let Some(bad_request) = status.get_details_bad_request() else {
        return Error::Tenancy(status);
    };
    let mut violations = FieldViolations::new();
    for violation in bad_request.field_violations {
        violations.add(portal_field(&violation.field), violation.description);
    }
    Error::InvalidArgument(violations)
}

/// The portal's name of a field of tenancy's CreateClientCompany or InviteDirector
/// request: the client's identity under `client.`, the director's contact flattened.
fn portal_field(tenancy: &str) -> String {
    match tenancy {
        "company.director.name" => "client.director_name".to_owned(),
        "company.director.email" => "client.director_email".to_owned(),
        "company.director.phone" => "client.director_phone".to_owned(),
        field if field.starts_with("portfolio_manager_ids") => {
            "client.portfolio_manager_id".to_owned()
        }
        field => match field.strip_prefix("company.") {
            Some(rest) => format!("client.{rest}"),
            None => field.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::portal_field;

    #[test]
    fn tenancys_field_paths_become_the_portals() {
        for (tenancy, portal) in [
            ("company.siren", "client.siren"),
            ("company.address.postal_code", "client.address.postal_code"),
            ("company.director.email", "client.director_email"),
            ("company.director.phone", "client.director_phone"),
            ("portfolio_manager_ids[0]", "client.portfolio_manager_id"),
            ("email", "email"),
        ] {
            assert_eq!(portal_field(tenancy), portal);
        }
    }
}
