//! End-to-end suite: one binary, one module per story.

mod platform;

mod company_flow;
mod nats_outage;
mod schema_isolation;
mod startup;
mod switching;
mod traces;
