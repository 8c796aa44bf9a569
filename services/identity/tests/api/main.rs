//! Identity's integration tests: the real service on port 0 against real Postgres and
//! NATS, one database and NATS prefix per test.

mod accounts;
mod database;
mod keys;
mod passwords;
mod runtime;
mod sessions;
mod switching;

use std::net::SocketAddr;
use std::sync::Arc;

use comptoir_identity::{Config, Settings};
use comptoir_proto::identity::v1::{
    GetJwksRequest, LoginRequest, LoginResponse, SignUpRequest,
    identity_service_client::IdentityServiceClient,
};
use comptoir_runtime::Caller;
use comptoir_runtime::auth::{KeySet, PublicKey};
use comptoir_runtime::config::{CommonConfig, ServiceConfig};
use comptoir_test_support::{
    Mailbox, PASSWORD, Running, TestDb, TestNats, common_config, identity_config, spawn,
};
use tonic::transport::Channel;

/// A running identity service with its own database.
pub(crate) async fn start() -> (TestDb, Running) {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let identity = start_on(&db, Settings::default()).await;
    (db, identity)
}

/// Identity started on an existing test database with `settings`.
pub(crate) async fn start_on(db: &TestDb, settings: Settings) -> Running {
    start_on_nats(db, &TestNats::shared().await, settings).await
}

/// Identity started on an existing test database and the test's `nats` (under its
/// prefix, where the test reads identity's events) with `settings`.
pub(crate) async fn start_on_nats(db: &TestDb, nats: &TestNats, settings: Settings) -> Running {
    let app = comptoir_identity::build(Config {
        common: common_config(db, &comptoir_identity::SPEC, nats),
        settings,
    })
    .await
    .expect("identity builds");
    spawn(app).await
}

/// The address of a local port free a moment ago: where tenancy will listen, for an
/// identity that must know it before tenancy can start (tenancy needs identity's keys).
pub(crate) fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port for tenancy")
}

/// Tenancy listening on `addr`, on the test's database and `nats`, verifying tokens with
/// `identity`'s keys.
pub(crate) async fn start_tenancy(
    db: &TestDb,
    nats: &TestNats,
    identity: &Running,
    addr: SocketAddr,
) -> Running {
    spawn(
        comptoir_tenancy::build(comptoir_tenancy::Config::new(ServiceConfig {
            common: CommonConfig {
                grpc_addr: Some(addr),
                ..common_config(db, &comptoir_tenancy::SPEC, nats)
            },
            identity: identity_config(identity),
        }))
        .await
        .expect("tenancy builds"),
    )
    .await
}

/// A running identity whose mail lands in the returned mailbox.
pub(crate) async fn start_with_mailbox() -> (TestDb, Running, Mailbox) {
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let mailbox = Mailbox::new();
    let identity = start_on(
        &db,
        Settings {
            mail: mailbox.config(),
            ..Settings::default()
        },
    )
    .await;
    (db, identity, mailbox)
}

/// A client of `identity`.
pub(crate) async fn client(identity: &Running) -> IdentityServiceClient<Channel> {
    IdentityServiceClient::new(identity.channel().await)
}

/// Signs `email` up with [`PASSWORD`].
pub(crate) async fn sign_up(identity: &Running, email: &str) {
    client(identity)
        .await
        .sign_up(SignUpRequest {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            name: "Jeanne Dupont".to_owned(),
        })
        .await
        .expect("sign-up");
}

/// Logs in with `password`.
pub(crate) async fn login(
    identity: &Running,
    email: &str,
    password: &str,
) -> Result<LoginResponse, tonic::Status> {
    client(identity)
        .await
        .login(LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Verifies `token` with the keys `identity` publishes now, as another service would.
pub(crate) async fn verify(identity: &Running, token: &str) -> Result<Caller, String> {
    let published: Vec<PublicKey> = client(identity)
        .await
        .get_jwks(GetJwksRequest {})
        .await
        .expect("GetJwks")
        .into_inner()
        .keys
        .into_iter()
        .map(|k| PublicKey { kid: k.kid, x: k.x })
        .collect();
    let keys = KeySet::new(
        Arc::new(move || {
            let published = published.clone();
            Box::pin(async move { Ok(published) })
        }),
        "comptoir",
        "comptoir",
    );
    keys.verify(token).await.map_err(|err| err.to_string())
}

/// The session id an access token carries.
pub(crate) async fn session_of(identity: &Running, token: &str) -> uuid::Uuid {
    match verify(identity, token).await.expect("the token verifies") {
        Caller::User {
            session_id: Some(session_id),
            ..
        } => session_id,
        other => panic!("a user token with a session, not {other:?}"),
    }
}
