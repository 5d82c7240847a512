//! Every integration test, in one binary (one link, one emulator per run): one module per
//! function or area. Each test still gets an isolated world (its own account, topic and
//! ledger) from `phoenix_tests`.
//!
//! `cargo test --test integration <module>::` runs one area, e.g. `faults::` for the fault
//! matrix.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code

mod alert_channels;
mod backup_events;
mod backup_events_classify;
mod backup_freshness;
mod emf;
mod faults;
mod lambda_runtime;
mod load;
mod mutation;
mod organization;
mod phoenix_cli;
mod pipeline_faults;
mod protection_guard;
mod protection_guard_classify;
mod readiness_audit;
mod restore_validator;
mod s3_deletion_guard;
mod s3_deletion_guard_notices;
mod security_hub;
