//! Bulk actions against every service they go through: identity (sessions, and the
//! company tokens it issues for the caller), tenancy (who may act where), billing (lock
//! dates) and the portal. Everyone signs in through identity and acts with the tokens
//! SwitchCompany gives, so each client's rights are tenancy's and billing's own.

use comptoir_proto::accountant_portal::v1::{
    AssignPortfolioManagersRequest, ClientResult, DisconnectClientsRequest, SetLockDatesRequest,
    SetLockDatesResponse, accountant_portal_service_client::AccountantPortalServiceClient,
};
use comptoir_proto::billing::v1::{
    GetLockDateRequest, SetLockDateRequest, billing_service_client::BillingServiceClient,
};
use comptoir_proto::identity::v1::{
    SwitchCompanyRequest, identity_service_client::IdentityServiceClient,
};
use comptoir_proto::tenancy::v1::{
    AcceptInvitationRequest, CompanyKind, CreateCompanyRequest, GrantFirmAccessRequest,
    InviteMemberRequest, firm_service_client::FirmServiceClient,
    member_service_client::MemberServiceClient, tenancy_service_client::TenancyServiceClient,
};
use comptoir_runtime::config::{CommonConfig, ServiceConfig};
use comptoir_test_support::{Harness, Mailbox, Running, bad_fields, bearer, eventually, spawn};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::workspace::{address, client_input, creation, first_nic};

/// Identity (asking tenancy about access), tenancy, billing and the portal configured
/// with tenancy's and billing's addresses, on one test database and NATS prefix.
struct Platform {
    harness: Harness,
    mailbox: Mailbox,
    tenancy: Running,
    billing: Running,
    _portal: Running,
    portal: AccountantPortalServiceClient<Channel>,
}

/// A person signed in, and their session's token scoped to a company.
struct Acting {
    /// Their token with no company, from Login.
    login: String,
    /// Their token scoped to the company, from SwitchCompany.
    token: String,
}

impl Platform {
    async fn start() -> Self {
        // Identity asks tenancy about access and tenancy fetches identity's keys:
        // tenancy's address is chosen first so each can be told the other's.
        let tenancy_addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port for tenancy");
        let mailbox = Mailbox::new();
        let mail = mailbox.config();
        let harness = Harness::start(
            &[
                comptoir_identity::SPEC,
                comptoir_tenancy::SPEC,
                comptoir_billing::SPEC,
                comptoir_accountant_portal::SPEC,
            ],
            |common| {
                comptoir_identity::build(comptoir_identity::Config {
                    common,
                    settings: comptoir_identity::Settings {
                        tenancy_url: Some(format!("http://{tenancy_addr}")),
                        mail,
                        ..Default::default()
                    },
                })
            },
        )
        .await;
        let (common, identity) = harness.config(&comptoir_tenancy::SPEC);
        let tenancy = spawn(
            comptoir_tenancy::build(comptoir_tenancy::Config {
                mail: mailbox.config(),
                ..comptoir_tenancy::Config::new(ServiceConfig {
                    common: CommonConfig {
                        grpc_addr: Some(tenancy_addr),
                        ..common
                    },
                    identity,
                })
            })
            .await
            .expect("tenancy builds"),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_billing::SPEC);
        let billing = spawn(
            comptoir_billing::build(comptoir_billing::Config { common, identity })
                .await
                .expect("billing builds"),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_accountant_portal::SPEC);
        let portal = spawn(
            comptoir_accountant_portal::build_with(comptoir_accountant_portal::PortalConfig {
                common,
                identity,
                settings: comptoir_accountant_portal::Settings {
                    tenancy_url: Some(tenancy.url.clone()),
                    billing_url: Some(billing.url.clone()),
                },
            })
            .await
            .expect("portal builds"),
        )
        .await;
        let client = AccountantPortalServiceClient::new(portal.channel().await);
        Self {
            harness,
            mailbox,
            tenancy,
            billing,
            _portal: portal,
            portal: client,
        }
    }

    /// Signs `email` up and logs in; their account and unscoped token.
    async fn person(&self, email: &str) -> (Uuid, String) {
        let login = self.harness.token(email).await;
        let mut db = self.harness.db.admin().await;
        let user_id =
            sqlx::query_scalar("SELECT account_id FROM identity.account WHERE email = $1")
                .bind(email)
                .fetch_one(&mut db)
                .await
                .expect("the account");
        (user_id, login)
    }

