//! The accounting firm's story, on the five running services: a firm enables its
//! accounting module, creates a client and invites its director, who signs up, accepts,
//! brings a colleague and issues an invoice; the firm's list follows; the firm switches
//! into the client and back, locks the period (the director can no longer issue in it),
//! exports its list, and disconnects the client, handing it to the director. Throughout,
//! the portal changes nothing of the client's own billing data but its lock date.

use comptoir_proto::accountant_portal::v1::{
    self as portal, ClientCompanyInput, ClientFilter, ClientStatus, CreateClientCompanyRequest,
    DirectorInvitation, DisconnectClientsRequest, EnableAccountingModuleRequest,
    ExportClientListRequest, FileFormat, ListClientsRequest, SetLockDatesRequest,
    accountant_portal_service_client::AccountantPortalServiceClient,
};
use comptoir_proto::billing::v1::{
    IssueInvoiceRequest, invoice_service_client::InvoiceServiceClient,
};
use comptoir_proto::tenancy::v1::{
    CompanyKind, InviteMemberRequest, member_service_client::MemberServiceClient,
};
use comptoir_proto::types::v1::PostalAddress;
use comptoir_test_support::{bearer, eventually, reason};
use tonic::Code;
use tonic::transport::Channel;

use crate::link_token;
use crate::platform::{Platform, company_request};
use crate::revocation::draft_invoice;

/// The client as the firm's list shows it, once `ready` holds for it.
async fn listed_client(
    portal: &AccountantPortalServiceClient<Channel>,
    token: &str,
    what: &str,
    ready: impl Fn(&portal::Client) -> bool,
) -> portal::Client {
    eventually(what, || {
        let mut portal = portal.clone();
        let request = bearer(ListClientsRequest::default(), token);
        let ready = &ready;
        async move {
            let clients = portal
                .list_clients(request)
                .await
                .ok()?
                .into_inner()
                .clients;
            clients.into_iter().find(|c| ready(c))
        }
    })
    .await
}

/// A digest of every row of the client's billing data but its book (customers, items,
/// documents, their lines and VAT, payments), read as the database owner: what the portal
/// must never change.
async fn billing_rows(platform: &Platform, company: &str) -> Vec<(String, String)> {
    let mut conn = platform.db.admin().await;
    let company: uuid::Uuid = company.parse().expect("a company id");
    let mut digests = Vec::new();
    for table in [
        "party",
        "item",
        "document",
        "document_line",
        "document_vat",
        "payment",
        "payment_allocation",
        "numbering_series",
    ] {
        let sql = format!(
            "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') \
             FROM billing.{table} t WHERE company_id = $1"
        );
        let digest: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(company)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|err| panic!("reading billing.{table}: {err}"));
        digests.push((table.to_owned(), digest));
    }
    // The book row but for the lock date, its reason and the row's bookkeeping.
    let book: String = sqlx::query_scalar(
        "SELECT concat_ws('|', company_id, legal_name, siren, opened_at, time_zone) \
         FROM billing.book WHERE company_id = $1",
    )
    .bind(company)
    .fetch_one(&mut conn)
    .await
    .expect("reading the book");
    digests.push(("book".to_owned(), book));
    digests
}

