//! The `comptoir.tenancy.v1.MemberService` implementation: roles, members, invitations
//! and ownership of the caller's active company, one `app` call per RPC (`app::roles`,
//! `app::members`, `app::invitations`). Authorisation is checked live against the
//! memberships (see `app::access`), not against the token's copy of the permissions.

use chrono::Utc;
use comptoir_domain_types::fields::Violations;
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::mail::Mailer;
use comptoir_runtime::{Deps, FieldViolations, error, page};
use tonic::{Request, Response, Status};

use super::{authorize, user_of};
use crate::app::{self, invitations::Invite, invitations::Sending};
use crate::domain::members::{self as rules, CustomRole, InvitationKind, InvitationState, Role};
use crate::error::Error;
use crate::store::invitations::InvitationRow;
use crate::store::members::MemberRow;

pub(crate) fn server(
    deps: Deps,
    mailer: Mailer,
    invitation_ttl: chrono::Duration,
) -> pb::member_service_server::MemberServiceServer<Members> {
    pb::member_service_server::MemberServiceServer::new(Members {
        deps,
        sending: Sending {
            mailer,
            ttl: invitation_ttl,
        },
    })
}

pub(crate) struct Members {
    deps: Deps,
    sending: Sending,
}

impl From<&MemberRow> for pb::Member {
    fn from(row: &MemberRow) -> Self {
        pb::Member {
            user_id: row.user_id.to_string(),
            role: row.role.clone(),
            owner: row.owner,
            join_time: Some(timestamp(row.created_at)),
        }
    }
}

fn invitation_state_proto(state: InvitationState) -> pb::InvitationState {
    match state {
        InvitationState::Pending => pb::InvitationState::Pending,
        InvitationState::Accepted => pb::InvitationState::Accepted,
        InvitationState::Revoked => pb::InvitationState::Revoked,
        InvitationState::Expired => pb::InvitationState::Expired,
    }
}

impl From<&InvitationRow> for pb::Invitation {
    fn from(row: &InvitationRow) -> Self {
        pb::Invitation {
            invitation_id: row.invitation_id.to_string(),
            email: row.email.clone(),
            role: row.role.clone(),
            state: invitation_state_proto(row.state(Utc::now())) as i32,
            expire_time: Some(timestamp(row.expires_at)),
            open_link: row.open_link,
        }
    }
}

impl From<Role> for pb::Role {
    fn from(role: Role) -> Self {
        pb::Role {
            key: role.key,
            name: role.name,
            permissions: role.permissions,
            built_in: role.built_in,
        }
    }
}

/// A custom role from a request's fields, every bad one named.
fn custom_role(key: &str, name: &str, permissions: &[String]) -> Result<CustomRole, Error> {
    let mut violations = Violations::new();
    CustomRole::parse(key, name, permissions, &mut violations).ok_or_else(|| {
        let mut fields = FieldViolations::new();
        for (field, reason) in violations {
            fields.add(field, reason);
        }
        Error::InvalidArgument(fields)
    })
}

