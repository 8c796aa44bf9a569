//! The firm workspace: enabling the accounting module, and client companies created by
//! the firm through tenancy (owned by it, in its portfolio, the director invited), with
//! every refusal leaving nothing behind.

use comptoir_proto::accountant_portal::v1::{
    ClientStatus, CreateClientCompanyRequest, EnableAccountingModuleRequest, InviteDirectorRequest,
};
use comptoir_proto::events::v1::PortfolioClientAdded;
use comptoir_proto::tenancy::v1::{
    GetCompanyRequest, tenancy_service_client::TenancyServiceClient,
};
use comptoir_test_support::{bad_fields, bearer, eventually, reason};
use prost::Message as _;
use tonic::Code;
use uuid::Uuid;

use crate::workspace::{Company, Workspace, address, client_input, creation};

/// Companies in tenancy's table.
const COMPANIES: &str = "SELECT count(*) FROM tenancy.company WHERE owner_firm_id = $1";

async fn create(
    env: &Workspace,
    firm: &Company,
    request: CreateClientCompanyRequest,
) -> Result<comptoir_proto::accountant_portal::v1::CreateClientCompanyResponse, tonic::Status> {
    env.portal
        .clone()
        .create_client_company(bearer(request, &firm.token))
        .await
        .map(tonic::Response::into_inner)
}

/// A firm with its accounting module enabled.
pub(crate) async fn firm(env: &Workspace) -> Company {
    env.firm("cabinet@example.fr", "Cabinet Lefèvre", "552100554")
        .await
}

#[tokio::test]
async fn enabling_the_module_is_idempotent_and_refused_to_a_company_that_is_not_a_firm() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let mut portal = env.portal.clone();
    let first = portal
        .enable_accounting_module(bearer(EnableAccountingModuleRequest {}, &firm.token))
        .await
        .unwrap()
        .into_inner();
    let again = portal
        .enable_accounting_module(bearer(EnableAccountingModuleRequest {}, &firm.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.firm_id, firm.id.to_string());
    assert_eq!(first, again);
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM accountant_portal.firm_workspace WHERE firm_id = $1",
            firm.id
        )
        .await,
        1
    );

    let company = env
        .company(
            "dupont@example.fr",
            "Boulangerie Dupont",
            "732829320",
            false,
        )
        .await;
    let refused = eventually("the portal to learn of the company", || {
        let mut portal = portal.clone();
        let token = company.token.clone();
        async move {
            let refused = portal
                .enable_accounting_module(bearer(EnableAccountingModuleRequest {}, &token))
                .await
                .unwrap_err();
            (refused.code() != Code::Unavailable).then_some(refused)
        }
    })
    .await;
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "NOT_A_FIRM");

    // A member of the firm without `members.manage` may not enable it.
    let collaborator = env
        .token(
            Uuid::now_v7(),
            firm.id,
            &comptoir_domain_types::permissions::ACCOUNTANT,
        )
        .await;
    let refused = portal
        .enable_accounting_module(bearer(EnableAccountingModuleRequest {}, &collaborator))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_firm_creates_a_client_it_owns_with_its_manager_and_the_director_invited() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let mut input = client_input("DUP-001", "732829320");
    input.portfolio_manager_id = firm.owner.to_string();
    let mut request = creation(input, true);
    request.idempotency_key = "create-dupont".to_owned();
    let created = create(&env, &firm, request.clone()).await.unwrap();
    let client = created.client.clone().expect("the client");
    assert_eq!(client.file_code, "DUP-001");
    assert_eq!(client.siren, "732829320");
    assert_eq!(client.status, ClientStatus::Connected as i32);
    assert!(client.owned_by_firm);
    assert_eq!(client.portfolio_managers.len(), 1);
    assert!(!created.invitation_id.is_empty());
    let company_id = Uuid::parse_str(&client.company_id).unwrap();

    // Tenancy has it, owned by the firm, and the firm reaches it through its grant.
    let company = TenancyServiceClient::new(env.tenancy.channel().await)
        .get_company(bearer(
            GetCompanyRequest {
                company_id: client.company_id.clone(),
            },
            &env.token(
                firm.owner,
                company_id,
                &comptoir_domain_types::permissions::ADMINISTRATOR,
            )
            .await,
        ))
        .await
        .expect("the firm reaches its client")
        .into_inner()
        .company
        .unwrap();
    assert_eq!(company.legal_name, "Boulangerie Dupont");
    assert_eq!(company.ape_code, "1071C");
    assert_eq!(env.count_for(COMPANIES, firm.id).await, 1);
    // The director got the invitation.
    let mail = env.mailbox.newest_to("jeanne@dupont.example").await;
    assert!(!format!("{mail:?}").is_empty());

    // The portfolio holds it, with its code dossier and manager, and says so once.
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM accountant_portal.firm_client \
             WHERE company_id = $1 AND file_code = 'DUP-001' AND owned_by_firm",
            company_id
        )
        .await,
        1
    );
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM accountant_portal.client_manager WHERE company_id = $1",
            company_id
        )
        .await,
        1
    );
    let mut db = env.harness.db.admin().await;
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM accountant_portal.outbox \
         WHERE subject LIKE '%portfolio.client_added'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(payloads.len(), 1);
    let added = PortfolioClientAdded::decode(payloads[0].as_slice()).unwrap();
    assert_eq!(
        (
            added.client_id.as_str(),
            added.file_code.as_str(),
            added.owned_by_firm
        ),
        (client.company_id.as_str(), "DUP-001", true)
    );
    assert_eq!(added.meta.unwrap().company_id, firm.id.to_string());

    // A retry with the same key answers the same client and creates nothing.
    let again = create(&env, &firm, request).await.unwrap();
    assert_eq!(again, created);
    assert_eq!(env.count_for(COMPANIES, firm.id).await, 1);
}

