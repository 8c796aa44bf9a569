//! Accounting firms reaching their clients: through a grant, for the firm's
//! Administrators and the client's portfolio managers only.

use comptoir_proto::events::v1::FirmGrantRevoked;
use comptoir_proto::tenancy::v1::{
    GrantFirmAccessRequest, RevokeFirmAccessRequest, SetPortfolioManagersRequest,
    firm_service_client::FirmServiceClient,
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
    let invite = env
        .invite(&firm_token, "junior@example.fr", "user")
        .await
        .unwrap();
    let junior = env.join("junior@example.fr", &invite).await.unwrap();
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

    firms
        .grant_firm_access(bearer(
            GrantFirmAccessRequest {
                firm_id: firm.clone(),
                role: "accountant".to_owned(),
            },
            &client_token,
        ))
        .await
        .unwrap();
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
    assert_eq!(
        env.check_access(junior, &client).await.unwrap_err().code(),
        Code::PermissionDenied
    );
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
        .set_portfolio_managers(bearer(
            SetPortfolioManagersRequest {
                company_id: client.clone(),
                user_ids: vec![junior.to_string(), stranger.to_string()],
            },
            &firm_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&not_member), ["user_ids[1]"]);
    firms
        .set_portfolio_managers(bearer(
            SetPortfolioManagersRequest {
                company_id: client.clone(),
                user_ids: vec![junior.to_string()],
            },
            &firm_token,
        ))
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
    assert_eq!(
        env.check_access(firm_admin, &client)
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        env.check_access(junior, &client).await.unwrap_err().code(),
        Code::PermissionDenied
    );
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
    let invite = env
        .invite(&other_token, "cabinet@example.fr", "administrator")
        .await
        .unwrap();
    assert_eq!(
        env.join("cabinet@example.fr", &invite).await.unwrap(),
        admin
    );
    let client_token = env.scoped(client_owner, &client).await;
    let mut firms = FirmServiceClient::new(env.tenancy.channel().await);
    for firm_id in [&firm, &other_firm] {
        firms
            .grant_firm_access(bearer(
                GrantFirmAccessRequest {
                    firm_id: firm_id.clone(),
                    role: "accountant".to_owned(),
                },
                &client_token,
            ))
            .await
            .unwrap();
    }

    // The firm's other Administrator revokes its grant, from the firm's side; a grant it
    // does not hold is not found.
    let invite = env
        .invite(
            &env.scoped(admin, &firm).await,
            "associe@example.fr",
            "administrator",
        )
        .await
        .unwrap();
    let partner = env.join("associe@example.fr", &invite).await.unwrap();
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
    assert_eq!(
        env.check_access(partner, &client).await.unwrap_err().code(),
        Code::PermissionDenied
    );
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
