//! Accounting firms reaching their clients: through a grant, for the firm's
//! Administrators and the client's portfolio managers only.

use comptoir_proto::events::v1::FirmGrantRevoked;
use comptoir_proto::tenancy::v1::{
    ChangeMemberRoleRequest, GrantFirmAccessRequest, RemoveMemberRequest, RevokeFirmAccessRequest,
    SetPortfolioManagersRequest, firm_service_client::FirmServiceClient,
};
use comptoir_test_support::{bad_fields, bearer, reason};
use prost::Message as _;
use tonic::Code;

use crate::Env;

/// A firm and a client company, each created by its owner: (firm's owner, firm, client's
/// owner, client).
async fn firm_and_client(env: &Env) -> (uuid::Uuid, String, uuid::Uuid, String) {
    let (firm_owner, firm) = env
        .owner_of("cabinet@example.fr", "Cabinet Lefèvre", "552100554", true)
        .await;
    let (client_owner, client) = env
        .owner_of(
            "client@example.fr",
            "Boulangerie Dupont",
            "732829320",
            false,
        )
        .await;
    (firm_owner, firm, client_owner, client)
}

/// The company `client_token` is scoped to gives `firm` an Accountant grant.
async fn grant(env: &Env, firm: &str, client_token: &str) {
    FirmServiceClient::new(env.tenancy.channel().await)
        .grant_firm_access(bearer(
            GrantFirmAccessRequest {
                firm_id: firm.to_owned(),
                role: "accountant".to_owned(),
            },
            client_token,
        ))
        .await
        .unwrap();
}

/// `email` joins the company `admin` is scoped to as `role`; returns their id.
async fn joined(env: &Env, admin: &str, email: &str, role: &str) -> uuid::Uuid {
    let invite = env.invite(admin, email, role).await.unwrap();
    env.join(email, &invite).await.unwrap()
}

/// Asserts that `user` may not act on `company` (CheckAccess answers PERMISSION_DENIED).
async fn assert_no_access(env: &Env, user: uuid::Uuid, company: &str) {
    let refused = env.check_access(user, company).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::PermissionDenied,
        "{user} on {company}"
    );
}

/// The request assigning `users` to the firm's client `company`, sent with `token`.
fn assign(
    company: &str,
    users: &[uuid::Uuid],
    token: &str,
) -> tonic::Request<SetPortfolioManagersRequest> {
    bearer(
        SetPortfolioManagersRequest {
            company_id: company.to_owned(),
            user_ids: users.iter().map(uuid::Uuid::to_string).collect(),
        },
        token,
    )
}

