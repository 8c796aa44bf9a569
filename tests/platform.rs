//! The five services running together on one test database and one NATS prefix, with a
//! mailbox folder for the mails they send.

use comptoir_proto::tenancy::v1::{
    Address, CompanyKind, CreateCompanyRequest, tenancy_service_client::TenancyServiceClient,
};
use comptoir_runtime::ServiceSpec;
use comptoir_runtime::config::{CommonConfig, ServiceConfig};
use comptoir_test_support::{
    Mailbox, Running, TestDb, TestNats, bearer, common_config, identity_config, spawn, user_token,
};

/// Every service, identity first (the others fetch its keys).
pub const ALL: [ServiceSpec; 5] = [
    comptoir_identity::SPEC,
    comptoir_tenancy::SPEC,
    comptoir_billing::SPEC,
    comptoir_accountant_portal::SPEC,
    comptoir_export::SPEC,
];

/// The five running services and what they share.
pub struct Platform {
    /// The database holding every schema.
    pub db: TestDb,
    /// NATS and the prefix of this platform.
    pub nats: TestNats,
    /// Where identity and tenancy file their mails.
    pub mailbox: Mailbox,
    /// The identity service.
    pub identity: Running,
    /// The tenancy service.
    pub tenancy: Running,
    /// The billing service.
    pub billing: Running,
    /// The portal service.
    pub portal: Running,
    /// The export service.
    pub export: Running,
}

impl Platform {
    /// All five services on the shared NATS under a fresh prefix.
    pub async fn start() -> Self {
        Self::start_on(TestNats::shared().await).await
    }

    /// All five services on the given NATS.
    pub async fn start_on(nats: TestNats) -> Self {
        let db = TestDb::new(&ALL).await;
        let mailbox = Mailbox::new();
        // Identity asks tenancy about access and tenancy fetches identity's keys: tenancy's
        // address is chosen first so each can be told the other's.
        let tenancy_addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port for tenancy");
        // The portal calls billing (lock dates) as well: its address is chosen first too.
        let billing_addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port for billing");
        let identity = spawn(
            comptoir_identity::build(comptoir_identity::Config {
                common: common_config(&db, &comptoir_identity::SPEC, &nats),
                settings: comptoir_identity::Settings {
                    tenancy_url: Some(format!("http://{tenancy_addr}")),
                    mail: mailbox.config(),
                    ..Default::default()
                },
            })
            .await
            .expect("identity builds"),
        )
        .await;
        let id = identity_config(&identity);
        let tenancy = comptoir_tenancy::build(comptoir_tenancy::Config {
            mail: mailbox.config(),
            ..comptoir_tenancy::Config::new(ServiceConfig {
                common: CommonConfig {
                    grpc_addr: Some(tenancy_addr),
                    ..common_config(&db, &comptoir_tenancy::SPEC, &nats)
                },
                identity: id.clone(),
            })
        });
        let billing = comptoir_billing::build(comptoir_billing::Config {
            common: CommonConfig {
                grpc_addr: Some(billing_addr),
                ..common_config(&db, &comptoir_billing::SPEC, &nats)
            },
            identity: id.clone(),
        });
        let portal =
            comptoir_accountant_portal::build_with(comptoir_accountant_portal::PortalConfig {
                common: common_config(&db, &comptoir_accountant_portal::SPEC, &nats),
                identity: id.clone(),
                settings: comptoir_accountant_portal::Settings {
                    tenancy_url: Some(format!("http://{tenancy_addr}")),
                    billing_url: Some(format!("http://{billing_addr}")),
                },
            });
        let export = comptoir_export::build(comptoir_export::Config {
            common: common_config(&db, &comptoir_export::SPEC, &nats),
            identity: id,
        });
        let (tenancy, billing, portal, export) = tokio::join!(tenancy, billing, portal, export);
        let (tenancy, billing, portal, export) = tokio::join!(
            spawn(tenancy.expect("tenancy builds")),
            spawn(billing.expect("billing builds")),
            spawn(portal.expect("accountant-portal builds")),
            spawn(export.expect("export builds")),
        );
        Self {
            db,
            nats,
            mailbox,
            identity,
            tenancy,
            billing,
            portal,
            export,
        }
    }

