//! A firm's workspace against the real services it needs: identity (tokens), tenancy
//! (companies, grants, invitations; its events reach the portal over NATS) and the
//! portal configured with tenancy's address. Firms and companies are created through
//! tenancy's own RPCs by people signed up through identity.

use comptoir_domain_types::legal::{Nic, Siren, Siret};
use comptoir_domain_types::permissions::{self, BuiltInRole};
use comptoir_proto::accountant_portal::v1::{
    ClientCompanyInput, CreateClientCompanyRequest, DirectorInvitation,
    EnableAccountingModuleRequest, accountant_portal_service_client::AccountantPortalServiceClient,
};
use comptoir_proto::tenancy::v1::{
    CompanyKind, CreateCompanyRequest, GrantFirmAccessRequest,
    firm_service_client::FirmServiceClient, tenancy_service_client::TenancyServiceClient,
};
use comptoir_proto::types::v1::PostalAddress;
use comptoir_runtime::caller::Claims;
use comptoir_runtime::config::ServiceConfig;
use comptoir_test_support::{Harness, Mailbox, Running, bearer, eventually, identity_token, spawn};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

/// Identity, tenancy and the portal, on one test database and NATS prefix.
pub(crate) struct Workspace {
    pub(crate) harness: Harness,
    pub(crate) tenancy: Running,
    pub(crate) mailbox: Mailbox,
    /// The portal's server, for clients of its other services.
    pub(crate) portal_service: Running,
    pub(crate) portal: AccountantPortalServiceClient<Channel>,
}

/// A company created in tenancy by its owner.
#[derive(Debug, Clone)]
pub(crate) struct Company {
    /// The company.
    pub(crate) id: Uuid,
    /// Its owner (an Administrator).
    pub(crate) owner: Uuid,
    /// The owner's token scoped to the company, with every Administrator permission.
    pub(crate) token: String,
}

impl Workspace {
    pub(crate) async fn start() -> Self {
        let harness = Harness::start(
            &[
                comptoir_identity::SPEC,
                comptoir_tenancy::SPEC,
                comptoir_accountant_portal::SPEC,
            ],
            |common| comptoir_identity::build(comptoir_identity::Config::new(common)),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_tenancy::SPEC);
        let mailbox = Mailbox::new();
        let tenancy = spawn(
            comptoir_tenancy::build(comptoir_tenancy::Config {
                mail: mailbox.config(),
                ..comptoir_tenancy::Config::new(ServiceConfig { common, identity })
            })
            .await
            .expect("tenancy builds"),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_accountant_portal::SPEC);
        let portal = spawn(
            comptoir_accountant_portal::build_with(comptoir_accountant_portal::PortalConfig {
                common,
                identity,
                settings: comptoir_accountant_portal::Settings {
                    tenancy_url: Some(tenancy.url.clone()),
                    ..Default::default()
                },
            })
            .await
            .expect("portal builds"),
        )
        .await;
        let client = AccountantPortalServiceClient::new(portal.channel().await);
        Self {
            harness,
            tenancy,
            mailbox,
            portal_service: portal,
            portal: client,
        }
    }

    /// `user`'s token scoped to `company` with `role` and its permissions, signed with
    /// identity's key (what SwitchCompany hands out; tenancy checks the rights itself).
    pub(crate) async fn token(&self, user: Uuid, company: Uuid, role: &BuiltInRole) -> String {
        let mut claims = Claims::new(user.to_string(), "comptoir", "comptoir");
        claims.cid = Some(company);
        claims.role = Some(role.key.to_owned());
        claims.perms = permissions::names(role.permissions);
        identity_token(&self.harness.db, &claims).await
    }

