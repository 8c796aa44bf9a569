//! The clients an accounting firm creates and owns: created with the firm's
//! "administrator" grant and no member, their director invited as Administrator, and
//! disconnected, the firm keeping ownership or handing it to the client's Administrator.

use comptoir_proto::events::v1::{
    CompanyCreated, FirmGrantCreated, FirmGrantRevoked, InvitationCreated, OwnershipTransferred,
};
use comptoir_proto::tenancy::v1::{
    CompanyKind, CreateClientCompanyRequest, CreateClientCompanyResponse, CreateCompanyRequest,
    Director, DisconnectClientRequest, GetCompanyRequest, Invitation, InviteDirectorRequest,
    ListMembersRequest, Member, firm_service_client::FirmServiceClient,
};
use comptoir_test_support::{bad_fields, bearer, reason};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::Env;
use crate::legal_identity::company_request;

const DIRECTOR: &str = "directrice@boulangerie.fr";

/// A firm, its owner (an Administrator) and a junior member (role `user`), with the
/// owner's token scoped to the firm.
struct Firm {
    admin: Uuid,
    firm: String,
    token: String,
    junior: Uuid,
}

async fn firm(env: &Env) -> Firm {
    let (admin, firm) = env
        .owner_of("cabinet@example.fr", "Cabinet Lefèvre", "552100554", true)
        .await;
    let token = env.scoped(admin, &firm).await;
    let invite = env
        .invite(&token, "junior@example.fr", "user")
        .await
        .unwrap();
    let junior = env.join("junior@example.fr", &invite).await.unwrap();
    Firm {
        admin,
        firm,
        token,
        junior,
    }
}

impl Env {
    pub(crate) async fn firms(&self) -> FirmServiceClient<Channel> {
        FirmServiceClient::new(self.tenancy.channel().await)
    }

    /// The payloads published on `subject` so far, oldest first.
    pub(crate) async fn published<T: Message + Default>(&self, subject: &str) -> Vec<T> {
        let mut db = self.harness.db.admin().await;
        let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT payload FROM tenancy.outbox WHERE subject = $1 ORDER BY outbox_id",
        )
        .bind(subject)
        .fetch_all(&mut db)
        .await
        .unwrap();
        payloads
            .iter()
            .map(|payload| T::decode(payload.as_slice()).unwrap())
            .collect()
    }

    /// The stored owner of `company`: (owner_id, owner_firm_id).
    async fn owner(&self, company: &str) -> (Option<Uuid>, Option<Uuid>) {
        let mut db = self.harness.db.admin().await;
        sqlx::query_as(
            "SELECT owner_id, owner_firm_id FROM tenancy.company WHERE company_id = $1::uuid",
        )
        .bind(company)
        .fetch_one(&mut db)
        .await
        .unwrap()
    }

    /// `CreateClientCompany` sent with `token`.
    async fn create_client(
        &self,
        request: CreateClientCompanyRequest,
        token: &str,
    ) -> Result<CreateClientCompanyResponse, tonic::Status> {
        Ok(self
            .firms()
            .await
            .create_client_company(bearer(request, token))
            .await?
            .into_inner())
    }

    async fn invite_director(
        &self,
        company: &str,
        email: &str,
        token: &str,
    ) -> Result<Invitation, tonic::Status> {
        Ok(self
            .firms()
            .await
            .invite_director(bearer(
                InviteDirectorRequest {
                    company_id: company.to_owned(),
                    email: email.to_owned(),
                },
                token,
            ))
            .await?
            .into_inner()
            .invitation
            .expect("the invitation"))
    }

    async fn disconnect(
        &self,
        company: &str,
        transfer_to: Option<Uuid>,
        token: &str,
    ) -> Result<(), tonic::Status> {
        self.firms()
            .await
            .disconnect_client(bearer(
                DisconnectClientRequest {
                    company_id: company.to_owned(),
                    transfer_ownership_to: transfer_to.map(|u| u.to_string()).unwrap_or_default(),
                },
                token,
            ))
            .await
            .map(|_| ())
    }

    /// The members of `company`, as `user`, one of them, lists them.
    async fn members_of(&self, user: Uuid, company: &str) -> Vec<Member> {
        self.members()
            .await
            .list_members(bearer(
                ListMembersRequest::default(),
                &self.scoped(user, company).await,
            ))
            .await
            .unwrap()
            .into_inner()
            .members
    }
}

