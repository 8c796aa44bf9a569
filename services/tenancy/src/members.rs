//! The `comptoir.tenancy.v1.MemberService` implementation: roles, members, invitations
//! and ownership of the caller's active company. Authorisation is checked live against
//! the memberships (see `access`), not against the token's copy of the permissions.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use comptoir_domain_types::permissions::{self, MEMBERS_MANAGE};
use comptoir_proto::events::v1 as events;
use comptoir_proto::tenancy::v1 as pb;
use comptoir_runtime::error;
use comptoir_runtime::events::{Event, names};
use comptoir_runtime::grpc::timestamp;
use comptoir_runtime::mail::{Mail, Mailer};
use comptoir_runtime::page;
use comptoir_runtime::{Caller, Deps, FieldViolations, idempotency};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::Ctx;
use crate::app::access;
use crate::domain::access::{Access, is_administrator};
use crate::domain::members::{
    self as rules, CustomRole, Granter, InvitationState, PLAN_MEMBER_LIMIT, Violations,
};
use crate::error::Error;
use crate::grpc::authorize;
use crate::store::companies::{self, Locked};
use crate::store::invitations::{self, InvitationRow};
use crate::store::members::{self, MemberRow};
use crate::store::roles;
use crate::store::{accounts, act_as, audit, begin, read};

pub(crate) fn server(
    deps: Deps,
    mailer: Mailer,
    invitation_ttl: chrono::Duration,
) -> pb::member_service_server::MemberServiceServer<Members> {
    pb::member_service_server::MemberServiceServer::new(Members {
        deps,
        mailer,
        invitation_ttl,
    })
}

pub(crate) struct Members {
    deps: Deps,
    mailer: Mailer,
    invitation_ttl: chrono::Duration,
}

fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
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

/// The state of a stored invitation now.
fn invitation_state(row: &InvitationRow, now: DateTime<Utc>) -> InvitationState {
    InvitationState::at(row.accepted_at, row.revoked_at, row.expires_at, now)
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
            state: invitation_state_proto(invitation_state(row, Utc::now())) as i32,
            expire_time: Some(timestamp(row.expires_at)),
            open_link: row.open_link,
        }
    }
}

/// The permissions of `role`, a built-in role or one of the company's custom roles;
/// INVALID_ARGUMENT on `field` otherwise.
async fn known_role(
    conn: impl PgExecutor<'_>,
    company: Uuid,
    field: &str,
    role: &str,
) -> Result<Vec<String>, Error> {
    match access::role_permissions(conn, company, role).await? {
        Some(permissions) => Ok(permissions),
        None => {
            let mut violations = FieldViolations::new();
            violations.add(field, format!("`{role}` is not a role of this company"));
            Err(Error::InvalidArgument(violations))
        }
    }
}

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

fn role_proto(key: &str, name: &str, permissions: Vec<String>, built_in: bool) -> pb::Role {
    pb::Role {
        key: key.to_owned(),
        name: name.to_owned(),
        permissions,
        built_in,
    }
}

/// Checks that the caller, with `access` (its permissions resolved again in `conn`, under
/// the company's lock), may give `role`; returns the permissions `role` carries.
async fn may_grant(
    conn: &mut PgConnection,
    company: Uuid,
    locked: &Locked,
    user: Uuid,
    access: &Access,
    role: &str,
) -> Result<Vec<String>, Error> {
    let granted = known_role(&mut *conn, company, "role", role).await?;
    let caller = access::access_of(
        &mut *conn,
        company,
        access.role.clone(),
        access.through_firm,
    )
    .await?;
    rules::may_grant(granter(&caller, locked, user), role, &granted)?;
    Ok(granted)
}

fn granter<'a>(access: &'a Access, locked: &Locked, user: Uuid) -> Granter<'a> {
    Granter {
        role: &access.role,
        permissions: &access.permissions,
        owner: locked.owner_id == user,
    }
}

impl Members {
    /// Runs `change` in a transaction acting for the company and `user`, with the company
    /// locked, then wakes the relay.
    async fn in_company<R>(
        &self,
        company: Uuid,
        user: Uuid,
        change: impl AsyncFnOnce(&mut PgConnection, Locked) -> Result<R, Error>,
    ) -> Result<R, Status> {
        let mut tx = begin(&self.deps.pool, Some(company), Some(user))
            .await
            .map_err(Error::from)?;
        let locked = companies::lock_company(&mut tx, company).await?;
        let answer = change(&mut tx, locked).await?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(answer)
    }
}

