//! NATS down while the outbox holds events: they wait in the outbox and go out when NATS
//! returns; every consumer applies each event exactly once.

use comptoir_proto::billing::v1::{
    ListNumberingSeriesRequest, billing_service_client::BillingServiceClient,
};
use comptoir_test_support::{PrivateNats, TestNats, bearer, eventually};

use crate::platform::Platform;

async fn books_open(platform: &Platform, token: &str, company_id: &str) -> bool {
    let token = &platform
        .switch(token, company_id)
        .await
        .expect("the owner may switch");
    let mut billing = BillingServiceClient::new(platform.billing.channel().await);
    billing
        .list_numbering_series(bearer(
            ListNumberingSeriesRequest {
                company_id: company_id.to_owned(),
                ..Default::default()
            },
            token,
        ))
        .await
        .is_ok()
}

async fn count(db: &mut sqlx::PgConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.expect(sql)
}

#[tokio::test]
async fn events_written_while_nats_is_down_are_delivered_once_when_it_returns() {
    let mut nats = PrivateNats::start().await;
    let platform = Platform::start_on(TestNats {
        url: nats.url.clone(),
        prefix: "outage".to_owned(),
    })
    .await;
    let token = platform.user_token("outage@example.fr").await;
    let before = platform
        .create_company(&token, "Avant Panne SARL", "732829320")
        .await;
    eventually("the first company to reach billing", || async {
        books_open(&platform, &token, &before).await.then_some(())
    })
    .await;

    nats.stop().await;
    let during: Vec<String> = {
        let mut ids = Vec::new();
        for (name, siren) in [
            ("Pendant Panne SAS", "552100554"),
            ("Toujours En Panne SA", "542051180"),
        ] {
            ids.push(platform.create_company(&token, name, siren).await);
        }
        ids
    };
    // The relay keeps failing; the events stay queued, none is lost or marked sent.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let mut db = platform.db.admin().await;
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM tenancy.outbox WHERE sent_at IS NULL"
        )
        .await,
        2
    );
    for id in &during {
        assert!(
            !books_open(&platform, &token, id).await,
            "no event can arrive while NATS is down"
        );
    }

    nats.restart().await;
    for id in &during {
        eventually(
            "events queued during the outage to reach billing",
            || async { books_open(&platform, &token, id).await.then_some(()) },
        )
        .await;
    }
    eventually("every consumer to catch up", || async {
        let mut db = platform.db.admin().await;
        let portal = count(
            &mut db,
            "SELECT count(*) FROM accountant_portal.directory_company",
        )
        .await;
        let export = count(&mut db, "SELECT count(*) FROM export.seller_profile").await;
        (portal == 3 && export == 3).then_some(())
    })
    .await;

    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM tenancy.outbox WHERE sent_at IS NULL"
        )
        .await,
        0
    );
    assert_eq!(count(&mut db, "SELECT count(*) FROM billing.book").await, 3);
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM billing.numbering_series").await,
        9
    );
    for table in ["billing.inbox", "accountant_portal.inbox", "export.inbox"] {
        let sql: &'static str = match table {
            "billing.inbox" => "SELECT count(*) FROM billing.inbox",
            "accountant_portal.inbox" => "SELECT count(*) FROM accountant_portal.inbox",
            _ => "SELECT count(*) FROM export.inbox",
        };
        assert_eq!(
            count(&mut db, sql).await,
            3,
            "{table}: each event applied once"
        );
    }
    let stream = platform
        .nats
        .client()
        .await
        .get_stream("outage_COMPTOIR_TENANCY")
        .await
        .expect("tenancy stream survives the restart");
    assert_eq!(
        stream.cached_info().state.messages,
        3,
        "no event was published twice"
    );
    platform.stop().await;
}