    /// `login`'s session switched to `company`.
    async fn switch(&self, login: &str, company: Uuid) -> String {
        IdentityServiceClient::new(self.harness.identity.channel().await)
            .switch_company(bearer(
                SwitchCompanyRequest {
                    company_id: company.to_string(),
                },
                login,
            ))
            .await
            .expect("switch company")
            .into_inner()
            .access_token
    }

    /// `email` signs up and creates a company (a firm when `firm`), acting on it.
    async fn company(&self, email: &str, name: &str, siren: &str, firm: bool) -> (Uuid, Acting) {
        let (_, login) = self.person(email).await;
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
                &login,
            ))
            .await
            .expect("tenancy creates the company")
            .into_inner()
            .company
            .expect("the company");
        let id = Uuid::parse_str(&created.company_id).expect("a company id");
        let token = self.switch(&login, id).await;
        (id, Acting { login, token })
    }

    /// A firm whose Administrator enabled its accounting module.
    async fn firm(&self, email: &str, name: &str, siren: &str) -> (Uuid, Acting) {
        let (firm, admin) = self.company(email, name, siren, true).await;
        let portal = self.portal.clone();
        let token = admin.token.clone();
        eventually("the portal to learn of the firm", || {
            let mut portal = portal.clone();
            let token = token.clone();
            async move {
                match portal
                    .enable_accounting_module(bearer(Default::default(), &token))
                    .await
                {
                    Ok(_) => Some(()),
                    Err(status) if status.code() == Code::Unavailable => {
                        eprintln!("DEBUG {status:?}");
                        None
                    }
                    Err(status) => panic!("enabling the module: {status:?}"),
                }
            }
        })
        .await;
        (firm, admin)
    }

    /// `email` signs up and accepts the invitation `invite` sent them (to the company
    /// `token` is scoped to, with `role`); their account and unscoped token.
    async fn member(&self, token: &str, email: &str, role: &str) -> (Uuid, String) {
        MemberServiceClient::new(self.tenancy.channel().await)
            .invite_member(bearer(
                InviteMemberRequest {
                    email: email.to_owned(),
                    role: role.to_owned(),
                    idempotency_key: String::new(),
                    open_link: false,
                },
                token,
            ))
            .await
            .expect("the invitation");
        self.accept(email).await
    }

    /// `email` signs up and accepts the newest invitation mailed to them; their account
    /// and unscoped token. Tenancy learns of a new account from identity's event and
    /// answers UNAVAILABLE until then.
    async fn accept(&self, email: &str) -> (Uuid, String) {
        let invitation = self.mailbox.newest_link_token(email).await;
        let (user_id, login) = self.person(email).await;
        let members = MemberServiceClient::new(self.tenancy.channel().await);
        eventually("tenancy to take the acceptance", || {
            let mut members = members.clone();
            let request = AcceptInvitationRequest {
                token: invitation.clone(),
            };
            let login = login.clone();
            async move {
                match members.accept_invitation(bearer(request, &login)).await {
                    Ok(_) => Some(()),
                    Err(status) if status.code() == Code::Unavailable => None,
                    Err(status) => panic!("accepting the invitation: {status:?}"),
                }
            }
        })
        .await;
        (user_id, login)
    }

    /// The firm creates a client through the portal, Paul or nobody its manager, the
    /// director invited now or not; once billing has opened its books. The client and
    /// the token of `admin`'s session scoped to it.
    async fn created_client(
        &self,
        admin: &Acting,
        file_code: &str,
        siren: &str,
        manager: Option<Uuid>,
        invite_director: bool,
    ) -> (Uuid, String) {
        let mut input = client_input(file_code, siren);
        input.director_email = director(file_code);
        input.portfolio_manager_id = manager.map(|m| m.to_string()).unwrap_or_default();
        let client = self
            .portal
            .clone()
            .create_client_company(bearer(creation(input, invite_director), &admin.token))
            .await
            .expect("the firm creates its client")
            .into_inner()
            .client
            .expect("the client");
        let id = Uuid::parse_str(&client.company_id).unwrap();
        let admin_there = self.switch(&admin.login, id).await;
        self.wait_books(&admin_there).await;
        (id, admin_there)
    }

    /// A client company whose owner grants `firm` access with `role`, once the portal
    /// counts it in the firm's portfolio and billing has opened its books.
    async fn client(&self, firm: Uuid, email: &str, siren: &str, role: &str) -> (Uuid, Acting) {
        let (company, owner) = self.company(email, "Boulangerie", siren, false).await;
        FirmServiceClient::new(self.tenancy.channel().await)
            .grant_firm_access(bearer(
                GrantFirmAccessRequest {
                    firm_id: firm.to_string(),
                    role: role.to_owned(),
                },
                &owner.token,
            ))
            .await
            .expect("the grant");
        self.wait_in_portfolio(firm, company).await;
        self.wait_books(&owner.token).await;
        (company, owner)
    }

    async fn wait_in_portfolio(&self, firm: Uuid, company: Uuid) {
        eventually("the portal to record the client", || async move {
            let mut db = self.harness.db.admin().await;
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM accountant_portal.firm_client \
                 WHERE firm_id = $1 AND company_id = $2)",
            )
            .bind(firm)
            .bind(company)
            .fetch_one(&mut db)
            .await
            .expect("firm_client")
            .then_some(())
        })
        .await;
    }

    /// Runs a `SELECT count(*) …` with one uuid parameter, as superuser.
    async fn count_for(&self, sql: &'static str, id: Uuid) -> i64 {
        let mut db = self.harness.db.admin().await;
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut db)
            .await
            .expect(sql)
    }

    /// Waits for billing to open the books of the company `token` is scoped to.
    async fn wait_books(&self, token: &str) {
        eventually("billing to open the books", || async move {
            self.lock_date(token).await.ok()
        })
        .await;
    }

    /// The lock date of the company `token` is scoped to, as billing answers it.
    async fn lock_date(&self, token: &str) -> Result<String, tonic::Status> {
        Ok(BillingServiceClient::new(self.billing.channel().await)
            .get_lock_date(bearer(GetLockDateRequest {}, token))
            .await?
            .into_inner()
            .lock_date)
    }

    async fn set_lock_dates(
        &self,
        token: &str,
        company_ids: &[String],
        lock_date: &str,
    ) -> Result<SetLockDatesResponse, tonic::Status> {
        self.portal
            .clone()
            .set_lock_dates(bearer(
                SetLockDatesRequest {
                    company_ids: company_ids.to_vec(),
                    lock_date: lock_date.to_owned(),
                    reason: "Clôture du premier trimestre".to_owned(),
                },
                token,
            ))
            .await
            .map(tonic::Response::into_inner)
    }
}