#[tonic::async_trait]
impl pb::member_service_server::MemberService for Members {
    async fn list_roles(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Result<Response<pb::ListRolesResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, None).await?;
        let mut roles: Vec<pb::Role> = permissions::BUILT_IN_ROLES
            .iter()
            .map(|r| {
                role_proto(
                    r.key,
                    r.name,
                    r.permissions.iter().map(|p| (*p).to_owned()).collect(),
                    true,
                )
            })
            .collect();
        let custom = read(&self.deps.pool, Some(company), Some(user), async |tx| {
            roles::custom_roles(tx, company).await
        })
        .await
        .map_err(Error::from)?;
        for row in custom {
            roles.push(role_proto(&row.role_key, &row.name, row.permissions, false));
        }
        Ok(Response::new(pb::ListRolesResponse { roles }))
    }

    async fn create_role(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Result<Response<pb::CreateRoleResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let request = request.into_inner();
        let role = custom_role(&request.key, &request.name, &request.permissions)?;
        let scope = format!("{user}/{company}/CreateRole");
        let answer = self
            .in_company(company, user, async |tx, _| {
                idempotency::once(tx, &scope, &request.idempotency_key, &request, async |tx| {
                    roles::insert_role(tx, company, &role).await?;
                    audit::audit(
                        tx,
                        company,
                        &user.to_string(),
                        "role.created",
                        serde_json::json!({"role": role.key}),
                    )
                    .await?;
                    Ok::<_, Error>(pb::CreateRoleResponse {
                        role: Some(role_proto(
                            &role.key,
                            &role.name,
                            role.permissions.clone(),
                            false,
                        )),
                    })
                })
                .await
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn update_role(
        &self,
        request: Request<pb::UpdateRoleRequest>,
    ) -> Result<Response<pb::UpdateRoleResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let request = request.into_inner();
        if permissions::built_in(&request.key).is_some() {
            return Err(Error::BuiltInRole(request.key).into());
        }
        let role = custom_role(&request.key, &request.name, &request.permissions)?;
        self.in_company(company, user, async |tx, _| {
            if !roles::update_role(tx, company, &role).await? {
                return Err(Error::RoleNotFound(role.key.clone()));
            }
            audit::audit(
                tx,
                company,
                &user.to_string(),
                "role.updated",
                serde_json::json!({"role": role.key}),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::UpdateRoleResponse {
            role: Some(role_proto(&role.key, &role.name, role.permissions, false)),
        }))
    }

    async fn delete_role(
        &self,
        request: Request<pb::DeleteRoleRequest>,
    ) -> Result<Response<pb::DeleteRoleResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let key = request.into_inner().key;
        if permissions::built_in(&key).is_some() {
            return Err(Error::BuiltInRole(key).into());
        }
        self.in_company(company, user, async |tx, _| {
            if roles::role_in_use(tx, company, &key).await? {
                return Err(Error::RoleInUse(key.clone()));
            }
            if !roles::delete_role(tx, company, &key).await? {
                return Err(Error::RoleNotFound(key.clone()));
            }
            audit::audit(
                tx,
                company,
                &user.to_string(),
                "role.deleted",
                serde_json::json!({"role": key}),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::DeleteRoleResponse {}))
    }

    async fn list_members(
        &self,
        request: Request<pb::ListMembersRequest>,
    ) -> Result<Response<pb::ListMembersResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, None).await?;
        let request = request.into_inner();
        let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
        let mut rows = read(&self.deps.pool, Some(company), Some(user), async |tx| {
            members::members(tx, company, after, page.fetch_limit()).await
        })
        .await
        .map_err(Error::from)?;
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
        let Ctx {
            company,
            user,
            access,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let email = violations.check("email", rules::normalise_email(&request.email));
        violations.into_result()?;
        let email = email.unwrap_or_default();
        let scope = format!("{user}/{company}/InviteMember");
        let ttl = self.invitation_ttl;
        let answer = self
            .in_company(company, user, async |tx, locked| {
                may_grant(tx, company, &locked, user, &access, &request.role).await?;
                idempotency::once(tx, &scope, &request.idempotency_key, &request, async |tx| {
                    let taken = members::seats_taken(tx, company).await?;
                    if taken >= PLAN_MEMBER_LIMIT {
                        return Err(Error::PlanLimit(PLAN_MEMBER_LIMIT));
                    }
                    let now = Utc::now();
                    let invitation = InvitationRow {
                        invitation_id: Uuid::now_v7(),
                        company_id: company,
                        email: email.clone(),
                        role: request.role.clone(),
                        created_at: now,
                        expires_at: now + ttl,
                        accepted_at: None,
                        revoked_at: None,
                        open_link: request.open_link,
                    };
                    let token = new_token();
                    invitations::insert_invitation(tx, &invitation, &hash_token(&token), user).await?;
                    Event::about(names::INVITATION_CREATED, company, &user.to_string(), |meta| events::InvitationCreated {
                        meta: Some(meta),
                        invitation_id: invitation.invitation_id.to_string(),
                        email: email.clone(),
                        role: invitation.role.clone(),
                    })
                    .enqueue(tx)
                    .await?;
                    audit::audit(tx, company, &user.to_string(), "invitation.created", serde_json::json!({"email": email, "role": invitation.role})).await?;
                    // Sent inside the transaction: if the mail cannot go, nothing is kept.
                    let link = self.mailer.link(&format!("/invitations/accept?token={token}"));
                    self.mailer
                        .send(&Mail {
                            to: email.clone(),
                            subject: "You are invited to join a company on Comptoir".to_owned(),
                            body: format!(
                                "You have been invited to join a company on Comptoir as {}.\n\nAccept the invitation (valid until {}):\n{link}\n",
                                invitation.role,
                                invitation.expires_at.format("%Y-%m-%d %H:%M UTC"),
                            ),
                        })
                        .await
                        .map_err(|err| Error::Mail(err.to_string()))?;
                    Ok(pb::InviteMemberResponse {
                        invitation: Some((&invitation).into()),
                    })
                })
                .await
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn list_invitations(
        &self,
        request: Request<pb::ListInvitationsRequest>,
    ) -> Result<Response<pb::ListInvitationsResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let request = request.into_inner();
        let (page, after) = page::parse_keyset(request.page_size, &request.page_token)?;
        let mut rows = read(&self.deps.pool, Some(company), Some(user), async |tx| {
            invitations::pending_invitations(tx, company, after, page.fetch_limit()).await
        })
        .await
        .map_err(Error::from)?;
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
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let invitation_id =
            error::required_uuid("invitation_id", &request.get_ref().invitation_id)?;
        self.in_company(company, user, async |tx, _| {
            let invitation = invitations::invitation_of(tx, company, invitation_id)
                .await?
                .ok_or_else(|| Error::InvitationNotFound)?;
            invitation_state(&invitation, Utc::now()).require_pending()?;
            invitations::mark_invitation(tx, invitation_id, None).await?;
            audit::audit(
                tx,
                company,
                &user.to_string(),
                "invitation.revoked",
                serde_json::json!({"invitation_id": invitation_id}),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::RevokeInvitationResponse {}))
    }

    async fn accept_invitation(
        &self,
        request: Request<pb::AcceptInvitationRequest>,
    ) -> Result<Response<pb::AcceptInvitationResponse>, Status> {
        let user = match Caller::of(&request)? {
            Caller::User { user_id, .. } => *user_id,
            Caller::Service { .. } => return Err(Error::UserRequired.into()),
        };
        let token = request.into_inner().token;
        if token.trim().is_empty() {
            let mut violations = FieldViolations::new();
            violations.add("token", "is required");
            return Err(Error::InvalidArgument(violations).into());
        }
        let mut tx = begin(&self.deps.pool, None, Some(user))
            .await
            .map_err(Error::from)?;
        let opened = invitations::invitation_by_token(&mut tx, &hash_token(token.trim()))
            .await
            .map_err(Error::from)?
            .ok_or(Error::InvitationNotFound)?;
        // The token proves the invitation: from here on, act for its company.
        let company = opened.company_id;
        act_as(&mut tx, Some(company), Some(user))
            .await
            .map_err(Error::from)?;
        companies::lock_company(&mut tx, company).await?;
        let invitation = invitations::invitation_of(&mut tx, company, opened.invitation_id)
            .await
            .map_err(Error::from)?
            .ok_or(Error::InvitationNotFound)?;
        invitation_state(&invitation, Utc::now()).require_pending()?;
        if !invitation.open_link {
            let email = accounts::account_email(&mut tx, user)
                .await
                .map_err(Error::from)?
                .ok_or(Error::AccountUnknown)?;
            if email != invitation.email {
                return Err(Error::InvitationEmailMismatch(invitation.email).into());
            }
        }
        members::add_member(&mut tx, company, user, &invitation.role).await?;
        invitations::mark_invitation(&mut tx, invitation.invitation_id, Some(user))
            .await
            .map_err(Error::from)?;
        let actor = user.to_string();
        for event in [
            Event::about(names::MEMBERSHIP_GRANTED, company, &actor, |meta| {
                events::MembershipGranted {
                    meta: Some(meta),
                    user_id: actor.clone(),
                    role: invitation.role.clone(),
                }
            }),
            Event::about(names::INVITATION_ACCEPTED, company, &actor, |meta| {
                events::InvitationAccepted {
                    meta: Some(meta),
                    invitation_id: invitation.invitation_id.to_string(),
                    user_id: actor.clone(),
                }
            }),
        ] {
            event.enqueue(&mut tx).await.map_err(Error::from)?;
        }
        audit::audit(
            &mut tx,
            company,
            &actor,
            "invitation.accepted",
            serde_json::json!({"invitation_id": invitation.invitation_id, "role": invitation.role}),
        )
        .await
        .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        self.deps.outbox.wake();
        Ok(Response::new(pb::AcceptInvitationResponse {
            company_id: company.to_string(),
            role: invitation.role,
        }))
    }

    async fn change_member_role(
        &self,
        request: Request<pb::ChangeMemberRoleRequest>,
    ) -> Result<Response<pb::ChangeMemberRoleResponse>, Status> {
        let Ctx {
            company,
            user,
            access,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let request = request.into_inner();
        let target = error::required_uuid("user_id", &request.user_id)?;
        let member = self
            .in_company(company, user, async |tx, locked| {
                let member = members::member(tx, company, target)
                    .await?
                    .ok_or(Error::MemberNotFound)?;
                let demoted = is_administrator(&member.role) && !is_administrator(&request.role);
                if demoted && locked.owner_id == target {
                    return Err(Error::OwnerMustStayAdministrator);
                }
                if demoted && members::administrators(tx, company).await? <= 1 {
                    return Err(Error::LastAdministrator);
                }
                rules::may_change(granter(&access, &locked, user), user, target, &member.role)?;
                // Services cut the member's unexpired tokens down to these.
                let permissions =
                    may_grant(tx, company, &locked, user, &access, &request.role).await?;
                members::set_member_role(tx, company, target, &request.role).await?;
                Event::about(
                    names::MEMBERSHIP_CHANGED,
                    company,
                    &user.to_string(),
                    |meta| events::MembershipChanged {
                        meta: Some(meta),
                        user_id: target.to_string(),
                        role: request.role.clone(),
                        permissions,
                    },
                )
                .enqueue(tx)
                .await?;
                audit::audit(
                    tx,
                    company,
                    &user.to_string(),
                    "membership.changed",
                    serde_json::json!({"user_id": target, "from": member.role, "to": request.role}),
                )
                .await?;
                Ok(MemberRow {
                    role: request.role.clone(),
                    ..member
                })
            })
            .await?;
        Ok(Response::new(pb::ChangeMemberRoleResponse {
            member: Some((&member).into()),
        }))
    }

    async fn remove_member(
        &self,
        request: Request<pb::RemoveMemberRequest>,
    ) -> Result<Response<pb::RemoveMemberResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, Some(MEMBERS_MANAGE)).await?;
        let target = error::required_uuid("user_id", &request.get_ref().user_id)?;
        self.in_company(company, user, async |tx, locked| {
            let member = members::member(tx, company, target)
                .await?
                .ok_or(Error::MemberNotFound)?;
            if locked.owner_id == target {
                return Err(Error::OwnerCannotBeRemoved);
            }
            if member.role == permissions::ADMINISTRATOR.key
                && members::administrators(tx, company).await? <= 1
            {
                return Err(Error::LastAdministrator);
            }
            members::remove_member(tx, company, target).await?;
            Event::about(
                names::MEMBERSHIP_REVOKED,
                company,
                &user.to_string(),
                |meta| events::MembershipRevoked {
                    meta: Some(meta),
                    user_id: target.to_string(),
                },
            )
            .enqueue(tx)
            .await?;
            audit::audit(
                tx,
                company,
                &user.to_string(),
                "membership.revoked",
                serde_json::json!({"user_id": target}),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::RemoveMemberResponse {}))
    }

    async fn transfer_ownership(
        &self,
        request: Request<pb::TransferOwnershipRequest>,
    ) -> Result<Response<pb::TransferOwnershipResponse>, Status> {
        let Ctx {
            company,
            user,
            access: _,
        } = authorize(&self.deps.pool, &request, None).await?;
        let target = error::required_uuid("user_id", &request.get_ref().user_id)?;
        self.in_company(company, user, async |tx, locked| {
            if locked.owner_id != user {
                return Err(Error::OwnerOnly);
            }
            let member = members::member(tx, company, target)
                .await?
                .ok_or(Error::MemberNotFound)?;
            if !is_administrator(&member.role) {
                return Err(Error::NewOwnerMustBeAdministrator);
            }
            members::set_owner(tx, company, target).await?;
            Event::about(
                names::OWNERSHIP_TRANSFERRED,
                company,
                &user.to_string(),
                |meta| events::OwnershipTransferred {
                    meta: Some(meta),
                    from_user_id: user.to_string(),
                    to_user_id: target.to_string(),
                },
            )
            .enqueue(tx)
            .await?;
            audit::audit(
                tx,
                company,
                &user.to_string(),
                "ownership.transferred",
                serde_json::json!({"from": user, "to": target}),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::TransferOwnershipResponse {}))
    }
}
