//! Numbering under load and failure: concurrent issuers in one company and across many,
//! a billing process killed in the middle of issuing, and NATS restarted during a burst.
//! Drafts are cloned in SQL (what is tested is issuing, not drafting); every issue goes
//! through the gRPC API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, pull};
use comptoir_proto::billing::v1::IssueInvoiceRequest;
use comptoir_proto::billing::v1::invoice_service_client::InvoiceServiceClient;
use comptoir_proto::events::v1::InvoiceIssued;
use comptoir_runtime::events::{Names, names};
use comptoir_test_support::{PrivateNats, TestNats, bearer, eventually};
use futures::StreamExt;
use prost::Message;
use tokio::sync::Mutex;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::Env;
use crate::invoices::{create, draft, line};

/// `n` drafts of `company` cloned from one created through the API.
async fn drafts(env: &Env, company: Uuid, token: &str, n: i64) -> Vec<Uuid> {
    let customer = env.customer(company, true, "FR").await;
    let template = create(
        env,
        token,
        draft(
            customer,
            vec![line("2", "12.50", "20"), line("1", "9.99", "5.5")],
        ),
    )
    .await
    .expect("a template draft");
    let template = Uuid::parse_str(&template.document_id).unwrap();
    env.clone_drafts(company, template, n).await
}

/// Issues every draft in `queue` with `tasks` concurrent clients; returns how many calls
/// succeeded and the errors of the others.
async fn issue_all(
    client: InvoiceServiceClient<Channel>,
    queue: Vec<(Uuid, String)>,
    tasks: usize,
) -> (usize, Vec<tonic::Status>) {
    let queue = Arc::new(Mutex::new(queue));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let queue = queue.clone();
        let mut client = client.clone();
        handles.push(tokio::spawn(async move {
            let (mut ok, mut errors) = (0, Vec::new());
            loop {
                let Some((id, token)) = queue.lock().await.pop() else {
                    break;
                };
                let request = IssueInvoiceRequest {
                    invoice_id: id.to_string(),
                    ..Default::default()
                };
                match client.issue_invoice(bearer(request, &token)).await {
                    Ok(_) => ok += 1,
                    Err(status) => errors.push(status),
                }
            }
            (ok, errors)
        }));
    }
    let mut total = (0, Vec::new());
    for handle in handles {
        let (ok, errors) = handle.await.expect("an issuing task");
        total.0 += ok;
        total.1.extend(errors);
    }
    total
}

/// Asserts that `company`'s issued invoices are numbered 1..=expected with no gap, no
/// duplicate and dates that never go back, and that no draft carries a number.
async fn assert_gapless(env: &Env, company: Uuid, expected: i64) {
    let mut conn = env.harness.db.admin().await;
    let rows: Vec<(i64, String, chrono::NaiveDate)> = sqlx::query_as(
        "SELECT sequence, number, document_date FROM billing.document \
         WHERE company_id = $1 AND document_type = 'invoice' AND status = 'issued' \
         ORDER BY sequence",
    )
    .bind(company)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let sequences: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(
        sequences,
        (1..=expected).collect::<Vec<_>>(),
        "company {company}"
    );
    let distinct: std::collections::HashSet<&String> = rows.iter().map(|r| &r.1).collect();
    assert_eq!(distinct.len() as i64, expected);
    assert!(
        rows.windows(2).all(|w| w[0].2 <= w[1].2),
        "dates never go back"
    );
    let numbered_drafts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM billing.document \
         WHERE company_id = $1 AND status = 'draft' AND (number IS NOT NULL OR sequence IS NOT NULL)",
    )
    .bind(company)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(numbered_drafts, 0);
    let next: i64 = sqlx::query_scalar(
        "SELECT next_number FROM billing.numbering_series \
         WHERE company_id = $1 AND document_type = 'invoice'",
    )
    .bind(company)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(next, expected + 1);
}

#[tokio::test]
async fn sixteen_concurrent_issuers_number_two_thousand_invoices_without_gap_or_duplicate() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let queue: Vec<(Uuid, String)> = drafts(&env, company, &token, 2000)
        .await
        .into_iter()
        .map(|id| (id, token.clone()))
        .collect();
    let (ok, errors) = issue_all(env.invoices().await, queue, 16).await;
    assert!(errors.is_empty(), "{:?}", errors.first());
    assert_eq!(ok, 2000);
    assert_gapless(&env, company, 2000).await;
}