/// The e-mail of the director of the client `file_code`.
fn director(file_code: &str) -> String {
    format!("{}@client.example", file_code.to_lowercase())
}

/// A result's client, whether done, and its code and reason.
fn summary(result: &ClientResult) -> (&str, bool, &str, &str) {
    (
        result.company_id.as_str(),
        result.done,
        result.code.as_str(),
        result.reason.as_str(),
    )
}

#[tokio::test]
async fn a_firm_administrator_sets_each_clients_lock_date_and_each_client_answers_for_itself() {
    let env = Platform::start().await;
    let (firm, admin) = env
        .firm("cabinet@example.fr", "Cabinet Lefèvre", "552100554")
        .await;
    let (a, a_owner) = env
        .client(firm, "a@example.fr", "732829320", "administrator")
        .await;
    let (b, b_owner) = env
        .client(firm, "b@example.fr", "443061841", "administrator")
        .await;
    let (c, c_owner) = env
        .client(firm, "c@example.fr", "542051180", "accountant")
        .await;
    // C's owner has locked up to June; the firm, an Accountant there, would lower it.
    BillingServiceClient::new(env.billing.channel().await)
        .set_lock_date(bearer(
            SetLockDateRequest {
                lock_date: "2026-06-30".to_owned(),
                reason: "Clôture semestrielle".to_owned(),
            },
            &c_owner.token,
        ))
        .await
        .expect("the owner locks C");
    // Another firm's client.
    let (other_firm, _) = env
        .firm("autre@example.fr", "Cabinet Martin", "356000000")
        .await;
    let (d, d_owner) = env
        .client(other_firm, "d@example.fr", "403052111", "administrator")
        .await;

    let selection = [
        a.to_string(),
        b.to_string(),
        c.to_string(),
        d.to_string(),
        "pas-un-identifiant".to_owned(),
        a.to_string().to_uppercase(),
    ];
    let answer = env
        .set_lock_dates(&admin.token, &selection, "2026-03-31")
        .await
        .expect("one answer for the selection");
    let results: Vec<_> = answer.results.iter().map(summary).collect();
    let (a, b, c, d) = (a.to_string(), b.to_string(), c.to_string(), d.to_string());
    assert_eq!(
        results.len(),
        5,
        "one result per distinct client: {results:?}"
    );
    assert_eq!(results[0], (a.as_str(), true, "", ""));
    assert_eq!(results[1], (b.as_str(), true, "", ""));
    assert_eq!(
        (results[2].0, results[2].1, results[2].2),
        (c.as_str(), false, "PERMISSION_DENIED")
    );
    assert!(
        ["LOCK_DATE_LOWERING_DENIED", "FIRM_MAY_NOT_UNLOCK"].contains(&results[2].3),
        "billing's reason: {:?}",
        answer.results[2]
    );
    assert_eq!(
        results[3],
        (d.as_str(), false, "NOT_FOUND", "CLIENT_NOT_FOUND")
    );
    assert_eq!(
        (results[4].0, results[4].1, results[4].2),
        ("pas-un-identifiant", false, "INVALID_ARGUMENT")
    );
    assert!(!answer.results[2].message.is_empty());

    // Billing holds what was done, and only that.
    assert_eq!(env.lock_date(&a_owner.token).await.unwrap(), "2026-03-31");
    assert_eq!(env.lock_date(&b_owner.token).await.unwrap(), "2026-03-31");
    assert_eq!(env.lock_date(&c_owner.token).await.unwrap(), "2026-06-30");
    assert_eq!(env.lock_date(&d_owner.token).await.unwrap(), "");

    // The session the firm's Administrator acts with still acts on the firm.
    let again = env.switch(&admin.login, firm).await;
    assert!(!again.is_empty());

    // A bad date or an oversized selection refuses the whole call, naming the field.
    let refused = env
        .set_lock_dates(&admin.token, std::slice::from_ref(&a), "31/03/2026")
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), bad_fields(&refused)),
        (Code::InvalidArgument, vec!["lock_date".to_owned()])
    );
    let too_many: Vec<String> = (0..501).map(|_| Uuid::now_v7().to_string()).collect();
    let refused = env
        .set_lock_dates(&admin.token, &too_many, "2026-03-31")
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), bad_fields(&refused)),
        (Code::InvalidArgument, vec!["company_ids".to_owned()])
    );
    assert_eq!(env.lock_date(&a_owner.token).await.unwrap(), "2026-03-31");
}

