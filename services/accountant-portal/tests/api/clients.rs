//! The firm's client list (`ListClients`, `ExportClientList`) over the portal's
//! projection, fed with tenancy's and billing's events published straight onto NATS:
//! late, twice or out of order; its filters, orders, pages and totals; who sees which
//! clients; the exported files read back; and the row-level security of the projection
//! as the service's own role.

use chrono::{Datelike, Utc};
use comptoir_domain_types::permissions::Permission;
use comptoir_proto::accountant_portal::v1::{
    Client, ClientFilter, ClientOrder, ClientStatus, ExportClientListRequest, FileFormat,
    ListClientsRequest, accountant_portal_service_client::AccountantPortalServiceClient,
};
use comptoir_proto::events::v1::{
    BillingDocument, CompanyCreated, CreditNoteIssued, EventMeta, FirmGrantCreated,
    FirmGrantRevoked, InvoiceIssued, LockDateChanged, MembershipGranted, MembershipRevoked,
    OwnershipTransferred,
};
use comptoir_proto::types::v1::LegalIdentity;
use comptoir_runtime::caller::Claims;
use comptoir_runtime::events::names::{self, EventType};
use comptoir_test_support::{
    Harness, Running, TestNats, assert_refused, bad_fields, bearer, company_created,
    company_updated, eventually, identity_token, publish, publish_update_before_creation, spawn,
};
use prost::Message;
use tokio_stream::StreamExt;
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

    fn nats(&self) -> &TestNats {
        &self.harness.nats
    }

    /// A token of `user`, active in `company`, holding `permissions` there.
    async fn token(&self, company: Uuid, user: Uuid, permissions: &[Permission]) -> String {
        let mut claims = Claims::new(user.to_string(), "comptoir", "comptoir");
        claims.sid = Some(Uuid::now_v7());
        claims.cid = Some(company);
        claims.perms = comptoir_domain_types::permissions::names(permissions);
        identity_token(&self.harness.db, &claims).await
    }

    /// A firm Administrator's token (they manage the firm's members).
    async fn administrator(&self, firm: Uuid) -> String {
        self.token(firm, Uuid::now_v7(), &[Permission::MembersManage])
            .await
    }

    /// One page.
    async fn page(&self, token: &str, request: ListClientsRequest) -> Result<Page, tonic::Status> {
        let page = self
            .client
            .clone()
            .list_clients(bearer(request, token))
            .await?
            .into_inner();
        Ok(Page {
            clients: page.clients,
            next: page.next_page_token,
            total: page.total_size,
        })
    }

    /// Every client of a listing, walking pages of `page_size`.
    async fn all(&self, token: &str, mut request: ListClientsRequest) -> Vec<Client> {
        let mut seen = Vec::new();
        loop {
            let page = self.page(token, request.clone()).await.expect("a page");
            if request.page_size > 0 {
                assert!(page.clients.len() <= request.page_size as usize);
            }
            seen.extend(page.clients);
            if page.next.is_empty() {
                return seen;
            }
            request.page_token = page.next;
        }
    }

    /// Waits until `token`'s whole list (by name) satisfies `done`.
    async fn wait_for(
        &self,
        what: &str,
        token: &str,
        done: impl Fn(&[Client]) -> bool,
    ) -> Vec<Client> {
        eventually(what, || async {
            let clients = self.all(token, list(10)).await;
            done(&clients).then_some(clients)
        })
        .await
    }

    /// Runs `sql` as superuser.
    async fn sql(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut self.harness.db.admin().await)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
    }

    /// Gives the firm's client a code dossier (and its search key) and managers, as the
    /// portal's client creation and assignment record them.
    async fn file(&self, firm: Uuid, client: Uuid, code: &str, key: &str, managers: &[Uuid]) {
        self.sql(&format!(
            "UPDATE accountant_portal.firm_client SET file_code = '{code}', search_code = '{key}' \
             WHERE firm_id = '{firm}' AND company_id = '{client}'"
        ))
        .await;
        for manager in managers {
            self.sql(&format!(
                "INSERT INTO accountant_portal.client_manager (firm_id, company_id, user_id) \
                 VALUES ('{firm}', '{client}', '{manager}')"
            ))
            .await;
        }
    }
}

struct Page {
    clients: Vec<Client>,
    next: String,
    total: i32,
}

fn list(page_size: i32) -> ListClientsRequest {
    ListClientsRequest {
        page_size,
        ..Default::default()
    }
}

