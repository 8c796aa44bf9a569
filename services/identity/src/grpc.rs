//! The `comptoir.identity.v1.IdentityService` implementation.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use comptoir_proto::identity::v1 as pb;
use comptoir_runtime::auth::{self, ACCESS_TOKEN_TTL, Claims};
use comptoir_runtime::{Deps, FieldViolations};
use tonic::{Request, Response, Status};

use crate::domain::{self, Email};
use crate::error::Error;
use crate::{keys, store};

pub(crate) fn server(deps: Deps) -> pb::identity_service_server::IdentityServiceServer<Identity> {
    pb::identity_service_server::IdentityServiceServer::new(Identity { deps })
}

pub(crate) struct Identity {
    deps: Deps,
}

/// argon2id with OWASP's first recommended setting: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash verified when the e-mail is unknown, so both failures take the same time.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    argon2()
        .hash_password(b"not a real password", &SaltString::generate(&mut OsRng))
        .expect("hashing a constant succeeds")
        .to_string()
});

async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        argon2()
            .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
            .map(|hash| hash.to_string())
            .map_err(|err| Error::Crypto(err.to_string()))
    })
    .await
    .map_err(|err| Error::Crypto(err.to_string()))?
}

async fn verify_password(password: String, hash: String) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|err| Error::Crypto(err.to_string()))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|err| Error::Crypto(err.to_string()))?
}

#[tonic::async_trait]
impl pb::identity_service_server::IdentityService for Identity {
    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let email = violations.check("email", Email::parse(&request.email));
        violations.check("password", domain::check_password(&request.password));
        let name = violations.check("name", domain::check_name(&request.name));
        violations.into_result()?;
        let (Some(email), Some(name)) = (email, name) else {
            unreachable!("validated above")
        };
        let hash = hash_password(request.password).await?;
        let user_id = store::insert_account(&self.deps.pool, &email, &name, &hash).await?;
        tracing::info!(%user_id, "account created");
        Ok(Response::new(pb::SignUpResponse {
            user_id: user_id.to_string(),
        }))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let request = request.into_inner();
        let Ok(email) = Email::parse(&request.email) else {
            return Err(Error::BadCredentials.into());
        };
        let (user_id, hash) = match store::credentials(&self.deps.pool, &email).await? {
            Some((user_id, hash)) => (Some(user_id), hash),
            None => (None, DUMMY_HASH.clone()),
        };
        let matches = verify_password(request.password, hash).await?;
        let user_id = match (user_id, matches) {
            (Some(user_id), true) => user_id,
            _ => return Err(Error::BadCredentials.into()),
        };
        let key = keys::current(&self.deps.pool).await.map_err(Error::from)?;
        let config = &self.deps.config;
        let claims = Claims::new(
            user_id.to_string(),
            &config.jwt_issuer,
            &config.jwt_audience,
        );
        let access_token = auth::sign(&claims, &key.kid, &key.private_der)
            .map_err(|err| Error::Crypto(err.to_string()))?;
        Ok(Response::new(pb::LoginResponse {
            access_token,
            expires_in_seconds: ACCESS_TOKEN_TTL.as_secs() as i64,
            user_id: user_id.to_string(),
        }))
    }

    async fn get_jwks(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        let keys = keys::public_keys(&self.deps.pool)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(pb::GetJwksResponse {
            keys: keys
                .into_iter()
                .map(|key| pb::Jwk {
                    kid: key.kid,
                    kty: "OKP".to_owned(),
                    crv: "Ed25519".to_owned(),
                    x: key.x,
                })
                .collect(),
        }))
    }
}
