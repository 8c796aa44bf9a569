//! Members, invitations, roles and ownership, checked live by tenancy and answered to
//! identity through CheckAccess.

use comptoir_proto::tenancy::v1::{
    AcceptInvitationRequest, ChangeMemberRoleRequest, CheckAccessRequest, CreateRoleRequest,
    DeleteRoleRequest, Invitation, InviteMemberRequest, ListInvitationsRequest, ListMembersRequest,
    ListRolesRequest, RemoveMemberRequest, RevokeInvitationRequest, TransferOwnershipRequest,
    access_service_client::AccessServiceClient, member_service_client::MemberServiceClient,
};
use comptoir_test_support::{bad_fields, bearer, reason};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::{Env, subject};

impl Env {
    pub(crate) async fn members(&self) -> MemberServiceClient<Channel> {
        MemberServiceClient::new(self.tenancy.channel().await)
    }

    pub(crate) async fn check_access(
        &self,
        user: Uuid,
        company: &str,
    ) -> Result<(String, Vec<String>, bool), tonic::Status> {
        let service = self.service_token("identity").await;
        let answer = AccessServiceClient::new(self.tenancy.channel().await)
            .check_access(bearer(
                CheckAccessRequest {
                    user_id: user.to_string(),
                    company_id: company.to_owned(),
                },
                &service,
            ))
            .await?
            .into_inner();
        Ok((answer.role, answer.permissions, answer.through_firm))
    }

    /// Invites `email` as `role` and returns the token from the invitation e-mail.
    pub(crate) async fn invite(
        &self,
        admin: &str,
        email: &str,
        role: &str,
    ) -> Result<String, tonic::Status> {
        let request = InviteMemberRequest {
            email: email.to_owned(),
            role: role.to_owned(),
            ..Default::default()
        };
        Ok(self.send_invitation(admin, request).await?.1)
    }

    /// Sends `request` as `admin`; returns the invitation and the token from its e-mail.
    pub(crate) async fn send_invitation(
        &self,
        admin: &str,
        request: InviteMemberRequest,
    ) -> Result<(Invitation, String), tonic::Status> {
        let invitation = self
            .members()
            .await
            .invite_member(bearer(request, admin))
            .await?
            .into_inner()
            .invitation
            .expect("the invitation");
        let token = self.mailed_token(&invitation.email).await;
        Ok((invitation, token))
    }

    /// The token of the newest invitation e-mailed to `email`.
    pub(crate) async fn mailed_token(&self, email: &str) -> String {
        self.mailbox.newest_link_token(email).await
    }

    /// Signs `email` up and accepts `token`; returns the new member's id.
    pub(crate) async fn join(&self, email: &str, token: &str) -> Result<Uuid, tonic::Status> {
        let login = self.signed_in(email).await;
        self.accept(&login, token).await?;
        Ok(subject(&login))
    }

    /// A session of `email`'s account (signed up if new), once tenancy knows the account.
    pub(crate) async fn signed_in(&self, email: &str) -> String {
        let login = self.token(email).await;
        self.announce_account(subject(&login), email).await;
        login
    }

    /// Publishes the account's `user.registered` onto identity's stream, as identity does
    /// at sign-up, and waits until tenancy has recorded it (a copy of identity's own event,
    /// if it sends one, changes nothing).
    pub(crate) async fn announce_account(&self, user: Uuid, email: &str) {
        use comptoir_proto::events::v1::{EventMeta, UserRegistered};
        use prost::Message;
        let event_id = Uuid::now_v7();
        let event = UserRegistered {
            meta: Some(EventMeta {
                event_id: event_id.to_string(),
                occur_time: None,
                company_id: String::new(),
                actor: user.to_string(),
            }),
            user_id: user.to_string(),
            email: email.trim().to_lowercase(),
            register_time: None,
        };
        comptoir_test_support::publish(
            &self.harness.nats,
            "identity",
            "comptoir.identity.user.registered",
            &event_id.to_string(),
            event.encode_to_vec(),
        )
        .await;
        comptoir_test_support::eventually("tenancy to learn the account", || async {
            let mut db = self.harness.db.admin().await;
            let known: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM tenancy.account WHERE user_id = $1)",
            )
            .bind(user)
            .fetch_one(&mut db)
            .await
            .unwrap_or(false);
            known.then_some(())
        })
        .await;
    }

    /// Accepts the invitation `token` with the session `login`.
    pub(crate) async fn accept(&self, login: &str, token: &str) -> Result<(), tonic::Status> {
        self.members()
            .await
            .accept_invitation(bearer(
                AcceptInvitationRequest {
                    token: token.to_owned(),
                },
                login,
            ))
            .await
            .map(|_| ())
    }
}