    /// Signs `email` up and has them create a company (a firm when `firm`).
    pub(crate) async fn company(
        &self,
        email: &str,
        name: &str,
        siren: &str,
        firm: bool,
    ) -> Company {
        let token = self.harness.token(email).await;
        let kind = if firm {
            CompanyKind::Firm
        } else {
            CompanyKind::Company
        };
        let created = TenancyServiceClient::new(self.tenancy.channel().await)
            .create_company(bearer(
                CreateCompanyRequest {
                    legal_name: name.to_owned(),
                    siren: siren.to_owned(),
                    nic: first_nic(siren),
                    kind: kind as i32,
                    address: Some(address("75002")),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .expect("tenancy creates the company")
            .into_inner()
            .company
            .expect("the company");
        let id = Uuid::parse_str(&created.company_id).expect("a company id");
        let owner = self.account(email).await;
        let token = self.token(owner, id, &permissions::ADMINISTRATOR).await;
        Company { id, owner, token }
    }

    /// A firm that enabled its accounting module, once the portal learned it is a firm.
    pub(crate) async fn firm(&self, email: &str, name: &str, siren: &str) -> Company {
        let firm = self.company(email, name, siren, true).await;
        let portal = self.portal.clone();
        eventually(
            "the portal to learn of the firm and enable its module",
            || {
                let mut portal = portal.clone();
                let token = firm.token.clone();
                async move {
                    match portal
                        .enable_accounting_module(bearer(EnableAccountingModuleRequest {}, &token))
                        .await
                    {
                        Ok(_) => Some(()),
                        Err(status) if status.code() == Code::Unavailable => None,
                        Err(status) => panic!("enabling the module: {status:?}"),
                    }
                }
            },
        )
        .await;
        firm
    }

    /// A company whose owner grants `firm` an Accountant access, once the portal counts
    /// it among the firm's clients.
    pub(crate) async fn granted_client(&self, firm: &Company, email: &str, siren: &str) -> Company {
        let client = self
            .company(email, "Boulangerie Dupont", siren, false)
            .await;
        FirmServiceClient::new(self.tenancy.channel().await)
            .grant_firm_access(bearer(
                GrantFirmAccessRequest {
                    firm_id: firm.id.to_string(),
                    role: "accountant".to_owned(),
                },
                &client.token,
            ))
            .await
            .expect("the grant");
        let firm_id = firm.id;
        let company_id = client.id;
        eventually("the portal to record the grant", || async move {
            let mut db = self.harness.db.admin().await;
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM accountant_portal.firm_client \
                 WHERE firm_id = $1 AND company_id = $2)",
            )
            .bind(firm_id)
            .bind(company_id)
            .fetch_one(&mut db)
            .await
            .expect("firm_client")
            .then_some(())
        })
        .await;
        client
    }

    /// The account id of `email`, from identity's table.
    pub(crate) async fn account(&self, email: &str) -> Uuid {
        let mut db = self.harness.db.admin().await;
        sqlx::query_scalar("SELECT account_id FROM identity.account WHERE email = $1")
            .bind(email)
            .fetch_one(&mut db)
            .await
            .expect("the account")
    }

    /// Runs a `SELECT count(*) …` with one uuid parameter, as superuser.
    pub(crate) async fn count_for(&self, sql: &'static str, id: Uuid) -> i64 {
        let mut db = self.harness.db.admin().await;
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut db)
            .await
            .expect(sql)
    }
}

/// A French address with `postal_code`.
pub(crate) fn address(postal_code: &str) -> PostalAddress {
    PostalAddress {
        line1: "12 rue de la Paix".to_owned(),
        line2: String::new(),
        postal_code: postal_code.to_owned(),
        city: "Paris".to_owned(),
        country_code: "FR".to_owned(),
    }
}

/// The first NIC making a valid SIRET with `siren`; any NIC for a bad SIREN (a test of
/// its refusal).
pub(crate) fn first_nic(siren: &str) -> String {
    let Ok(siren) = Siren::parse(siren) else {
        return "00000".to_owned();
    };
    (0..100_000)
        .map(|n| format!("{n:05}"))
        .find(|nic| Siret::new(&siren, &Nic::parse(nic).expect("5 digits")).is_ok())
        .expect("a NIC")
}

/// A client to create: a valid identity with `siren` and code dossier `file_code`.
pub(crate) fn client_input(file_code: &str, siren: &str) -> ClientCompanyInput {
    ClientCompanyInput {
        legal_name: "Boulangerie Dupont".to_owned(),
        file_code: file_code.to_owned(),
        siren: siren.to_owned(),
        nic: first_nic(siren),
        ape_code: "10.71C".to_owned(),
        address: Some(address("75002")),
        director_name: "Jeanne Dupont".to_owned(),
        director_email: "jeanne@dupont.example".to_owned(),
        director_phone: "+33 1 23 45 67 89".to_owned(),
        portfolio_manager_id: String::new(),
    }
}

/// The request creating `client`, inviting the director now or later.
pub(crate) fn creation(client: ClientCompanyInput, now: bool) -> CreateClientCompanyRequest {
    CreateClientCompanyRequest {
        client: Some(client),
        invite_director: if now {
            DirectorInvitation::Now
        } else {
            DirectorInvitation::Later
        } as i32,
        idempotency_key: String::new(),
    }
}
