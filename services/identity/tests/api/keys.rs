//! Signing keys: rotation with overlap, and encryption at rest.

use comptoir_identity::domain::KeyEncryptionKey;
use comptoir_identity::{Environment, Settings};
use comptoir_proto::identity::v1::GetJwksRequest;
use comptoir_test_support::{PASSWORD, TestDb, TestNats};

use crate::{client, login, sign_up, start_on, verify};

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token)
        .expect("a JWT")
        .kid
        .expect("a kid")
}

/// A fresh database whose first signing key a development identity made (in clear), and
/// a token that key signed for jeanne@example.fr; that identity has stopped.
async fn first_key_and_its_token() -> (TestDb, String) {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let identity = start_on(&db, Settings::default()).await;
    sign_up(&identity, "jeanne@example.fr").await;
    let token = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .unwrap()
        .access_token;
    identity.stop().await;
    (db, token)
}

/// Makes every stored signing key older than the 30-day rotation.
async fn age_signing_keys(db: &TestDb) {
    let mut conn = db.admin().await;
    sqlx::query("UPDATE identity.signing_key SET created_at = now() - interval '31 days'")
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_aged_signing_key_is_replaced_at_start_and_still_verifies_its_tokens() {
    let (db, before) = first_key_and_its_token().await;
    age_signing_keys(&db).await;
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

const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B: &str = "HxwdHhscGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

/// Settings of a production identity whose signing keys `key` seals.
fn sealed_with(key: &str) -> Settings {
    Settings {
        environment: Environment::Production,
        key_encryption_key: Some(KeyEncryptionKey::parse(key).unwrap()),
        ..Settings::default()
    }
}

/// Each stored signing key: whether its plaintext column is empty, and its sealed bytes.
async fn stored_keys(db: &TestDb) -> Vec<(String, bool, Option<Vec<u8>>)> {
    let mut conn = db.admin().await;
    sqlx::query_as(
        "SELECT kid, private_der IS NULL, sealed_private FROM identity.signing_key \
         ORDER BY created_at",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn signing_keys_are_stored_encrypted_and_plaintext_ones_are_encrypted_at_start() {
    // A development identity without a key stores its first signing key in clear.
    let (db, before) = first_key_and_its_token().await;
    let plain = stored_keys(&db).await;
    assert_eq!(plain.len(), 1);
    assert!(!plain[0].1, "stored in clear without a key");

    // Started with a key, identity seals it in place: same kid, no plaintext left.
    let identity = start_on(&db, sealed_with(KEY_A)).await;
    let sealed = stored_keys(&db).await;
    assert_eq!(sealed.len(), 1);
    assert_eq!(sealed[0].0, plain[0].0, "the same key, sealed");
    assert!(sealed[0].1, "the plaintext is gone");
    let ciphertext = sealed[0].2.as_ref().expect("the sealed key");
    assert!(ciphertext.len() > 48, "nonce, ciphertext and tag");
    verify(&identity, &before)
        .await
        .expect("a token signed before still verifies");
    let after = login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .expect("the sealed key signs")
        .access_token;
    verify(&identity, &after)
        .await
        .expect("and its tokens verify");

    // A key made while sealing is on is sealed from the start.
    identity.stop().await;
    age_signing_keys(&db).await;
    let identity = start_on(&db, sealed_with(KEY_A)).await;
    let rotated = stored_keys(&db).await;
    assert_eq!(rotated.len(), 2, "a new key replaced the aged one");
    assert!(
        rotated
            .iter()
            .all(|(_, plain_gone, sealed)| *plain_gone && sealed.is_some())
    );
    login(&identity, "jeanne@example.fr", PASSWORD)
        .await
        .expect("the new sealed key signs");
}

/// Runs the identity binary on `db` with `env` until it exits (at most 30 s) and returns
/// its exit code and standard error.
fn run_binary(db: &TestDb, nats: &TestNats, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_identity"));
    command
        .env_clear()
        .env(
            "COMPTOIR_DATABASE_URL",
            db.service_url(&comptoir_identity::SPEC).expose(),
        )
        .env("COMPTOIR_NATS_URL", &nats.url)
        .env("COMPTOIR_NATS_PREFIX", &nats.prefix)
        .env("COMPTOIR_GRPC_ADDR", "127.0.0.1:0")
        .env("COMPTOIR_METRICS_ADDR", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("running identity");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

#[tokio::test]
async fn production_without_a_key_refuses_to_start_with_exit_code_64() {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let nats = TestNats::shared().await;
    let (code, stderr) = tokio::task::spawn_blocking(move || run_binary(&db, &nats, &[]))
        .await
        .unwrap();
    assert_eq!(code, Some(64), "{stderr}");
    assert!(stderr.contains("COMPTOIR_KEY_ENCRYPTION_KEY"), "{stderr}");
    assert!(stderr.contains("COMPTOIR_ENVIRONMENT"), "{stderr}");
}

#[tokio::test]
async fn a_key_that_does_not_open_the_stored_keys_stops_identity_with_exit_code_64() {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let nats = TestNats::shared().await;
    start_on(&db, sealed_with(KEY_A)).await.stop().await;
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        run_binary(&db, &nats, &[("COMPTOIR_KEY_ENCRYPTION_KEY", KEY_B)])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(64), "{stderr}");
    assert!(stderr.contains("COMPTOIR_KEY_ENCRYPTION_KEY"), "{stderr}");
    assert!(stderr.contains("does not open"), "{stderr}");
}
