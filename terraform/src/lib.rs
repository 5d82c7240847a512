//! Terraform's own files, read the way Phoenix Guard needs them: streamed, leniently, and
//! with every secret value reduced to a hash before anything keeps it.
//!
//! - [`plan`]: what each change of a plan (`terraform show -json PLANFILE`) does to the
//!   resources that hold or guard data;
//! - [`state`]: a state file's data stores and generated secrets, and what changed between
//!   two versions of it.

pub mod plan;
pub mod state;
