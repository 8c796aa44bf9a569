//! End-to-end suite: one binary, one module per story.

use comptoir_e2e::platform;
use comptoir_test_support::link_token;

mod company_flow;
mod einvoice_round_trip;
mod nats_outage;
mod portal_story;
mod readme;
mod revocation;
mod schema_isolation;
mod startup;
mod switching;
mod traces;

/// The claims of a token, for assertions (the signature is checked by the services).
fn claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}
