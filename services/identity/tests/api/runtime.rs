//! What every service gets from the runtime, checked once here on identity: health,
//! reflection, the auth layer, and the exit code on bad configuration.

use comptoir_proto::identity::v1::{
    GetJwksRequest, identity_service_client::IdentityServiceClient,
};
use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::start;

#[tokio::test]
async fn health_reports_each_service_and_reflection_lists_them() {
    let (_db, identity) = start().await;
    let mut health = HealthClient::new(identity.channel().await);
    for service in ["", "comptoir.identity.v1.IdentityService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "comptoir.nope.v1.Nope".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);

    let mut reflection = ServerReflectionClient::new(identity.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.next().await.expect("one answer").unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("a list of services");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"comptoir.identity.v1.IdentityService"),
        "{names:?}"
    );
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
    assert!(
        !names.contains(&"comptoir.billing.v1.BillingService"),
        "only its own: {names:?}"
    );
}

#[tokio::test]
async fn public_methods_need_no_token_and_every_other_path_does() {
    let (_db, identity) = start().await;
    let mut client = IdentityServiceClient::new(identity.channel().await);
    client
        .get_jwks(GetJwksRequest {})
        .await
        .expect("GetJwks is public");
    let mut grpc = tonic::client::Grpc::new(identity.channel().await);
    grpc.ready().await.unwrap();
    let status = grpc
        .unary::<GetJwksRequest, GetJwksRequest, _>(
            tonic::Request::new(GetJwksRequest {}),
            "/comptoir.identity.v1.IdentityService/Nope"
                .parse()
                .unwrap(),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    // Not a public method, so the auth layer answers first.
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
}

#[tokio::test]
async fn metrics_count_calls_by_method_and_status_code() {
    let (_db, identity) = start().await;
    let mut client = IdentityServiceClient::new(identity.channel().await);
    client.get_jwks(GetJwksRequest {}).await.unwrap();
    client.get_jwks(GetJwksRequest {}).await.unwrap();
    let _ = client
        .login(comptoir_proto::identity::v1::LoginRequest {
            email: "nobody@example.fr".to_owned(),
            password: "whatever password".to_owned(),
        })
        .await
        .unwrap_err();
    let scrape = identity.scrape_metrics().await;
    let series = |line: &str| scrape.lines().any(|l| l == line);
    assert!(
        series(
            r#"comptoir_grpc_requests_total{code="OK",method="/comptoir.identity.v1.IdentityService/GetJwks",service="identity"} 2"#
        ),
        "{scrape}"
    );
    assert!(
        series(
            r#"comptoir_grpc_requests_total{code="UNAUTHENTICATED",method="/comptoir.identity.v1.IdentityService/Login",service="identity"} 1"#
        ),
        "{scrape}"
    );
    assert!(
        scrape.contains("comptoir_grpc_request_duration_seconds_bucket"),
        "{scrape}"
    );
    assert!(
        !scrape.contains("grpc.health.v1"),
        "health checks are not counted"
    );
}

#[test]
fn a_missing_or_malformed_setting_stops_the_binary_with_exit_code_64_naming_it() {
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_identity"))
        .env_clear()
        .output()
        .expect("running identity");
    assert_eq!(missing.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("COMPTOIR_DATABASE_URL"), "{stderr}");
    assert!(stderr.contains("COMPTOIR_NATS_URL"), "{stderr}");

    let malformed = std::process::Command::new(env!("CARGO_BIN_EXE_identity"))
        .env_clear()
        .env("COMPTOIR_DATABASE_URL", "postgres://x@127.0.0.1/x")
        .env("COMPTOIR_NATS_URL", "nats://127.0.0.1:1")
        .env("COMPTOIR_GRPC_ADDR", "everywhere")
        .output()
        .expect("running identity");
    assert_eq!(malformed.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&malformed.stderr);
    assert!(stderr.contains("COMPTOIR_GRPC_ADDR"), "{stderr}");
}

#[tokio::test]
async fn idempotency_keys_older_than_the_retention_are_purged_and_recent_ones_kept() {
    let db = comptoir_test_support::TestDb::new(&[comptoir_identity::SPEC]).await;
    let nats = comptoir_test_support::TestNats::shared().await;
    let mut common = comptoir_test_support::common_config(&db, &comptoir_identity::SPEC, &nats);
    common.idempotency_retention = std::time::Duration::from_secs(30);
    let _identity = comptoir_test_support::spawn(
        comptoir_identity::build(comptoir_identity::Config {
            common,
            settings: comptoir_identity::Settings::default(),
        })
        .await
        .expect("identity builds"),
    )
    .await;

    let mut conn = db.admin().await;
    sqlx::query(
        "INSERT INTO identity.idempotency_key (scope, key, request_hash, response, created_at) \
         VALUES ('test', 'old', '\\x00', '\\x00', now() - interval '1 minute'), \
                ('test', 'recent', '\\x00', '\\x00', now())",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let left: Vec<String> =
            sqlx::query_scalar("SELECT key FROM identity.idempotency_key ORDER BY key")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        if left == ["recent"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the old key is still there after 15 s: {left:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