#[tonic::async_trait]
impl pb::member_service_server::MemberService for Members {
    async fn list_roles(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Result<Response<pb::ListRolesResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, None).await?;
        let roles = app::roles::list_roles(&self.deps.pool, &ctx).await?;
        Ok(Response::new(pb::ListRolesResponse {
            roles: roles.into_iter().map(Into::into).collect(),
        }))
    }

    async fn create_role(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Result<Response<pb::CreateRoleResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let role = custom_role(&request.key, &request.name, &request.permissions)?;
        let answer = app::roles::create_role(
            &self.deps,
            &ctx,
            &role,
            (&request.idempotency_key, &request),
            |role| pb::CreateRoleResponse {
                role: Some(Role::from(role.clone()).into()),
            },
        )
        .await?;
        Ok(Response::new(answer))
    }

    async fn update_role(
        &self,
        request: Request<pb::UpdateRoleRequest>,
    ) -> Result<Response<pb::UpdateRoleResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        rules::not_built_in(&request.key).map_err(Error::from)?;
        let role = custom_role(&request.key, &request.name, &request.permissions)?;
        app::roles::update_role(&self.deps, &ctx, &role).await?;
        Ok(Response::new(pb::UpdateRoleResponse {
            role: Some(Role::from(role).into()),
        }))
    }

    async fn delete_role(
        &self,
        request: Request<pb::DeleteRoleRequest>,
    ) -> Result<Response<pb::DeleteRoleResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let key = request.into_inner().key;
        app::roles::delete_role(&self.deps, &ctx, &key).await?;
        Ok(Response::new(pb::DeleteRoleResponse {}))
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, None).await?;
        let request = request.into_inner();
        let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
        let mut rows =
            app::members::list_members(&self.deps.pool, &ctx, after, page.fetch_limit()).await?;
        let next_page_token = page.finish(&mut rows, |row| {
            page::time_id_cursor(row.created_at, row.user_id)
        });
        Ok(Response::new(pb::ListMembersResponse {
            members: rows.iter().map(Into::into).collect(),
            next_page_token,
        }))
    }

    async fn invite_member(
        &self,
        request: Request<pb::InviteMemberRequest>,
    ) -> Result<Response<pb::InviteMemberResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let email = violations.check("email", rules::normalise_email(&request.email));
        violations.into_result()?;
        let invite = Invite {
            email: email.unwrap_or_default(),
            role: request.role.clone(),
            open_link: request.open_link,
            kind: InvitationKind::Member,
        };
        let answer = app::invitations::invite_member(
            &self.deps,
            &self.sending,
            &ctx,
            invite,
            (&request.idempotency_key, &request),
            |invitation| pb::InviteMemberResponse {
                invitation: Some(invitation.into()),
            },
        )
        .await?;
        Ok(Response::new(answer))
    }

    async fn list_invitations(
        &self,
        request: Request<pb::ListInvitationsRequest>,
    ) -> Result<Response<pb::ListInvitationsResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
        let mut rows =
            app::invitations::list_invitations(&self.deps.pool, &ctx, after, page.fetch_limit())
                .await?;
        let next_page_token = page.finish(&mut rows, |row| {
            page::time_id_cursor(row.created_at, row.invitation_id)
        });
        Ok(Response::new(pb::ListInvitationsResponse {
            invitations: rows.iter().map(Into::into).collect(),
            next_page_token,
        }))
    }

    async fn revoke_invitation(
        &self,
        request: Request<pb::RevokeInvitationRequest>,
    ) -> Result<Response<pb::RevokeInvitationResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let invitation_id =
            error::required_uuid("invitation_id", &request.get_ref().invitation_id)?;
        app::invitations::revoke_invitation(&self.deps, &ctx, invitation_id).await?;
        Ok(Response::new(pb::RevokeInvitationResponse {}))
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Result<Response<pb::AcceptInvitationResponse>, Status> {
        let user = user_of(&request)?;
        let token = request.into_inner().token;
        if token.trim().is_empty() {
            let mut violations = FieldViolations::new();
            violations.add("token", "is required");
            return Err(violations.into());
        }
        let accepted = app::invitations::accept_invitation(&self.deps, user, token.trim()).await?;
        Ok(Response::new(pb::AcceptInvitationResponse {
            company_id: accepted.company_id.to_string(),
            role: accepted.role,
        }))
    }

    async fn change_member_role(
        &self,
        request: Request<pb::ChangeMemberRoleRequest>,
    ) -> Result<Response<pb::ChangeMemberRoleResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let request = request.into_inner();
        let target = error::required_uuid("user_id", &request.user_id)?;
        let member =
            app::members::change_member_role(&self.deps, &ctx, target, &request.role).await?;
        Ok(Response::new(pb::ChangeMemberRoleResponse {
            member: Some((&member).into()),
        }))
    }

    async fn remove_member(
        &self,
        request: Request<pb::RemoveMemberRequest>,
    ) -> Result<Response<pb::RemoveMemberResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, Some(Permission::MembersManage)).await?;
        let target = error::required_uuid("user_id", &request.get_ref().user_id)?;
        app::members::remove_member(&self.deps, &ctx, target).await?;
        Ok(Response::new(pb::RemoveMemberResponse {}))
    }

    async fn transfer_ownership(
        &self,
        request: Request<pb::TransferOwnershipRequest>,
    ) -> Result<Response<pb::TransferOwnershipResponse>, Status> {
        let ctx = authorize(&self.deps.pool, &request, None).await?;
        let target = error::required_uuid("user_id", &request.get_ref().user_id)?;
        app::members::transfer_ownership(&self.deps, &ctx, target).await?;
        Ok(Response::new(pb::TransferOwnershipResponse {}))
    }
}
