//! The `comptoir.identity.v1.IdentityService` implementation.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use comptoir_proto::identity::v1 as pb;
use comptoir_runtime::auth::{self, ACCESS_TOKEN_TTL, Claims};
use comptoir_runtime::mail::{Mail, Mailer};
use comptoir_runtime::{Caller, Deps, FieldViolations};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::{self, Email, LOGIN_THROTTLE, OpaqueToken, TrustedProxies};
use crate::error::Error;
use crate::tenancy::{Rights, Tenancy};
use crate::{keys, store};

pub(crate) fn server(
    deps: Deps,
    mailer: Mailer,
    tenancy: Tenancy,
    trusted_proxies: TrustedProxies,
    sealing: keys::Sealing,
) -> pb::identity_service_server::IdentityServiceServer<Identity> {
    pb::identity_service_server::IdentityServiceServer::new(Identity {
        signer: keys::Signer::new(deps.pool.clone(), sealing),
        deps,
        mailer,
        tenancy,
        trusted_proxies,
    })
}

pub(crate) struct Identity {
    deps: Deps,
    mailer: Mailer,
    tenancy: Tenancy,
    signer: keys::Signer,
    /// Whose `x-forwarded-for` names the client, for throttling.
    trusted_proxies: TrustedProxies,
}

impl Identity {
    /// A fresh access token of `session_id` for `user_id`, signed with the current key,
    /// scoped to a company when `rights` says which (and with what).
    async fn access_token(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        rights: Option<&Rights>,
    ) -> Result<String, Error> {
        let key = self.signer.key().await?;
        let config = &self.deps.config;
        let mut claims = Claims::new(
            user_id.to_string(),
            &config.jwt_issuer,
            &config.jwt_audience,
        );
        claims.sid = Some(session_id);
        if let Some(rights) = rights {
            claims.cid = Some(rights.company_id);
            claims.role = Some(rights.role.clone());
            claims.perms = rights.permissions.clone();
            claims.firm = rights.through_firm;
        }
        auth::sign(&claims, &key.kid, &key.private_der)
            .map_err(|err| Error::Crypto(err.to_string()))
    }
}

/// The account and session of a person's access token.
fn user_session(caller: &Caller) -> Result<(Uuid, Uuid), Error> {
    match caller {
        Caller::User {
            user_id,
            session_id: Some(session_id),
            ..
        } => Ok((*user_id, *session_id)),
        Caller::User {
            session_id: None, ..
        } => Err(Error::SessionEnded),
        Caller::Service { .. } => Err(Error::UserRequired),
    }
}

/// Where a request comes from, for throttling.
fn client_addr<T>(request: &Request<T>, trusted: &TrustedProxies) -> String {
    let forwarded = request
        .metadata()
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok());
    domain::client_addr(forwarded, request.remote_addr(), trusted)
}

/// The reset mail. The link carries the token: this text is never logged.
fn reset_mail(to: &str, link: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Reset your Comptoir password".to_owned(),
        body: format!(
            "Hello,\n\nSomeone, hopefully you, asked to reset the password of the Comptoir \
             account of {to}. Open this link within one hour to choose a new password:\n\n\
             {link}\n\nThe link works once. If you did not ask, ignore this mail: your \
             password stays as it is.\n"
        ),
    }
}

/// The mail to the owner of an address someone tried to sign up with again.
fn registered_mail(to: &str, login_link: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Your Comptoir account already exists".to_owned(),
        body: format!(
            "Hello,\n\nSomeone, hopefully you, tried to create a Comptoir account for {to}, \
             which already has one. No new account was created and yours is unchanged.\n\n\
             To sign in, open {login_link}; if you forgot your password, ask for a reset \
             link there.\n\nIf it was not you, you can ignore this mail.\n"
        ),
    }
}

