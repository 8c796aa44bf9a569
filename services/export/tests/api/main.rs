//! Export's integration tests: the real service (and a real identity for tokens) on port
//! 0 against real Postgres and NATS; tenancy's, billing's and the portal's events are
//! published straight onto NATS.

mod books;
mod database;
mod documents;
mod einvoice;
mod en16931_checker;
mod fec;
mod fec_checker;
mod jobs;
mod ledger;
mod pdf;
mod report_pdf;
mod reports;

use comptoir_proto::export::v1::{
    GetSellerProfileRequest, GetSellerProfileResponse, export_service_client::ExportServiceClient,
};
use comptoir_test_support::{
    Harness, Running, bad_fields, bearer, eventually, publish_company_created, scoped_token, spawn,
};
use tonic::transport::Channel;
use tonic::{Code, Status};
use uuid::Uuid;

/// Identity (for tokens) and export, on their own database and NATS prefix.
pub(crate) async fn start() -> (Harness, Running) {
    let harness = Harness::start(
        &[comptoir_identity::SPEC, comptoir_export::SPEC],
        |common| comptoir_identity::build(comptoir_identity::Config::new(common)),
    )
    .await;
    let (common, identity) = harness.config(&comptoir_export::SPEC);
    let export = spawn(
        comptoir_export::build(comptoir_export::Config { common, identity })
            .await
            .expect("export builds"),
    )
    .await;
    (harness, export)
}

/// GetSellerProfile for `company_id`, with `token`.
async fn seller_profile(
    client: &ExportServiceClient<Channel>,
    company_id: &str,
    token: &str,
) -> Result<GetSellerProfileResponse, Status> {
    client
        .clone()
        .get_seller_profile(bearer(
            GetSellerProfileRequest {
                company_id: company_id.to_owned(),
            },
            token,
        ))
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_seller_profile_comes_from_company_created_and_unknown_ones_are_not_found() {
    let (harness, export) = start().await;
    let company_id =
        publish_company_created(&harness.nats, "Boulangerie Dupont", "732829320", false).await;
    let token = scoped_token(
        &harness.db,
        company_id,
        &[comptoir_domain_types::permissions::Permission::ExportsRead],
    )
    .await;

    let client = ExportServiceClient::new(export.channel().await);
    let profile = eventually("export to record the seller profile", || async {
        seller_profile(&client, &company_id.to_string(), &token)
            .await
            .ok()
    })
    .await;
    assert_eq!(
        (
            profile.company_id,
            profile.legal_name.as_str(),
            profile.siren.as_str()
        ),
        (company_id.to_string(), "Boulangerie Dupont", "732829320")
    );

    let unknown = seller_profile(&client, &Uuid::now_v7().to_string(), &token)
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    let malformed = seller_profile(&client, "", &token).await.unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&malformed), ["company_id"]);
}

#[tokio::test]
async fn an_update_before_a_late_creation_keeps_the_newer_seller_profile() {
    use comptoir_test_support::{company_created, company_updated, publish_update_before_creation};
    let (harness, export) = start().await;
    let company_id = Uuid::now_v7();
    publish_update_before_creation(
        &harness.nats,
        company_updated(company_id, "Nouveau Nom SAS", "732829320", false, 2),
        company_created(company_id, "Ancien Nom SAS", "732829320", false),
    )
    .await;
    // A later company proves both events were processed before we look.
    let marker = publish_company_created(&harness.nats, "Marqueur SAS", "542051180", false).await;
    let client = ExportServiceClient::new(export.channel().await);
    let recorded = async |company: Uuid| {
        let token = scoped_token(
            &harness.db,
            company,
            &[comptoir_domain_types::permissions::Permission::ExportsRead],
        )
        .await;
        eventually("export to record the seller profile", || async {
            seller_profile(&client, &company.to_string(), &token)
                .await
                .ok()
        })
        .await
    };
    recorded(marker).await;
    let profile = recorded(company_id).await;
    assert_eq!(profile.legal_name, "Nouveau Nom SAS");
}