/// The one `firm_grant.revoked` event in the outbox.
async fn revoked(env: &Env) -> FirmGrantRevoked {
    let mut db = env.harness.db.admin().await;
    let payload: Vec<u8> = sqlx::query_scalar(
        "SELECT payload FROM tenancy.outbox WHERE subject = 'comptoir.tenancy.firm_grant.revoked'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    FirmGrantRevoked::decode(payload.as_slice()).unwrap()
}

#[tokio::test]
async fn a_firm_reaches_a_client_through_its_administrators_and_portfolio_managers() {
    let env = Env::start().await;
    let (firm_admin, firm, client_owner, client) = firm_and_client(&env).await;
    let firm_token = env.scoped(firm_admin, &firm).await;
    let junior = joined(&env, &firm_token, "junior@example.fr", "user").await;
    let mut firms = FirmServiceClient::new(env.tenancy.channel().await);

    // Only a firm can be granted.
    let (_, plain) = env
        .owner_of("plain@example.fr", "Pas Cabinet", "542051180", false)
        .await;
    let client_token = env.scoped(client_owner, &client).await;
    let not_firm = firms
        .grant_firm_access(bearer(
            GrantFirmAccessRequest {
                firm_id: plain,
                role: "accountant".to_owned(),
            },
            &client_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&not_firm), "NOT_A_FIRM");
    let bad_role = firms
        .grant_firm_access(bearer(
            GrantFirmAccessRequest {
                firm_id: firm.clone(),
                role: "sales".to_owned(),
            },
            &client_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad_role), ["role"]);

    grant(&env, &firm, &client_token).await;
    let (role, _, through_firm) = env.check_access(firm_admin, &client).await.unwrap();
    assert_eq!((role.as_str(), through_firm), ("accountant", true));
    // The company switcher of the firm's Administrator now lists the client.
    let switcher = env
        .client()
        .await
        .list_my_companies(bearer(
            comptoir_proto::tenancy::v1::ListMyCompaniesRequest::default(),
            &firm_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .companies;
    let listed: Vec<_> = switcher
        .iter()
        .map(|m| (m.company.clone().unwrap().company_id, m.role.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (firm.clone(), "administrator".to_owned()),
            (client.clone(), "accountant".to_owned())
        ]
    );
    assert_no_access(&env, junior, &client).await;
    // The firm's Administrator reads the client's legal identity through the grant; an
    // Accountant's grant does not let them change it.
    let read = env
        .client()
        .await
        .get_company(bearer(
            comptoir_proto::tenancy::v1::GetCompanyRequest {
                company_id: client.clone(),
            },
            &firm_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(read.legal_name, "Boulangerie Dupont");
    let update = env
        .client()
        .await
        .update_company(bearer(
            comptoir_proto::tenancy::v1::UpdateCompanyRequest {
                company_id: client.clone(),
                legal_name: "Reprise Par Le Cabinet".to_owned(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["legal_name".to_owned()],
                }),
                ..Default::default()
            },
            &firm_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(update.code(), Code::PermissionDenied);

    let stranger = uuid::Uuid::now_v7();
    let not_member = firms
        .set_portfolio_managers(assign(&client, &[junior, stranger], &firm_token))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&not_member), ["user_ids[1]"]);
    firms
        .set_portfolio_managers(assign(&client, &[junior], &firm_token))
        .await
        .unwrap();
    let (role, permissions, _) = env.check_access(junior, &client).await.unwrap();
    assert_eq!(role, "accountant");
    assert!(
        !permissions.contains(&"invoices.write".to_owned()),
        "accountants never edit documents"
    );

    firms
        .revoke_firm_access(bearer(
            RevokeFirmAccessRequest {
                firm_id: firm.clone(),
                company_id: client.clone(),
            },
            &client_token,
        ))
        .await
        .unwrap();
    assert_no_access(&env, firm_admin, &client).await;
    assert_no_access(&env, junior, &client).await;
    assert_eq!(
        env.count(
            "SELECT count(*) FROM tenancy.outbox WHERE subject LIKE 'comptoir.tenancy.firm_grant.%'"
        )
        .await,
        2
    );
    // Tokens name the client, not the firm: the revocation names the firm's people who
    // lost the client (the Administrator and the portfolio manager), so every service
    // refuses their tokens for it; the client's own owner is not among them.
    let revoked = revoked(&env).await;
    let mut lost = revoked.user_ids.clone();
    lost.sort();
    let mut expected = vec![firm_admin.to_string(), junior.to_string()];
    expected.sort();
    assert_eq!(lost, expected);
    assert_eq!(revoked.meta.unwrap().company_id, client);
}

#[tokio::test]
async fn a_firm_revoking_its_grant_names_only_the_people_no_other_firm_still_brings_to_the_client()
{
    let env = Env::start().await;
    let (admin, firm, client_owner, client) = firm_and_client(&env).await;
    let (other_owner, other_firm) = env
        .owner_of("autre@example.fr", "Cabinet Martin", "542051180", true)
        .await;
    // The firm's Administrator is an Administrator of the other firm too.
    let other_token = env.scoped(other_owner, &other_firm).await;
    assert_eq!(
        joined(&env, &other_token, "cabinet@example.fr", "administrator").await,
        admin
    );
    let client_token = env.scoped(client_owner, &client).await;
    let mut firms = FirmServiceClient::new(env.tenancy.channel().await);
    for firm_id in [&firm, &other_firm] {
        grant(&env, firm_id, &client_token).await;
    }

    // The firm's other Administrator revokes its grant, from the firm's side; a grant it
    // does not hold is not found.
    let partner = joined(
        &env,
        &env.scoped(admin, &firm).await,
        "associe@example.fr",
        "administrator",
    )
    .await;
    let firm_token = env.scoped(partner, &firm).await;
    let (_, stranger) = env
        .owner_of("tiers@example.fr", "Tiers SARL", "404833048", false)
        .await;
    let missing = firms
        .revoke_firm_access(bearer(
            RevokeFirmAccessRequest {
                firm_id: firm.clone(),
                company_id: stranger,
            },
            &firm_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&missing), "FIRM_GRANT_NOT_FOUND");
    firms
        .revoke_firm_access(bearer(
            RevokeFirmAccessRequest {
                firm_id: firm.clone(),
                company_id: client.clone(),
            },
            &firm_token,
        ))
        .await
        .unwrap();

    // The first Administrator still reaches the client through the other firm; only the
    // partner lost it. The client's trail records the revocation.
    let (role, _, through_firm) = env.check_access(admin, &client).await.unwrap();
    assert_eq!((role.as_str(), through_firm), ("accountant", true));
    let revoked = revoked(&env).await;
    assert_eq!(revoked.user_ids, [partner.to_string()]);
    assert_no_access(&env, partner, &client).await;
    assert_eq!(revoked.meta.unwrap().company_id, client);
    let mut db = env.harness.db.admin().await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tenancy.audit_event \
          WHERE company_id = $1::uuid AND action = 'firm_grant.revoked'",
    )
    .bind(&client)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

/// Every `membership.revoked` in the outbox, as (company, user), sorted.
async fn memberships_revoked(env: &Env) -> Vec<(String, String)> {
    use comptoir_proto::events::v1::MembershipRevoked;
    let mut db = env.harness.db.admin().await;
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM tenancy.outbox WHERE subject = 'comptoir.tenancy.membership.revoked'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let mut revoked: Vec<_> = payloads
        .iter()
        .map(|payload| {
            let event = MembershipRevoked::decode(payload.as_slice()).unwrap();
            (event.meta.unwrap().company_id, event.user_id)
        })
        .collect();
    revoked.sort();
    revoked
}

/// A firm holding grants on two clients, and a partner the firm's owner made an
/// Administrator of the firm, who is also a direct member (User) of the second client.
struct Portfolio {
    firm_owner: uuid::Uuid,
    firm: String,
    partner: uuid::Uuid,
    client: String,
    second_client: String,
}

async fn portfolio(env: &Env) -> Portfolio {
    let (firm_owner, firm, client_owner, client) = firm_and_client(env).await;
    let (second_owner, second_client) = env
        .owner_of("tiers@example.fr", "Tiers SARL", "404833048", false)
        .await;
    for (owner, company) in [(client_owner, &client), (second_owner, &second_client)] {
        grant(env, &firm, &env.scoped(owner, company).await).await;
    }
    let partner = joined(
        env,
        &env.scoped(firm_owner, &firm).await,
        "associe@example.fr",
        "administrator",
    )
    .await;
    let second_token = env.scoped(second_owner, &second_client).await;
    assert_eq!(
        joined(env, &second_token, "associe@example.fr", "user").await,
        partner
    );
    for company in [&client, &second_client] {
        assert!(env.check_access(partner, company).await.is_ok());
    }
    Portfolio {
        firm_owner,
        firm,
        partner,
        client,
        second_client,
    }
}

#[tokio::test]
async fn removing_a_firm_administrator_revokes_the_clients_they_no_longer_reach_at_all() {
    let env = Env::start().await;
    let p = portfolio(&env).await;

    env.members()
        .await
        .remove_member(bearer(
            RemoveMemberRequest {
                user_id: p.partner.to_string(),
            },
            &env.scoped(p.firm_owner, &p.firm).await,
        ))
        .await
        .unwrap();

    // The partner's tokens name the firm's clients, not the firm: the client they reached
    // only through the firm is revoked for them; the second client, of which they are a
    // direct member, is not.
    assert_no_access(&env, p.partner, &p.client).await;
    let (role, _, through_firm) = env.check_access(p.partner, &p.second_client).await.unwrap();
    assert_eq!((role.as_str(), through_firm), ("user", false));
    let partner = p.partner.to_string();
    let mut expected = vec![(p.firm, partner.clone()), (p.client, partner)];
    expected.sort();
    assert_eq!(memberships_revoked(&env).await, expected);
}

#[tokio::test]
async fn demoting_a_firm_administrator_revokes_the_clients_they_no_longer_reach_at_all() {
    let env = Env::start().await;
    let p = portfolio(&env).await;
    let (other_owner, other_client) = env
        .owner_of("autre@example.fr", "Autre SAS", "542051180", false)
        .await;
    let firm_token = env.scoped(p.firm_owner, &p.firm).await;
    grant(&env, &p.firm, &env.scoped(other_owner, &other_client).await).await;
    // The partner manages the third client's portfolio: that way in outlives the demotion.
    FirmServiceClient::new(env.tenancy.channel().await)
        .set_portfolio_managers(assign(&other_client, &[p.partner], &firm_token))
        .await
        .unwrap();

    env.members()
        .await
        .change_member_role(bearer(
            ChangeMemberRoleRequest {
                user_id: p.partner.to_string(),
                role: "user".to_owned(),
            },
            &firm_token,
        ))
        .await
        .unwrap();

    assert_no_access(&env, p.partner, &p.client).await;
    assert!(env.check_access(p.partner, &p.second_client).await.is_ok());
    assert!(env.check_access(p.partner, &other_client).await.is_ok());
    assert_eq!(
        memberships_revoked(&env).await,
        [(p.client, p.partner.to_string())]
    );
}

#[tokio::test]
async fn unassigning_a_portfolio_manager_revokes_the_client_unless_another_way_in_remains() {
    let env = Env::start().await;
    let p = portfolio(&env).await;
    let firm_token = env.scoped(p.firm_owner, &p.firm).await;
    let junior = joined(&env, &firm_token, "junior@example.fr", "user").await;
    // The junior and the partner (an Administrator of the firm, and a direct member of
    // the second client) manage both clients.
    let mut firms = FirmServiceClient::new(env.tenancy.channel().await);
    for company in [&p.client, &p.second_client] {
        firms
            .set_portfolio_managers(assign(company, &[junior, p.partner], &firm_token))
            .await
            .unwrap();
    }
    assert!(env.check_access(junior, &p.client).await.is_ok());

    // Unassigning the partner changes nothing they reach; unassigning the junior from
    // the first client ends their access to it, and to it only.
    firms
        .set_portfolio_managers(assign(&p.client, &[junior], &firm_token))
        .await
        .unwrap();
    firms
        .set_portfolio_managers(assign(&p.second_client, &[junior], &firm_token))
        .await
        .unwrap();
    assert!(memberships_revoked(&env).await.is_empty());
    firms
        .set_portfolio_managers(assign(&p.client, &[], &firm_token))
        .await
        .unwrap();
    assert_no_access(&env, junior, &p.client).await;
    assert!(env.check_access(junior, &p.second_client).await.is_ok());
    assert_eq!(
        memberships_revoked(&env).await,
        [(p.client, junior.to_string())]
    );
}
