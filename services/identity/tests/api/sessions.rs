//! Sessions: refresh-token rotation, reuse detection, logout.

use comptoir_proto::identity::v1::{LogoutRequest, RefreshRequest, RefreshResponse};
use comptoir_test_support::{PASSWORD, Running, bearer, reason};
use tonic::Code;

use crate::{client, login, session_of, sign_up, start};

async fn refresh(identity: &Running, token: &str) -> Result<RefreshResponse, tonic::Status> {
    client(identity)
        .await
        .refresh(RefreshRequest {
            refresh_token: token.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_refresh_gives_new_tokens_in_the_same_session() {
    let (db, identity) = start().await;
    sign_up(&identity, "jeanne@example.fr").await;
    let login = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .unwrap();
    assert_eq!(login.refresh_token.len(), 43, "32 bytes, base64url");
    let session = session_of(&identity, &login.access_token).await;
    assert_eq!(session.to_string(), login.session_id);

    let refreshed = refresh(&identity, &login.refresh_token).await.unwrap();
    assert_ne!(refreshed.refresh_token, login.refresh_token);
    assert_eq!(
        session_of(&identity, &refreshed.access_token).await,
        session
    );
    assert!(refreshed.expires_in_seconds > 0);
    let again = refresh(&identity, &refreshed.refresh_token).await.unwrap();
    assert_eq!(session_of(&identity, &again.access_token).await, session);

    // Three tokens so far, stored as SHA-256 hashes only.
    let mut conn = db.admin().await;
    let (stored, clear): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE token_hash = convert_to($1, 'UTF8')) \
         FROM identity.refresh_token",
    )
    .bind(&login.refresh_token)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((stored, clear), (3, 0));

    let unknown = refresh(&identity, "not-a-token").await.unwrap_err();
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert_eq!(reason(&unknown), "REFRESH_TOKEN_INVALID");
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_ends_the_whole_session() {
    let (_db, identity) = start().await;
    sign_up(&identity, "paul@example.fr").await;
    let first = login(&identity, "paul@example.fr", PASSWORD).await.unwrap();
    let other_session = login(&identity, "paul@example.fr", PASSWORD).await.unwrap();
    let second = refresh(&identity, &first.refresh_token).await.unwrap();

    // Someone replays the spent token: the session ends for everyone holding it.
    let reused = refresh(&identity, &first.refresh_token).await.unwrap_err();
    assert_eq!(reused.code(), Code::Unauthenticated);
    assert_eq!(reason(&reused), "REFRESH_TOKEN_REUSED");
    let latest = refresh(&identity, &second.refresh_token).await.unwrap_err();
    assert_eq!(latest.code(), Code::Unauthenticated);
    assert_eq!(reason(&latest), "REFRESH_TOKEN_INVALID");

    // Another session of the same account is untouched.
    refresh(&identity, &other_session.refresh_token)
        .await
        .expect("the other session goes on");
}

#[tokio::test]
async fn logging_out_ends_the_session_so_its_refresh_token_fails() {
    let (_db, identity) = start().await;
    sign_up(&identity, "marie@example.fr").await;
    let session = login(&identity, "marie@example.fr", PASSWORD)
        .await
        .unwrap();
    let mut client = client(&identity).await;

    let anonymous = client.logout(LogoutRequest {}).await.unwrap_err();
    assert_eq!(
        anonymous.code(),
        Code::Unauthenticated,
        "logout needs a token"
    );

    client
        .logout(bearer(LogoutRequest {}, &session.access_token))
        .await
        .expect("logout");
    client
        .logout(bearer(LogoutRequest {}, &session.access_token))
        .await
        .expect("logging out twice is harmless");
    let after = refresh(&identity, &session.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(after.code(), Code::Unauthenticated);
    assert_eq!(reason(&after), "REFRESH_TOKEN_INVALID");
}