    /// Signs a new person up and logs them in; returns their access token.
    pub async fn user_token(&self, email: &str) -> String {
        user_token(&self.identity, email).await
    }

    /// Trades `token`'s session for a token scoped to `company_id`.
    pub async fn switch(&self, token: &str, company_id: &str) -> Result<String, tonic::Status> {
        use comptoir_proto::identity::v1::{
            SwitchCompanyRequest, identity_service_client::IdentityServiceClient,
        };
        Ok(IdentityServiceClient::new(self.identity.channel().await)
            .switch_company(bearer(
                SwitchCompanyRequest {
                    company_id: company_id.to_owned(),
                },
                token,
            ))
            .await?
            .into_inner()
            .access_token)
    }

    /// Accepts the invitation `token` with the session of `login`. Tenancy learns of an
    /// account from identity's `user.registered` and answers UNAVAILABLE until then, so a
    /// fresh account's acceptance is retried.
    pub async fn accept_invitation(&self, token: &str, login: &str) {
        use comptoir_proto::tenancy::v1::{
            AcceptInvitationRequest, member_service_client::MemberServiceClient,
        };
        let members = MemberServiceClient::new(self.tenancy.channel().await);
        comptoir_test_support::eventually("the invitation to be accepted", || {
            let mut members = members.clone();
            let request = AcceptInvitationRequest {
                token: token.to_owned(),
            };
            async move {
                match members.accept_invitation(bearer(request, login)).await {
                    Ok(_) => Some(()),
                    Err(status) if status.code() == tonic::Code::Unavailable => None,
                    Err(status) => panic!("accepting the invitation: {status:?}"),
                }
            }
        })
        .await;
    }

    /// Creates a company through tenancy (see [`company_request`]); returns its id.
    pub async fn create_company(&self, token: &str, legal_name: &str, siren: &str) -> String {
        self.create_company_with(token, company_request(legal_name, siren))
            .await
    }

    /// Creates the company `request` describes; returns its id.
    pub async fn create_company_with(&self, token: &str, request: CreateCompanyRequest) -> String {
        let mut tenancy = TenancyServiceClient::new(self.tenancy.channel().await);
        tenancy
            .create_company(bearer(request, token))
            .await
            .expect("create company")
            .into_inner()
            .company
            .expect("company in response")
            .company_id
    }

    /// Stops every service gracefully.
    pub async fn stop(self) {
        for service in [
            self.tenancy,
            self.billing,
            self.portal,
            self.export,
            self.identity,
        ] {
            service.stop().await;
        }
    }
}

/// A request to create a company named `legal_name` with `siren`, its first NIC that
/// makes a valid SIRET, and a Paris address: the identity tenancy requires.
pub fn company_request(legal_name: &str, siren: &str) -> CreateCompanyRequest {
    company_request_with_nic(legal_name, siren, 0)
}

/// Like [`company_request`], for the `n`-th establishment (NIC) of the SIREN, so one SIREN
/// gives several distinct SIRETs.
pub fn company_request_with_nic(legal_name: &str, siren: &str, n: usize) -> CreateCompanyRequest {
    use comptoir_tenancy::domain::{Nic, Siren, Siret};
    let parsed = Siren::parse(siren).expect("a valid SIREN");
    let nic = (1..1000)
        .map(|n| format!("{n:05}"))
        .filter(|nic| Siret::new(&parsed, &Nic::parse(nic).expect("5 digits")).is_ok())
        .nth(n)
        .expect("enough NICs below 1000");
    CreateCompanyRequest {
        legal_name: legal_name.to_owned(),
        siren: siren.to_owned(),
        nic,
        kind: CompanyKind::Company as i32,
        address: Some(Address {
            line1: "12 rue de la Paix".to_owned(),
            line2: String::new(),
            postal_code: "75002".to_owned(),
            city: "Paris".to_owned(),
            country_code: "FR".to_owned(),
        }),
        ..Default::default()
    }
}
