//! Publishing events the way a producing service would, for tests of a consumer alone.

use async_nats::HeaderMap;
use comptoir_proto::events::v1::{CompanyCreated, CompanyUpdated, EventMeta};
use comptoir_runtime::events::{Names, names};
use prost::Message;
use uuid::Uuid;

use crate::TestNats;

/// The facts of an event about `company_id`, by the test.
fn meta(event_id: Uuid, company_id: Uuid) -> Option<EventMeta> {
    Some(EventMeta {
        event_id: event_id.to_string(),
        occur_time: None,
        company_id: company_id.to_string(),
        actor: "test".to_owned(),
    })
}

/// A `company.created` event; returns its id and encoded payload.
pub fn company_created(
    company_id: Uuid,
    legal_name: &str,
    siren: &str,
    is_firm: bool,
) -> (Uuid, Vec<u8>) {
    let event_id = Uuid::now_v7();
    let event = CompanyCreated {
        meta: meta(event_id, company_id),
        legal_name: legal_name.to_owned(),
        siren: siren.to_owned(),
        is_firm,
        owner_user_id: Uuid::now_v7().to_string(),
        version: 1,
        ..Default::default()
    };
    (event_id, event.encode_to_vec())
}

/// A `company.updated` event bringing the company to `version` with a new legal name
/// (the rest of the identity left empty); returns its id and encoded payload.
pub fn company_updated(
    company_id: Uuid,
    legal_name: &str,
    siren: &str,
    is_firm: bool,
    version: i64,
) -> (Uuid, Vec<u8>) {
    let event_id = Uuid::now_v7();
    let event = CompanyUpdated {
        meta: meta(event_id, company_id),
        legal_name: legal_name.to_owned(),
        siren: siren.to_owned(),
        is_firm,
        changed_fields: vec!["legal_name".to_owned()],
        version,
        ..Default::default()
    };
    (event_id, event.encode_to_vec())
}

/// Publishes `update`, then a late `create` of the same company (the creation JetStream
/// redelivers after the update, or a slower relay publishes second), each under its own
/// event id, as tenancy's relay would.
pub async fn publish_update_before_creation(
    nats: &TestNats,
    update: (Uuid, Vec<u8>),
    create: (Uuid, Vec<u8>),
) {
    for (subject, (event_id, payload)) in [
        (names::COMPANY_UPDATED.subject(), update),
        (names::COMPANY_CREATED.subject(), create),
    ] {
        publish(nats, "tenancy", &subject, &event_id.to_string(), payload).await;
    }
}

/// Publishes `payload` on `subject` (unprefixed) of `producer`'s stream under the test's
/// prefix, with `msg_id` as `Nats-Msg-Id`, and waits for JetStream's ack.
pub async fn publish(
    nats: &TestNats,
    producer: &str,
    subject: &str,
    msg_id: &str,
    payload: Vec<u8>,
) {
    let names = Names::new(&nats.prefix);
    let js = nats.client().await;
    js.get_or_create_stream(names.stream_config(producer))
        .await
        .expect("stream exists");
    let mut headers = HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, msg_id);
    js.publish_with_headers(names.subject(subject), headers, payload.into())
        .await
        .expect("publish")
        .await
        .expect("JetStream ack");
}

/// Publishes a fresh `company.created` for a new company id, as tenancy would; returns
/// that id.
pub async fn publish_company_created(
    nats: &TestNats,
    legal_name: &str,
    siren: &str,
    is_firm: bool,
) -> Uuid {
    let company_id = Uuid::now_v7();
    let (event_id, payload) = company_created(company_id, legal_name, siren, is_firm);
    publish(
        nats,
        "tenancy",
        &names::COMPANY_CREATED.subject(),
        &event_id.to_string(),
        payload,
    )
    .await;
    company_id
}
