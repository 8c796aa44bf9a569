//! Signing-key rotation with overlap.

use comptoir_identity::Settings;
use comptoir_proto::identity::v1::GetJwksRequest;
use comptoir_test_support::{PASSWORD, TestDb};

use crate::{client, login, sign_up, start_on, verify};

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("a JWT")
        .kid
        .expect("a kid")
}

#[tokio::test]
async fn an_aged_signing_key_is_replaced_at_start_and_still_verifies_its_tokens() {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let identity = start_on(&db, Settings::default()).await;
    sign_up(&identity, "jeanne@example.fr").await;
    let before = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .unwrap()
        .access_token;
    identity.stop().await;

    let mut conn = db.admin().await;
    sqlx::query("UPDATE identity.signing_key SET created_at = now() - interval '31 days'")
        .execute(&mut conn)
        .await
        .unwrap();
    let identity = start_on(&db, Settings::default()).await;

    let jwks = client(&identity)
        .await
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner()
        .keys;
    assert_eq!(jwks.len(), 2, "the new key and the one it replaced");
    assert_eq!(jwks[1].kid, kid(&before), "the old key comes second");
    verify(&identity, &before)
        .await
        .expect("a token of the old key still verifies");

    let after = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .unwrap()
        .access_token;
    assert_eq!(kid(&after), jwks[0].kid, "new tokens use the new key");
    assert_ne!(kid(&after), kid(&before));

    // Starting again with a young key changes nothing.
    identity.stop().await;
    let identity = start_on(&db, Settings::default()).await;
    let count = client(&identity)
        .await
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner()
        .keys
        .len();
    assert_eq!(count, 2);
}
