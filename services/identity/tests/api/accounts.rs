//! Sign-up, login and the published keys.

use std::time::Duration;

use async_nats::jetstream::consumer::pull::OrderedConfig;
use comptoir_identity::Settings;
use comptoir_proto::events::v1::UserRegistered;
use comptoir_proto::identity::v1::{
    GetJwksRequest, LoginRequest, SignUpRequest, identity_service_client::IdentityServiceClient,
};
use comptoir_runtime::Caller;
use comptoir_runtime::auth::{KeySet, PublicKey};
use comptoir_runtime::events::Names;
use comptoir_test_support::{PASSWORD, TestDb, TestNats, bad_fields, user_token};
use prost::Message;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::{start, start_on_nats, start_with_mailbox};

#[tokio::test]
async fn a_login_token_verifies_with_the_keys_identity_publishes() {
    let (_db, identity) = start().await;
    let token = user_token(&identity, "jeanne@example.fr").await;

    let mut client = IdentityServiceClient::new(identity.channel().await);
    let jwks = client
        .get_jwks(GetJwksRequest {})
        .await
        .unwrap()
        .into_inner()
        .keys;
    assert_eq!(jwks.len(), 1);
    assert_eq!(
        (jwks[0].kty.as_str(), jwks[0].crv.as_str()),
        ("OKP", "Ed25519")
    );

    let published: Vec<PublicKey> = jwks
        .into_iter()
        .map(|k| PublicKey { kid: k.kid, x: k.x })
        .collect();
    let keys = KeySet::new(
        std::sync::Arc::new(move || {
            let published = published.clone();
            Box::pin(async move { Ok(published) })
        }),
        "comptoir",
        "comptoir",
    );
    let caller = keys.verify(&token).await.expect("the token verifies");
    let Caller::User {
        company_id,
        permissions,
        ..
    } = caller
    else {
        panic!("a login token is a user's");
    };
    assert_eq!(company_id, None, "a login token has no active company yet");
    assert!(permissions.is_empty());
    assert!(
        keys.verify(&format!("{token}x")).await.is_err(),
        "a tampered token fails"
    );
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let (_db, identity) = start().await;
    user_token(&identity, "paul@example.fr").await;
    let mut client = IdentityServiceClient::new(identity.channel().await);
    let wrong_password = client
        .login(LoginRequest {
            email: "paul@example.fr".to_owned(),
            password: "not the password at all".to_owned(),
        })
        .await
        .unwrap_err();
    let unknown = client
        .login(LoginRequest {
            email: "nobody@example.fr".to_owned(),
            password: PASSWORD.to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(wrong_password.code(), Code::Unauthenticated);
    assert_eq!(
        (wrong_password.code(), wrong_password.message()),
        (unknown.code(), unknown.message())
    );
}

#[tokio::test]
async fn signing_up_with_a_known_email_answers_as_for_a_new_one_and_mails_its_owner() {
    let (db, identity, mailbox) = start_with_mailbox().await;
    let mut client = IdentityServiceClient::new(identity.channel().await);
    let sign_up = |email: &str| SignUpRequest {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
        name: "Marie".to_owned(),
    };
    let new = client
        .sign_up(sign_up("marie@example.fr"))
        .await
        .expect("a new e-mail signs up")
        .into_inner();
    let known = client
        .sign_up(sign_up("  Marie@Example.FR "))
        .await
        .expect("a known e-mail gets the same answer")
        .into_inner();
    assert_eq!(new, known, "nothing tells the two apart");

    // The owner of the address learns of the attempt; nobody else does.
    let mail = mailbox.newest_to("marie@example.fr").await;
    assert!(mail.subject.contains("account"), "{}", mail.subject);
    assert!(mail.body.contains("already"), "{}", mail.body);
    assert_eq!(mailbox.count_to("marie@example.fr"), 1);

    // One account, which logs in with either spelling and the first password.
    client
        .login(LoginRequest {
            email: "MARIE@example.fr".to_owned(),
            password: PASSWORD.to_owned(),
        })
        .await
        .expect("login is case-insensitive");
    let mut conn = db.admin().await;
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM identity.account")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn a_bad_sign_up_names_every_bad_field_and_writes_nothing() {
    let (db, identity) = start().await;
    let mut client = IdentityServiceClient::new(identity.channel().await);
    let status = client
        .sign_up(SignUpRequest {
            email: "not-an-email".to_owned(),
            password: "short".to_owned(),
            name: " ".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["email", "password", "name"]);
    assert!(
        status.message().contains("at least 12"),
        "{}",
        status.message()
    );
    let mut conn = db.admin().await;
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM identity.account")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(accounts, 0);
}

#[tokio::test]
async fn a_sign_up_publishes_user_registered_once_and_a_repeated_one_nothing() {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let nats = TestNats::shared().await;
    let identity = start_on_nats(&db, &nats, Settings::default()).await;
    let mut client = IdentityServiceClient::new(identity.channel().await);
    for _ in 0..2 {
        client
            .sign_up(SignUpRequest {
                email: "Lea@Example.fr".to_owned(),
                password: PASSWORD.to_owned(),
                name: "Léa".to_owned(),
            })
            .await
            .expect("sign-up");
    }
    let user_id = client
        .login(LoginRequest {
            email: "lea@example.fr".to_owned(),
            password: PASSWORD.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .user_id;

    let names = Names::new(&nats.prefix);
    let subject = names.subject("comptoir.identity.user.registered");
    let stream = nats
        .client()
        .await
        .get_stream(names.stream("identity"))
        .await
        .expect("identity's stream");
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: subject.clone(),
            ..OrderedConfig::default()
        })
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
        .await
        .expect("user.registered is published")
        .unwrap()
        .unwrap();
    assert_eq!(message.subject.as_str(), subject);
    let event = UserRegistered::decode(message.payload.as_ref()).unwrap();
    let meta = event.meta.expect("meta");
    assert_eq!(
        (event.user_id.as_str(), event.email.as_str()),
        (user_id.as_str(), "lea@example.fr")
    );
    assert!(event.register_time.is_some());
    assert_eq!(meta.company_id, "");
    assert_eq!(
        message
            .headers
            .as_ref()
            .and_then(|headers| headers.get("Nats-Msg-Id"))
            .map(|id| id.as_str()),
        Some(meta.event_id.as_str())
    );
    // The repeated sign-up created nothing, so it announced nothing.
    let more = tokio::time::timeout(Duration::from_secs(2), messages.next()).await;
    assert!(more.is_err(), "a second user.registered: {more:?}");
}
