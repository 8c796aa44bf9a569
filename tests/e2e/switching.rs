//! The core story: one login, several companies, switching without a password, roles
//! from invitations, and tokens that reach their own company only.

use comptoir_proto::billing::v1::{
    ListNumberingSeriesRequest, billing_service_client::BillingServiceClient,
};
use comptoir_proto::export::v1::{
    GetSellerProfileRequest, export_service_client::ExportServiceClient,
};
use comptoir_proto::identity::v1::{
    LoginRequest, RefreshRequest, SwitchCompanyRequest,
    identity_service_client::IdentityServiceClient,
};
use comptoir_proto::tenancy::v1::{
    GetCompanyRequest, InviteMemberRequest, ListMyCompaniesRequest, RemoveMemberRequest,
    member_service_client::MemberServiceClient, tenancy_service_client::TenancyServiceClient,
};
use comptoir_test_support::{PASSWORD, bearer, eventually};
use tonic::Code;

use crate::platform::Platform;
use crate::{claims, link_token};

async fn books(platform: &Platform, token: &str, company_id: &str) -> Result<(), tonic::Status> {
    BillingServiceClient::new(platform.billing.channel().await)
        .list_numbering_series(bearer(
            ListNumberingSeriesRequest {
                company_id: company_id.to_owned(),
                ..Default::default()
            },
            token,
        ))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn one_login_switches_between_companies_and_each_token_reaches_its_own_only() {
    let platform = Platform::start().await;
    let login = platform.user_token("jeanne@example.fr").await;
    let a = platform
        .create_company(&login, "Boulangerie Dupont", "732829320")
        .await;
    let b = platform
        .create_company(&login, "Pâtisserie Dupont", "552100554")
        .await;

    let mut tenancy = TenancyServiceClient::new(platform.tenancy.channel().await);
    let mine = tenancy
        .list_my_companies(bearer(ListMyCompaniesRequest::default(), &login))
        .await
        .unwrap()
        .into_inner()
        .companies;
    let ids: Vec<_> = mine
        .iter()
        .map(|m| m.company.clone().unwrap().company_id)
        .collect();
    assert_eq!(ids, [a.clone(), b.clone()]);

    let token_a = platform.switch(&login, &a).await.unwrap();
    let token_b = platform.switch(&token_a, &b).await.unwrap();
    let token_a = platform.switch(&token_b, &a).await.unwrap();
    assert_eq!(claims(&token_a)["cid"], a.as_str());
    assert_eq!(
        claims(&token_a)["sid"],
        claims(&login)["sid"],
        "the same session throughout"
    );
    assert_eq!(claims(&token_b)["role"], "administrator");

    eventually("both books to open", || async {
        (books(&platform, &token_a, &a).await.is_ok()
            && books(&platform, &token_b, &b).await.is_ok())
        .then_some(())
    })
    .await;
    assert_eq!(
        books(&platform, &token_a, &b).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        books(&platform, &token_b, &a).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        books(&platform, &login, &a).await.unwrap_err().code(),
        Code::NotFound,
        "no company, no books"
    );

    // A refresh keeps the session's company.
    let mut identity = IdentityServiceClient::new(platform.identity.channel().await);
    let session = identity
        .login(LoginRequest {
            email: "jeanne@example.fr".to_owned(),
            password: PASSWORD.to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let switched = platform.switch(&session.access_token, &b).await.unwrap();
    let refreshed = identity
        .refresh(RefreshRequest {
            refresh_token: session.refresh_token.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(claims(&refreshed.access_token)["cid"], b.as_str());
    assert_eq!(
        claims(&refreshed.access_token)["perms"],
        claims(&switched)["perms"]
    );
    platform.stop().await;
}

#[tokio::test]
async fn an_invited_sales_member_gets_quotes_only_and_loses_the_company_when_removed() {
    let platform = Platform::start().await;
    let login = platform.user_token("jeanne@example.fr").await;
    let a = platform
        .create_company(&login, "Boulangerie Dupont", "732829320")
        .await;
    let b = platform
        .create_company(&login, "Pâtisserie Dupont", "552100554")
        .await;
    let owner = platform.switch(&login, &a).await.unwrap();

    let mut members = MemberServiceClient::new(platform.tenancy.channel().await);
    members
        .invite_member(bearer(
            InviteMemberRequest {
                email: "paul@example.fr".to_owned(),
                role: "sales".to_owned(),
                idempotency_key: String::new(),
                open_link: false,
            },
            &owner,
        ))
        .await
        .unwrap();
    let mail = platform.mailbox.newest_to("paul@example.fr").await;
    let invitation = link_token(&mail.body);

    // Paul signs up from the invitation, accepts it, and switches to A.
    let paul_login = platform.user_token("paul@example.fr").await;
    platform.accept_invitation(&invitation, &paul_login).await;
    let mut identity = IdentityServiceClient::new(platform.identity.channel().await);
    let paul = identity
        .switch_company(bearer(
            SwitchCompanyRequest {
                company_id: a.clone(),
            },
            &paul_login,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (paul.role.as_str(), paul.permissions.clone()),
        ("sales", vec!["quotes.write".to_owned()])
    );
    eventually("A's books to open", || async {
        books(&platform, &owner, &a).await.is_ok().then_some(())
    })
    .await;
    assert_eq!(
        books(&platform, &paul.access_token, &a)
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied,
        "sales cannot read invoices"
    );
    let to_b = platform.switch(&paul_login, &b).await.unwrap_err();
    let to_nowhere = platform
        .switch(&paul_login, &uuid::Uuid::now_v7().to_string())
        .await
        .unwrap_err();
    assert_eq!(to_b.code(), Code::PermissionDenied);
    assert_eq!(
        (to_b.code(), to_b.message()),
        (to_nowhere.code(), to_nowhere.message()),
        "nothing leaks about B"
    );

    // Removed: no more switching, and the session's next refresh drops the company.
    let paul_id = claims(&paul_login)["sub"].as_str().unwrap().to_owned();
    let paul_session = identity
        .login(LoginRequest {
            email: "paul@example.fr".to_owned(),
            password: PASSWORD.to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    platform
        .switch(&paul_session.access_token, &a)
        .await
        .unwrap();
    members
        .remove_member(bearer(RemoveMemberRequest { user_id: paul_id }, &owner))
        .await
        .unwrap();
    assert_eq!(
        platform.switch(&paul_login, &a).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let refreshed = identity
        .refresh(RefreshRequest {
            refresh_token: paul_session.refresh_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        claims(&refreshed.access_token).get("cid").is_none(),
        "the company is gone from the session"
    );
    platform.stop().await;
}

#[tokio::test]
async fn a_thousand_cross_company_requests_all_answer_not_found_or_permission_denied() {
    let platform = Platform::start().await;
    let jeanne = platform.user_token("jeanne@example.fr").await;
    let a = platform
        .create_company(&jeanne, "Boulangerie Dupont", "732829320")
        .await;
    let marc = platform.user_token("marc@example.fr").await;
    let b = platform
        .create_company(&marc, "Garage Martin", "552100554")
        .await;
    let token_a = platform.switch(&jeanne, &a).await.unwrap();
    let token_b = platform.switch(&marc, &b).await.unwrap();
    eventually("B's books and profile", || async {
        books(&platform, &token_b, &b).await.is_ok().then_some(())
    })
    .await;

    let mut billing = BillingServiceClient::new(platform.billing.channel().await);
    let mut export = ExportServiceClient::new(platform.export.channel().await);
    let mut tenancy = TenancyServiceClient::new(platform.tenancy.channel().await);
    let mut answers = std::collections::HashMap::new();
    for i in 0..1000 {
        // B's id, or an id nobody has, asked with A's token (or A's owner's login token).
        let target = if i % 3 == 0 {
            uuid::Uuid::now_v7().to_string()
        } else {
            b.clone()
        };
        let token = if i % 5 == 0 { &jeanne } else { &token_a };
        let status = match i % 3 {
            0 => billing
                .list_numbering_series(bearer(
                    ListNumberingSeriesRequest {
                        company_id: target,
                        ..Default::default()
                    },
                    token,
                ))
                .await
                .map(|_| ()),
            1 => export
                .get_seller_profile(bearer(
                    GetSellerProfileRequest { company_id: target },
                    token,
                ))
                .await
                .map(|_| ()),
            _ => tenancy
                .get_company(bearer(GetCompanyRequest { company_id: target }, token))
                .await
                .map(|_| ()),
        }
        .expect_err("no cross-company request succeeds");
        assert!(
            matches!(status.code(), Code::NotFound | Code::PermissionDenied),
            "request {i}: {status:?}"
        );
        assert!(
            !status.message().contains("Garage"),
            "request {i} leaked B's name: {}",
            status.message()
        );
        *answers.entry(status.code()).or_insert(0) += 1;
    }
    assert_eq!(answers.values().sum::<i32>(), 1000);
    platform.stop().await;
}

#[tokio::test]
async fn a_logged_out_session_can_no_longer_switch_companies() {
    let platform = Platform::start().await;
    let token = platform.user_token("logout@example.fr").await;
    let a = platform
        .create_company(&token, "Sortie Une SARL", "732829320")
        .await;
    let b = platform
        .create_company(&token, "Sortie Deux SAS", "552100554")
        .await;
    let scoped = platform.switch(&token, &a).await.expect("switching to A");

    IdentityServiceClient::new(platform.identity.channel().await)
        .logout(bearer(
            comptoir_proto::identity::v1::LogoutRequest {},
            &scoped,
        ))
        .await
        .expect("logging out");

    // The access tokens are still unexpired, but their session has ended.
    for (token, company) in [(&scoped, &a), (&scoped, &b), (&token, &b)] {
        let refused = platform.switch(token, company).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{company}");
    }
}
