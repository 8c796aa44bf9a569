//! Tenancy's integration tests: the real service (and a real identity for tokens) on
//! port 0 against real Postgres and NATS, one database and NATS prefix per test.

mod accountants;
mod auth;
mod bank_account;
mod clients;
mod companies;
mod database;
mod firms;
mod legal_identity;
mod members;

use comptoir_proto::tenancy::v1::tenancy_service_client::TenancyServiceClient;
use comptoir_runtime::caller::Claims;
use comptoir_test_support::{Harness, Mailbox, Running, identity_token, spawn};
use tonic::transport::Channel;
use uuid::Uuid;

pub(crate) struct Env {
    pub(crate) harness: Harness,
    pub(crate) tenancy: Running,
    pub(crate) mailbox: Mailbox,
}

impl Env {
    pub(crate) async fn start() -> Self {
        let harness = Harness::start(
            &[comptoir_identity::SPEC, comptoir_tenancy::SPEC],
            |common| comptoir_identity::build(comptoir_identity::Config::new(common)),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_tenancy::SPEC);
        let mailbox = Mailbox::new();
        let config = comptoir_tenancy::Config {
            mail: mailbox.config(),
            ..comptoir_tenancy::Config::new(comptoir_runtime::config::ServiceConfig {
                common,
                identity,
            })
        };
        let tenancy = spawn(
            comptoir_tenancy::build(config)
                .await
                .expect("tenancy builds"),
        )
        .await;
        Self {
            harness,
            tenancy,
            mailbox,
        }
    }

    pub(crate) async fn client(&self) -> TenancyServiceClient<Channel> {
        TenancyServiceClient::new(self.tenancy.channel().await)
    }

    pub(crate) async fn token(&self, email: &str) -> String {
        self.harness.token(email).await
    }

    pub(crate) async fn count(&self, sql: &'static str) -> i64 {
        self.harness.count(sql).await
    }
}

/// The account id inside an access token (its `sub` claim).
pub(crate) fn subject(token: &str) -> Uuid {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    let claims: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["sub"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("a user subject")
}

impl Env {
    /// A token of `user` scoped to `company`, signed with identity's key (what
    /// SwitchCompany hands out); tenancy checks the membership itself.
    pub(crate) async fn scoped(&self, user: Uuid, company: &str) -> String {
        let mut claims = Claims::new(user.to_string(), "comptoir", "comptoir");
        claims.cid = Some(Uuid::parse_str(company).expect("company id"));
        identity_token(&self.harness.db, &claims).await
    }

    /// A service token, as identity mints for internal calls.
    pub(crate) async fn service_token(&self, name: &str) -> String {
        identity_token(
            &self.harness.db,
            &Claims::new(format!("service:{name}"), "comptoir", "comptoir"),
        )
        .await
    }

    /// Signs `email` up and creates a company of `kind` as its owner; returns the
    /// owner's id and the company id.
    pub(crate) async fn owner_of(
        &self,
        email: &str,
        legal_name: &str,
        siren: &str,
        firm: bool,
    ) -> (Uuid, String) {
        use comptoir_proto::tenancy::v1::CompanyKind;
        let token = self.token(email).await;
        let kind = if firm {
            CompanyKind::Firm
        } else {
            CompanyKind::Company
        };
        let company = self
            .client()
            .await
            .create_company(comptoir_test_support::bearer(
                comptoir_proto::tenancy::v1::CreateCompanyRequest {
                    kind: kind as i32,
                    ..legal_identity::company_request(legal_name, siren)
                },
                &token,
            ))
            .await
            .expect("create company")
            .into_inner()
            .company
            .expect("company");
        (subject(&token), company.company_id)
    }
}