#[tokio::test]
async fn bad_fields_are_named_under_client_and_nothing_is_created() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let mut input = client_input("DUP 001", "732829321");
    input.nic = "123".to_owned();
    input.ape_code = String::new();
    input.address = Some(address("7500"));
    input.director_email = String::new();
    let refused = create(&env, &firm, creation(input, true))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&refused),
        [
            "client.file_code",
            "client.siren",
            "client.nic",
            "client.ape_code",
            "client.address.postal_code",
            "client.director_email",
        ]
    );
    // Tenancy's own refusal comes back with the portal's field names.
    let mut input = client_input("DUP-001", "732829320");
    input.director_phone = "call me".to_owned();
    let refused = create(&env, &firm, creation(input, false))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&refused), ["client.director_phone"]);
    assert_eq!(env.count_for(COMPANIES, firm.id).await, 0);
    assert_eq!(
        env.count_for(
            "SELECT count(*) FROM accountant_portal.firm_client WHERE firm_id = $1",
            firm.id
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_code_dossier_or_a_siret_already_used_is_refused_and_nothing_is_created() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    create(
        &env,
        &firm,
        creation(client_input("DUP-001", "732829320"), false),
    )
    .await
    .unwrap();
    let taken = create(
        &env,
        &firm,
        creation(client_input("DUP-001", "542051180"), false),
    )
    .await
    .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    assert_eq!(reason(&taken), "FILE_CODE_TAKEN");
    // Tenancy's refusal passes through unchanged.
    let siret = create(
        &env,
        &firm,
        creation(client_input("DUP-002", "732829320"), false),
    )
    .await
    .unwrap_err();
    assert_eq!(siret.code(), Code::AlreadyExists);
    assert_eq!(reason(&siret), "SIRET_TAKEN");
    assert_eq!(env.count_for(COMPANIES, firm.id).await, 1);
}

#[tokio::test]
async fn the_director_is_invited_later_for_a_client_of_the_firm_only() {
    let env = Workspace::start().await;
    let firm = firm(&env).await;
    let created = create(
        &env,
        &firm,
        creation(client_input("DUP-001", "732829320"), false),
    )
    .await
    .unwrap();
    assert!(created.invitation_id.is_empty());
    assert_eq!(env.mailbox.count_to("jeanne@dupont.example"), 0);
    let client = created.client.unwrap();
    let mut portal = env.portal.clone();
    let sent = portal
        .invite_director(bearer(
            InviteDirectorRequest {
                company_id: client.company_id.clone(),
                email: String::new(),
            },
            &firm.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!sent.invitation_id.is_empty());
    assert!(sent.expire_time.is_some());
    env.mailbox.newest_to("jeanne@dupont.example").await;

    // Another firm cannot, nor for a company that is no client.
    let other = env
        .firm("autre@example.fr", "Cabinet Autre", "542051180")
        .await;
    for (token, company) in [
        (&other.token, client.company_id.clone()),
        (&firm.token, other.id.to_string()),
    ] {
        let refused = portal
            .invite_director(bearer(
                InviteDirectorRequest {
                    company_id: company,
                    email: "someone@example.fr".to_owned(),
                },
                token,
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
    }
}
