//! The accountant portal's integration tests: the real service (and a real identity for
//! tokens) on port 0 against real Postgres and NATS; tenancy's events are published
//! straight onto NATS.

mod database;

use comptoir_proto::accountant_portal::v1::{
    ListDirectoryCompaniesRequest, accountant_portal_service_client::AccountantPortalServiceClient,
};
use comptoir_test_support::{
    Harness, bad_fields, bearer, company_created, eventually, publish, scoped_token, spawn,
};
use tonic::Code;
use uuid::Uuid;

#[tokio::test]
async fn the_directory_lists_every_announced_company_once_page_by_page() {
    let harness = Harness::start(
        &[comptoir_identity::SPEC, comptoir_accountant_portal::SPEC],
        |common| comptoir_identity::build(comptoir_identity::Config { common }),
    )
    .await;
    let (common, identity) = harness.config(&comptoir_accountant_portal::SPEC);
    let portal = spawn(
        comptoir_accountant_portal::build(comptoir_accountant_portal::Config { common, identity })
            .await
            .expect("portal builds"),
    )
    .await;
    let token = scoped_token(&harness.db, Uuid::now_v7(), &["invoices.read"]).await;

    let companies = [
        ("Cabinet Lefèvre", "552100554", true),
        ("Boulangerie Dupont", "732829320", false),
        ("Garage Martin", "542051180", false),
    ];
    let mut ids = Vec::new();
    for (name, siren, is_firm) in companies {
        let company_id = Uuid::now_v7();
        let (event_id, payload) = company_created(company_id, name, siren, is_firm);
        publish(
            &harness.nats,
            "tenancy",
            "comptoir.tenancy.company.created",
            &event_id.to_string(),
            payload.clone(),
        )
        .await;
        // And a redelivered copy, which must change nothing.
        publish(
            &harness.nats,
            "tenancy",
            "comptoir.tenancy.company.created",
            &format!("copy-{event_id}"),
            payload,
        )
        .await;
        ids.push(company_id.to_string());
    }

    let client = AccountantPortalServiceClient::new(portal.channel().await);
    eventually("the directory to hold the three companies", || {
        let mut client = client.clone();
        let token = token.clone();
        async move {
            let page = client
                .list_directory_companies(bearer(
                    ListDirectoryCompaniesRequest {
                        page_size: 10,
                        ..Default::default()
                    },
                    &token,
                ))
                .await
                .ok()?
                .into_inner();
            (page.companies.len() == 3).then_some(())
        }
    })
    .await;
    assert_eq!(
        harness
            .count("SELECT count(*) FROM accountant_portal.inbox")
            .await,
        3
    );

    let mut client = client.clone();
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_directory_companies(bearer(
                ListDirectoryCompaniesRequest {
                    page_size: 2,
                    page_token: page_token.clone(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        seen.extend(
            page.companies
                .into_iter()
                .map(|c| (c.company_id, c.is_firm)),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut expected: Vec<_> = ids.iter().cloned().zip([true, false, false]).collect();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);

    let bad = client
        .list_directory_companies(bearer(
            ListDirectoryCompaniesRequest {
                page_size: 1,
                page_token: "bm90IGEgY3Vyc29y".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad), ["page_token"]);
}