#[tokio::test]
async fn a_portfolio_manager_sets_lock_dates_only_on_the_clients_assigned_to_them() {
    let env = Platform::start().await;
    let (firm, admin) = env
        .firm("cabinet@example.fr", "Cabinet Lefèvre", "552100554")
        .await;
    // The firm takes on a collaborator, who accepts with a session of their own.
    let (paul, paul_login) = env
        .member(&admin.token, "paul@example.fr", "accountant")
        .await;
    // The firm creates two clients, Paul managing the first only.
    let created = [
        env.created_client(&admin, "DUP-001", "732829320", Some(paul), false)
            .await,
        env.created_client(&admin, "MAR-002", "443061841", None, false)
            .await,
    ];
    let [(assigned, assigned_token), (other, other_token)] = &created;

    let paul_token = env.switch(&paul_login, firm).await;
    let answer = env
        .set_lock_dates(
            &paul_token,
            &[assigned.to_string(), other.to_string()],
            "2026-03-31",
        )
        .await
        .expect("one answer for the selection");
    let results: Vec<_> = answer.results.iter().map(summary).collect();
    let (assigned_id, other_id) = (assigned.to_string(), other.to_string());
    assert_eq!(
        results,
        [
            (assigned_id.as_str(), true, "", ""),
            (other_id.as_str(), false, "NOT_FOUND", "CLIENT_NOT_FOUND"),
        ]
    );
    assert_eq!(env.lock_date(assigned_token).await.unwrap(), "2026-03-31");
    assert_eq!(env.lock_date(other_token).await.unwrap(), "");
}

