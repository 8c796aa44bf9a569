//! The client company's side, end to end through the portal and a real tenancy: the
//! company invites its accountant, whose firm accepts and finds the company in its
//! client list (`portfolio.client_added` published), the company sees the firm and
//! revokes it; a used or expired link is refused with its reason.

use comptoir_domain_types::permissions;
use comptoir_proto::accountant_portal::v1::{
    AcceptAccountantInvitationRequest, AcceptAccountantInvitationResponse, ClientStatus,
    InviteAccountantRequest, ListAccountantsRequest, ListAccountantsResponse, ListClientsRequest,
    RevokeAccountantRequest, company_accountant_service_client::CompanyAccountantServiceClient,
};
use comptoir_proto::events::v1::PortfolioClientAdded;
use comptoir_test_support::{bad_fields, bearer, eventually, reason};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::workspace::{Company, Workspace};

const ACCOUNTANT: &str = "expert@cabinet.fr";

async fn accountants(ws: &Workspace) -> CompanyAccountantServiceClient<Channel> {
    CompanyAccountantServiceClient::new(ws.portal_service.channel().await)
}

/// The token the newest e-mail to `email` carries in its link.
async fn mailed_token(ws: &Workspace, email: &str) -> String {
    ws.mailbox.newest_link_token(email).await
}

/// `AcceptAccountantInvitation` of `link` with `token`, retried while tenancy has not yet
/// heard of the accountant's new account (UNAVAILABLE ACCOUNT_UNKNOWN).
async fn accept(
    ws: &Workspace,
    link: &str,
    token: &str,
) -> Result<AcceptAccountantInvitationResponse, tonic::Status> {
    let client = accountants(ws).await;
    eventually("tenancy to know the accountant's account", || {
        let mut client = client.clone();
        async move {
            match client
                .accept_accountant_invitation(bearer(
                    AcceptAccountantInvitationRequest {
                        token: link.to_owned(),
                    },
                    token,
                ))
                .await
            {
                Err(status) if reason(&status) == "ACCOUNT_UNKNOWN" => None,
                answer => Some(answer.map(tonic::Response::into_inner)),
            }
        }
    })
    .await
}

async fn listed(ws: &Workspace, company: &Company) -> ListAccountantsResponse {
    accountants(ws)
        .await
        .list_accountants(bearer(ListAccountantsRequest {}, &company.token))
        .await
        .unwrap()
        .into_inner()
}

/// The `portfolio.client_added` events in the portal's outbox.
async fn clients_added(ws: &Workspace) -> Vec<PortfolioClientAdded> {
    let mut db = ws.harness.db.admin().await;
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM accountant_portal.outbox \
         WHERE subject = 'comptoir.accountant_portal.portfolio.client_added'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    payloads
        .iter()
        .map(|payload| PortfolioClientAdded::decode(payload.as_slice()).unwrap())
        .collect()
}

/// The status of `client` in `firm`'s client list, once the list shows it as `wanted`.
async fn wait_listed(ws: &Workspace, firm: &Company, client: Uuid, wanted: ClientStatus) {
    let portal = ws.portal.clone();
    eventually("the firm's client list to show the client", || {
        let mut portal = portal.clone();
        let token = firm.token.clone();
        async move {
            let clients = portal
                .list_clients(bearer(ListClientsRequest::default(), &token))
                .await
                .unwrap()
                .into_inner()
                .clients;
            clients
                .iter()
                .any(|c| c.company_id == client.to_string() && c.status == wanted as i32)
                .then_some(())
        }
    })
    .await;
}

/// The services, a firm (its module enabled) whose owner signs in as `ACCOUNTANT`, and a
/// company, each with its owner's Administrator token.
async fn firm_and_client() -> (Workspace, Company, Company) {
    let ws = Workspace::start().await;
    let firm = ws.firm(ACCOUNTANT, "Cabinet Lefèvre", "552100554").await;
    let client = ws
        .company(
            "gerante@boulangerie.fr",
            "Boulangerie Dupont",
            "732829320",
            false,
        )
        .await;
    (ws, firm, client)
}