/// A client with its director's contact, assigned to `managers`.
fn client_request(
    legal_name: &str,
    siren: &str,
    managers: &[Uuid],
    invite_director: bool,
) -> CreateClientCompanyRequest {
    CreateClientCompanyRequest {
        company: Some(CreateCompanyRequest {
            kind: CompanyKind::Unspecified as i32,
            director: Some(Director {
                name: "Aline Dupont".to_owned(),
                email: DIRECTOR.to_owned(),
                phone: String::new(),
            }),
            ..company_request(legal_name, siren)
        }),
        portfolio_manager_ids: managers.iter().map(Uuid::to_string).collect(),
        invite_director,
        idempotency_key: String::new(),
    }
}

/// A client of the firm created by its owner, managed by its junior, its director invited
/// when `invite`; returns its id.
async fn managed_client(env: &Env, f: &Firm, name: &str, siren: &str, invite: bool) -> String {
    env.create_client(client_request(name, siren, &[f.junior], invite), &f.token)
        .await
        .unwrap()
        .company
        .unwrap()
        .company_id
}

/// Asserts that `user` may not act on `company` (CheckAccess answers PERMISSION_DENIED).
async fn assert_no_access(env: &Env, user: Uuid, company: &str) {
    let refused = env.check_access(user, company).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::PermissionDenied,
        "{user} on {company}"
    );
}

#[tokio::test]
async fn a_firm_administrator_creates_a_client_the_firm_owns_and_reaches_through_its_grant() {
    let env = Env::start().await;
    let f = firm(&env).await;
    let request = CreateClientCompanyRequest {
        idempotency_key: "client-1".to_owned(),
        ..client_request("Boulangerie Dupont", "732829320", &[f.junior], true)
    };

    let created = env.create_client(request.clone(), &f.token).await.unwrap();
    let company = created.company.clone().unwrap();
    let client = company.company_id.clone();
    assert_eq!(company.kind, CompanyKind::Company as i32);
    assert_eq!(company.legal_name, "Boulangerie Dupont");
    assert!(!created.invitation_id.is_empty());
    // A retry with the key answers the same, and creates nothing more.
    assert_eq!(env.create_client(request, &f.token).await.unwrap(), created);
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.company WHERE kind = 'company'")
            .await,
        1
    );

    // The firm owns it; nobody is its member; the firm's Administrator and the assigned
    // portfolio manager reach it through the firm's "administrator" grant.
    assert_eq!(
        env.owner(&client).await,
        (None, Some(Uuid::parse_str(&f.firm).unwrap()))
    );
    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.membership m JOIN tenancy.company c USING (company_id) WHERE c.kind = 'company'")
            .await,
        0
    );
    for user in [f.admin, f.junior] {
        let (role, _, through_firm) = env.check_access(user, &client).await.unwrap();
        assert_eq!((role.as_str(), through_firm), ("administrator", true));
    }
    let read = env
        .client()
        .await
        .get_company(bearer(
            GetCompanyRequest {
                company_id: client.clone(),
            },
            &f.token,
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(read, company);

    // Announced once each, in the creation's transaction.
    let created_events: Vec<CompanyCreated> =
        env.published("comptoir.tenancy.company.created").await;
    let event = created_events
        .iter()
        .find(|e| e.meta.as_ref().unwrap().company_id == client)
        .expect("company.created for the client");
    assert_eq!(event.owner_user_id, "");
    assert_eq!(event.owner_firm_id, f.firm);
    assert!(!event.is_firm);
    assert_eq!(event.meta.as_ref().unwrap().actor, f.admin.to_string());
    assert_eq!(event.director_email, DIRECTOR);
    assert_eq!(created_events.len(), 2, "the firm's and the client's");
    let grants: Vec<FirmGrantCreated> = env.published("comptoir.tenancy.firm_grant.created").await;
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].firm_id, f.firm);
    assert_eq!(grants[0].role, "administrator");
    assert_eq!(grants[0].meta.as_ref().unwrap().company_id, client);
    let invited: Vec<InvitationCreated> =
        env.published("comptoir.tenancy.invitation.created").await;
    let invitation = invited
        .iter()
        .find(|e| e.meta.as_ref().unwrap().company_id == client)
        .expect("invitation.created for the client");
    assert_eq!(
        (invitation.invitation_id.as_str(), invitation.email.as_str()),
        (created.invitation_id.as_str(), DIRECTOR)
    );
    assert_eq!(invitation.role, "administrator");
    assert_eq!(env.mailbox.count_to(DIRECTOR), 1);
}

