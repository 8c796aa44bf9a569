//! The `comptoir.tenancy.v1.FirmService` implementation: accounting firms' grants on
//! client companies, the firm members assigned to each client, and the clients a firm
//! creates, invites the director of and disconnects (see `app::firms`); from the client's
//! side, the invitation of its firm and the list of its firms (see `app::accountants`). A
//! client's legal identity is decoded as `CreateCompany` decodes it, each path under
//! `company.`.

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::mail::Mailer;
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::authorize;
use crate::app::{self, firms::NewClient, invitations::Sending};
use crate::domain::NewCompany;
use crate::domain::access::firm_grant_role;
use crate::domain::members::normalise_email;
use crate::store::firms::GrantRow;

pub(crate) fn server(
    deps: Deps,
    mailer: Mailer,
    invitation_ttl: chrono::Duration,
) -> pb::firm_service_server::FirmServiceServer<Firms> {
    pb::firm_service_server::FirmServiceServer::new(Firms {
        deps,
        sending: Sending {
            mailer,
            ttl: invitation_ttl,
        },
    })
}

pub(crate) struct Firms {
    deps: Deps,
    sending: Sending,
}

/// A client to create, from its request: every bad field named, the identity's under
/// `company.` (its `kind` may be left unspecified: a firm's client is a company), and the
/// director's e-mail required when the director is to be invited now.
fn new_client(request: &pb::CreateClientCompanyRequest) -> Result<NewClient, FieldViolations> {
    let mut violations = FieldViolations::new();
    let mut company = request.company.clone().unwrap_or_default();
    match pb::CompanyKind::try_from(company.kind) {
        Ok(pb::CompanyKind::Unspecified | pb::CompanyKind::Company) => {}
        Ok(pb::CompanyKind::Firm) | Err(_) => violations.add(
            "company.kind",
            "must be COMPANY_KIND_COMPANY or unspecified: a firm's client is a company",
        ),
    }
    company.kind = pb::CompanyKind::Company as i32;
    let new = NewCompany::try_from(&company)
        .inspect_err(|refused| {
            for (field, reason) in refused.iter() {
                violations.add(format!("company.{field}"), reason.clone());
            }
        })
        .ok();
    let director = company.director.unwrap_or_default().email;
    let invite_director = if !request.invite_director {
        None
    } else if director.trim().is_empty() {
        violations.add(
            "company.director.email",
            "is required to invite the director",
        );
        None
    } else if new.is_some() {
        violations.check("company.director.email", normalise_email(&director))
    } else {
        // The identity was refused; a bad address is among its violations already.
        None
    };
    let portfolio_managers: Vec<Uuid> = request
        .portfolio_manager_ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| violations.uuid(&format!("portfolio_manager_ids[{i}]"), id))
        .collect();
    violations.into_result()?;
    Ok(NewClient {
        company: new.unwrap_or_else(|| unreachable!("validated above")),
        portfolio_managers,
        invite_director,
    })
}

impl From<&GrantRow> for pb::FirmGrant {
    fn from(row: &GrantRow) -> Self {
        pb::FirmGrant {
            firm_id: row.firm_id.to_string(),
            legal_name: row.legal_name.clone(),
            role: row.role.clone(),
            grant_time: Some(timestamp(row.created_at)),
        }
    }
}

