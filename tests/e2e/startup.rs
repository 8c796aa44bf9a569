//! Starting while Postgres or NATS is down, or before provisioning has migrated its
//! schema: the service binds, reports NOT_SERVING and answers UNAVAILABLE, retries in the
//! background, and serves once its dependencies are back.

use std::net::SocketAddr;

use comptoir_proto::billing::v1::{
    ListNumberingSeriesRequest, billing_service_client::BillingServiceClient,
};
use comptoir_runtime::config::Secret;
use comptoir_test_support::{
    Gate, PrivateNats, Running, TestDb, TestNats, common_config, identity_config, spawn,
};
use tonic_health::pb::health_check_response::ServingStatus;

use crate::platform::ALL;

fn postgres_addr() -> SocketAddr {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let options: sqlx::postgres::PgConnectOptions = url.parse().expect("DATABASE_URL");
    let host = if options.get_host() == "localhost" {
        "127.0.0.1"
    } else {
        options.get_host()
    };
    format!("{host}:{}", options.get_port())
        .parse()
        .expect("DATABASE_URL names an IP host")
}

async fn identity(db: &TestDb, nats: &TestNats) -> Running {
    spawn(
        comptoir_identity::build(comptoir_identity::Config::new(common_config(
            db,
            &comptoir_identity::SPEC,
            nats,
        )))
        .await
        .expect("identity builds"),
    )
    .await
}

async fn assert_not_serving(billing: &Running) {
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(billing.health().await, ServingStatus::NotServing);
    let mut client = BillingServiceClient::new(billing.channel().await);
    let status = client
        .list_numbering_series(ListNumberingSeriesRequest::default())
        .await
        .expect_err("no call is served before the service is ready");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
}

#[tokio::test]
async fn a_service_started_while_postgres_is_down_serves_once_it_is_back() {
    let db = TestDb::new(&ALL).await;
    let nats = TestNats::shared().await;
    let identity = identity(&db, &nats).await;
    let gate = Gate::closed(postgres_addr()).await;

    let mut common = common_config(&db, &comptoir_billing::SPEC, &nats);
    let url: sqlx::postgres::PgConnectOptions = common.database_url.expose().parse().unwrap();
    let through_gate = url.host("127.0.0.1").port(gate.addr.port());
    common.database_url =
        Secret::from(sqlx::ConnectOptions::to_url_lossy(&through_gate).to_string());
    let app = comptoir_billing::build(comptoir_billing::Config {
        common,
        identity: identity_config(&identity),
    })
    .await
    .expect("billing builds without reaching Postgres");
    let billing = Running::spawn_unready(app);

    assert_not_serving(&billing).await;
    gate.open();
    billing.wait_serving().await;
    billing.stop().await;
    identity.stop().await;
}

#[tokio::test]
async fn a_service_started_while_nats_is_down_serves_once_it_is_back() {
    let db = TestDb::new(&ALL).await;
    let mut private = PrivateNats::start().await;
    let nats = TestNats {
        url: private.url.clone(),
        prefix: "startup".to_owned(),
    };
    let identity = identity(&db, &nats).await;
    private.stop().await;

    let app = comptoir_billing::build(comptoir_billing::Config {
        common: common_config(&db, &comptoir_billing::SPEC, &nats),
        identity: identity_config(&identity),
    })
    .await
    .expect("billing builds without reaching NATS");
    let billing = Running::spawn_unready(app);

    assert_not_serving(&billing).await;
    private.restart().await;
    billing.wait_serving().await;
    billing.stop().await;
    identity.stop().await;
}

#[tokio::test]
async fn replicas_wait_for_provisioning_which_applies_each_migration_once() {
    // A database where tenancy's schema exists but is not migrated yet.
    let db = TestDb::new(&[comptoir_identity::SPEC]).await;
    let mut admin = db.admin().await;
    comptoir_runtime::db::provision_schema(&mut admin, comptoir_tenancy::SPEC.name)
        .await
        .expect("provisioning tenancy's schema");
    let nats = TestNats::shared().await;
    let identity = identity(&db, &nats).await;

    let replica = || async {
        comptoir_tenancy::build(comptoir_tenancy::Config::new(
            comptoir_runtime::config::ServiceConfig {
                common: common_config(&db, &comptoir_tenancy::SPEC, &nats),
                identity: identity_config(&identity),
            },
        ))
        .await
        .expect("tenancy builds")
    };
    let (first, second, third) = tokio::join!(replica(), replica(), replica());
    let replicas = [first, second, third].map(Running::spawn_unready);
    // Services never migrate: they wait, unready, for provisioning.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    for replica in &replicas {
        assert_eq!(replica.health().await, ServingStatus::NotServing);
    }
    let in_db = db.admin_options();
    let (one, other) = tokio::join!(
        comptoir_runtime::db::migrate(&in_db, comptoir_tenancy::SPEC.name),
        comptoir_runtime::db::migrate(&in_db, comptoir_tenancy::SPEC.name),
    );
    one.expect("a provisioner migrates");
    other.expect("a provisioner running alongside migrates too");
    for replica in &replicas {
        replica.wait_serving().await;
    }

    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM tenancy._sqlx_migrations ORDER BY version")
            .fetch_all(&mut admin)
            .await
            .expect("tenancy's migrations table is in its own schema");
    let expected: Vec<(i64, bool)> = comptoir_runtime::app::migrator(&comptoir_tenancy::SPEC)
        .iter()
        .map(|m| (m.version, true))
        .collect();
    assert_eq!(applied, expected);
    for replica in replicas {
        replica.stop().await;
    }
    identity.stop().await;
}