#[tokio::test]
async fn creating_a_client_is_refused_with_nothing_written() {
    let env = Env::start().await;
    let f = firm(&env).await;
    let (plain_owner, plain) = env
        .owner_of("plain@example.fr", "Pas Cabinet", "542051180", false)
        .await;
    let before = env.count("SELECT count(*) FROM tenancy.company").await;

    // Only a firm creates clients, and only with members.manage on it.
    let not_firm = env
        .create_client(
            client_request("Boulangerie Dupont", "732829320", &[], false),
            &env.scoped(plain_owner, &plain).await,
        )
        .await
        .unwrap_err();
    assert_eq!(
        (not_firm.code(), reason(&not_firm).as_str()),
        (Code::FailedPrecondition, "NOT_A_FIRM")
    );
    let junior = env
        .create_client(
            client_request("Boulangerie Dupont", "732829320", &[], false),
            &env.scoped(f.junior, &f.firm).await,
        )
        .await
        .unwrap_err();
    assert_eq!(junior.code(), Code::PermissionDenied);

    // Every bad field is named under `company.`; inviting needs the director's address.
    let mut bad = client_request("Boulangerie Dupont", "732829320", &[], true);
    let company = bad.company.as_mut().unwrap();
    company.address.as_mut().unwrap().postal_code = "7500".to_owned();
    company.director.as_mut().unwrap().email = String::new();
    company.kind = CompanyKind::Firm as i32;
    bad.portfolio_manager_ids.push("not-an-id".to_owned());
    let refused = env.create_client(bad, &f.token).await.unwrap_err();
    assert_eq!(
        bad_fields(&refused),
        [
            "company.kind",
            "company.address.postal_code",
            "company.director.email",
            "portfolio_manager_ids[0]"
        ]
    );

    // A portfolio manager must be a member of the firm.
    let stranger = Uuid::now_v7();
    let refused = env
        .create_client(
            client_request(
                "Boulangerie Dupont",
                "732829320",
                &[f.junior, stranger],
                true,
            ),
            &f.token,
        )
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&refused), ["portfolio_manager_ids[1]"]);

    // A SIRET already registered is refused as CreateCompany refuses it.
    let taken = env
        .create_client(
            client_request("Pas Cabinet Bis", "542051180", &[f.junior], true),
            &f.token,
        )
        .await
        .unwrap_err();
    assert_eq!(
        (taken.code(), reason(&taken).as_str()),
        (Code::AlreadyExists, "SIRET_TAKEN")
    );

    assert_eq!(
        env.count("SELECT count(*) FROM tenancy.company").await,
        before
    );
    for table in [
        "SELECT count(*) FROM tenancy.firm_grant",
        "SELECT count(*) FROM tenancy.portfolio_manager",
        "SELECT count(*) FROM tenancy.invitation WHERE email = 'directrice@boulangerie.fr'",
        "SELECT count(*) FROM tenancy.outbox WHERE subject LIKE 'comptoir.tenancy.firm_grant.%'",
    ] {
        assert_eq!(env.count(table).await, 0, "{table}");
    }
    assert_eq!(env.mailbox.count_to(DIRECTOR), 0);
}

#[tokio::test]
async fn the_invited_director_becomes_administrator_of_the_client_the_firm_still_owns() {
    let env = Env::start().await;
    let f = firm(&env).await;
    let created = env
        .create_client(
            client_request("Boulangerie Dupont", "732829320", &[], false),
            &f.token,
        )
        .await
        .unwrap();
    assert_eq!(created.invitation_id, "");
    let client = created.company.unwrap().company_id;

    // Sent to the address the identity records; sent again, the first link is revoked.
    let first = env.invite_director(&client, "", &f.token).await.unwrap();
    assert_eq!(
        (first.email.as_str(), first.role.as_str()),
        (DIRECTOR, "administrator")
    );
    assert!(first.expire_time.is_some());
    let first_token = env.mailed_token(DIRECTOR).await;
    let second = env.invite_director(&client, "", &f.token).await.unwrap();
    assert_ne!(second.invitation_id, first.invitation_id);
    let second_token = env.mailed_token(DIRECTOR).await;
    assert_ne!(first_token, second_token);

    let director = env.join(DIRECTOR, &second_token).await.unwrap();
    let (role, _, through_firm) = env.check_access(director, &client).await.unwrap();
    assert_eq!((role.as_str(), through_firm), ("administrator", false));
    let login = env.signed_in(DIRECTOR).await;
    let reused = env.accept(&login, &first_token).await.unwrap_err();
    assert_eq!(reason(&reused), "INVITATION_REVOKED");
    // The firm owns the client: its director is a member, not its owner.
    let members = env.members_of(director, &client).await;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user_id, director.to_string());
    assert!(!members[0].owner);

    // Any other address may be given; a company the firm holds no grant on is not found,
    // whether it exists or not; a client recording no director's address needs one.
    let other = env
        .invite_director(&client, " Associe@Boulangerie.FR ", &f.token)
        .await
        .unwrap();
    assert_eq!(other.email, "associe@boulangerie.fr");
    let (_, stranger) = env
        .owner_of("tiers@example.fr", "Tiers SARL", "404833048", false)
        .await;
    for company in [stranger, Uuid::now_v7().to_string()] {
        let missing = env
            .invite_director(&company, DIRECTOR, &f.token)
            .await
            .unwrap_err();
        assert_eq!(
            (missing.code(), reason(&missing).as_str()),
            (Code::NotFound, "FIRM_GRANT_NOT_FOUND")
        );
    }
    let mut nameless = client_request("Sans Directeur", "355512575", &[], false);
    nameless.company.as_mut().unwrap().director = None;
    let nameless = env
        .create_client(nameless, &f.token)
        .await
        .unwrap()
        .company
        .unwrap()
        .company_id;
    let refused = env
        .invite_director(&nameless, "", &f.token)
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&refused), ["email"]);
}

