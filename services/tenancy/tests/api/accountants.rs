//! A company's accounting firm, from the company's side: invited by e-mail, accepted by
//! one of the firm's Administrators with the firm active, for an "accountant" grant the
//! company lists and ends. A used, expired or revoked link is refused with its reason.

use comptoir_proto::events::v1::{FirmGrantCreated, InvitationCreated, InvitationKind};
use comptoir_proto::tenancy::v1::{
    AcceptFirmInvitationRequest, AcceptFirmInvitationResponse, GrantFirmAccessRequest, Invitation,
    InviteFirmRequest, ListFirmGrantsRequest, ListFirmGrantsResponse, ListInvitationsRequest,
    RevokeFirmAccessRequest, RevokeInvitationRequest,
};
use comptoir_test_support::{bad_fields, bearer, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;

const ACCOUNTANT: &str = "expert@cabinet.fr";

/// An accounting firm whose owner (an Administrator) signs in as `ACCOUNTANT`, and a
/// client company, each with its owner's token scoped to it.
struct Parties {
    firm_admin: Uuid,
    firm: String,
    firm_token: String,
    client: String,
    client_token: String,
}

async fn parties(env: &Env) -> Parties {
    let (firm_admin, firm) = env
        .owner_of(ACCOUNTANT, "Cabinet Lefèvre", "552100554", true)
        .await;
    env.announce_account(firm_admin, ACCOUNTANT).await;
    let (client_owner, client) = env
        .owner_of(
            "gerante@boulangerie.fr",
            "Boulangerie Dupont",
            "732829320",
            false,
        )
        .await;
    Parties {
        firm_admin,
        firm_token: env.scoped(firm_admin, &firm).await,
        firm,
        client_token: env.scoped(client_owner, &client).await,
        client,
    }
}

/// `InviteFirm` of `email` sent with `token`; the invitation and the token its e-mail
/// carries.
async fn invite_firm(
    env: &Env,
    email: &str,
    token: &str,
) -> Result<(Invitation, String), tonic::Status> {
    let invitation = env
        .firms()
        .await
        .invite_firm(bearer(
            InviteFirmRequest {
                email: email.to_owned(),
            },
            token,
        ))
        .await?
        .into_inner()
        .invitation
        .expect("the invitation");
    let link = env.mailed_token(&invitation.email).await;
    Ok((invitation, link))
}

async fn accept_firm(
    env: &Env,
    link: &str,
    token: &str,
) -> Result<AcceptFirmInvitationResponse, tonic::Status> {
    Ok(env
        .firms()
        .await
        .accept_firm_invitation(bearer(
            AcceptFirmInvitationRequest {
                token: link.to_owned(),
            },
            token,
        ))
        .await?
        .into_inner())
}

async fn firm_grants(env: &Env, token: &str) -> ListFirmGrantsResponse {
    env.firms()
        .await
        .list_firm_grants(bearer(ListFirmGrantsRequest {}, token))
        .await
        .unwrap()
        .into_inner()
}

fn refusal(status: &tonic::Status) -> (Code, String) {
    (status.code(), reason(status))
}

#[tokio::test]
async fn a_company_invites_its_firm_whose_administrator_accepts_and_the_company_revokes_it() {
    let env = Env::start().await;
    let p = parties(&env).await;

    let (invitation, link) = invite_firm(&env, " Expert@Cabinet.FR ", &p.client_token)
        .await
        .unwrap();
    assert_eq!(invitation.email, ACCOUNTANT);
    assert_eq!(invitation.role, "accountant");
    assert!(invitation.expire_time.is_some());
    let created: Vec<InvitationCreated> =
        env.published("comptoir.tenancy.invitation.created").await;
    let created = created
        .iter()
        .find(|event| event.invitation_id == invitation.invitation_id)
        .expect("invitation.created for the firm invitation");
    assert_eq!(created.kind, InvitationKind::Firm as i32);
    assert_eq!(created.meta.as_ref().unwrap().company_id, p.client);

    // The company sees it pending among its firm invitations, not among its members'.
    let listed = firm_grants(&env, &p.client_token).await;
    assert!(listed.grants.is_empty());
    assert_eq!(listed.invitations.len(), 1);
    assert_eq!(
        listed.invitations[0].invitation_id,
        invitation.invitation_id
    );
    let member_invitations = env
        .members()
        .await
        .list_invitations(bearer(ListInvitationsRequest::default(), &p.client_token))
        .await
        .unwrap()
        .into_inner()
        .invitations;
    assert!(member_invitations.is_empty());

    let accepted = accept_firm(&env, &link, &p.firm_token).await.unwrap();
    assert_eq!(
        (
            accepted.company_id.as_str(),
            accepted.firm_id.as_str(),
            accepted.role.as_str(),
            accepted.granted
        ),
        (p.client.as_str(), p.firm.as_str(), "accountant", true)
    );
    // The firm's Administrator acts on the client with the Accountant's rights, through
    // the firm, without being its member.
    let (role, permissions, through_firm) =
        env.check_access(p.firm_admin, &p.client).await.unwrap();
    assert_eq!((role.as_str(), through_firm), ("accountant", true));
    assert!(
        permissions.iter().any(|p| p == "periods.lock"),
        "{permissions:?}"
    );
    assert!(
        !permissions.iter().any(|p| p == "members.manage"),
        "{permissions:?}"
    );
    let granted: Vec<FirmGrantCreated> = env.published("comptoir.tenancy.firm_grant.created").await;
    assert_eq!(granted.len(), 1);
    assert_eq!(
        (granted[0].firm_id.as_str(), granted[0].role.as_str()),
        (p.firm.as_str(), "accountant")
    );
    assert_eq!(
        env.count(
            "SELECT count(*) FROM tenancy.outbox WHERE subject = 'comptoir.tenancy.membership.granted'"
        )
        .await,
        0,
        "the accountant joined no company"
    );

    let listed = firm_grants(&env, &p.client_token).await;
    assert!(listed.invitations.is_empty());
    assert_eq!(listed.grants.len(), 1);
    let grant = &listed.grants[0];
    assert_eq!(
        (
            grant.firm_id.as_str(),
            grant.legal_name.as_str(),
            grant.role.as_str()
        ),
        (p.firm.as_str(), "Cabinet Lefèvre", "accountant")
    );
    assert!(grant.grant_time.is_some());

    // The link is single-use.
    let reused = accept_firm(&env, &link, &p.firm_token).await.unwrap_err();
    assert_eq!(
        refusal(&reused),
        (Code::FailedPrecondition, "INVITATION_USED".to_owned())
    );

    // The company ends it: the firm's people lose the client at once.
    env.firms()
        .await
        .revoke_firm_access(bearer(
            RevokeFirmAccessRequest {
                firm_id: p.firm.clone(),
                company_id: p.client.clone(),
            },
            &p.client_token,
        ))
        .await
        .unwrap();
    let refused = env.check_access(p.firm_admin, &p.client).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(firm_grants(&env, &p.client_token).await.grants.is_empty());
    env.assert_stored_nowhere(&[&link, &p.client_token, &p.firm_token])
        .await;
}

#[tokio::test]
async fn only_an_administrator_of_a_firm_invited_at_their_address_may_accept() {
    let env = Env::start().await;
    let p = parties(&env).await;

    // A company that is not a firm.
    let (plain_owner, plain) = env
        .owner_of("plain@example.fr", "Pas Cabinet", "542051180", false)
        .await;
    env.announce_account(plain_owner, "plain@example.fr").await;
    let plain_token = env.scoped(plain_owner, &plain).await;
    let (_, to_plain) = invite_firm(&env, "plain@example.fr", &p.client_token)
        .await
        .unwrap();
    let not_firm = accept_firm(&env, &to_plain, &plain_token)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&not_firm),
        (Code::FailedPrecondition, "NOT_A_FIRM".to_owned())
    );

    // A member of the firm without `members.manage`.
    let joining = env
        .invite(&p.firm_token, "junior@cabinet.fr", "user")
        .await
        .unwrap();
    let junior = env.join("junior@cabinet.fr", &joining).await.unwrap();
    let junior_token = env.scoped(junior, &p.firm).await;
    let (_, to_junior) = invite_firm(&env, "junior@cabinet.fr", &p.client_token)
        .await
        .unwrap();
    let not_admin = accept_firm(&env, &to_junior, &junior_token)
        .await
        .unwrap_err();
    assert_eq!(not_admin.code(), Code::PermissionDenied);

    // The firm's Administrator holding a link sent to someone else.
    let not_theirs = accept_firm(&env, &to_junior, &p.firm_token)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&not_theirs),
        (
            Code::FailedPrecondition,
            "INVITATION_EMAIL_MISMATCH".to_owned()
        )
    );

    // A member's link is no firm's, and a firm's link is no member's.
    let member_link = env
        .invite(&p.client_token, ACCOUNTANT, "user")
        .await
        .unwrap();
    let as_firm = accept_firm(&env, &member_link, &p.firm_token)
        .await
        .unwrap_err();
    assert_eq!(as_firm.code(), Code::NotFound);
    let as_member = env.accept(&p.firm_token, &to_plain).await.unwrap_err();
    assert_eq!(as_member.code(), Code::NotFound);
    let empty = accept_firm(&env, " ", &p.firm_token).await.unwrap_err();
    assert_eq!(bad_fields(&empty), vec!["token"]);

    // Nothing was granted, and both firm links are still pending.
    assert!(env.check_access(p.firm_admin, &p.client).await.is_err());
    let listed = firm_grants(&env, &p.client_token).await;
    assert!(listed.grants.is_empty());
    assert_eq!(listed.invitations.len(), 2);
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.firm_grant").await,
        0
    );
}

