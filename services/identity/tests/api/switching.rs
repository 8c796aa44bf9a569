//! SwitchCompany and IssueCompanyToken against a real tenancy: the token scoped to a
//! company carries what tenancy answered, including whether the user reaches it through
//! an accounting firm; IssueCompanyToken leaves the session's company as it was.

use comptoir_identity::Settings;
use comptoir_proto::identity::v1::{
    IssueCompanyTokenRequest, RefreshRequest, SwitchCompanyRequest,
};
use comptoir_proto::tenancy::v1::{
    Address, CompanyKind, CreateCompanyRequest, GrantFirmAccessRequest,
    firm_service_client::FirmServiceClient, tenancy_service_client::TenancyServiceClient,
};
use comptoir_runtime::Caller;
use comptoir_test_support::{PASSWORD, Running, TestDb, TestNats, bearer, reason};

use crate::{client, free_addr, login, session_of, sign_up, start_on_nats, start_tenancy, verify};

/// Signs `email` up and logs in; returns the unscoped access token.
async fn logged_in(identity: &Running, email: &str) -> String {
    sign_up(identity, email).await;
    login(identity, email, PASSWORD)
        .await
        .expect("login")
        .access_token
}

/// Creates a company of `kind` owned by the holder of `token`; returns its id.
async fn create_company(
    tenancy: &Running,
    token: &str,
    kind: CompanyKind,
    legal_name: &str,
    siret: &str,
) -> String {
    let (siren, nic) = siret.split_at(9);
    TenancyServiceClient::new(tenancy.channel().await)
        .create_company(bearer(
            CreateCompanyRequest {
                legal_name: legal_name.to_owned(),
                siren: siren.to_owned(),
                nic: nic.to_owned(),
                kind: kind as i32,
                address: Some(Address {
                    line1: "12 rue de la Paix".to_owned(),
                    line2: String::new(),
                    postal_code: "75002".to_owned(),
                    city: "Paris".to_owned(),
                    country_code: "FR".to_owned(),
                }),
                ..Default::default()
            },
            token,
        ))
        .await
        .expect("create company")
        .into_inner()
        .company
        .expect("the company")
        .company_id
}

/// SwitchCompany to `company`; returns the role and the firm flag of the token it hands
/// out, as a service verifying it sees them, and the token.
async fn switch(identity: &Running, token: &str, company: &str) -> (String, bool, String) {
    let switched = client(identity)
        .await
        .switch_company(bearer(
            SwitchCompanyRequest {
                company_id: company.to_owned(),
            },
            token,
        ))
        .await
        .expect("switch company")
        .into_inner();
    match verify(identity, &switched.access_token)
        .await
        .expect("the token verifies")
    {
        Caller::User {
            role, through_firm, ..
        } => (
            role.unwrap_or_default(),
            through_firm,
            switched.access_token,
        ),
        other => panic!("a user token, not {other:?}"),
    }
}

#[tokio::test]
async fn a_token_for_a_client_reached_through_a_firm_says_so_and_a_members_does_not() {
    let (_db, identity, tenancy) = identity_and_tenancy().await;

    let firm_admin = logged_in(&identity, "cabinet@example.fr").await;
    let firm = create_company(
        &tenancy,
        &firm_admin,
        CompanyKind::Firm,
        "Cabinet Lefèvre",
        "55210055400005",
    )
    .await;
    let owner = logged_in(&identity, "client@example.fr").await;
    let client_company = create_company(
        &tenancy,
        &owner,
        CompanyKind::Company,
        "Boulangerie Dupont",
        "73282932000009",
    )
    .await;

    // The owner reaches their company through their own membership.
    let (role, through_firm, owner_token) = switch(&identity, &owner, &client_company).await;
    assert_eq!((role.as_str(), through_firm), ("administrator", false));

    // The owner makes the firm an Administrator of the company; the firm's Administrator
    // reaches it through that grant alone.
    FirmServiceClient::new(tenancy.channel().await)
        .grant_firm_access(bearer(
            GrantFirmAccessRequest {
                firm_id: firm,
                role: "administrator".to_owned(),
            },
            &owner_token,
        ))
        .await
        .expect("grant firm access");
    let (role, through_firm, _) = switch(&identity, &firm_admin, &client_company).await;
    assert_eq!((role.as_str(), through_firm), ("administrator", true));
    // The owner's own access is unchanged by the grant.
    let (_, through_firm, _) = switch(&identity, &owner, &client_company).await;
    assert!(!through_firm);
}