fn by(order: ClientOrder, descending: bool, page_size: i32) -> ListClientsRequest {
    ListClientsRequest {
        order_by: order.into(),
        descending,
        page_size,
        ..Default::default()
    }
}

fn filtered(filter: ClientFilter) -> ListClientsRequest {
    ListClientsRequest {
        filter: Some(filter),
        page_size: 2,
        ..Default::default()
    }
}

fn names_of(clients: &[Client]) -> Vec<&str> {
    clients.iter().map(|c| c.legal_name.as_str()).collect()
}

fn find(clients: &[Client], id: Uuid) -> Option<&Client> {
    clients.iter().find(|c| c.company_id == id.to_string())
}

fn meta(event_id: Uuid, company: Uuid) -> Option<EventMeta> {
    Some(EventMeta {
        event_id: event_id.to_string(),
        occur_time: None,
        company_id: company.to_string(),
        actor: "test".to_owned(),
    })
}

/// An event about to be published: its type, id and payload.
type Event = (EventType, Uuid, Vec<u8>);

fn event<M: Message>(
    event_type: EventType,
    build: impl FnOnce(Option<EventMeta>) -> M,
    company: Uuid,
) -> Event {
    let id = Uuid::now_v7();
    (event_type, id, build(meta(id, company)).encode_to_vec())
}

fn grant(firm: Uuid, client: Uuid) -> Event {
    event(
        names::FIRM_GRANT_CREATED,
        |meta| FirmGrantCreated {
            meta,
            firm_id: firm.to_string(),
            role: "accountant".to_owned(),
        },
        client,
    )
}

fn revoke(firm: Uuid, client: Uuid) -> Event {
    event(
        names::FIRM_GRANT_REVOKED,
        |meta| FirmGrantRevoked {
            meta,
            firm_id: firm.to_string(),
            ..Default::default()
        },
        client,
    )
}

/// `company.created` of `client`, created by `firm`, which owns it.
fn created_by(firm: Uuid, client: Uuid, name: &str) -> Event {
    event(
        names::COMPANY_CREATED,
        |meta| CompanyCreated {
            meta,
            identity: Some(LegalIdentity {
                legal_name: name.to_owned(),
                siren: "732829320".to_owned(),
                ..Default::default()
            }),
            owner_firm_id: firm.to_string(),
            version: 1,
            ..Default::default()
        },
        client,
    )
}

/// `firm` hands `client` over to its Administrator `to` (tenancy's DisconnectClient with
/// `transfer_ownership_to`).
fn handed_over(firm: Uuid, client: Uuid, to: Uuid) -> Event {
    event(
        names::OWNERSHIP_TRANSFERRED,
        |meta| OwnershipTransferred {
            meta,
            to_user_id: to.to_string(),
            from_firm_id: firm.to_string(),
            ..Default::default()
        },
        client,
    )
}

fn member(client: Uuid, user: Uuid) -> Event {
    event(
        names::MEMBERSHIP_GRANTED,
        |meta| MembershipGranted {
            meta,
            user_id: user.to_string(),
            role: "administrator".to_owned(),
        },
        client,
    )
}

fn unmember(client: Uuid, user: Uuid) -> Event {
    event(
        names::MEMBERSHIP_REVOKED,
        |meta| MembershipRevoked {
            meta,
            user_id: user.to_string(),
        },
        client,
    )
}

fn lock(client: Uuid, date: &str) -> Event {
    event(
        names::LOCK_DATE_CHANGED,
        |meta| LockDateChanged {
            meta,
            lock_date: date.to_owned(),
            ..Default::default()
        },
        client,
    )
}

fn document(kind: &str, date: &str, net_total: &str) -> Option<BillingDocument> {
    Some(BillingDocument {
        document_id: Uuid::now_v7().to_string(),
        document_type: kind.to_owned(),
        document_date: date.to_owned(),
        currency_code: "EUR".to_owned(),
        net_total: net_total.to_owned(),
        ..Default::default()
    })
}

fn invoice(client: Uuid, date: &str, net_total: &str) -> Event {
    event(
        names::INVOICE_ISSUED,
        |meta| InvoiceIssued {
            meta,
            invoice: document("invoice", date, net_total),
        },
        client,
    )
}

fn credit_note(client: Uuid, date: &str, net_total: &str) -> Event {
    event(
        names::CREDIT_NOTE_ISSUED,
        |meta| CreditNoteIssued {
            meta,
            credit_note: document("credit_note", date, net_total),
        },
        client,
    )
}

