//! The `comptoir.accountant_portal.v1.CompanyAccountantService` edge: the client
//! company's side (invite its accountant, list and revoke its firms) and the firm's
//! acceptance of such an invitation. Each RPC checks the caller's token for
//! `members.manage` on its active company (tenancy checks it again, live), decodes, calls
//! one `app::accountants` function with the caller's own authorization and encodes.

use comptoir_domain_types::legal::Email;
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::accountant_portal::v1 as pb;
use comptoir_runtime::{Caller, Deps, FieldViolations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app;
use crate::app::firm::ThroughTenancy;
use crate::error::Error;
use crate::grpc::authorize;
use crate::tenancy::{Authorization, Tenancy};

pub(crate) fn server(
    deps: Deps,
    tenancy: Tenancy,
) -> pb::company_accountant_service_server::CompanyAccountantServiceServer<Accountants> {
    pb::company_accountant_service_server::CompanyAccountantServiceServer::new(Accountants {
        deps,
        tenancy,
    })
}

pub(crate) struct Accountants {
    deps: Deps,
    /// Tenancy's firm calls, made with the caller's token.
    tenancy: Tenancy,
}

/// The caller's active company, whose side the call is on, once their token holds
/// `members.manage` there; and their authorization, to forward.
fn managed_company<T>(request: &Request<T>) -> Result<(Uuid, Authorization), Error> {
    let caller = Caller::of(request)?;
    let company = caller.active_company()?;
    caller.require(company, Permission::MembersManage)?;
    Ok((company, Authorization::of(request)?))
}

impl Accountants {
    fn through<'a>(&'a self, authorization: &'a Authorization) -> ThroughTenancy<'a> {
        ThroughTenancy {
            tenancy: &self.tenancy,
            authorization,
        }
    }
}

#[tonic::async_trait]
impl pb::company_accountant_service_server::CompanyAccountantService for Accountants {
    async fn invite_accountant(
        &self,
        request: Request<pb::InviteAccountantRequest>,
    ) -> Result<Response<pb::InviteAccountantResponse>, Status> {
        let (_, authorization) = managed_company(&request)?;
        let mut violations = FieldViolations::new();
        let email = violations.check("email", Email::parse(&request.get_ref().email));
        let Some(email) = email else {
            return Err(Error::from(violations).into());
        };
        let sent =
            app::accountants::invite_accountant(self.through(&authorization), &email).await?;
        Ok(Response::new(pb::InviteAccountantResponse {
            invitation_id: sent.invitation_id,
            expire_time: sent.expire_time,
        }))
    }

    async fn accept_accountant_invitation(
        &self,
        request: Request<pb::AcceptAccountantInvitationRequest>,
    ) -> Result<Response<pb::AcceptAccountantInvitationResponse>, Status> {
        let ctx = authorize(&request).map_err(Error::from)?;
        ctx.caller
            .require(ctx.firm_id, Permission::MembersManage)
            .map_err(Error::from)?;
        let authorization = Authorization::of(&request)?;
        let token = request.get_ref().token.trim();
        if token.is_empty() {
            let mut violations = FieldViolations::new();
            violations.add("token", "is required");
            return Err(Error::from(violations).into());
        }
        let company_id = app::accountants::accept_accountant_invitation(
            &ctx,
            &self.deps,
            self.through(&authorization),
            token,
        )
        .await?;
        Ok(Response::new(pb::AcceptAccountantInvitationResponse {
            company_id: company_id.to_string(),
            firm_id: ctx.firm_id.to_string(),
        }))
    }

    async fn list_accountants(
        &self,
        request: Request<pb::ListAccountantsRequest>,
    ) -> Result<Response<pb::ListAccountantsResponse>, Status> {
        let (_, authorization) = managed_company(&request)?;
        let (firms, invitations) =
            app::accountants::list_accountants(self.through(&authorization)).await?;
        Ok(Response::new(pb::ListAccountantsResponse {
            accountants: firms
                .into_iter()
                .map(|firm| pb::Accountant {
                    firm_id: firm.firm_id,
                    legal_name: firm.legal_name,
                    role: firm.role,
                })
                .collect(),
            invitations: invitations
                .into_iter()
                .map(|invitation| pb::PendingAccountantInvitation {
                    invitation_id: invitation.invitation_id,
                    email: invitation.email,
                    expire_time: invitation.expire_time,
                })
                .collect(),
        }))
    }

    async fn revoke_accountant(
        &self,
        request: Request<pb::RevokeAccountantRequest>,
    ) -> Result<Response<pb::RevokeAccountantResponse>, Status> {
        let (company_id, authorization) = managed_company(&request)?;
        let mut violations = FieldViolations::new();
        let firm_id = violations.uuid("firm_id", request.get_ref().firm_id.trim());
        let Some(firm_id) = firm_id else {
            return Err(Error::from(violations).into());
        };
        app::accountants::revoke_accountant(self.through(&authorization), company_id, firm_id)
            .await?;
        Ok(Response::new(pb::RevokeAccountantResponse {}))
    }
}