/// Identity and tenancy on one test database, identity asking tenancy for rights.
async fn identity_and_tenancy() -> (TestDb, Running, Running) {
    let db = TestDb::new(&[comptoir_identity::SPEC, comptoir_tenancy::SPEC]).await;
    let nats = TestNats::shared().await;
    let tenancy_addr = free_addr();
    let identity = start_on_nats(
        &db,
        &nats,
        Settings {
            tenancy_url: Some(format!("http://{tenancy_addr}")),
            ..Settings::default()
        },
    )
    .await;
    let tenancy = start_tenancy(&db, &nats, &identity, tenancy_addr).await;
    (db, identity, tenancy)
}

/// IssueCompanyToken for `company` with `token`.
async fn issue_company_token(
    identity: &Running,
    token: &str,
    company: &str,
) -> Result<String, tonic::Status> {
    client(identity)
        .await
        .issue_company_token(bearer(
            IssueCompanyTokenRequest {
                company_id: company.to_owned(),
            },
            token,
        ))
        .await
        .map(|answer| answer.into_inner().access_token)
}

/// The session, company and role an access token carries, as a service verifying it sees
/// them.
async fn scope_of(
    identity: &Running,
    token: &str,
) -> (Option<uuid::Uuid>, Option<String>, Option<String>) {
    match verify(identity, token).await.expect("the token verifies") {
        Caller::User {
            session_id,
            company_id,
            role,
            ..
        } => (session_id, company_id.map(|id| id.to_string()), role),
        other => panic!("a user token, not {other:?}"),
    }
}

#[tokio::test]
async fn a_company_token_is_scoped_to_the_company_and_leaves_the_sessions_company_unchanged() {
    let (_db, identity, tenancy) = identity_and_tenancy().await;
    sign_up(&identity, "gerante@example.fr").await;
    let logged_in = login(&identity, "gerante@example.fr", PASSWORD)
        .await
        .expect("login");
    let token = logged_in.access_token;
    let first = create_company(
        &tenancy,
        &token,
        CompanyKind::Company,
        "Boulangerie Dupont",
        "73282932000009",
    )
    .await;
    let second = create_company(
        &tenancy,
        &token,
        CompanyKind::Company,
        "Fromagerie Dupont",
        "55210055400005",
    )
    .await;
    let (_, _, switched) = switch(&identity, &token, &first).await;

    let issued = issue_company_token(&identity, &switched, &second)
        .await
        .expect("a token for the other company");
    let session = Some(session_of(&identity, &token).await);
    assert_eq!(
        scope_of(&identity, &issued).await,
        (
            session,
            Some(second.clone()),
            Some("administrator".to_owned())
        ),
        "the caller's session, the other company and the caller's role there"
    );

    // The session still acts on the company it switched to: its refresh says so.
    let refreshed = client(&identity)
        .await
        .refresh(RefreshRequest {
            refresh_token: logged_in.refresh_token,
        })
        .await
        .expect("refresh")
        .into_inner();
    let (_, company, _) = scope_of(&identity, &refreshed.access_token).await;
    assert_eq!(company, Some(first));
}

#[tokio::test]
async fn a_company_token_for_a_company_without_access_is_refused_alike_whether_or_not_it_exists() {
    let (_db, identity, tenancy) = identity_and_tenancy().await;
    let owner = logged_in(&identity, "gerante@example.fr").await;
    let company = create_company(
        &tenancy,
        &owner,
        CompanyKind::Company,
        "Boulangerie Dupont",
        "73282932000009",
    )
    .await;
    let stranger = logged_in(&identity, "inconnu@example.fr").await;

    let theirs = issue_company_token(&identity, &stranger, &company)
        .await
        .expect_err("no access to another's company");
    let missing = issue_company_token(&identity, &stranger, &uuid::Uuid::now_v7().to_string())
        .await
        .expect_err("no access to a company that does not exist");
    for refused in [&theirs, &missing] {
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        assert_eq!(reason(refused), "NO_ACCESS_TO_COMPANY");
    }
    assert_eq!(theirs.message(), missing.message());
}
