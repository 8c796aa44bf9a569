//! End-to-end tests of Comptoir: the five services booted together against real
//! PostgreSQL and NATS, driven only through their gRPC APIs (and inspected through the
//! database where a test must prove what was, or was not, written). The tests live in
//! `e2e/`; this library target is empty.
