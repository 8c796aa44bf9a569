//! The accountant portal's integration tests: the real service (and a real identity for
//! tokens) on port 0 against real Postgres and NATS; tenancy's events are published
//! straight onto NATS.

mod database;

use comptoir_proto::accountant_portal::v1::{
    ListDirectoryCompaniesRequest, accountant_portal_service_client::AccountantPortalServiceClient,
};
use comptoir_proto::events::v1::{EventMeta, FirmGrantCreated, FirmGrantRevoked};
use comptoir_runtime::events::names;
use comptoir_test_support::{
    Harness, Running, TestNats, bad_fields, bearer, company_created, company_updated, eventually,
    publish, publish_update_before_creation, scoped_token, spawn,
};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

struct Env {
    harness: Harness,
    _portal: Running,
    client: AccountantPortalServiceClient<Channel>,
}

impl Env {
    async fn start() -> Self {
        let harness = Harness::start(
            &[comptoir_identity::SPEC, comptoir_accountant_portal::SPEC],
            |common| comptoir_identity::build(comptoir_identity::Config::new(common)),
        )
        .await;
        let (common, identity) = harness.config(&comptoir_accountant_portal::SPEC);
        let portal = spawn(
            comptoir_accountant_portal::build(comptoir_accountant_portal::Config {
                common,
                identity,
            })
            .await
            .expect("portal builds"),
        )
        .await;
        let client = AccountantPortalServiceClient::new(portal.channel().await);
        Self {
            harness,
            _portal: portal,
            client,
        }
    }

    /// A signed-in user of `company` (the token's active company).
    async fn user_of(&self, company: Uuid) -> String {
        scoped_token(
            &self.harness.db,
            company,
            &[comptoir_domain_types::permissions::Permission::InvoicesRead],
        )
        .await
    }

    /// Every company `token` sees in the directory, walking pages of `page_size`, as
    /// (id, legal name).
    async fn directory(&self, token: &str, page_size: i32) -> Vec<(Uuid, String)> {
        let mut client = self.client.clone();
        let mut seen = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_directory_companies(bearer(
                    ListDirectoryCompaniesRequest {
                        page_size,
                        page_token: page_token.clone(),
                    },
                    token,
                ))
                .await
                .unwrap()
                .into_inner();
            assert!(page.companies.len() <= page_size as usize);
            seen.extend(page.companies.into_iter().map(|c| {
                (
                    Uuid::parse_str(&c.company_id).expect("a company id"),
                    c.legal_name,
                )
            }));
            if page.next_page_token.is_empty() {
                return seen;
            }
            page_token = page.next_page_token;
        }
    }

    /// Waits until `token` sees exactly `expected` (ids, in any order).
    async fn wait_for_directory(&self, token: &str, expected: &[Uuid]) -> Vec<(Uuid, String)> {
        let mut expected = expected.to_vec();
        expected.sort();
        eventually("the directory to show the firm's clients", || {
            let expected = expected.clone();
            async move {
                let seen = self.directory(token, 10).await;
                let mut ids: Vec<Uuid> = seen.iter().map(|(id, _)| *id).collect();
                ids.sort();
                (ids == expected).then_some(seen)
            }
        })
        .await
    }
}

/// Publishes a fresh `company.created` (and a redelivered copy under another message id,
/// which must change nothing); returns the company id.
async fn announce(nats: &TestNats, name: &str, siren: &str, is_firm: bool) -> Uuid {
    let company_id = Uuid::now_v7();
    let (event_id, payload) = company_created(company_id, name, siren, is_firm);
    for msg_id in [event_id.to_string(), format!("copy-{event_id}")] {
        let subject = names::COMPANY_CREATED.subject();
        publish(nats, "tenancy", &subject, &msg_id, payload.clone()).await;
    }
    company_id
}

fn meta(event_id: Uuid, client: Uuid) -> Option<EventMeta> {
    Some(EventMeta {
        event_id: event_id.to_string(),
        occur_time: None,
        company_id: client.to_string(),
        actor: "test".to_owned(),
    })
}

/// A `firm_grant.created` of `firm` on `client`, as tenancy builds it: (id, payload).
fn grant(firm: Uuid, client: Uuid) -> (Uuid, Vec<u8>) {
    let event_id = Uuid::now_v7();
    let event = FirmGrantCreated {
        meta: meta(event_id, client),
        firm_id: firm.to_string(),
        role: "accountant".to_owned(),
    };
    (event_id, event.encode_to_vec())
}