/// Publishes `event` as its producer would; `copy` publishes it again under another
/// message id (which JetStream does not deduplicate): a redelivery the inbox must stop.
async fn send(nats: &TestNats, (event_type, id, payload): &Event, copy: bool) {
    let producer = event_type.service;
    publish(
        nats,
        producer,
        &event_type.subject(),
        &id.to_string(),
        payload.clone(),
    )
    .await;
    if copy {
        let msg_id = format!("copy-{id}");
        publish(
            nats,
            producer,
            &event_type.subject(),
            &msg_id,
            payload.clone(),
        )
        .await;
    }
}

/// Announces a company created by tenancy (delivered twice); returns its id.
async fn announce(nats: &TestNats, name: &str, siren: &str) -> Uuid {
    let company = Uuid::now_v7();
    let (id, payload) = company_created(company, name, siren, false);
    send(nats, &(names::COMPANY_CREATED, id, payload), true).await;
    company
}

/// A firm with `clients` (name, SIREN), each granted to it; returns the firm and the
/// client ids in the same order.
async fn firm_with(nats: &TestNats, clients: &[(&str, &str)]) -> (Uuid, Vec<Uuid>) {
    let firm = Uuid::now_v7();
    let (id, payload) = company_created(firm, "Cabinet Lefèvre", "552100554", true);
    send(nats, &(names::COMPANY_CREATED, id, payload), false).await;
    let mut ids = Vec::new();
    for (name, siren) in clients {
        let client = announce(nats, name, siren).await;
        send(nats, &grant(firm, client), false).await;
        ids.push(client);
    }
    (firm, ids)
}

#[tokio::test]
async fn the_list_shows_users_lock_date_last_invoice_and_turnover_from_late_twice_and_out_of_order_events()
 {
    let env = Env::start().await;
    let nats = env.nats();
    let (firm, ids) = firm_with(nats, &[("Boulangerie Dupont", "732829320")]).await;
    let dupont = ids[0];
    let admin = env.administrator(firm).await;
    let year = Utc::now().year();

    // Users: two members, a third whose revocation comes before its (older) grant, and
    // a membership delivered twice.
    let (ana, bob, eve) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    send(nats, &member(dupont, ana), true).await;
    send(nats, &member(dupont, bob), false).await;
    let early = member(dupont, eve);
    send(nats, &unmember(dupont, eve), false).await;
    send(nats, &early, false).await;

    // Lock date: the newer change first, then a late older one that must not win.
    let older = lock(dupont, "2024-12-31");
    send(nats, &lock(dupont, "2025-06-30"), false).await;
    send(nats, &older, false).await;

    // Turnover: 1 000.50 + 250 − 100.25 this year, an invoice of last year apart; the
    // first invoice delivered twice (a second application would add 1 000.50 again).
    send(
        nats,
        &invoice(dupont, &format!("{year}-02-10"), "1000.50"),
        true,
    )
    .await;
    send(
        nats,
        &invoice(dupont, &format!("{year}-01-05"), "250.00"),
        false,
    )
    .await;
    send(
        nats,
        &credit_note(dupont, &format!("{year}-03-01"), "100.25"),
        true,
    )
    .await;
    send(
        nats,
        &invoice(dupont, &format!("{}-12-20", year - 1), "999.00"),
        false,
    )
    .await;

    // Markers, after everything, for each consumer: once they show, every event before
    // them was handled (a consumer applies its events in order).
    let marker = announce(nats, "Marqueur SAS", "542051180").await;
    send(nats, &grant(firm, marker), false).await;
    send(nats, &member(marker, Uuid::now_v7()), false).await;
    send(nats, &lock(marker, "2025-07-31"), false).await;

    let clients = env
        .wait_for("every event to be applied", &admin, |clients| {
            find(clients, marker).is_some_and(|c| c.user_count == 1 && c.lock_date == "2025-07-31")
        })
        .await;
    let client = find(&clients, dupont).unwrap();
    assert_eq!(client.legal_name, "Boulangerie Dupont");
    assert_eq!(client.siren, "732829320");
    assert_eq!(
        client.lock_date, "2025-06-30",
        "the late older change set aside"
    );
    assert_eq!(
        client.user_count, 2,
        "ana and bob; eve's late grant is older than her revocation"
    );
    assert_eq!(client.last_invoice_date, format!("{year}-02-10"));
    // Counted once though the first invoice and the credit note came twice: a second
    // application of either would change this sum.
    assert_eq!(client.turnover_current_year, "1150.25");
    assert_eq!(client.status(), ClientStatus::Connected);
    assert!(client.create_time.is_some());
}