#[tokio::test]
async fn expired_revoked_and_replaced_firm_links_are_refused_with_their_reason() {
    let env = Env::start().await;
    let p = parties(&env).await;

    let (_, expired) = invite_firm(&env, ACCOUNTANT, &p.client_token)
        .await
        .unwrap();
    let mut db = env.harness.db.admin().await;
    sqlx::query(
        "UPDATE tenancy.invitation SET expires_at = now() - interval '1 second' \
         WHERE kind = 'firm'",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let late = accept_firm(&env, &expired, &p.firm_token)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&late),
        (Code::FailedPrecondition, "INVITATION_EXPIRED".to_owned())
    );
    assert!(
        firm_grants(&env, &p.client_token)
            .await
            .invitations
            .is_empty()
    );

    // Sending again to the same address works, and only the newest link does.
    let (_, replaced) = invite_firm(&env, ACCOUNTANT, &p.client_token)
        .await
        .unwrap();
    let (newest, newest_link) = invite_firm(&env, ACCOUNTANT, &p.client_token)
        .await
        .unwrap();
    let old = accept_firm(&env, &replaced, &p.firm_token)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&old),
        (Code::FailedPrecondition, "INVITATION_REVOKED".to_owned())
    );

    // The company revokes the newest one as it revokes a member's invitation.
    env.members()
        .await
        .revoke_invitation(bearer(
            RevokeInvitationRequest {
                invitation_id: newest.invitation_id,
            },
            &p.client_token,
        ))
        .await
        .unwrap();
    let revoked = accept_firm(&env, &newest_link, &p.firm_token)
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&revoked),
        (Code::FailedPrecondition, "INVITATION_REVOKED".to_owned())
    );
    assert!(env.check_access(p.firm_admin, &p.client).await.is_err());
}