#[tokio::test]
async fn fifty_companies_issuing_at_once_each_get_their_own_gapless_series() {
    let env = Env::start().await;
    let mut queue = Vec::new();
    let mut companies = Vec::new();
    for _ in 0..50 {
        let company = env.company().await;
        let token = env.admin_token(company).await;
        for id in drafts(&env, company, &token, 40).await {
            queue.push((id, token.clone()));
        }
        companies.push(company);
    }
    // Interleave the companies so every company is issued from concurrently.
    queue.sort_by_key(|(id, _)| *id.as_bytes());
    let (ok, errors) = issue_all(env.invoices().await, queue, 16).await;
    assert!(errors.is_empty(), "{:?}", errors.first());
    assert_eq!(ok, 2000);
    for company in companies {
        assert_gapless(&env, company, 40).await;
    }
}

/// Drafts of the kill test: enough that the kill (after 100 issues) lands mid-burst even
/// on a slow machine.
const KILLED_BATCH: i64 = 600;

#[tokio::test]
async fn a_billing_process_killed_while_issuing_leaves_no_gap_and_no_half_issued_invoice() {
    let env = Env::start().await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let ids = drafts(&env, company, &token, KILLED_BATCH).await;

    // A real billing process, killed with SIGKILL while 8 clients issue.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_billing"))
        .env("COMPTOIR_GRPC_ADDR", format!("127.0.0.1:{port}"))
        .env("COMPTOIR_METRICS_ADDR", "127.0.0.1:0")
        .env(
            "COMPTOIR_DATABASE_URL",
            env.harness.db.service_url(&comptoir_billing::SPEC).expose(),
        )
        .env("COMPTOIR_NATS_URL", &env.harness.nats.url)
        .env("COMPTOIR_NATS_PREFIX", &env.harness.nats.prefix)
        .env("COMPTOIR_IDENTITY_URL", &env.harness.identity.url)
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .expect("starting the billing binary");
    let channel = eventually("the billing process to serve", || async {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .unwrap()
            .connect()
            .await
            .ok()?;
        let mut client = InvoiceServiceClient::new(channel.clone());
        let probe = IssueInvoiceRequest {
            invoice_id: Uuid::now_v7().to_string(),
            ..Default::default()
        };
        // NOT_FOUND for an unknown draft: the process serves, auth and database work.
        (client
            .issue_invoice(bearer(probe, &token))
            .await
            .err()?
            .code()
            == tonic::Code::NotFound)
            .then_some(channel)
    })
    .await;
    let queue: Vec<(Uuid, String)> = ids.iter().map(|id| (*id, token.clone())).collect();
    let burst = tokio::spawn(issue_all(InvoiceServiceClient::new(channel), queue, 8));
    let db = env.harness.db.clone();
    eventually("a hundred invoices to be issued", || {
        let db = db.clone();
        async move {
            let mut conn = db.admin().await;
            let issued: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM billing.document WHERE company_id = $1 AND status = 'issued'",
            )
            .bind(company)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            (issued >= 100).then_some(())
        }
    })
    .await;
    child.start_kill().expect("killing billing");
    child.wait().await.expect("billing exits");
    let (ok, errors) = burst.await.unwrap();
    assert!(!errors.is_empty(), "the kill interrupted calls in flight");

    // What was committed is whole; what was not left nothing behind.
    let issued_before: i64 = {
        let mut conn = env.harness.db.admin().await;
        sqlx::query_scalar(
            "SELECT count(*) FROM billing.document WHERE company_id = $1 AND status = 'issued'",
        )
        .bind(company)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    };
    // A client may have lost the answer of a committed issue, never the reverse.
    assert!(
        ok as i64 <= issued_before,
        "{ok} answered, {issued_before} committed"
    );
    assert!(issued_before >= 100);
    assert!(issued_before < KILLED_BATCH, "the kill came before the end");
    assert_gapless(&env, company, issued_before).await;

    // A fresh instance issues the rest, continuing the series.
    let remaining: Vec<(Uuid, String)> = {
        let mut conn = env.harness.db.admin().await;
        sqlx::query_scalar::<_, Uuid>(
            "SELECT document_id FROM billing.document WHERE company_id = $1 AND status = 'draft'",
        )
        .bind(company)
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|id| (id, token.clone()))
        .collect()
    };
    assert_eq!(remaining.len() as i64, KILLED_BATCH - issued_before);
    let (ok, errors) = issue_all(env.invoices().await, remaining, 8).await;
    assert!(errors.is_empty(), "{:?}", errors.first());
    assert_eq!(ok as i64, KILLED_BATCH - issued_before);
    assert_gapless(&env, company, KILLED_BATCH).await;
    let mut conn = env.harness.db.admin().await;
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM billing.outbox \
         WHERE company_id = $1 AND subject = 'comptoir.billing.invoice.issued'",
    )
    .bind(company)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        events, KILLED_BATCH,
        "one outbox event per issued invoice, none for rolled back ones"
    );
}