#[tokio::test]
async fn an_invited_sales_member_gets_the_sales_permissions_only() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "Boulangerie Dupont", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    let token = env
        .invite(&admin, " Paul@Example.FR ", "sales")
        .await
        .unwrap();
    let paul = env.join("paul@example.fr", &token).await.unwrap();

    let (role, permissions, through_firm) = env.check_access(paul, &company).await.unwrap();
    assert_eq!(
        (role.as_str(), permissions, through_firm),
        ("sales", vec!["quotes.write".to_owned()], false)
    );
    let (role, permissions, _) = env.check_access(owner, &company).await.unwrap();
    assert_eq!(role, "administrator");
    assert!(permissions.contains(&"members.manage".to_owned()));

    // Another company (or none) is not reachable, and says nothing about itself.
    let (_, other) = env
        .owner_of("other@example.fr", "Autre SAS", "552100554", false)
        .await;
    let denied = env.check_access(paul, &other).await.unwrap_err();
    let unknown = env
        .check_access(paul, &Uuid::now_v7().to_string())
        .await
        .unwrap_err();
    assert_eq!(
        (denied.code(), denied.message()),
        (unknown.code(), unknown.message())
    );
    assert_eq!(denied.code(), Code::PermissionDenied);

    // A sales member cannot manage members; a user token cannot call CheckAccess.
    let sales = env.scoped(paul, &company).await;
    let refused = env
        .invite(&sales, "x@example.fr", "user")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let internal = AccessServiceClient::new(env.tenancy.channel().await)
        .check_access(bearer(
            CheckAccessRequest {
                user_id: paul.to_string(),
                company_id: company.clone(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(internal.code(), Code::PermissionDenied);

    let members = env
        .members()
        .await
        .list_members(bearer(ListMembersRequest::default(), &sales))
        .await
        .unwrap()
        .into_inner()
        .members;
    let roles: Vec<_> = members.iter().map(|m| (m.role.as_str(), m.owner)).collect();
    assert_eq!(roles, [("administrator", true), ("sales", false)]);
    assert_eq!(
        env.count(
            "SELECT count(*) FROM tenancy.outbox WHERE subject LIKE 'comptoir.tenancy.membership.%'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn used_revoked_and_expired_invitations_fail_with_their_reason() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;

    let used = env.invite(&admin, "a@example.fr", "user").await.unwrap();
    let a_login = env.signed_in("a@example.fr").await;
    env.accept(&a_login, &used).await.unwrap();
    let again = env.join("a2@example.fr", &used).await.unwrap_err();
    assert_eq!(
        (again.code(), reason(&again).as_str()),
        (Code::FailedPrecondition, "INVITATION_USED")
    );

    let revoked = env.invite(&admin, "b@example.fr", "user").await.unwrap();
    let pending = env
        .members()
        .await
        .list_invitations(bearer(ListInvitationsRequest::default(), &admin))
        .await
        .unwrap()
        .into_inner()
        .invitations;
    assert_eq!(pending.len(), 1);
    env.members()
        .await
        .revoke_invitation(bearer(
            RevokeInvitationRequest {
                invitation_id: pending[0].invitation_id.clone(),
            },
            &admin,
        ))
        .await
        .unwrap();
    let refused = env.join("b@example.fr", &revoked).await.unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::FailedPrecondition, "INVITATION_REVOKED")
    );

    let expired = env.invite(&admin, "c@example.fr", "user").await.unwrap();
    let mut db = env.harness.db.admin().await;
    sqlx::query("UPDATE tenancy.invitation SET expires_at = now() - interval '1 second' WHERE email = 'c@example.fr'")
        .execute(&mut db)
        .await
        .unwrap();
    let late = env.join("c@example.fr", &expired).await.unwrap_err();
    assert_eq!(
        (late.code(), reason(&late).as_str()),
        (Code::FailedPrecondition, "INVITATION_EXPIRED")
    );

    let unknown = env.join("d@example.fr", "not-a-token").await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    // The invitation tokens are only ever in the mail, and the bearer tokens only on the
    // wire: none is in an event, the audit trail or the invitation table.
    env.assert_stored_nowhere(&[&used, &revoked, &expired, &admin, &a_login])
        .await;
}

impl Env {
    /// Fails if any of `secrets` appears in tenancy's outbox payloads, audit details or
    /// invitations (searched as the bytes of the value, not as a word).
    pub(crate) async fn assert_stored_nowhere(&self, secrets: &[&str]) {
        let mut db = self.harness.db.admin().await;
        for secret in secrets {
            assert!(secret.len() >= 20, "a real token, not a word: {secret}");
            let found: i64 = sqlx::query_scalar(
                "SELECT (SELECT count(*) FROM tenancy.outbox \
                          WHERE position(convert_to($1, 'UTF8') in payload) > 0) \
                      + (SELECT count(*) FROM tenancy.audit_event \
                          WHERE position($1 in details::text) > 0) \
                      + (SELECT count(*) FROM tenancy.invitation \
                          WHERE position($1 in row(invitation.*)::text) > 0 \
                             OR position(convert_to($1, 'UTF8') in token_hash) > 0)",
            )
            .bind(*secret)
            .fetch_one(&mut db)
            .await
            .unwrap();
            assert_eq!(found, 0, "a token is stored: {secret}");
        }
    }
}

#[tokio::test]
async fn a_sixth_member_on_the_pro_plan_is_refused() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    for i in 0..4 {
        env.invite(&admin, &format!("m{i}@example.fr"), "user")
            .await
            .unwrap();
    }
    let sixth = env
        .invite(&admin, "m5@example.fr", "user")
        .await
        .unwrap_err();
    assert_eq!(
        (sixth.code(), reason(&sixth).as_str()),
        (Code::FailedPrecondition, "PLAN_MEMBER_LIMIT")
    );
    assert!(sixth.message().contains("5 members"), "{}", sixth.message());
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.invitation").await,
        4
    );
    assert_eq!(
        env.mailbox.count_to("m5@example.fr"),
        0,
        "no mail for a refused invitation"
    );
}

#[tokio::test]
async fn ownership_moves_to_an_administrator_and_removal_ends_access_at_once() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    let token = env.invite(&admin, "bob@example.fr", "user").await.unwrap();
    let bob = env.join("bob@example.fr", &token).await.unwrap();
    let mut members = env.members().await;

    let not_admin = members
        .transfer_ownership(bearer(
            TransferOwnershipRequest {
                user_id: bob.to_string(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&not_admin), "NEW_OWNER_NOT_ADMINISTRATOR");
    let demote_owner = members
        .change_member_role(bearer(
            ChangeMemberRoleRequest {
                user_id: owner.to_string(),
                role: "user".to_owned(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&demote_owner), "OWNER_STAYS_ADMINISTRATOR");
    let remove_owner = members
        .remove_member(bearer(
            RemoveMemberRequest {
                user_id: owner.to_string(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&remove_owner), "OWNER_CANNOT_BE_REMOVED");

    members
        .change_member_role(bearer(
            ChangeMemberRoleRequest {
                user_id: bob.to_string(),
                role: "administrator".to_owned(),
            },
            &admin,
        ))
        .await
        .unwrap();
    members
        .transfer_ownership(bearer(
            TransferOwnershipRequest {
                user_id: bob.to_string(),
            },
            &admin,
        ))
        .await
        .unwrap();
    let bob_admin = env.scoped(bob, &company).await;
    let listed = members
        .list_members(bearer(ListMembersRequest::default(), &bob_admin))
        .await
        .unwrap()
        .into_inner()
        .members;
    let owners: Vec<_> = listed
        .iter()
        .filter(|m| m.owner)
        .map(|m| m.user_id.clone())
        .collect();
    assert_eq!(owners, [bob.to_string()]);
    assert!(
        listed.iter().all(|m| m.role == "administrator"),
        "the old owner stays Administrator"
    );

    // The new owner removes the old one: access ends at once, in tenancy and for identity.
    members
        .remove_member(bearer(
            RemoveMemberRequest {
                user_id: owner.to_string(),
            },
            &bob_admin,
        ))
        .await
        .unwrap();
    assert_eq!(
        env.check_access(owner, &company).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let gone = members
        .list_members(bearer(ListMembersRequest::default(), &admin))
        .await
        .unwrap_err();
    // Refused by tenancy's live check (NOT_FOUND), or already by the auth layer once
    // membership.revoked has reached it (PERMISSION_DENIED, ACCESS_REVOKED).
    assert!(
        gone.code() == Code::NotFound
            || (gone.code(), reason(&gone).as_str()) == (Code::PermissionDenied, "ACCESS_REVOKED"),
        "{gone:?}"
    );
    let last = members
        .change_member_role(bearer(
            ChangeMemberRoleRequest {
                user_id: bob.to_string(),
                role: "user".to_owned(),
            },
            &bob_admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&last), "OWNER_STAYS_ADMINISTRATOR");
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.outbox WHERE subject = 'comptoir.tenancy.membership.revoked'").await,
        1
    );
}

#[tokio::test]
async fn custom_roles_are_made_of_known_permissions_and_cannot_vanish_while_held() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    let mut members = env.members().await;
    let bad = members
        .create_role(bearer(
            CreateRoleRequest {
                key: "Cashier".to_owned(),
                name: String::new(),
                permissions: vec!["quotes.write".to_owned(), "coffee.make".to_owned()],
                idempotency_key: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad), ["key", "name", "permissions[1]"]);

    members
        .create_role(bearer(
            CreateRoleRequest {
                key: "cashier".to_owned(),
                name: "Cashier".to_owned(),
                permissions: vec!["payments.write".to_owned(), "invoices.read".to_owned()],
                idempotency_key: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap();
    let roles = members
        .list_roles(bearer(ListRolesRequest {}, &admin))
        .await
        .unwrap()
        .into_inner()
        .roles;
    assert_eq!(roles.len(), 7);
    assert_eq!(
        roles.last().unwrap().permissions,
        ["invoices.read", "payments.write"]
    );

    let token = env
        .invite(&admin, "cash@example.fr", "cashier")
        .await
        .unwrap();
    let cashier = env.join("cash@example.fr", &token).await.unwrap();
    let (role, permissions, _) = env.check_access(cashier, &company).await.unwrap();
    assert_eq!((role.as_str(), permissions.len()), ("cashier", 2));
    let held = members
        .delete_role(bearer(
            DeleteRoleRequest {
                key: "cashier".to_owned(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&held), "ROLE_IN_USE");
    let built_in = members
        .delete_role(bearer(
            DeleteRoleRequest {
                key: "sales".to_owned(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&built_in), "BUILT_IN_ROLE");
}

#[tokio::test]
async fn the_audit_trail_records_who_changed_what_newest_first() {
    use comptoir_proto::tenancy::v1::{
        ListAuditEventsRequest, audit_service_client::AuditServiceClient,
    };
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    let token = env.invite(&admin, "sue@example.fr", "sales").await.unwrap();
    let sue = env.join("sue@example.fr", &token).await.unwrap();
    env.members()
        .await
        .remove_member(bearer(
            RemoveMemberRequest {
                user_id: sue.to_string(),
            },
            &admin,
        ))
        .await
        .unwrap();

    let mut audit = AuditServiceClient::new(env.tenancy.channel().await);
    let first = audit
        .list_audit_events(bearer(
            ListAuditEventsRequest {
                page_size: 2,
                page_token: String::new(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = audit
        .list_audit_events(bearer(
            ListAuditEventsRequest {
                page_size: 2,
                page_token: first.next_page_token.clone(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let actions: Vec<_> = first
        .events
        .iter()
        .chain(&rest.events)
        .map(|e| (e.action.as_str(), e.actor.clone()))
        .collect();
    assert_eq!(
        actions,
        [
            ("membership.revoked", owner.to_string()),
            ("invitation.accepted", sue.to_string()),
            ("invitation.created", owner.to_string()),
            ("company.created", owner.to_string()),
        ]
    );
    assert!(first.events[0].details_json.contains(&sue.to_string()));

    // Sales cannot read it; another company's trail is not reachable.
    let sales_token = env.invite(&admin, "tom@example.fr", "sales").await.unwrap();
    let tom = env.join("tom@example.fr", &sales_token).await.unwrap();
    let refused = audit
        .list_audit_events(bearer(
            ListAuditEventsRequest::default(),
            &env.scoped(tom, &company).await,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let (_, other) = env
        .owner_of("other@example.fr", "Autre", "552100554", false)
        .await;
    let foreign = audit
        .list_audit_events(bearer(
            ListAuditEventsRequest::default(),
            &env.scoped(owner, &other).await,
        ))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::NotFound);
}

impl Env {
    /// Creates the custom role `key` holding `permissions`, as `admin`.
    async fn custom_role(&self, admin: &str, key: &str, permissions: &[&str]) {
        self.members()
            .await
            .create_role(bearer(
                CreateRoleRequest {
                    key: key.to_owned(),
                    name: key.to_owned(),
                    permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
                    idempotency_key: String::new(),
                },
                admin,
            ))
            .await
            .unwrap();
    }

    async fn change_role(&self, token: &str, user: Uuid, role: &str) -> Result<(), tonic::Status> {
        self.members()
            .await
            .change_member_role(bearer(
                ChangeMemberRoleRequest {
                    user_id: user.to_string(),
                    role: role.to_owned(),
                },
                token,
            ))
            .await
            .map(|_| ())
    }
}

fn refusal(status: &tonic::Status) -> (Code, String) {
    (status.code(), reason(status))
}

#[tokio::test]
async fn a_role_holding_only_members_manage_cannot_make_anyone_administrator_nor_grant_what_it_lacks()
 {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    env.custom_role(&admin, "manager", &["members.manage"])
        .await;
    let token = env
        .invite(&admin, "max@example.fr", "manager")
        .await
        .unwrap();
    let max = env.join("max@example.fr", &token).await.unwrap();
    let token = env.invite(&admin, "ugo@example.fr", "user").await.unwrap();
    let ugo = env.join("ugo@example.fr", &token).await.unwrap();
    let manager = env.scoped(max, &company).await;
    let denied = |reason: &str| (Code::PermissionDenied, reason.to_owned());

    let own = env
        .change_role(&manager, max, "administrator")
        .await
        .unwrap_err();
    assert_eq!(refusal(&own), denied("OWN_ROLE_UNCHANGEABLE"));
    let other = env
        .change_role(&manager, ugo, "administrator")
        .await
        .unwrap_err();
    assert_eq!(refusal(&other), denied("ADMINISTRATOR_GRANT_RESERVED"));
    let sales = env.change_role(&manager, ugo, "sales").await.unwrap_err();
    assert_eq!(refusal(&sales), denied("PERMISSION_NOT_HELD"));
    assert!(
        sales.message().contains("quotes.write"),
        "{}",
        sales.message()
    );

    let invited_admin = env
        .invite(&manager, "eve@example.fr", "administrator")
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&invited_admin),
        denied("ADMINISTRATOR_GRANT_RESERVED")
    );
    let invited_sales = env
        .invite(&manager, "eve@example.fr", "sales")
        .await
        .unwrap_err();
    assert_eq!(refusal(&invited_sales), denied("PERMISSION_NOT_HELD"));
    assert_eq!(env.mailbox.count_to("eve@example.fr"), 0);

    // Nothing changed; what the manager holds, it may give.
    assert_eq!(env.check_access(max, &company).await.unwrap().0, "manager");
    assert_eq!(env.check_access(ugo, &company).await.unwrap().0, "user");
    env.change_role(&manager, ugo, "manager").await.unwrap();
    env.invite(&manager, "eve@example.fr", "manager")
        .await
        .unwrap();
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.outbox WHERE subject = 'comptoir.tenancy.membership.changed'").await,
        1
    );
}

#[tokio::test]
async fn only_the_owner_or_an_administrator_makes_an_administrator_and_nobody_changes_their_own_role()
 {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    // A custom role holding every permission is still not an Administrator.
    env.custom_role(
        &admin,
        "everything",
        &comptoir_domain_types::permissions::Permission::ALL.map(|p| p.as_str()),
    )
    .await;
    let token = env
        .invite(&admin, "all@example.fr", "everything")
        .await
        .unwrap();
    let all = env.join("all@example.fr", &token).await.unwrap();
    let token = env.invite(&admin, "ann@example.fr", "user").await.unwrap();
    let ann = env.join("ann@example.fr", &token).await.unwrap();
    let everything = env.scoped(all, &company).await;

    let refused = env
        .change_role(&everything, ann, "administrator")
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&refused),
        (
            Code::PermissionDenied,
            "ADMINISTRATOR_GRANT_RESERVED".to_owned()
        )
    );
    // The owner makes Ann Administrator; Ann, an Administrator, may make another.
    env.change_role(&admin, ann, "administrator").await.unwrap();
    let ann_admin = env.scoped(ann, &company).await;
    env.change_role(&ann_admin, all, "administrator")
        .await
        .unwrap();
    // Ann may not step down herself, nor may she demote the owner.
    let own = env.change_role(&ann_admin, ann, "user").await.unwrap_err();
    assert_eq!(
        refusal(&own),
        (Code::PermissionDenied, "OWN_ROLE_UNCHANGEABLE".to_owned())
    );
    let invited = env
        .invite(&ann_admin, "new@example.fr", "administrator")
        .await;
    assert!(invited.is_ok(), "an Administrator invites an Administrator");
}

#[tokio::test]
async fn an_invitation_is_accepted_only_by_the_account_of_the_invited_address() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    let token = env.invite(&admin, "Bob@Example.fr", "user").await.unwrap();

    let mallory = env.signed_in("mallory@example.fr").await;
    let refused = env.accept(&mallory, &token).await.unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::FailedPrecondition, "INVITATION_EMAIL_MISMATCH")
    );
    assert_eq!(bad_fields(&refused), ["token"]);
    assert!(
        refused.message().contains("bob@example.fr"),
        "{}",
        refused.message()
    );
    assert_eq!(
        env.check_access(subject(&mallory), &company)
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );

    // The invitation is still pending, for Bob.
    let bob = env.join("bob@example.fr", &token).await.unwrap();
    assert_eq!(env.check_access(bob, &company).await.unwrap().0, "user");
}

#[tokio::test]
async fn an_open_link_invitation_is_accepted_by_whoever_holds_it() {
    let env = Env::start().await;
    let (owner, company) = env
        .owner_of("owner@example.fr", "ACME", "732829320", false)
        .await;
    let admin = env.scoped(owner, &company).await;
    let (invitation, token) = env
        .send_invitation(
            &admin,
            InviteMemberRequest {
                email: "team@example.fr".to_owned(),
                role: "sales".to_owned(),
                open_link: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(invitation.open_link);
    let carol = env.join("carol@example.fr", &token).await.unwrap();
    assert_eq!(env.check_access(carol, &company).await.unwrap().0, "sales");
}
