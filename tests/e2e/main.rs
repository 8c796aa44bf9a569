//! End-to-end suite: one binary, one module per story.

use comptoir_e2e::platform;

mod company_flow;
mod nats_outage;
mod revocation;
mod schema_isolation;
mod startup;
mod switching;
mod traces;