/// Sends `mail` in the background: waiting for SMTP would make the answer slower when an
/// account exists than when none does, which would tell who has one. A failure is logged
/// as `what`, without the mail's text (it may carry a token).
fn send_later(mailer: &Mailer, mail: Mail, what: &'static str) {
    let mailer = mailer.clone();
    tokio::spawn(async move {
        if let Err(err) = mailer.send(&mail).await {
            tracing::error!(error = %err, "sending {what} failed");
        }
    });
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
        // Hashed whether or not the e-mail is taken, so both answers take the same time.
        let hash = hash_password(request.password).await?;
        match store::insert_account(&self.deps.pool, &email, &name, &hash).await? {
            Some(user_id) => {
                self.deps.outbox.wake();
                tracing::info!(%user_id, "account created");
            }
            None => {
                // The same answer as for a new account: only the address's owner learns
                // that someone tried.
                let mail = registered_mail(email.as_str(), &self.mailer.link("/login"));
                send_later(&self.mailer, mail, "an already registered mail");
                tracing::info!("sign-up with a registered e-mail; its owner was told");
            }
        }
        Ok(Response::new(pb::SignUpResponse::default()))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let addr = client_addr(&request, &self.trusted_proxies);
        let request = request.into_inner();
        let Ok(email) = Email::parse(&request.email) else {
            return Err(Error::BadCredentials.into());
        };
        let pool = &self.deps.pool;
        // Checked before the password, so a refused attempt costs no argon2 and teaches
        // nothing; keyed by the e-mail as typed, so unknown ones are refused alike.
        if let Some(retry_after) =
            store::throttled_for(pool, email.as_str(), &addr, LOGIN_THROTTLE).await?
        {
            return Err(Error::Throttled { retry_after }.into());
        }
        let (user_id, hash) = match store::credentials(pool, &email).await? {
            Some((user_id, hash)) => (Some(user_id), hash),
            None => (None, DUMMY_HASH.clone()),
        };
        let matches = verify_password(request.password, hash).await?;
        let user_id = match (user_id, matches) {
            (Some(user_id), true) => user_id,
            _ => {
                store::record_login_failure(pool, email.as_str(), &addr).await?;
                return Err(Error::BadCredentials.into());
            }
        };
        store::clear_login_failures(pool, email.as_str()).await?;
        let refresh = OpaqueToken::generate();
        let session_id = store::start_session(pool, user_id, &refresh).await?;
        let access_token = self.access_token(user_id, session_id, None).await?;
        tracing::info!(%user_id, %session_id, "session started");
        Ok(Response::new(pb::LoginResponse {
            access_token,
            expires_in_seconds: ACCESS_TOKEN_TTL.as_secs() as i64,
            user_id: user_id.to_string(),
            refresh_token: refresh.secret,
            session_id: session_id.to_string(),
        }))
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::RefreshResponse>, Status> {
        let request = request.into_inner();
        if request.refresh_token.trim().is_empty() {
            return Err(Error::RefreshTokenInvalid.into());
        }
        let presented = domain::hash_token(&request.refresh_token);
        // Tenancy is asked before the token is spent: when it cannot answer, the client's
        // retry presents a token still unused, instead of one that looks stolen and ends
        // the session.
        let checked = match store::refreshable_company(&self.deps.pool, &presented).await? {
            Some(company) => {
                let config = &self.deps.config;
                let rights = self
                    .tenancy
                    .check(
                        &self.signer,
                        &config.jwt_issuer,
                        &config.jwt_audience,
                        company.account_id,
                        company.company_id,
                    )
                    .await?;
                Some((company.company_id, rights))
            }
            None => None,
        };
        let next = OpaqueToken::generate();
        let session = store::rotate_refresh_token(&self.deps.pool, &presented, &next)
            .await
            // A reuse ended the session: its revocation goes out at once.
            .inspect_err(|_| self.deps.outbox.wake())?;
        // The session keeps its company while the user may still act on it. A switch
        // committed between the check and the rotation leaves this one token unscoped;
        // the next refresh asks about the new company.
        let rights = match checked {
            Some((company, rights)) if session.active_company_id == Some(company) => {
                if rights.is_none() {
                    store::set_active_company(
                        &self.deps.pool,
                        session.account_id,
                        session.session_id,
                        None,
                    )
                    .await?;
                }
                rights
            }
            _ => None,
        };
        let access_token = self
            .access_token(session.account_id, session.session_id, rights.as_ref())
            .await?;
        Ok(Response::new(pb::RefreshResponse {
            access_token,
            expires_in_seconds: ACCESS_TOKEN_TTL.as_secs() as i64,
            refresh_token: next.secret,
        }))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let (user_id, session_id) = user_session(Caller::of(&request)?)?;
        store::end_session(&self.deps.pool, user_id, session_id).await?;
        self.deps.outbox.wake();
        tracing::info!(%user_id, %session_id, "session ended: logout");
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let (user_id, session_id) = user_session(Caller::of(&request)?)?;
        let addr = client_addr(&request, &self.trusted_proxies);
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        if request.current_password.is_empty() {
            violations.add("current_password", "is required");
        }
        violations.check(
            "new_password",
            domain::check_password(&request.new_password),
        );
        violations.into_result()?;
        let pool = &self.deps.pool;
        if !store::session_is_live(pool, user_id, session_id).await? {
            return Err(Error::SessionEnded.into());
        }
        let Some((email, hash)) = store::account(pool, user_id).await? else {
            return Err(Error::SessionEnded.into());
        };
        // A stolen access token must not become a way to guess the password.
        if let Some(retry_after) = store::throttled_for(pool, &email, &addr, LOGIN_THROTTLE).await?
        {
            return Err(Error::Throttled { retry_after }.into());
        }
        if !verify_password(request.current_password, hash).await? {
            store::record_login_failure(pool, &email, &addr).await?;
            return Err(Error::WrongCurrentPassword.into());
        }
        let new_hash = hash_password(request.new_password).await?;
        store::change_password(pool, user_id, &new_hash, session_id).await?;
        self.deps.outbox.wake();
        store::clear_login_failures(pool, &email).await?;
        tracing::info!(%user_id, %session_id, "password changed; other sessions ended");
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        let email = violations.check("email", Email::parse(&request.email));
        violations.into_result()?;
        let Some(email) = email else {
            unreachable!("validated above")
        };
        let pool = &self.deps.pool;
        if let Some((user_id, _)) = store::credentials(pool, &email).await? {
            let token = OpaqueToken::generate();
            if store::create_password_reset(pool, user_id, &token).await? {
                let link = self
                    .mailer
                    .link(&format!("/reset-password?token={}", token.secret));
                send_later(
                    &self.mailer,
                    reset_mail(email.as_str(), &link),
                    "a password reset mail",
                );
                tracing::info!(%user_id, "password reset requested");
            } else {
                tracing::warn!(%user_id, "password reset requested too often; no mail sent");
            }
        }
        Ok(Response::new(pb::RequestPasswordResetResponse {}))
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        if request.token.trim().is_empty() {
            violations.add("token", "is required");
        }
        violations.check(
            "new_password",
            domain::check_password(&request.new_password),
        );
        violations.into_result()?;
        let new_hash = hash_password(request.new_password).await?;
        let user_id = store::reset_password(
            &self.deps.pool,
            &domain::hash_token(&request.token),
            &new_hash,
        )
        .await?;
        self.deps.outbox.wake();
        tracing::info!(%user_id, "password reset; every session ended");
        Ok(Response::new(pb::ResetPasswordResponse {}))
    }

    async fn switch_company(
        &self,
        request: Request<pb::SwitchCompanyRequest>,
    ) -> Result<Response<pb::SwitchCompanyResponse>, Status> {
        let (user_id, session_id) = user_session(Caller::of(&request)?)?;
        let company =
            comptoir_runtime::error::required_uuid("company_id", &request.get_ref().company_id)?;
        let config = &self.deps.config;
        let pool = &self.deps.pool;
        // The session is read while tenancy answers: switching again to the company the
        // session acts on then costs no round trip after tenancy's. Only a change is
        // written, once tenancy has said yes.
        let (rights, current) = tokio::join!(
            self.tenancy.check(
                &self.signer,
                &config.jwt_issuer,
                &config.jwt_audience,
                user_id,
                company,
            ),
            store::session_company(pool, user_id, session_id),
        );
        let rights = rights?.ok_or(Error::NoAccessToCompany)?;
        match current? {
            None => return Err(Error::SessionEnded.into()),
            Some(active) if active == Some(company) => {}
            Some(_) => {
                if !store::set_active_company(pool, user_id, session_id, Some(company)).await? {
                    return Err(Error::SessionEnded.into());
                }
            }
        }
        let access_token = self
            .access_token(user_id, session_id, Some(&rights))
            .await?;
        tracing::info!(%user_id, %session_id, company_id = %company, "switched company");
        Ok(Response::new(pb::SwitchCompanyResponse {
            access_token,
            expires_in_seconds: ACCESS_TOKEN_TTL.as_secs() as i64,
            company_id: company.to_string(),
            role: rights.role,
            permissions: rights.permissions,
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
