//! The auth layer in front of tenancy: every call needs a valid token from identity.

use comptoir_proto::tenancy::v1::ListMyCompaniesRequest;
use comptoir_runtime::caller::Claims;
use comptoir_test_support::{bearer, foreign_token, identity_token, reason};
use tonic::Code;
use uuid::Uuid;

use crate::Env;

async fn reason_for(env: &Env, request: tonic::Request<ListMyCompaniesRequest>) -> (Code, String) {
    let status = env
        .client()
        .await
        .list_my_companies(request)
        .await
        .unwrap_err();
    (status.code(), reason(&status))
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let env = Env::start().await;
    let user = Uuid::now_v7().to_string();

    let none = tonic::Request::new(ListMyCompaniesRequest::default());
    assert_eq!(
        reason_for(&env, none).await,
        (Code::Unauthenticated, "TOKEN_MISSING".to_owned())
    );

    let garbage = bearer(ListMyCompaniesRequest::default(), "not.a.jwt");
    assert_eq!(
        reason_for(&env, garbage).await,
        (Code::Unauthenticated, "TOKEN_MALFORMED".to_owned())
    );

    let unknown_key = foreign_token(&Claims::new(user.clone(), "comptoir", "comptoir"));
    assert_eq!(
        reason_for(
            &env,
            bearer(ListMyCompaniesRequest::default(), &unknown_key)
        )
        .await,
        (Code::Unauthenticated, "TOKEN_UNKNOWN_KEY".to_owned())
    );

    let mut expired = Claims::new(user.clone(), "comptoir", "comptoir");
    expired.iat -= 3600;
    expired.exp = expired.iat + 600;
    let expired = identity_token(&env.harness.db, &expired).await;
    assert_eq!(
        reason_for(&env, bearer(ListMyCompaniesRequest::default(), &expired)).await,
        (Code::Unauthenticated, "TOKEN_EXPIRED".to_owned())
    );

    let elsewhere = identity_token(
        &env.harness.db,
        &Claims::new(user.clone(), "comptoir", "another-audience"),
    )
    .await;
    assert_eq!(
        reason_for(&env, bearer(ListMyCompaniesRequest::default(), &elsewhere)).await,
        (Code::Unauthenticated, "TOKEN_INVALID".to_owned())
    );

    // The same key and claims done right are accepted.
    let good = identity_token(&env.harness.db, &Claims::new(user, "comptoir", "comptoir")).await;
    env.client()
        .await
        .list_my_companies(bearer(ListMyCompaniesRequest::default(), &good))
        .await
        .expect("a valid token passes");
}

#[tokio::test]
async fn a_service_token_cannot_act_for_a_person() {
    let env = Env::start().await;
    let service = identity_token(
        &env.harness.db,
        &Claims::new("service:billing", "comptoir", "comptoir"),
    )
    .await;
    let (code, reason) =
        reason_for(&env, bearer(ListMyCompaniesRequest::default(), &service)).await;
    assert_eq!(
        (code, reason.as_str()),
        (Code::PermissionDenied, "USER_TOKEN_REQUIRED")
    );
}
