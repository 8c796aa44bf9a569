//! Sessions: refresh-token rotation, reuse detection, logout.

use comptoir_identity::Settings;
use comptoir_proto::identity::v1::{LogoutRequest, RefreshRequest, RefreshResponse};
use comptoir_test_support::{Gate, PASSWORD, Running, TestDb, TestNats, bearer, reason};
use tonic::Code;

use crate::{client, free_addr, login, session_of, sign_up, start, start_on_nats, start_tenancy};

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
    // Logging out twice is harmless: done again while identity still accepts the token,
    // or refused as a token of an ended session once it has learnt of the first.
    match client
        .logout(bearer(LogoutRequest {}, &session.access_token))
        .await
    {
        Ok(_) => {}
        Err(status) => assert_eq!(
            (status.code(), reason(&status)),
            (Code::Unauthenticated, "SESSION_REVOKED".to_owned())
        ),
    }
    let after = refresh(&identity, &session.refresh_token)
        .await
        .unwrap_err();
    assert_eq!(after.code(), Code::Unauthenticated);
    assert_eq!(reason(&after), "REFRESH_TOKEN_INVALID");
}

#[tokio::test]
async fn a_refresh_refused_while_tenancy_is_down_can_be_retried_and_the_session_lives() {
    // Tenancy behind a gate: closed, it is down; identity reaches it only through it.
    let db = TestDb::new(&[comptoir_identity::SPEC, comptoir_tenancy::SPEC]).await;
    let nats = TestNats::shared().await;
    let tenancy_addr = free_addr();
    let gate = Gate::closed(tenancy_addr).await;
    let identity = start_on_nats(
        &db,
        &nats,
        Settings {
            tenancy_url: Some(format!("http://{}", gate.addr)),
            ..Settings::default()
        },
    )
    .await;
    let _tenancy = start_tenancy(&db, &nats, &identity, tenancy_addr).await;

    sign_up(&identity, "hugo@example.fr").await;
    let session = login(&identity, "hugo@example.fr", PASSWORD).await.unwrap();
    // The session acts on a company, so a refresh asks tenancy about it.
    let mut conn = db.admin().await;
    sqlx::query("UPDATE identity.session SET active_company_id = $1 WHERE session_id = $2")
        .bind(uuid::Uuid::now_v7())
        .bind(uuid::Uuid::parse_str(&session.session_id).unwrap())
        .execute(&mut conn)
        .await
        .unwrap();

    for attempt in 0..2 {
        let down = refresh(&identity, &session.refresh_token)
            .await
            .unwrap_err();
        assert_eq!(
            down.code(),
            Code::Unavailable,
            "attempt {attempt}: {down:?}"
        );
        assert_eq!(reason(&down), "TENANCY_UNAVAILABLE");
    }

    gate.open();
    let refreshed = refresh(&identity, &session.refresh_token)
        .await
        .expect("the retry once tenancy is back succeeds");
    refresh(&identity, &refreshed.refresh_token)
        .await
        .expect("and the session lives on");
}