#[tokio::test]
async fn disconnecting_a_client_ends_the_firm_access_and_keeps_or_hands_over_ownership() {
    let env = Env::start().await;
    let f = firm(&env).await;
    let firm_id = Uuid::parse_str(&f.firm).unwrap();
    let kept = managed_client(&env, &f, "Boulangerie Dupont", "732829320", false).await;
    let handed = managed_client(&env, &f, "Fromagerie Martin", "240040410", true).await;
    let director = env
        .join(DIRECTOR, &env.mailed_token(DIRECTOR).await)
        .await
        .unwrap();

    // Without a new owner: the firm's people lose the client, the firm stays its owner.
    env.disconnect(&kept, None, &f.token).await.unwrap();
    assert_no_access(&env, f.admin, &kept).await;
    assert_no_access(&env, f.junior, &kept).await;
    assert_eq!(env.owner(&kept).await, (None, Some(firm_id)));
    let revoked: Vec<FirmGrantRevoked> = env.published("comptoir.tenancy.firm_grant.revoked").await;
    assert_eq!(revoked.len(), 1);
    let mut lost = revoked[0].user_ids.clone();
    lost.sort();
    let mut expected = vec![f.admin.to_string(), f.junior.to_string()];
    expected.sort();
    assert_eq!(lost, expected);
    assert_eq!(revoked[0].meta.as_ref().unwrap().company_id, kept);
    let again = env.disconnect(&kept, None, &f.token).await.unwrap_err();
    assert_eq!(reason(&again), "FIRM_GRANT_NOT_FOUND");

    // Ownership goes to an Administrator of the client only; a refusal changes nothing.
    let refused = env
        .disconnect(&handed, Some(f.junior), &f.token)
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::FailedPrecondition, "NOT_A_CLIENT_ADMINISTRATOR")
    );
    assert!(env.check_access(f.admin, &handed).await.is_ok());

    env.disconnect(&handed, Some(director), &f.token)
        .await
        .unwrap();
    assert_no_access(&env, f.admin, &handed).await;
    assert_no_access(&env, f.junior, &handed).await;
    let (role, _, through_firm) = env.check_access(director, &handed).await.unwrap();
    assert_eq!((role.as_str(), through_firm), ("administrator", false));
    assert_eq!(env.owner(&handed).await, (Some(director), None));
    let transferred: Vec<OwnershipTransferred> = env
        .published("comptoir.tenancy.ownership.transferred")
        .await;
    assert_eq!(transferred.len(), 1);
    let transferred = &transferred[0];
    assert_eq!(
        (
            transferred.from_user_id.as_str(),
            transferred.from_firm_id.as_str(),
            transferred.to_user_id.as_str()
        ),
        ("", f.firm.as_str(), director.to_string().as_str())
    );
    assert_eq!(transferred.meta.as_ref().unwrap().company_id, handed);
    let members = env.members_of(director, &handed).await;
    assert!(members[0].owner, "the director owns the client now");

    // A firm hands over only a client it owns.
    let (owner, own) = env
        .owner_of("tiers@example.fr", "Tiers SARL", "404833048", false)
        .await;
    env.firms()
        .await
        .grant_firm_access(bearer(
            comptoir_proto::tenancy::v1::GrantFirmAccessRequest {
                firm_id: f.firm.clone(),
                role: "accountant".to_owned(),
            },
            &env.scoped(owner, &own).await,
        ))
        .await
        .unwrap();
    let not_owner = env
        .disconnect(&own, Some(owner), &f.token)
        .await
        .unwrap_err();
    assert_eq!(reason(&not_owner), "FIRM_NOT_OWNER");
    assert!(env.check_access(f.admin, &own).await.is_ok());
}