/// A `firm_grant.revoked` of `firm` on `client`: (id, payload).
fn revoke(firm: Uuid, client: Uuid) -> (Uuid, Vec<u8>) {
    let event_id = Uuid::now_v7();
    let event = FirmGrantRevoked {
        meta: meta(event_id, client),
        firm_id: firm.to_string(),
        ..Default::default()
    };
    (event_id, event.encode_to_vec())
}

async fn publish_event(nats: &TestNats, event_type: names::EventType, event: (Uuid, Vec<u8>)) {
    let (event_id, payload) = event;
    publish(
        nats,
        "tenancy",
        &event_type.subject(),
        &event_id.to_string(),
        payload,
    )
    .await;
}

#[tokio::test]
async fn a_firm_sees_only_its_clients_and_a_company_sees_nothing_of_others() {
    let env = Env::start().await;
    let nats = &env.harness.nats;
    let firm = announce(nats, "Cabinet Lefèvre", "552100554", true).await;
    let dupont = announce(nats, "Boulangerie Dupont", "732829320", false).await;
    let martin = announce(nats, "Garage Martin", "542051180", false).await;
    let stranger = announce(nats, "Autre SAS", "443061841", false).await;
    publish_event(nats, names::FIRM_GRANT_CREATED, grant(firm, dupont)).await;
    publish_event(nats, names::FIRM_GRANT_CREATED, grant(firm, martin)).await;

    let firm_user = env.user_of(firm).await;
    env.wait_for_directory(&firm_user, &[dupont, martin]).await;
    // Page by page, each client once.
    let mut paged: Vec<Uuid> = env
        .directory(&firm_user, 1)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    paged.sort();
    let mut clients = vec![dupont, martin];
    clients.sort();
    assert_eq!(paged, clients);
    // A user of an unrelated company, and a client's own user, see nothing of the others.
    assert_eq!(env.directory(&env.user_of(stranger).await, 10).await, []);
    assert_eq!(env.directory(&env.user_of(dupont).await, 10).await, []);

    // A revocation ends it; a late copy of the grant (an older event) does not bring the
    // client back, and a revocation reaching the portal before its grant is kept.
    let old_grant = grant(firm, martin);
    publish_event(nats, names::FIRM_GRANT_REVOKED, revoke(firm, martin)).await;
    publish_event(nats, names::FIRM_GRANT_CREATED, old_grant).await;
    let early_grant = grant(firm, stranger);
    publish_event(nats, names::FIRM_GRANT_REVOKED, revoke(firm, stranger)).await;
    publish_event(nats, names::FIRM_GRANT_CREATED, early_grant).await;
    let marker = announce(nats, "Marqueur SAS", "356000000", false).await;
    publish_event(nats, names::FIRM_GRANT_CREATED, grant(firm, marker)).await;
    env.wait_for_directory(&firm_user, &[dupont, marker]).await;

    // Each company was applied once, though delivered twice: a second application would
    // have touched its row again.
    assert_eq!(
        env.harness
            .count(
                "SELECT count(*) FROM accountant_portal.directory_company \
                 WHERE updated_at <> created_at"
            )
            .await,
        0
    );
}

#[tokio::test]
async fn an_update_before_a_late_creation_keeps_the_newer_identity() {
    let env = Env::start().await;
    let nats = &env.harness.nats;
    let firm = announce(nats, "Cabinet Lefèvre", "552100554", true).await;
    let client = Uuid::now_v7();
    publish_update_before_creation(
        nats,
        company_updated(client, "Nouveau Nom SAS", "732829320", false, 2),
        company_created(client, "Ancien Nom SAS", "732829320", false),
    )
    .await;
    publish_event(nats, names::FIRM_GRANT_CREATED, grant(firm, client)).await;
    let marker = announce(nats, "Marqueur SAS", "542051180", false).await;
    publish_event(nats, names::FIRM_GRANT_CREATED, grant(firm, marker)).await;

    let seen = env
        .wait_for_directory(&env.user_of(firm).await, &[client, marker])
        .await;
    let name = seen
        .iter()
        .find(|(id, _)| *id == client)
        .map(|(_, n)| n.as_str());
    assert_eq!(name, Some("Nouveau Nom SAS"));
}

#[tokio::test]
async fn a_bad_page_token_is_named() {
    let env = Env::start().await;
    let mut client = env.client.clone();
    let bad = client
        .list_directory_companies(bearer(
            ListDirectoryCompaniesRequest {
                page_size: 1,
                page_token: "bm90IGEgY3Vyc29y".to_owned(),
            },
            &env.user_of(Uuid::now_v7()).await,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad), ["page_token"]);
}
