//! Access tokens for tests: real ones from identity's sign-up and login, tokens signed
//! with identity's own key but wrong claims, and tokens signed by a key nobody knows.

use comptoir_domain_types::permissions::Permission;
use comptoir_proto::identity::v1::{
    LoginRequest, SignUpRequest, identity_service_client::IdentityServiceClient,
};
use comptoir_runtime::auth;
use comptoir_runtime::caller::Claims;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;

use crate::{Running, TestDb};

/// The password every test account uses.
pub const PASSWORD: &str = "correct horse battery staple";

/// Signs `email` up with [`PASSWORD`] and logs in; returns the access token.
pub async fn user_token(identity: &Running, email: &str) -> String {
    let mut client = IdentityServiceClient::new(identity.channel().await);
    client
        .sign_up(SignUpRequest {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            name: "Jeanne Dupont".to_owned(),
        })
        .await
        .expect("sign-up");
    client
        .login(LoginRequest {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
        })
        .await
        .expect("login")
        .into_inner()
        .access_token
}

/// `claims` signed with identity's current key, read through identity's store as its
/// runtime role.
pub async fn identity_token(db: &TestDb, claims: &Claims) -> String {
    let mut conn = db.runtime_tx(&comptoir_identity::SPEC, &[]).await;
    let (kid, der) = comptoir_identity::fixtures::current_signing_key(&mut conn)
        .await
        .expect("identity has a signing key in clear");
    auth::sign(claims, &kid, &der).expect("signing")
}

/// `claims` signed with a fresh key identity never published.
pub fn foreign_token(claims: &Claims) -> String {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let der = key.to_pkcs8_der().expect("encoding a key");
    auth::sign(claims, "not-a-known-kid", der.as_bytes()).expect("signing")
}

/// A token for a fresh user scoped to `company` with `permissions`, signed with identity's
/// key: what SwitchCompany would hand out, for tests of a service without tenancy.
pub async fn scoped_token(db: &TestDb, company: uuid::Uuid, permissions: &[Permission]) -> String {
    ScopedToken::new(company)
        .permissions(permissions)
        .sign(db)
        .await
}

/// The claims of a token scoped to one company, for a fresh user in a fresh session, to
/// be signed with identity's key: what SwitchCompany would hand out. It holds no role, no
/// permission and direct access until told otherwise.
#[derive(Debug, Clone)]
pub struct ScopedToken {
    claims: Claims,
}

impl ScopedToken {
    /// A fresh user's token scoped to `company`.
    pub fn new(company: uuid::Uuid) -> Self {
        let mut claims = Claims::new(uuid::Uuid::now_v7().to_string(), "comptoir", "comptoir");
        claims.sid = Some(uuid::Uuid::now_v7());
        claims.cid = Some(company);
        Self { claims }
    }

    /// Holding the role `role` (its key, as identity writes it into tokens).
    pub fn role(mut self, role: &str) -> Self {
        self.claims.role = Some(role.to_owned());
        self
    }

    /// With exactly `permissions`.
    pub fn permissions(mut self, permissions: &[Permission]) -> Self {
        self.claims.perms = comptoir_domain_types::permissions::names(permissions);
        self
    }

    /// Reaching the company through an accounting firm's grant, not a membership.
    pub fn through_firm(mut self) -> Self {
        self.claims.firm = true;
        self
    }

    /// Signed with identity's current key, read from its schema in `db`.
    pub async fn sign(&self, db: &TestDb) -> String {
        identity_token(db, &self.claims).await
    }
}
