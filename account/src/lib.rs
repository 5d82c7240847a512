//! What an AWS account and region look like now, and what that means for recovery.
//!
//! - [`coverage`] and [`schedule`]: AWS Backup selection semantics and rule schedules;
//! - [`freshness`]: the backup inventory read ([`freshness::collect`]) and the verdict per
//!   resource ([`freshness::assess`], [`freshness::judge`]);
//! - [`policy`]: whether a lifecycle, a plan, a trail's selectors or a vault policy still
//!   protects the data;
//! - [`clients`]: the SDK clients for a target (account, region), each built on first use;
//! - [`buckets`]: readers of a bucket's settings, one model each;
//! - [`audit`]: the readiness checklist: read the account, judge every item, score it.
//!
//! This crate reads and judges. It never writes to AWS: delivery (ledger, alerts, metrics,
//! reports) belongs to the functions that use it.

pub mod audit;
pub mod buckets;
pub mod clients;
pub mod coverage;
pub mod freshness;
pub mod policy;
pub mod schedule;

pub use clients::{Clients, Target};
