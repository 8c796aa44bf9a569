//! Books opened from `company.created`, applied once however often it arrives.

use comptoir_proto::billing::v1::{DocumentType, ListNumberingSeriesRequest};
use comptoir_test_support::{
    bad_fields, bearer, company_created, company_updated, eventually, publish,
    publish_company_created, publish_update_before_creation,
};
use tonic::Code;
use uuid::Uuid;

use crate::Env;

const SUBJECT: &str = "comptoir.tenancy.company.created";

fn list(company_id: Uuid, page_size: i32, page_token: &str) -> ListNumberingSeriesRequest {
    ListNumberingSeriesRequest {
        company_id: company_id.to_string(),
        page_size,
        page_token: page_token.to_owned(),
    }
}

async fn wait_for_books(env: &Env, company_id: Uuid) {
    let client = env.client().await;
    let token = env.token_for(company_id).await;
    eventually("billing to open the books", || {
        let mut client = client.clone();
        let token = token.clone();
        async move {
            client
                .list_numbering_series(bearer(list(company_id, 0, ""), &token))
                .await
                .ok()
        }
    })
    .await;
}

#[tokio::test]
async fn a_company_created_event_opens_the_books_with_one_series_per_document_type() {
    let env = Env::start().await;
    let company_id =
        publish_company_created(&env.harness.nats, "Boulangerie Dupont", "732829320", false).await;
    wait_for_books(&env, company_id).await;

    let mut client = env.client().await;
    let first = client
        .list_numbering_series(bearer(
            list(company_id, 2, ""),
            &env.token_for(company_id).await,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.series.len(), 2);
    assert!(!first.next_page_token.is_empty());
    let rest = client
        .list_numbering_series(bearer(
            list(company_id, 2, &first.next_page_token),
            &env.token_for(company_id).await,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.series.len(), 1);
    assert!(rest.next_page_token.is_empty());
    let mut all: Vec<_> = first
        .series
        .iter()
        .chain(&rest.series)
        .map(|s| (s.document_type(), s.prefix.clone(), s.next_number))
        .collect();
    all.sort_by_key(|(t, _, _)| *t as i32);
    assert_eq!(
        all,
        [
            (DocumentType::Invoice, "F".to_owned(), 1),
            (DocumentType::CreditNote, "AV".to_owned(), 1),
            (DocumentType::Quote, "D".to_owned(), 1),
        ]
    );
}

#[tokio::test]
async fn an_event_delivered_twice_is_applied_once() {
    let env = Env::start().await;
    let company_id = Uuid::now_v7();
    let (event_id, payload) = company_created(company_id, "Garage Martin", "552100554", false);
    // A second copy under another message id gets past JetStream's duplicate window, as
    // a redelivery after a lost ack would: only the consumer's inbox can stop it.
    publish(
        &env.harness.nats,
        "tenancy",
        SUBJECT,
        &event_id.to_string(),
        payload.clone(),
    )
    .await;
    publish(
        &env.harness.nats,
        "tenancy",
        SUBJECT,
        "redelivered-copy",
        payload,
    )
    .await;
    // A later event proves both copies were processed before we count.
    let marker =
        publish_company_created(&env.harness.nats, "Marqueur SAS", "542051180", false).await;
    wait_for_books(&env, marker).await;

    assert_eq!(
        env.harness.count("SELECT count(*) FROM billing.book").await,
        2
    );
    assert_eq!(
        env.harness
            .count("SELECT count(*) FROM billing.numbering_series")
            .await,
        6
    );
    assert_eq!(
        env.harness
            .count("SELECT count(*) FROM billing.inbox")
            .await,
        2
    );
    // A second application would rewrite the book (an event not older than the book's
    // version applies), and the audit trail would record it: only the inbox stops it.
    assert_eq!(
        env.harness
            .count("SELECT count(*) FROM billing.audit_event WHERE subject_type = 'book'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_update_before_a_late_creation_keeps_the_newer_identity() {
    let env = Env::start().await;
    let company_id = Uuid::now_v7();
    publish_update_before_creation(
        &env.harness.nats,
        company_updated(company_id, "Nouveau Nom SAS", "552100554", false, 2),
        company_created(company_id, "Ancien Nom SAS", "552100554", false),
    )
    .await;
    // A later event proves both were processed before we look.
    let marker =
        publish_company_created(&env.harness.nats, "Marqueur SAS", "542051180", false).await;
    wait_for_books(&env, marker).await;
    wait_for_books(&env, company_id).await;

    let mut db = env.harness.db.admin().await;
    let legal_name: String =
        sqlx::query_scalar("SELECT legal_name FROM billing.book WHERE company_id = $1")
            .bind(company_id)
            .fetch_one(&mut db)
            .await
            .expect("the books are open");
    assert_eq!(legal_name, "Nouveau Nom SAS");
    let version: i64 =
        sqlx::query_scalar("SELECT identity_version FROM billing.book WHERE company_id = $1")
            .bind(company_id)
            .fetch_one(&mut db)
            .await
            .expect("the book's version");
    assert_eq!(version, 2);
    assert_eq!(
        env.harness
            .count("SELECT count(*) FROM billing.numbering_series")
            .await,
        6,
        "the update opened the series too"
    );
}

#[tokio::test]
async fn an_undecodable_event_is_set_aside_and_later_events_still_apply() {
    let env = Env::start().await;
    publish(
        &env.harness.nats,
        "tenancy",
        SUBJECT,
        "garbage-1",
        b"\xff\xff not protobuf".to_vec(),
    )
    .await;
    let company_id =
        publish_company_created(&env.harness.nats, "Après SARL", "443061841", false).await;
    wait_for_books(&env, company_id).await;
    assert_eq!(
        env.harness.count("SELECT count(*) FROM billing.book").await,
        1
    );
    assert_eq!(
        env.harness
            .count("SELECT count(*) FROM billing.inbox")
            .await,
        1
    );
}

#[tokio::test]
async fn listing_series_validates_its_fields_and_hides_unknown_companies() {
    let env = Env::start().await;
    let mut client = env.client().await;
    let status = client
        .list_numbering_series(bearer(
            ListNumberingSeriesRequest {
                company_id: "nope".to_owned(),
                page_size: -5,
                page_token: String::new(),
            },
            &env.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["company_id", "page_size"]);

    // A company the token is not scoped to is not found, whatever exists there.
    let mine = publish_company_created(&env.harness.nats, "Mienne SARL", "552100554", false).await;
    let theirs = publish_company_created(&env.harness.nats, "Autre SAS", "542051180", false).await;
    wait_for_books(&env, theirs).await;
    let unknown = client
        .list_numbering_series(bearer(list(theirs, 0, ""), &env.token_for(mine).await))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    // The right company without the permission is refused.
    let no_read = comptoir_test_support::scoped_token(
        &env.harness.db,
        theirs,
        &[comptoir_domain_types::permissions::Permission::QuotesWrite],
    )
    .await;
    let denied = client
        .list_numbering_series(bearer(list(theirs, 0, ""), &no_read))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    let anonymous = client
        .list_numbering_series(list(Uuid::now_v7(), 0, ""))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}
