//! What identity does, one function per command or query: each decides with the domain's
//! rules, owns its transaction, writes through the store and enqueues its events in the
//! same transaction. Called by the gRPC layer with decoded input; returns [`Error`].

mod accounts;
mod jwks;
mod passwords;
mod sessions;

pub(crate) use accounts::{SignUp, sign_up};
pub(crate) use jwks::jwks;
pub(crate) use passwords::{
    ChangePassword, ResetPassword, change_password, request_password_reset, reset_password,
};
pub(crate) use sessions::{Login, issue_company_token, login, logout, refresh, switch_company};

use comptoir_runtime::Deps;
use comptoir_runtime::auth;
use comptoir_runtime::events::Outbox;
use comptoir_runtime::mail::{Mail, Mailer};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{self, Rights};
use crate::error::Error;
use crate::keys;
use crate::tenancy::Tenancy;

/// What every app function works with.
pub(crate) struct Ctx {
    deps: Deps,
    mailer: Mailer,
    tenancy: Tenancy,
    signer: keys::Signer,
}

/// The session a person's access token belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserSession {
    pub(crate) user_id: Uuid,
    pub(crate) session_id: Uuid,
}

impl Ctx {
    pub(crate) fn new(
        deps: Deps,
        mailer: Mailer,
        tenancy: Tenancy,
        sealing: keys::Sealing,
    ) -> Self {
        Self {
            signer: keys::Signer::new(deps.pool.clone(), sealing),
            deps,
            mailer,
            tenancy,
        }
    }

    fn pool(&self) -> &PgPool {
        &self.deps.pool
    }

    fn outbox(&self) -> &Outbox {
        &self.deps.outbox
    }

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
        let claims = domain::access_claims(
            user_id,
            session_id,
            rights,
            &config.jwt_issuer,
            &config.jwt_audience,
        );
        auth::sign(&claims, &key.kid, &key.private_der)
            .map_err(|err| Error::Crypto(err.to_string()))
    }

    /// The user's rights on the company, or None when tenancy says no.
    async fn rights(&self, user_id: Uuid, company_id: Uuid) -> Result<Option<Rights>, Error> {
        let config = &self.deps.config;
        self.tenancy
            .check(
                &self.signer,
                &config.jwt_issuer,
                &config.jwt_audience,
                user_id,
                company_id,
            )
            .await
    }

    /// Sends `mail` in the background: waiting for SMTP would make the answer slower when
    /// an account exists than when none does, which would tell who has one. A failure is
    /// logged as `what`, without the mail's text (it may carry a token).
    fn send_later(&self, mail: Mail, what: &'static str) {
        let mailer = self.mailer.clone();
        tokio::spawn(async move {
            if let Err(err) = mailer.send(&mail).await {
                tracing::error!(error = %err, "sending {what} failed");
            }
        });
    }
}

/// The argon2id hash of `password`, computed off the async threads.
async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        domain::hash_password(&password).map_err(|err| Error::Crypto(err.to_string()))
    })
    .await
    .map_err(|err| Error::Crypto(err.to_string()))?
}

/// Whether `password` matches `hash`, computed off the async threads.
async fn verify_password(password: String, hash: String) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        domain::verify_password(&password, &hash).map_err(|err| Error::Crypto(err.to_string()))
    })
    .await
    .map_err(|err| Error::Crypto(err.to_string()))?
}
