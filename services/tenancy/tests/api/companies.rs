//! Creating, reading and listing companies, and the event a creation publishes.

use comptoir_proto::events::v1::CompanyCreated;
use comptoir_proto::tenancy::v1::{
    CompanyKind, CreateCompanyRequest, GetCompanyRequest, ListMyCompaniesRequest,
};
use comptoir_runtime::events::Names;
use comptoir_test_support::{bad_fields, bearer, eventually};
use futures::StreamExt;
use prost::Message;
use tonic::Code;

use crate::Env;

fn company(legal_name: &str, siren: &str) -> CreateCompanyRequest {
    crate::legal_identity::company_request(legal_name, siren)
}

#[tokio::test]
async fn creating_a_company_publishes_one_company_created_event() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let mut firm = company("Cabinet Lefèvre Expertise", "552 100 554");
    firm.kind = CompanyKind::Firm as i32;
    let created = client
        .create_company(bearer(firm, &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(created.siren, "552100554", "spaces are dropped");
    assert_eq!(created.kind(), CompanyKind::Firm);

    let names = Names::new(&env.harness.nats.prefix);
    let js = env.harness.nats.client().await;
    let stream = js
        .get_stream(names.stream("tenancy"))
        .await
        .expect("tenancy's stream");
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    let message = tokio::time::timeout(std::time::Duration::from_secs(10), messages.next())
        .await
        .expect("the event is published")
        .unwrap()
        .unwrap();
    assert_eq!(
        message.subject.as_str(),
        names.subject("comptoir.tenancy.company.created")
    );
    let event = CompanyCreated::decode(message.payload.as_ref()).unwrap();
    let meta = event.meta.unwrap();
    assert_eq!(meta.company_id, created.company_id);
    assert_eq!(
        (
            event.legal_name.as_str(),
            event.siren.as_str(),
            event.is_firm
        ),
        ("Cabinet Lefèvre Expertise", "552100554", true)
    );
    let headers = message.headers.as_ref().expect("headers");
    assert_eq!(
        headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some(meta.event_id.as_str())
    );
    assert_eq!(
        headers.get("Comptoir-Company-Id").map(|v| v.as_str()),
        Some(created.company_id.as_str())
    );
    assert!(
        headers.get("traceparent").is_some(),
        "the trace context travels with the event"
    );
    assert_eq!(stream.get_info().await.unwrap().state.messages, 1);
    // The relay marks the row sent after JetStream's ack, so just after the message
    // arrives the row may not be marked yet.
    eventually("the outbox row to be marked sent", || async {
        (env.count("SELECT count(*) FROM tenancy.outbox WHERE sent_at IS NOT NULL")
            .await
            == 1)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_bad_legal_identity_names_each_field_and_writes_nothing() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let cases = [
        (company("ACME", "732829321"), vec!["siren"], "Luhn"),
        (company("ACME", "7328293"), vec!["siren"], "9 digits"),
        (company("   ", "732829320"), vec!["legal_name"], "blank"),
        (
            company(&"x".repeat(201), "732829320"),
            vec!["legal_name"],
            "200",
        ),
        (
            CreateCompanyRequest {
                kind: 0,
                ..company("", "1")
            },
            vec!["legal_name", "siren", "kind"],
            "kind",
        ),
    ];
    for (request, fields, reason) in cases {
        let status = client
            .create_company(bearer(request, &token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(bad_fields(&status), fields);
        assert!(status.message().contains(reason), "{}", status.message());
    }
    assert_eq!(env.count("SELECT count(*) FROM tenancy.company").await, 0);
    assert_eq!(env.count("SELECT count(*) FROM tenancy.outbox").await, 0);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_first_answer() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let request = CreateCompanyRequest {
        idempotency_key: "create-acme-1".to_owned(),
        ..company("ACME", "732829320")
    };
    let first = client
        .create_company(bearer(request.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .create_company(bearer(request.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, retry);

    let reused = client
        .create_company(bearer(
            CreateCompanyRequest {
                legal_name: "Another".to_owned(),
                ..request
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&reused), ["idempotency_key"]);
    assert_eq!(env.count("SELECT count(*) FROM tenancy.company").await, 1);
    assert_eq!(env.count("SELECT count(*) FROM tenancy.outbox").await, 1);
}

#[tokio::test]
async fn another_users_company_is_not_found() {
    let env = Env::start().await;
    let owner = env.token("owner@example.fr").await;
    let stranger = env.token("stranger@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(company("ACME", "732829320"), &owner))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    let request = GetCompanyRequest {
        company_id: created.company_id.clone(),
    };
    let mine = client
        .get_company(bearer(request.clone(), &owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.company.unwrap(), created);
    let status = client
        .get_company(bearer(request, &stranger))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert!(!status.message().contains("ACME"));
    let malformed = client
        .get_company(bearer(
            GetCompanyRequest {
                company_id: "42".to_owned(),
            },
            &owner,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&malformed), ["company_id"]);
}

#[tokio::test]
async fn listing_my_companies_pages_through_them_in_order() {
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let other = env.token("other@example.fr").await;
    let mut client = env.client().await;
    let sirens = [
        "732829320",
        "552100554",
        "542051180",
        "443061841",
        "356000000",
    ];
    for (i, siren) in sirens.iter().enumerate() {
        client
            .create_company(bearer(company(&format!("Société {i}"), siren), &token))
            .await
            .unwrap();
    }
    client
        .create_company(bearer(company("Pas à moi", "383474814"), &other))
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_my_companies(bearer(
                ListMyCompaniesRequest {
                    page_size: 2,
                    page_token: page_token.clone(),
                },
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.companies.len() <= 2);
        seen.extend(
            page.companies
                .into_iter()
                .map(|m| (m.company.unwrap().legal_name, m.role)),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let expected: Vec<_> = (0..5)
        .map(|i| (format!("Société {i}"), "administrator".to_owned()))
        .collect();
    assert_eq!(seen, expected);

    let bad = client
        .list_my_companies(bearer(
            ListMyCompaniesRequest {
                page_size: -1,
                page_token: "@@".to_owned(),
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad), ["page_size"]);
}

#[tokio::test]
async fn each_company_event_carries_the_companys_next_version() {
    use comptoir_proto::events::v1::CompanyUpdated;
    use comptoir_proto::tenancy::v1::UpdateCompanyRequest;
    let env = Env::start().await;
    let token = env.token("owner@example.fr").await;
    let mut client = env.client().await;
    let created = client
        .create_company(bearer(company("Martin Conseil", "732829320"), &token))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    for legal_name in ["Martin Conseil SAS", "Martin & Fils"] {
        client
            .update_company(bearer(
                UpdateCompanyRequest {
                    company_id: created.company_id.clone(),
                    legal_name: legal_name.to_owned(),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["legal_name".to_owned()],
                    }),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .unwrap();
    }
    let mut db = env.harness.db.admin().await;
    let events: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT subject, payload FROM tenancy.outbox \
         WHERE subject LIKE 'comptoir.tenancy.company.%' ORDER BY outbox_id",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let versions: Vec<(&str, i64, String)> = events
        .iter()
        .map(|(subject, payload)| {
            if subject.ends_with("created") {
                let event = CompanyCreated::decode(payload.as_slice()).unwrap();
                ("created", event.version, event.legal_name)
            } else {
                let event = CompanyUpdated::decode(payload.as_slice()).unwrap();
                ("updated", event.version, event.legal_name)
            }
        })
        .collect();
    assert_eq!(
        versions,
        [
            ("created", 1, "Martin Conseil".to_owned()),
            ("updated", 2, "Martin Conseil SAS".to_owned()),
            ("updated", 3, "Martin & Fils".to_owned()),
        ]
    );
}