#[tokio::test]
async fn every_issued_invoice_reaches_a_consumer_exactly_once_across_a_nats_restart() {
    let mut nats = PrivateNats::start().await;
    let test_nats = TestNats {
        url: nats.url.clone(),
        prefix: format!("restart{}", Uuid::new_v4().simple()),
    };
    let env = Env::start_on(test_nats.clone()).await;
    let company = env.company().await;
    let token = env.admin_token(company).await;
    let ids = drafts(&env, company, &token, 400).await;

    let queue: Vec<(Uuid, String)> = ids.iter().map(|id| (*id, token.clone())).collect();
    let burst = tokio::spawn(issue_all(env.invoices().await, queue, 8));
    let db = env.harness.db.clone();
    eventually("the burst to be under way", || {
        let db = db.clone();
        async move {
            let mut conn = db.admin().await;
            let issued: i64 =
                sqlx::query_scalar("SELECT count(*) FROM billing.document WHERE status = 'issued'")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            (issued >= 50).then_some(())
        }
    })
    .await;
    nats.stop().await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    nats.restart().await;
    let (ok, errors) = burst.await.unwrap();
    assert!(
        errors.is_empty(),
        "issuing does not need NATS: {:?}",
        errors.first()
    );
    assert_eq!(ok, 400);

    let db = env.harness.db.clone();
    eventually("the outbox to drain", || {
        let db = db.clone();
        async move {
            let mut conn = db.admin().await;
            let unsent: i64 =
                sqlx::query_scalar("SELECT count(*) FROM billing.outbox WHERE sent_at IS NULL")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            (unsent == 0).then_some(())
        }
    })
    .await;

    let names = Names::new(&test_nats.prefix);
    let js = test_nats.client().await;
    let stream = js
        .get_stream(names.stream("billing"))
        .await
        .expect("billing's stream");
    let consumer = stream
        .create_consumer(pull::Config {
            filter_subject: names.subject(&names::INVOICE_ISSUED.subject()),
            ack_policy: AckPolicy::None,
            ..Default::default()
        })
        .await
        .expect("a consumer");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while seen.values().sum::<usize>() < 400 && tokio::time::Instant::now() < deadline {
        let mut batch = consumer
            .fetch()
            .max_messages(500)
            .expires(Duration::from_secs(1))
            .messages()
            .await
            .expect("fetching");
        while let Some(message) = batch.next().await {
            let message = message.expect("a message");
            let event = InvoiceIssued::decode(message.payload.clone()).expect("an InvoiceIssued");
            *seen.entry(event.invoice.unwrap().document_id).or_default() += 1;
        }
    }
    // Nothing more than one per invoice arrives later either.
    let mut late = consumer
        .fetch()
        .max_messages(10)
        .expires(Duration::from_millis(500))
        .messages()
        .await
        .expect("fetching");
    while let Some(message) = late.next().await {
        let event = InvoiceIssued::decode(message.unwrap().payload.clone()).unwrap();
        *seen.entry(event.invoice.unwrap().document_id).or_default() += 1;
    }
    assert_eq!(seen.len(), 400, "every invoice announced");
    assert!(
        seen.values().all(|n| *n == 1),
        "none twice: {:?}",
        seen.values().max()
    );
    let expected: std::collections::HashSet<String> = ids.iter().map(Uuid::to_string).collect();
    assert_eq!(
        seen.keys()
            .cloned()
            .collect::<std::collections::HashSet<_>>(),
        expected
    );
}
