//! What an AWS account and region look like now, and what that means for recovery.
//!
//! - [`coverage`] and [`schedule`]: AWS Backup selection semantics and rule schedules;
//! - [`freshness`]: the backup inventory read ([`freshness::collect`]) and the verdict per
//!   resource ([`freshness::assess`], [`freshness::judge`]);
//! - [`policy`]: whether a lifecycle, a plan, a trail's selectors or a vault policy still
//!   protects the data;
//! - [`clients`]: the SDK clients for a target (account, region), each built on first use;
//! - [`buckets`], [`lifecycle`], [`object_lock`], [`keys`], [`trails`], [`recovery`],
//!   [`tables`]: readers per resource family, one model each, a
//!   failed read a [`failure::Failure`] that says whether trying again may help;
//! - [`states`]: Terraform state files in S3, read as the destroy of their stack;
//! - [`gate`]: what a Terraform plan's destroys would do to the data (lost, recoverable,
//!   blocked, unknown), judged from the plan and the account's facts;
//! - [`audit`]: the readiness checklist: read the account, judge every item, score it.
//!
//! This crate reads and judges. It never writes to AWS: delivery (ledger, alerts, metrics,
//! reports) belongs to the functions that use it.

pub mod audit;
pub mod body;
pub mod buckets;
pub mod clients;
pub mod copies;
pub mod coverage;
pub mod failure;
pub mod freshness;
pub mod gate;
pub mod keys;
pub mod lifecycle;
pub mod metrics;
pub mod object_lock;
pub mod organization;
pub mod policy;
pub mod reach;
pub mod recovery;
pub mod rollup;
pub mod schedule;
pub mod states;
pub mod tables;
pub mod trails;

pub use clients::{Clients, Target};
