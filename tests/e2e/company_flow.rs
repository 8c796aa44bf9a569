//! The walking skeleton's event flow: a company created in tenancy reaches billing, the
//! accountant portal and export through NATS, and each applies it once (the portal's
//! client list shows it to no one until a firm holds a grant on it).

use comptoir_proto::accountant_portal::v1::{
    ListClientsRequest, accountant_portal_service_client::AccountantPortalServiceClient,
};
use comptoir_proto::billing::v1::{
    DocumentType, ListNumberingSeriesRequest, billing_service_client::BillingServiceClient,
};
use comptoir_proto::export::v1::{
    GetSellerProfileRequest, export_service_client::ExportServiceClient,
};
use comptoir_test_support::{bearer, eventually};

use crate::platform::Platform;

#[tokio::test]
async fn a_company_created_in_tenancy_opens_its_books_and_reaches_the_portal_and_export() {
    let platform = Platform::start().await;
    let token = platform.user_token("jeanne@example.fr").await;
    let company_id = platform
        .create_company(&token, "Boulangerie Dupont", "732829320")
        .await;
    let token = platform
        .switch(&token, &company_id)
        .await
        .expect("the owner may switch");

    let billing = BillingServiceClient::new(platform.billing.channel().await);
    let series = eventually("billing to open the books", || {
        let (mut billing, token, company_id) = (billing.clone(), token.clone(), company_id.clone());
        async move {
            billing
                .list_numbering_series(bearer(
                    ListNumberingSeriesRequest {
                        company_id,
                        ..Default::default()
                    },
                    &token,
                ))
                .await
                .ok()
                .map(|r| r.into_inner().series)
        }
    })
    .await;
    let mut kinds: Vec<_> = series
        .iter()
        .map(|s| (s.document_type(), s.prefix.as_str(), s.next_number))
        .collect();
    kinds.sort_by_key(|(t, _, _)| *t as i32);
    assert_eq!(
        kinds,
        [
            (DocumentType::Invoice, "F", 1),
            (DocumentType::CreditNote, "AV", 1),
            (DocumentType::Quote, "D", 1)
        ]
    );

    let export = ExportServiceClient::new(platform.export.channel().await);
    let profile = eventually("export to learn the seller profile", || {
        let (mut export, token, company_id) = (export.clone(), token.clone(), company_id.clone());
        async move {
            export
                .get_seller_profile(bearer(GetSellerProfileRequest { company_id }, &token))
                .await
                .ok()
                .map(|r| r.into_inner())
        }
    })
    .await;
    assert_eq!(
        (profile.legal_name.as_str(), profile.siren.as_str()),
        ("Boulangerie Dupont", "732829320")
    );

    // The portal applies it too, but shows a company only to a firm holding a grant on
    // it: the company's own user finds no client in its list.
    let mut db = platform.db.admin().await;
    eventually("the portal to apply the event", || async {
        let mut db = platform.db.admin().await;
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM accountant_portal.inbox")
            .fetch_one(&mut db)
            .await
            .ok()?;
        (applied == 1).then_some(())
    })
    .await;
    let mut portal = AccountantPortalServiceClient::new(platform.portal.channel().await);
    let clients = portal
        .list_clients(bearer(ListClientsRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .clients;
    assert_eq!(clients, []);

    // Exactly one event was published, and each consumer applied it once.
    let unsent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenancy.outbox WHERE sent_at IS NULL")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(unsent, 0);
    for schema in ["billing", "accountant_portal", "export"] {
        let applied: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {schema}.inbox"
        )))
        .fetch_one(&mut db)
        .await
        .unwrap();
        assert_eq!(applied, 1, "{schema} applied the event once");
    }
    let stream = platform
        .nats
        .client()
        .await
        .get_stream(format!("{}_COMPTOIR_TENANCY", platform.nats.prefix))
        .await
        .expect("tenancy stream exists");
    assert_eq!(stream.cached_info().state.messages, 1);

    // The same story in the metrics operators watch.
    // The relay updates its figures just after the commit that follows the ack.
    eventually("tenancy's outbox metrics", || async {
        let tenancy = platform.tenancy.scrape_metrics().await;
        let published = tenancy
            .lines()
            .any(|l| l == r#"comptoir_outbox_published_total{service="tenancy"} 1"#);
        let drained = tenancy
            .lines()
            .any(|l| l == r#"comptoir_outbox_backlog{service="tenancy"} 0"#);
        (published && drained).then_some(())
    })
    .await;
    let billing = platform.billing.scrape_metrics().await;
    assert!(
        billing
            .lines()
            .any(|l| l == r#"comptoir_events_handled_total{consumer="companies",outcome="applied",service="billing"} 1"#),
        "{billing}"
    );
    assert!(
        billing
            .lines()
            .any(|l| l == r#"comptoir_consumer_lag{consumer="companies",service="billing"} 0"#),
        "{billing}"
    );
    platform.stop().await;
}

#[tokio::test]
async fn an_event_committed_just_before_shutdown_is_still_published() {
    let platform = Platform::start().await;
    let token = platform.user_token("paul@example.fr").await;
    let company_id = platform
        .create_company(&token, "Garage Martin", "552100554")
        .await;
    let token = platform
        .switch(&token, &company_id)
        .await
        .expect("the owner may switch");
    // Stop tenancy at once: the relay's final pass flushes the outbox.
    let Platform {
        tenancy,
        billing,
        db,
        ..
    } = platform;
    tenancy.stop().await;
    let billing_client = BillingServiceClient::new(billing.channel().await);
    eventually("billing to open the books after tenancy stopped", || {
        let (mut client, token, company_id) =
            (billing_client.clone(), token.clone(), company_id.clone());
        async move {
            client
                .list_numbering_series(bearer(
                    ListNumberingSeriesRequest {
                        company_id,
                        ..Default::default()
                    },
                    &token,
                ))
                .await
                .ok()
        }
    })
    .await;
    let mut conn = db.admin().await;
    let unsent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tenancy.outbox WHERE sent_at IS NULL")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(unsent, 0);
    billing.stop().await;
}
