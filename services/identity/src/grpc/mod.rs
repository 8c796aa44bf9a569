//! The `comptoir.identity.v1.IdentityService` implementation: each method decodes its
//! request (every bad field named), finds the caller's session where it needs one, calls
//! one `app` function and encodes the answer. Errors become statuses here, once.

use comptoir_proto::identity::v1 as pb;
use comptoir_runtime::caller::ACCESS_TOKEN_TTL;
use comptoir_runtime::{Caller, FieldViolations};
use tonic::{Request, Response, Status};

use crate::app::{self, Ctx, UserSession};
use crate::domain::{self, Email, TrustedProxies};
use crate::error::Error;

pub(crate) fn server(
    ctx: Ctx,
    trusted_proxies: TrustedProxies,
) -> pb::identity_service_server::IdentityServiceServer<Identity> {
    pb::identity_service_server::IdentityServiceServer::new(Identity {
        ctx,
        trusted_proxies,
    })
}

pub(crate) struct Identity {
    ctx: Ctx,
    /// Whose `x-forwarded-for` names the client, for throttling.
    trusted_proxies: TrustedProxies,
}

/// The account and session of a person's access token.
fn user_session(caller: &Caller) -> Result<UserSession, Error> {
    match caller {
        Caller::User {
            user_id,
            session_id: Some(session_id),
            ..
        } => Ok(UserSession {
            user_id: *user_id,
            session_id: *session_id,
        }),
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

/// `Ok(())` when nothing was recorded, else the request's [`Error::InvalidArgument`].
fn valid(violations: FieldViolations) -> Result<(), Error> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations.into())
    }
}

impl TryFrom<&pb::SignUpRequest> for app::SignUp {
    type Error = Error;

    fn try_from(request: &pb::SignUpRequest) -> Result<Self, Error> {
        let mut violations = FieldViolations::new();
        let email = violations.check("email", Email::parse(&request.email));
        violations.check("password", domain::check_password(&request.password));
        let name = violations.check("name", domain::check_name(&request.name));
        valid(violations)?;
        let (Some(email), Some(name)) = (email, name) else {
            unreachable!("validated above")
        };
        Ok(Self {
            email,
            name,
            password: request.password.clone(),
        })
    }
}

/// The new password of a change, the client address aside.
fn decode_change_password(
    request: &pb::ChangePasswordRequest,
    client_addr: String,
) -> Result<app::ChangePassword, Error> {
    let mut violations = FieldViolations::new();
    if request.current_password.is_empty() {
        violations.add("current_password", "is required");
    }
    violations.check(
        "new_password",
        domain::check_password(&request.new_password),
    );
    valid(violations)?;
    Ok(app::ChangePassword {
        current_password: request.current_password.clone(),
        new_password: request.new_password.clone(),
        client_addr,
    })
}

/// The e-mail a reset link is asked for.
fn decode_password_reset_request(
    request: &pb::RequestPasswordResetRequest,
) -> Result<Email, Error> {
    let mut violations = FieldViolations::new();
    let email = violations.check("email", Email::parse(&request.email));
    valid(violations)?;
    Ok(email.expect("validated above"))
}

impl TryFrom<&pb::ResetPasswordRequest> for app::ResetPassword {
    type Error = Error;

    fn try_from(request: &pb::ResetPasswordRequest) -> Result<Self, Error> {
        let mut violations = FieldViolations::new();
        if request.token.trim().is_empty() {
            violations.add("token", "is required");
        }
        violations.check(
            "new_password",
            domain::check_password(&request.new_password),
        );
        valid(violations)?;
        Ok(Self {
            token: request.token.clone(),
            new_password: request.new_password.clone(),
        })
    }
}

/// The company a switch or a company token names.
fn decode_company_id(company_id: &str) -> Result<uuid::Uuid, Error> {
    let mut violations = FieldViolations::new();
    let company_id = violations.uuid("company_id", company_id);
    valid(violations)?;
    Ok(company_id.expect("validated above"))
}

/// The lifetime of every access token, as answers state it.
fn expires_in_seconds() -> i64 {
    ACCESS_TOKEN_TTL.as_secs() as i64
}

#[tonic::async_trait]
impl pb::identity_service_server::IdentityService for Identity {
    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        let sign_up = app::SignUp::try_from(request.get_ref())?;
        app::sign_up(&self.ctx, sign_up).await?;
        Ok(Response::new(pb::SignUpResponse::default()))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let client_addr = client_addr(&request, &self.trusted_proxies);
        let request = request.into_inner();
        let answer = app::login(
            &self.ctx,
            app::Login {
                email: request.email,
                password: request.password,
                client_addr,
            },
        )
        .await?;
        Ok(Response::new(pb::LoginResponse {
            access_token: answer.access_token,
            expires_in_seconds: expires_in_seconds(),
            user_id: answer.user_id.to_string(),
            refresh_token: answer.refresh_token,
            session_id: answer.session_id.to_string(),
        }))
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::RefreshResponse>, Status> {
        let refreshed = app::refresh(&self.ctx, &request.get_ref().refresh_token).await?;
        Ok(Response::new(pb::RefreshResponse {
            access_token: refreshed.access_token,
            expires_in_seconds: expires_in_seconds(),
            refresh_token: refreshed.refresh_token,
        }))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let session = user_session(Caller::of(&request)?)?;
        app::logout(&self.ctx, session).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let session = user_session(Caller::of(&request)?)?;
        let client_addr = client_addr(&request, &self.trusted_proxies);
        let change = decode_change_password(request.get_ref(), client_addr)?;
        app::change_password(&self.ctx, session, change).await?;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        let email = decode_password_reset_request(request.get_ref())?;
        app::request_password_reset(&self.ctx, email).await?;
        Ok(Response::new(pb::RequestPasswordResetResponse {}))
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        let reset = app::ResetPassword::try_from(request.get_ref())?;
        app::reset_password(&self.ctx, reset).await?;
        Ok(Response::new(pb::ResetPasswordResponse {}))
    }

    async fn switch_company(
        &self,
        request: Request<pb::SwitchCompanyRequest>,
    ) -> Result<Response<pb::SwitchCompanyResponse>, Status> {
        let session = user_session(Caller::of(&request)?)?;
        let company_id = decode_company_id(&request.get_ref().company_id)?;
        let switched = app::switch_company(&self.ctx, session, company_id).await?;
        Ok(Response::new(pb::SwitchCompanyResponse {
            access_token: switched.access_token,
            expires_in_seconds: expires_in_seconds(),
            company_id: company_id.to_string(),
            role: switched.rights.role,
            permissions: switched.rights.permissions,
        }))
    }

    async fn issue_company_token(
        &self,
        request: Request<pb::IssueCompanyTokenRequest>,
    ) -> Result<Response<pb::IssueCompanyTokenResponse>, Status> {
        let session = user_session(Caller::of(&request)?)?;
        let company_id = decode_company_id(&request.get_ref().company_id)?;
        let issued = app::issue_company_token(&self.ctx, session, company_id).await?;
        Ok(Response::new(pb::IssueCompanyTokenResponse {
            access_token: issued.access_token,
            expires_in_seconds: expires_in_seconds(),
        }))
    }

    async fn get_jwks(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        let keys = app::jwks(&self.ctx).await?;
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