#[tonic::async_trait]
impl pb::firm_service_server::FirmService for Firms {
    async fn grant_firm_access(
        &self,
        request: Request<pb::GrantFirmAccessRequest>,
    ) -> Result<Response<pb::GrantFirmAccessResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let firm = violations.uuid("firm_id", &request.firm_id);
        violations.check("role", firm_grant_role(&request.role));
        if firm == Some(ctx.company) {
            violations.add("firm_id", "is the company itself");
        }
        violations.into_result()?;
        let firm = firm.unwrap_or_default();
        app::firms::grant_firm_access(&self.deps, &ctx, firm, &request.role).await?;
        Ok(Response::new(pb::GrantFirmAccessResponse {
            firm_id: firm.to_string(),
            company_id: ctx.company.to_string(),
            role: request.role,
        }))
    }

    async fn revoke_firm_access(
        &self,
        request: Request<pb::RevokeFirmAccessRequest>,
    ) -> Result<Response<pb::RevokeFirmAccessResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let mut violations = FieldViolations::new();
        let firm = violations.uuid("firm_id", &request.get_ref().firm_id);
        let company = violations.uuid("company_id", &request.get_ref().company_id);
        violations.into_result()?;
        let (firm, company) = (firm.unwrap_or_default(), company.unwrap_or_default());
        app::firms::revoke_firm_access(&self.deps, &ctx, firm, company).await?;
        Ok(Response::new(pb::RevokeFirmAccessResponse {}))
    }

    async fn set_portfolio_managers(
        &self,
        request: Request<pb::SetPortfolioManagersRequest>,
    ) -> Result<Response<pb::SetPortfolioManagersResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company = violations.uuid("company_id", &request.company_id);
        let users: Vec<Uuid> = request
            .user_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| violations.uuid(&format!("user_ids[{i}]"), id))
            .collect();
        violations.into_result()?;
        let company = company.unwrap_or_default();
        app::firms::set_portfolio_managers(&self.deps, &ctx, company, &users).await?;
        Ok(Response::new(pb::SetPortfolioManagersResponse {
            user_ids: users.iter().map(Uuid::to_string).collect(),
        }))
    }

    async fn create_client_company(
        &self,
        request: Request<pb::CreateClientCompanyRequest>,
    ) -> Result<Response<pb::CreateClientCompanyResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let client = new_client(&request)?;
        let answer = app::firms::create_client_company(
            &self.deps,
            &self.sending,
            &ctx,
            client,
            (&request.idempotency_key, &request),
            |company, invitation| pb::CreateClientCompanyResponse {
                company: Some(company.into()),
                invitation_id: invitation
                    .map(|i| i.invitation_id.to_string())
                    .unwrap_or_default(),
            },
        )
        .await?;
        Ok(Response::new(answer))
    }

    async fn invite_director(
        &self,
        request: Request<pb::InviteDirectorRequest>,
    ) -> Result<Response<pb::InviteDirectorResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company = violations.uuid("company_id", &request.company_id);
        let email = if request.email.trim().is_empty() {
            None
        } else {
            violations.check("email", normalise_email(&request.email))
        };
        violations.into_result()?;
        let company = company.unwrap_or_default();
        let invitation =
            app::firms::invite_director(&self.deps, &self.sending, &ctx, company, email).await?;
        Ok(Response::new(pb::InviteDirectorResponse {
            invitation: Some((&invitation).into()),
        }))
    }

    async fn disconnect_client(
        &self,
        request: Request<pb::DisconnectClientRequest>,
    ) -> Result<Response<pb::DisconnectClientResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let company = violations.uuid("company_id", &request.company_id);
        let transfer_to = if request.transfer_ownership_to.trim().is_empty() {
            None
        } else {
            violations.uuid("transfer_ownership_to", &request.transfer_ownership_to)
        };
        violations.into_result()?;
        let company = company.unwrap_or_default();
        app::firms::disconnect_client(&self.deps, &ctx, company, transfer_to).await?;
        Ok(Response::new(pb::DisconnectClientResponse {}))
    }

    async fn invite_firm(
        &self,
        request: Request<pb::InviteFirmRequest>,
    ) -> Result<Response<pb::InviteFirmResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let mut violations = FieldViolations::new();
        let email = violations.check("email", normalise_email(&request.get_ref().email));
        violations.into_result()?;
        let invitation = app::accountants::invite_firm(
            &self.deps,
            &self.sending,
            &ctx,
            email.unwrap_or_default(),
        )
        .await?;
        Ok(Response::new(pb::InviteFirmResponse {
            invitation: Some((&invitation).into()),
        }))
    }

    async fn accept_firm_invitation(
        &self,
        request: Request<pb::AcceptFirmInvitationRequest>,
    ) -> Result<Response<pb::AcceptFirmInvitationResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let token = request.get_ref().token.trim();
        if token.is_empty() {
            let mut violations = FieldViolations::new();
            violations.add("token", "is required");
            return Err(violations.into());
        }
        let accepted = app::accountants::accept_firm_invitation(&self.deps, &ctx, token).await?;
        Ok(Response::new(pb::AcceptFirmInvitationResponse {
            company_id: accepted.company_id.to_string(),
            firm_id: ctx.company.to_string(),
            role: accepted.role,
            granted: accepted.granted,
        }))
    }

    async fn list_firm_grants(
        &self,
        request: Request<pb::ListFirmGrantsRequest>,
    ) -> Result<Response<pb::ListFirmGrantsResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let (grants, invitations) = app::accountants::list_firm_grants(&self.deps, &ctx).await?;
        Ok(Response::new(pb::ListFirmGrantsResponse {
            grants: grants.iter().map(Into::into).collect(),
            invitations: invitations.iter().map(Into::into).collect(),
        }))
    }
}
