//! End-to-end support for Comptoir: the five services booted together against real
//! PostgreSQL and NATS ([`platform`]), used by the end-to-end tests in `e2e/` and the
//! benchmarks in `benches/`, which drive them through their gRPC APIs only.

pub mod platform;