#[tokio::test]
async fn a_firm_runs_a_client_from_creation_to_disconnection() {
    let platform = Platform::start().await;

    // The firm and its Administrator, Camille, acting for it.
    let camille_login = platform.user_token("camille@cabinet.fr").await;
    let mut firm_request = company_request("Cabinet Durand", "732829320");
    firm_request.kind = CompanyKind::Firm as i32;
    let firm = platform
        .create_company_with(&camille_login, firm_request)
        .await;
    let camille = platform
        .switch(&camille_login, &firm)
        .await
        .expect("Camille acts for her firm");
    let portal = AccountantPortalServiceClient::new(platform.portal.channel().await);

    // The module, once the portal has heard of the firm.
    eventually("the accounting module to be enabled", || {
        let mut portal = portal.clone();
        let request = bearer(EnableAccountingModuleRequest {}, &camille);
        async move {
            match portal.enable_accounting_module(request).await {
                Ok(answer) => Some(answer.into_inner()),
                Err(status) if status.code() == Code::Unavailable => None,
                Err(status) => panic!("enabling the module: {status:?}"),
            }
        }
    })
    .await;

    // A client of the firm, its director invited at once.
    let created = portal
        .clone()
        .create_client_company(bearer(
            CreateClientCompanyRequest {
                client: Some(ClientCompanyInput {
                    legal_name: "Boulangerie Martin".to_owned(),
                    file_code: "MART01".to_owned(),
                    siren: "552100554".to_owned(),
                    nic: "00013".to_owned(),
                    ape_code: "1071C".to_owned(),
                    address: Some(PostalAddress {
                        line1: "12 rue de la Paix".to_owned(),
                        postal_code: "75002".to_owned(),
                        city: "Paris".to_owned(),
                        country_code: "FR".to_owned(),
                        ..Default::default()
                    }),
                    director_name: "Louise Martin".to_owned(),
                    director_email: "louise@martin.fr".to_owned(),
                    ..Default::default()
                }),
                invite_director: DirectorInvitation::Now as i32,
                idempotency_key: String::new(),
            },
            &camille,
        ))
        .await
        .expect("creating the client")
        .into_inner();
    let client = created.client.expect("the client").company_id;
    assert!(!created.invitation_id.is_empty(), "the director is invited");

    // Louise signs up, accepts, and brings a colleague.
    let mail = platform.mailbox.newest_to("louise@martin.fr").await;
    let louise_login = platform.user_token("louise@martin.fr").await;
    platform
        .accept_invitation(&link_token(&mail.body), &louise_login)
        .await;
    let louise = platform
        .switch(&louise_login, &client)
        .await
        .expect("Louise acts for her company");
    MemberServiceClient::new(platform.tenancy.channel().await)
        .invite_member(bearer(
            InviteMemberRequest {
                email: "hugo@martin.fr".to_owned(),
                role: "user".to_owned(),
                idempotency_key: String::new(),
                open_link: false,
            },
            &louise,
        ))
        .await
        .expect("inviting Hugo");
    let mail = platform.mailbox.newest_to("hugo@martin.fr").await;
    let hugo_login = platform.user_token("hugo@martin.fr").await;
    platform
        .accept_invitation(&link_token(&mail.body), &hugo_login)
        .await;

    // Louise issues an invoice.
    let mut invoices = InvoiceServiceClient::new(platform.billing.channel().await);
    let draft = draft_invoice(&platform, &louise).await;
    let issued = invoices
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id: draft,
                ..Default::default()
            },
            &louise,
        ))
        .await
        .expect("issuing the invoice")
        .into_inner()
        .invoice
        .expect("the invoice");
    let issue_date = issued.document_date.clone();

    // The firm's list: two users, that invoice's date, connected, owned by the firm.
    let listed = listed_client(
        &portal,
        &camille,
        "the client with 2 users and its invoice",
        |c| c.company_id == client && c.user_count == 2 && c.last_invoice_date == issue_date,
    )
    .await;
    assert_eq!(listed.file_code, "MART01");
    assert_eq!(listed.status, ClientStatus::Connected as i32);
    assert!(listed.owned_by_firm);
    assert_eq!(
        listed
            .turnover_current_year
            .parse::<rust_decimal::Decimal>()
            .ok(),
        issued.net_total.parse::<rust_decimal::Decimal>().ok(),
        "this year's turnover is the invoice's net"
    );

    // Switching: from the firm into the client and back, without logging out.
    let into_client = platform
        .switch(&camille_login, &client)
        .await
        .expect("Camille switches into her client");
    crate::claims(&into_client)["cid"]
        .as_str()
        .filter(|cid| *cid == client)
        .expect("a token for the client");
    platform
        .switch(&camille_login, &firm)
        .await
        .expect("and back to her firm");

    // The firm locks the period up to the invoice's date: Louise can no longer issue in it.
    let draft = draft_invoice(&platform, &louise).await;
    // From here on, the portal's actions leave the client's billing data as it is.
    let before = billing_rows(&platform, &client).await;
    let locked = portal
        .clone()
        .set_lock_dates(bearer(
            SetLockDatesRequest {
                company_ids: vec![client.clone()],
                lock_date: issue_date.clone(),
                reason: "Clôture du mois".to_owned(),
            },
            &camille,
        ))
        .await
        .expect("locking")
        .into_inner()
        .results;
    assert_eq!(locked.len(), 1);
    assert!(locked[0].done, "{:?}", locked[0]);
    let refused = invoices
        .issue_invoice(bearer(
            IssueInvoiceRequest {
                invoice_id: draft,
                issue_date: issue_date.clone(),
                ..Default::default()
            },
            &louise,
        ))
        .await
        .expect_err("an invoice dated in the locked period");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "PERIOD_LOCKED");
    listed_client(&portal, &camille, "the lock date in the list", |c| {
        c.company_id == client && c.lock_date == issue_date
    })
    .await;

    // The list as CSV (parsed back) and XLSX (opened by a spreadsheet reader).
    let csv = export_list(&portal, &camille, FileFormat::Csv).await;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(&csv))
        .from_reader(csv.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].iter().any(|field| field == "Boulangerie Martin"));
    assert!(rows[0].iter().any(|field| field == "MART01"));
    let xlsx = export_list(&portal, &camille, FileFormat::Xlsx).await;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("an XLSX workbook");
    let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0)
        .expect("a sheet")
        .expect("a readable sheet");
    let cells: Vec<String> = sheet.rows().flatten().map(ToString::to_string).collect();
    assert!(cells.iter().any(|c| c == "Boulangerie Martin"), "{cells:?}");

    // Disconnection, handing the client to Louise: the firm can no longer switch into it.
    let louise_id = crate::claims(&louise)["sub"]
        .as_str()
        .expect("Louise's id")
        .to_owned();
    let disconnected = portal
        .clone()
        .disconnect_clients(bearer(
            DisconnectClientsRequest {
                company_ids: vec![client.clone()],
                transfer_ownership_to: louise_id,
            },
            &camille,
        ))
        .await
        .expect("disconnecting")
        .into_inner()
        .results;
    assert!(disconnected[0].done, "{:?}", disconnected[0]);
    let denied = platform
        .switch(&camille_login, &client)
        .await
        .expect_err("no way back into a disconnected client");
    assert_eq!(denied.code(), Code::PermissionDenied);
    listed_client(&portal, &camille, "the client shown disconnected", |c| {
        c.company_id == client && c.status == ClientStatus::Disconnected as i32
    })
    .await;

    // Nothing of the client's billing data changed but its lock date.
    assert_eq!(billing_rows(&platform, &client).await, before);
    let filtered = portal
        .clone()
        .list_clients(bearer(
            ListClientsRequest {
                filter: Some(ClientFilter {
                    status: ClientStatus::Connected as i32,
                    ..Default::default()
                }),
                ..Default::default()
            },
            &camille,
        ))
        .await
        .expect("listing connected clients")
        .into_inner();
    assert_eq!(filtered.total_size, 0);
    platform.stop().await;
}

/// The client list exported in `format`, its chunks put together.
async fn export_list(
    portal: &AccountantPortalServiceClient<Channel>,
    token: &str,
    format: FileFormat,
) -> Vec<u8> {
    let mut stream = portal
        .clone()
        .export_client_list(bearer(
            ExportClientListRequest {
                format: format as i32,
                ..Default::default()
            },
            token,
        ))
        .await
        .expect("exporting the list")
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await.expect("a chunk") {
        bytes.extend_from_slice(&chunk.chunk);
    }
    bytes
}

/// `;` when the header row holds one, else `,`.
fn sniff_delimiter(csv: &[u8]) -> u8 {
    let header = csv.split(|b| *b == b'\n').next().unwrap_or_default();
    if header.contains(&b';') { b';' } else { b',' }
}