#[tokio::test]
async fn a_company_invites_its_accountant_whose_firm_accepts_and_the_company_revokes_it() {
    let (ws, firm, client) = firm_and_client().await;

    let bad = accountants(&ws)
        .await
        .invite_accountant(bearer(
            InviteAccountantRequest {
                email: "not an address".to_owned(),
            },
            &client.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad), vec!["email"]);

    let sent = accountants(&ws)
        .await
        .invite_accountant(bearer(
            InviteAccountantRequest {
                email: ACCOUNTANT.to_owned(),
            },
            &client.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(sent.expire_time.is_some());
    let link = mailed_token(&ws, ACCOUNTANT).await;
    let pending = listed(&ws, &client).await;
    assert!(pending.accountants.is_empty());
    assert_eq!(pending.invitations.len(), 1);
    assert_eq!(
        (
            pending.invitations[0].invitation_id.as_str(),
            pending.invitations[0].email.as_str()
        ),
        (sent.invitation_id.as_str(), ACCOUNTANT)
    );

    // The accountant, signed in with their firm active, accepts.
    let accepted = accept(&ws, &link, &firm.token).await.unwrap();
    assert_eq!(
        (accepted.company_id, accepted.firm_id),
        (client.id.to_string(), firm.id.to_string())
    );
    wait_listed(&ws, &firm, client.id, ClientStatus::Connected).await;
    let added = clients_added(&ws).await;
    assert_eq!(added.len(), 1);
    assert_eq!(
        (
            added[0].meta.as_ref().unwrap().company_id.as_str(),
            added[0].client_id.as_str(),
            added[0].file_code.as_str(),
            added[0].owned_by_firm
        ),
        (
            firm.id.to_string().as_str(),
            client.id.to_string().as_str(),
            "",
            false
        )
    );

    let kept = listed(&ws, &client).await;
    assert!(kept.invitations.is_empty());
    assert_eq!(kept.accountants.len(), 1);
    let accountant = &kept.accountants[0];
    assert_eq!(
        (
            accountant.firm_id.as_str(),
            accountant.legal_name.as_str(),
            accountant.role.as_str()
        ),
        (
            firm.id.to_string().as_str(),
            "Cabinet Lefèvre",
            "accountant"
        )
    );

    // The link is single-use.
    let reused = accept(&ws, &link, &firm.token).await.unwrap_err();
    assert_eq!(
        (reused.code(), reason(&reused).as_str()),
        (Code::FailedPrecondition, "INVITATION_USED")
    );
    assert_eq!(clients_added(&ws).await.len(), 1);

    // The company ends the firm's access: the firm sees the client disconnected.
    accountants(&ws)
        .await
        .revoke_accountant(bearer(
            RevokeAccountantRequest {
                firm_id: firm.id.to_string(),
            },
            &client.token,
        ))
        .await
        .unwrap();
    assert!(listed(&ws, &client).await.accountants.is_empty());
    wait_listed(&ws, &firm, client.id, ClientStatus::Disconnected).await;
    let again = accountants(&ws)
        .await
        .revoke_accountant(bearer(
            RevokeAccountantRequest {
                firm_id: firm.id.to_string(),
            },
            &client.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
}

#[tokio::test]
async fn an_expired_accountant_link_is_refused_with_its_reason_and_grants_nothing() {
    let (ws, firm, client) = firm_and_client().await;
    accountants(&ws)
        .await
        .invite_accountant(bearer(
            InviteAccountantRequest {
                email: ACCOUNTANT.to_owned(),
            },
            &client.token,
        ))
        .await
        .unwrap();
    let link = mailed_token(&ws, ACCOUNTANT).await;
    let mut db = ws.harness.db.admin().await;
    sqlx::query(
        "UPDATE tenancy.invitation SET expires_at = now() - interval '1 second' \
         WHERE kind = 'firm'",
    )
    .execute(&mut db)
    .await
    .unwrap();

    let late = accept(&ws, &link, &firm.token).await.unwrap_err();
    assert_eq!(
        (late.code(), reason(&late).as_str()),
        (Code::FailedPrecondition, "INVITATION_EXPIRED")
    );
    let listed = listed(&ws, &client).await;
    assert!(listed.accountants.is_empty());
    assert!(
        listed.invitations.is_empty(),
        "an expired link is no longer pending"
    );
    assert!(clients_added(&ws).await.is_empty());

    // Inviting needs `members.manage` on the company.
    let without = ws
        .token(client.owner, client.id, &permissions::ACCOUNTANT)
        .await;
    let refused = accountants(&ws)
        .await
        .invite_accountant(bearer(
            InviteAccountantRequest {
                email: ACCOUNTANT.to_owned(),
            },
            &without,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}