#[tokio::test]
async fn a_firm_invitation_takes_no_seat_and_never_lowers_an_administrator_grant() {
    let env = Env::start().await;
    let p = parties(&env).await;

    // The plan's seats are full (the owner and four pending members)...
    for n in 1..=4 {
        env.invite(&p.client_token, &format!("m{n}@example.fr"), "user")
            .await
            .unwrap();
    }
    let full = env
        .invite(&p.client_token, "m5@example.fr", "user")
        .await
        .unwrap_err();
    assert_eq!(reason(&full), "PLAN_MEMBER_LIMIT");
    // ... and the company still invites its accountant.
    let (_, link) = invite_firm(&env, ACCOUNTANT, &p.client_token)
        .await
        .unwrap();

    // The firm already holds an "administrator" grant: accepting keeps it.
    env.firms()
        .await
        .grant_firm_access(bearer(
            GrantFirmAccessRequest {
                firm_id: p.firm.clone(),
                role: "administrator".to_owned(),
            },
            &p.client_token,
        ))
        .await
        .unwrap();
    let accepted = accept_firm(&env, &link, &p.firm_token).await.unwrap();
    assert_eq!(
        (accepted.role.as_str(), accepted.granted),
        ("administrator", false)
    );
    let (role, _, through_firm) = env.check_access(p.firm_admin, &p.client).await.unwrap();
    assert_eq!((role.as_str(), through_firm), ("administrator", true));
    let listed = firm_grants(&env, &p.client_token).await;
    assert_eq!(listed.grants.len(), 1);
    assert_eq!(listed.grants[0].role, "administrator");
    assert!(
        listed.invitations.is_empty(),
        "the link is used all the same"
    );
}