#[tokio::test]
async fn a_firm_administrator_assigns_managers_and_disconnects_clients_each_answering_for_itself() {
    let env = Platform::start().await;
    let (firm, admin) = env
        .firm("cabinet@example.fr", "Cabinet Lefèvre", "552100554")
        .await;
    let (paul, paul_login) = env
        .member(&admin.token, "paul@example.fr", "accountant")
        .await;
    // A: created and owned by the firm, its director a member who accepted. B: a client
    // of its own owner, who let the firm in.
    let (a, a_token) = env
        .created_client(&admin, "DUP-001", "732829320", None, true)
        .await;
    let (director, _) = env.accept(&director("DUP-001")).await;
    let (b, _) = env
        .client(firm, "b@example.fr", "443061841", "administrator")
        .await;
    let (other_firm, _) = env
        .firm("autre@example.fr", "Cabinet Martin", "356000000")
        .await;
    let (d, _) = env
        .client(other_firm, "d@example.fr", "403052111", "administrator")
        .await;

    // Only a firm Administrator assigns.
    let paul_token = env.switch(&paul_login, firm).await;
    let assign = |token: &str, clients: &[Uuid]| {
        let mut portal = env.portal.clone();
        let request = AssignPortfolioManagersRequest {
            company_ids: clients.iter().map(Uuid::to_string).collect(),
            user_ids: vec![paul.to_string()],
        };
        let token = token.to_owned();
        async move {
            portal
                .assign_portfolio_managers(bearer(request, &token))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let refused = assign(&paul_token, &[a]).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    let answer = assign(&admin.token, &[a, b, d]).await.expect("one answer");
    let (a_id, b_id, d_id) = (a.to_string(), b.to_string(), d.to_string());
    assert_eq!(
        answer.results.iter().map(summary).collect::<Vec<_>>(),
        [
            (a_id.as_str(), true, "", ""),
            (b_id.as_str(), true, "", ""),
            (d_id.as_str(), false, "NOT_FOUND", "CLIENT_NOT_FOUND"),
        ]
    );
    // The portfolio and tenancy both have Paul on A and B: he now acts on them himself.
    for client in [a, b] {
        assert_eq!(
            env.count_for(
                "SELECT count(*) FROM accountant_portal.client_manager WHERE company_id = $1",
                client
            )
            .await,
            1
        );
    }
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM accountant_portal.outbox \
             WHERE subject LIKE '%portfolio.managers_assigned' AND company_id = $1",
            firm
        )
        .await,
        2
    );
    let answer = env
        .set_lock_dates(&paul_token, std::slice::from_ref(&a_id), "2026-03-31")
        .await
        .unwrap();
    assert!(answer.results[0].done, "{:?}", answer.results[0]);
    assert_eq!(env.lock_date(&a_token).await.unwrap(), "2026-03-31");

    // Disconnecting: a new owner for several clients is refused as a whole.
    let disconnect = |clients: &[Uuid], new_owner: Option<Uuid>| {
        let mut portal = env.portal.clone();
        let request = DisconnectClientsRequest {
            company_ids: clients.iter().map(Uuid::to_string).collect(),
            transfer_ownership_to: new_owner.map(|u| u.to_string()).unwrap_or_default(),
        };
        let token = admin.token.clone();
        async move {
            portal
                .disconnect_clients(bearer(request, &token))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let refused = disconnect(&[a, b], Some(director)).await.unwrap_err();
    assert_eq!(
        (refused.code(), bad_fields(&refused)),
        (
            Code::InvalidArgument,
            vec!["transfer_ownership_to".to_owned()]
        )
    );

    // B is let go; A is handed over to its director; another firm's client is not found.
    let answer = disconnect(&[b, d], None).await.unwrap();
    assert_eq!(
        answer.results.iter().map(summary).collect::<Vec<_>>(),
        [
            (b_id.as_str(), true, "", ""),
            (d_id.as_str(), false, "NOT_FOUND", "CLIENT_NOT_FOUND"),
        ]
    );
    let answer = disconnect(&[a], Some(director)).await.unwrap();
    assert!(answer.results[0].done, "{:?}", answer.results[0]);
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM tenancy.company WHERE company_id = $1 \
             AND owner_id IS NOT NULL AND owner_firm_id IS NULL",
            a
        )
        .await,
        1,
        "the director owns A"
    );
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM accountant_portal.outbox \
             WHERE subject LIKE '%portfolio.client_disconnected' AND company_id = $1",
            firm
        )
        .await,
        2
    );
    // The firm's people reach neither client any more, and the list shows both
    // disconnected once tenancy's events are projected.
    let env = &env;
    for client in [a, b] {
        let refused = IdentityServiceClient::new(env.harness.identity.channel().await)
            .switch_company(bearer(
                SwitchCompanyRequest {
                    company_id: client.to_string(),
                },
                &admin.login,
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
        eventually("the client to show disconnected", || async move {
            (env.count_for(
                "SELECT count(*) FROM accountant_portal.firm_client \
                 WHERE company_id = $1 AND NOT granted",
                client,
            )
            .await
                == 1)
                .then_some(())
        })
        .await;
    }
}