#[tokio::test]
async fn a_firm_sees_only_its_clients_and_a_revoked_grant_shows_disconnected_for_good() {
    let env = Env::start().await;
    let nats = env.nats();
    let (firm, ids) = firm_with(
        nats,
        &[
            ("Boulangerie Dupont", "732829320"),
            ("Garage Martin", "542051180"),
        ],
    )
    .await;
    let (dupont, martin) = (ids[0], ids[1]);
    let (other_firm, other_ids) = firm_with(nats, &[("Autre SAS", "443061841")]).await;
    let admin = env.administrator(firm).await;
    env.wait_for("the firm's two clients", &admin, |c| c.len() == 2)
        .await;
    let other_admin = env.administrator(other_firm).await;
    let theirs = env
        .wait_for("the other firm's client", &other_admin, |c| c.len() == 1)
        .await;
    assert_eq!(theirs[0].company_id, other_ids[0].to_string());
    // A client's own user sees no client.
    assert_eq!(
        env.all(&env.administrator(dupont).await, list(10))
            .await
            .len(),
        0
    );

    // A revocation ends the connection; a late copy of the older grant does not bring
    // it back; a revocation coming before its grant is kept.
    let old_grant = grant(firm, martin);
    send(nats, &revoke(firm, martin), false).await;
    send(nats, &old_grant, false).await;
    let stranger = announce(nats, "Marqueur SAS", "356000000").await;
    let early_grant = grant(firm, stranger);
    send(nats, &revoke(firm, stranger), false).await;
    send(nats, &early_grant, false).await;
    let marker = announce(nats, "Zinc SARL", "404833048").await;
    send(nats, &grant(firm, marker), false).await;
    let clients = env
        .wait_for("the marker client", &admin, |c| find(c, marker).is_some())
        .await;
    let status = |id| find(&clients, id).map(Client::status);
    assert_eq!(status(dupont), Some(ClientStatus::Connected));
    assert_eq!(status(martin), Some(ClientStatus::Disconnected));
    assert_eq!(status(stranger), Some(ClientStatus::Disconnected));

    // Each company was applied once though delivered twice: a second application would
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
async fn an_update_before_a_late_creation_keeps_the_newer_name_and_the_creation_time() {
    let env = Env::start().await;
    let nats = env.nats();
    let (firm, _) = firm_with(nats, &[]).await;
    let client = Uuid::now_v7();
    publish_update_before_creation(
        nats,
        company_updated(client, "Nouveau Nom SAS", "732829320", false, 2),
        company_created(client, "Ancien Nom SAS", "732829320", false),
    )
    .await;
    send(nats, &grant(firm, client), false).await;
    let marker = announce(nats, "Marqueur SAS", "542051180").await;
    send(nats, &grant(firm, marker), false).await;
    let admin = env.administrator(firm).await;
    let seen = env.wait_for("both clients", &admin, |c| c.len() == 2).await;
    let shown = find(&seen, client).unwrap();
    assert_eq!(shown.legal_name, "Nouveau Nom SAS");
    let created: Option<bool> = sqlx::query_scalar(
        "SELECT create_time IS NOT NULL FROM accountant_portal.directory_company WHERE company_id = $1",
    )
    .bind(client)
    .fetch_optional(&mut env.harness.db.admin().await)
    .await
    .unwrap();
    assert_eq!(
        created,
        Some(true),
        "the late creation still tells when it was created"
    );
}

#[tokio::test]
async fn an_owning_firm_is_read_from_company_created() {
    let env = Env::start().await;
    let nats = env.nats();
    let (firm, _) = firm_with(nats, &[]).await;
    let client = Uuid::now_v7();
    send(nats, &created_by(firm, client, "Créée SAS"), false).await;
    send(nats, &grant(firm, client), false).await;
    let admin = env.administrator(firm).await;
    let seen = env
        .wait_for("the created client", &admin, |c| c.len() == 1)
        .await;
    assert!(seen[0].owned_by_firm);
}

#[tokio::test]
async fn a_firm_that_handed_its_client_over_no_longer_owns_it_even_after_a_late_creation() {
    let env = Env::start().await;
    let nats = env.nats();
    let (firm, _) = firm_with(nats, &[]).await;
    let admin = env.administrator(firm).await;
    let owned = |clients: &[Client], id| find(clients, id).map(|c| c.owned_by_firm);

    // Created by the firm, which records owning it, then handed over (twice delivered).
    let given = Uuid::now_v7();
    send(nats, &created_by(firm, given, "Cédée SAS"), false).await;
    send(nats, &grant(firm, given), false).await;
    env.sql(&format!(
        "UPDATE accountant_portal.firm_client SET owned_by_firm = true \
         WHERE firm_id = '{firm}' AND company_id = '{given}'"
    ))
    .await;
    env.wait_for("the owned client", &admin, |c| {
        owned(c, given) == Some(true)
    })
    .await;
    send(nats, &handed_over(firm, given, Uuid::now_v7()), true).await;
    env.wait_for("the handed-over client", &admin, |c| {
        owned(c, given) == Some(false)
    })
    .await;
    let still_owned: Option<bool> = sqlx::query_scalar(
        "SELECT owned_by_firm FROM accountant_portal.firm_client \
         WHERE firm_id = $1 AND company_id = $2",
    )
    .bind(firm)
    .bind(given)
    .fetch_optional(&mut env.harness.db.admin().await)
    .await
    .unwrap();
    assert_eq!(still_owned, Some(false), "the firm's own record is cleared");

    // The transfer applied before the company's creation comes: the late creation, which
    // names the firm as owner, does not bring the firm's ownership back.
    let late = Uuid::now_v7();
    let creation = created_by(firm, late, "Tardive SAS");
    send(nats, &handed_over(firm, late, Uuid::now_v7()), false).await;
    eventually("the transfer before the creation", || async {
        let recorded: Option<bool> = sqlx::query_scalar(
            "SELECT ownership_event_id IS NOT NULL FROM accountant_portal.directory_company \
             WHERE company_id = $1",
        )
        .bind(late)
        .fetch_optional(&mut env.harness.db.admin().await)
        .await
        .unwrap();
        recorded.filter(|recorded| *recorded)
    })
    .await;
    send(nats, &creation, false).await;
    send(nats, &grant(firm, late), false).await;
    let seen = env
        .wait_for("the late creation", &admin, |c| {
            find(c, late).is_some_and(|c| c.legal_name == "Tardive SAS")
        })
        .await;
    assert_eq!(owned(&seen, late), Some(false));
    assert_eq!(owned(&seen, given), Some(false));
    let owner: Option<Option<Uuid>> = sqlx::query_scalar(
        "SELECT owner_firm_id FROM accountant_portal.directory_company WHERE company_id = $1",
    )
    .bind(late)
    .fetch_optional(&mut env.harness.db.admin().await)
    .await
    .unwrap();
    assert_eq!(owner, Some(None));
}

#[tokio::test]
async fn filters_orders_pages_and_totals_agree() {
    let env = Env::start().await;
    let nats = env.nats();
    let (firm, ids) = firm_with(
        nats,
        &[
            ("Société Générale d'Études", "732829320"),
            ("Boulangerie Dupont", "542051180"),
            ("ÉLAN Conseil", "443061841"),
            ("garage martin", "356000000"),
            ("Zinc SARL", "404833048"),
        ],
    )
    .await;
    let admin = env.administrator(firm).await;
    env.wait_for("five clients", &admin, |c| c.len() == 5).await;
    let manager = Uuid::now_v7();
    let codes = ["D-005", "D-004", "D-003", "D-002", "D-001"];
    for (i, client) in ids.iter().enumerate() {
        let managers: &[Uuid] = if i % 2 == 0 { &[manager] } else { &[] };
        env.file(firm, *client, codes[i], &codes[i].to_lowercase(), managers)
            .await;
    }
    send(nats, &revoke(firm, ids[4]), false).await;
    send(nats, &member(ids[1], Uuid::now_v7()), false).await;
    send(nats, &lock(ids[3], "2025-01-31"), false).await;
    send(nats, &invoice(ids[2], "2025-05-05", "10.00"), false).await;
    env.wait_for("the events", &admin, |c| {
        find(c, ids[4]).is_some_and(|c| c.status() == ClientStatus::Disconnected)
            && find(c, ids[1]).is_some_and(|c| c.user_count == 1)
            && find(c, ids[3]).is_some_and(|c| !c.lock_date.is_empty())
            && find(c, ids[2]).is_some_and(|c| !c.last_invoice_date.is_empty())
    })
    .await;

    // Default order: the legal name, case and accents ignored.
    let all = env.all(&admin, list(2)).await;
    assert_eq!(
        names_of(&all),
        [
            "Boulangerie Dupont",
            "ÉLAN Conseil",
            "garage martin",
            "Société Générale d'Études",
            "Zinc SARL"
        ]
    );
    assert_eq!(all[3].file_code, "D-005");

    // Every order, both ways, paged by 2, gives the same as one page, and descending is
    // ascending reversed (ties broken by company id in the same direction).
    for order in [
        ClientOrder::LegalName,
        ClientOrder::FileCode,
        ClientOrder::Siren,
        ClientOrder::CreateTime,
        ClientOrder::LockDate,
        ClientOrder::UserCount,
        ClientOrder::Status,
        ClientOrder::LastInvoiceDate,
        ClientOrder::Turnover,
    ] {
        let whole = env
            .page(&admin, by(order, false, 50))
            .await
            .unwrap()
            .clients;
        let paged = env.all(&admin, by(order, false, 2)).await;
        assert_eq!(whole, paged, "{order:?} paged");
        let mut down = env.all(&admin, by(order, true, 2)).await;
        down.reverse();
        assert_eq!(whole, down, "{order:?} descending");
    }
    let by_code = env.all(&admin, by(ClientOrder::FileCode, false, 2)).await;
    assert_eq!(by_code[0].file_code, "D-001");
    let by_lock = env.all(&admin, by(ClientOrder::LockDate, true, 2)).await;
    assert_eq!(
        by_lock[0].company_id,
        ids[3].to_string(),
        "clients without a lock date last"
    );
    let by_status = env.all(&admin, by(ClientOrder::Status, true, 2)).await;
    assert_eq!(by_status[0].company_id, ids[4].to_string());
    let by_users = env.all(&admin, by(ClientOrder::UserCount, true, 2)).await;
    assert_eq!(by_users[0].company_id, ids[1].to_string());

    // Filters, each with its total.
    let text = |t: &str| ClientFilter {
        text: t.to_owned(),
        ..Default::default()
    };
    for (filter, expected) in [
        (text("societe GENERALE"), vec![ids[0]]),
        (text("elan"), vec![ids[2]]),
        (text("d-00"), ids.clone()),
        (text("d-003"), vec![ids[2]]),
        (text("542 051"), vec![ids[1]]),
        (text("nothing like it"), vec![]),
        (
            ClientFilter {
                status: ClientStatus::Disconnected.into(),
                ..Default::default()
            },
            vec![ids[4]],
        ),
        (
            ClientFilter {
                portfolio_manager_id: manager.to_string(),
                ..Default::default()
            },
            vec![ids[0], ids[2], ids[4]],
        ),
        (
            ClientFilter {
                portfolio_manager_id: manager.to_string(),
                status: ClientStatus::Connected.into(),
                text: "e".to_owned(),
            },
            vec![ids[0], ids[2]],
        ),
    ] {
        let first = env.page(&admin, filtered(filter.clone())).await.unwrap();
        assert_eq!(first.total as usize, expected.len(), "{filter:?} total");
        let mut got: Vec<String> = env
            .all(&admin, filtered(filter.clone()))
            .await
            .into_iter()
            .map(|c| c.company_id)
            .collect();
        got.sort();
        let mut want: Vec<String> = expected.iter().map(Uuid::to_string).collect();
        want.sort();
        assert_eq!(got, want, "{filter:?}");
    }

    // A token is read only for the listing that made it.
    let first = env.page(&admin, list(2)).await.unwrap();
    assert_eq!(first.total, 5);
    // The later pages repeat the total the first page counted, carried by their token.
    let mut second_request = list(2);
    second_request.page_token = first.next.clone();
    let second = env.page(&admin, second_request).await.unwrap();
    assert_eq!((second.clients.len(), second.total), (2, 5));
    let mut changed = filtered(text("e"));
    changed.page_token = first.next.clone();
    let refused = env.page(&admin, changed).await.err().expect("refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&refused), ["page_token"]);
    let mut reordered = by(ClientOrder::Siren, false, 2);
    reordered.page_token = first.next;
    let refused = env.page(&admin, reordered).await.err().expect("refused");
    assert_eq!(bad_fields(&refused), ["page_token"]);
    let mut garbage = list(2);
    garbage.page_token = "bm90IGEgY3Vyc29y".to_owned();
    let refused = env.page(&admin, garbage).await.err().expect("refused");
    assert_eq!(bad_fields(&refused), ["page_token"]);
    let bad = ListClientsRequest {
        filter: Some(ClientFilter {
            portfolio_manager_id: "someone".to_owned(),
            status: 9,
            ..Default::default()
        }),
        order_by: 42,
        ..Default::default()
    };
    let refused = env.page(&admin, bad).await.err().expect("refused");
    assert_eq!(
        bad_fields(&refused),
        ["filter.portfolio_manager_id", "filter.status", "order_by"]
    );

    // A portfolio manager (no members.manage) sees only their clients, whatever the
    // filter asks; a firm member assigned nothing sees nothing.
    let theirs = env.token(firm, manager, &[Permission::InvoicesRead]).await;
    let mut seen: Vec<String> = env
        .all(&theirs, list(2))
        .await
        .into_iter()
        .map(|c| c.company_id)
        .collect();
    seen.sort();
    let mut want: Vec<String> = [ids[0], ids[2], ids[4]]
        .iter()
        .map(Uuid::to_string)
        .collect();
    want.sort();
    assert_eq!(seen, want);
    let asked_for_other = ClientFilter {
        portfolio_manager_id: Uuid::now_v7().to_string(),
        ..Default::default()
    };
    assert_eq!(
        env.page(&theirs, filtered(asked_for_other))
            .await
            .unwrap()
            .total,
        0
    );
    let nobody = env.token(firm, Uuid::now_v7(), &[]).await;
    assert_eq!(env.page(&nobody, list(10)).await.unwrap().total, 0);
    let first = &env.page(&theirs, list(10)).await.unwrap().clients;
    assert!(first.iter().all(|c| {
        c.portfolio_managers
            .iter()
            .any(|m| m.user_id == manager.to_string())
    }));
}

/// The bytes of an export, checking the first chunk names the file and none is larger
/// than 64 KiB.
async fn export(
    env: &Env,
    token: &str,
    request: ExportClientListRequest,
) -> (String, String, Vec<u8>) {
    let mut stream = env
        .client
        .clone()
        .export_client_list(bearer(request, token))
        .await
        .expect("export")
        .into_inner();
    let mut bytes = Vec::new();
    let mut first = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("a chunk");
        assert!(chunk.chunk.len() <= 64 * 1024);
        if first.is_none() {
            first = Some((chunk.file_name.clone(), chunk.content_type.clone()));
        } else {
            assert!(chunk.file_name.is_empty());
        }
        bytes.extend(chunk.chunk);
    }
    let (name, content_type) = first.expect("one chunk at least");
    (name, content_type, bytes)
}

#[tokio::test]
async fn the_list_exports_as_csv_and_xlsx_with_its_filters_and_order() {
    use calamine::{Reader, Xlsx};

    let env = Env::start().await;
    let nats = env.nats();
    // Enough clients, with long names, that the file spans several chunks.
    let long = "Établissements de la Grande Boulangerie ".repeat(40);
    let mut clients = Vec::new();
    for i in 0..60 {
        clients.push((format!("{long}{i:02}"), format!("{:09}", 100_000_000 + i)));
    }
    let refs: Vec<(&str, &str)> = clients
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    let (firm, ids) = firm_with(nats, &refs).await;
    let dupont = announce(nats, "Boulangerie Dupont", "732829320").await;
    send(nats, &grant(firm, dupont), false).await;
    send(
        nats,
        &invoice(dupont, &format!("{}-01-15", Utc::now().year()), "1234.5"),
        false,
    )
    .await;
    let admin = env.administrator(firm).await;
    env.wait_for("every client", &admin, |c| {
        c.len() == 61 && find(c, dupont).is_some_and(|c| c.turnover_current_year == "1234.50")
    })
    .await;
    let today = Utc::now().format("%Y%m%d").to_string();

    let (name, content_type, bytes) = export(
        &env,
        &admin,
        ExportClientListRequest {
            order_by: ClientOrder::Siren.into(),
            descending: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(name, format!("clients-{today}.csv"));
    assert!(content_type.starts_with("text/csv"));
    assert!(bytes.len() > 64 * 1024, "several chunks: {}", bytes.len());
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[1], "legal_name");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 61);
    assert_eq!(&rows[0][1], "Boulangerie Dupont", "highest SIREN first");
    assert_eq!(&rows[0][3], "732829320");
    assert_eq!(&rows[0][10], "1234.50");
    assert_eq!(&rows[0][8], "connected");
    assert_eq!(&rows[1][1], &format!("{long}59"));

    let (name, _, bytes) = export(
        &env,
        &admin,
        ExportClientListRequest {
            filter: Some(ClientFilter {
                text: "dupont".to_owned(),
                ..Default::default()
            }),
            format: FileFormat::Xlsx.into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(name, format!("clients-{today}.xlsx"));
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX file");
    let sheet = workbook
        .worksheet_range("Clients")
        .expect("the Clients sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|row| row.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(
        rows.len(),
        2,
        "the header and the one client the filter keeps"
    );
    assert_eq!(rows[0][1], "legal_name");
    assert_eq!(rows[1][0], dupont.to_string());
    assert_eq!(rows[1][1], "Boulangerie Dupont");
    assert_eq!(rows[1][10], "1234.5");
    assert!(ids.len() == 60);

    // Someone assigned nothing exports a file with its header only.
    let nobody = env.token(firm, Uuid::now_v7(), &[]).await;
    let (_, _, bytes) = export(&env, &nobody, ExportClientListRequest::default()).await;
    assert_eq!(
        csv::Reader::from_reader(bytes.as_slice()).records().count(),
        0
    );
}

#[tokio::test]
async fn acting_for_one_firm_the_runtime_role_sees_and_writes_nothing_of_another() {
    let db = comptoir_test_support::TestDb::new(&[comptoir_accountant_portal::SPEC]).await;
    let (firm_a, firm_b, client_a, client_b) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let mut admin = db.admin().await;
    for sql in [
        format!(
            "INSERT INTO accountant_portal.directory_company (company_id, legal_name, siren, is_firm) \
             VALUES ('{client_a}', 'A', '732829320', false), ('{client_b}', 'B', '542051180', false)"
        ),
        format!(
            "INSERT INTO accountant_portal.firm_client (firm_id, company_id, granted, event_id) \
             VALUES ('{firm_a}', '{client_a}', true, '{client_a}'), ('{firm_b}', '{client_b}', true, '{client_b}')"
        ),
        format!(
            "INSERT INTO accountant_portal.client_manager (firm_id, company_id, user_id) \
             VALUES ('{firm_b}', '{client_b}', '{firm_b}')"
        ),
        format!(
            "INSERT INTO accountant_portal.client_activity (company_id, user_count) \
             VALUES ('{client_a}', 1), ('{client_b}', 2)"
        ),
        format!(
            "INSERT INTO accountant_portal.client_turnover (company_id, year, net_amount) \
             VALUES ('{client_b}', 2026, 10)"
        ),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let spec = &comptoir_accountant_portal::SPEC;
    let firm_a_text = firm_a.to_string();
    let mut conn = db
        .runtime_tx(spec, &[("comptoir.firm_id", &firm_a_text)])
        .await;
    for (table, visible) in [
        ("firm_client", 1),
        ("directory_company", 1),
        ("client_manager", 0),
        ("client_activity", 1),
        ("client_turnover", 0),
    ] {
        let seen: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(seen, visible, "{table} as firm A");
    }
    // Writing firm B's rows, or any company's facts, is refused acting for firm A.
    for sql in [
        format!(
            "INSERT INTO firm_client (firm_id, company_id, granted, event_id) \
             VALUES ('{firm_b}', '{client_a}', true, '{client_a}')"
        ),
        format!(
            "INSERT INTO client_manager (firm_id, company_id, user_id) \
             VALUES ('{firm_b}', '{client_b}', '{firm_a}')"
        ),
        format!(
            "INSERT INTO client_activity (company_id) VALUES ('{}')",
            Uuid::now_v7()
        ),
    ] {
        assert_refused(&mut conn, &sql).await;
    }
    // An UPDATE of a row the policies hide for writing changes nothing.
    let updated = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "UPDATE directory_company SET legal_name = 'X' WHERE company_id = '{client_a}'"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(updated.rows_affected(), 0);
    drop(conn);

    // A transaction that declares nothing sees nothing.
    let mut conn = db.runtime_tx(spec, &[]).await;
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM firm_client")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(seen, 0);
    assert_refused(
        &mut conn,
        &format!("INSERT INTO client_turnover (company_id, year, net_amount) VALUES ('{client_a}', 2026, 1)"),
    )
    .await;
}
