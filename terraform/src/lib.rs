//! Terraform's own files, read the way Phoenix Guard needs them: streamed, leniently, and
//! with every secret value reduced to a hash before anything keeps it.
//!
//! - [`plan`]: what each change of a plan (`terraform show -json PLANFILE`) does to the
//!   resources that hold or guard data;
//! - [`state`]: a state file's data stores and generated secrets, and what changed between
//!   two versions of it.

/// The `visit_*` methods of a visitor that takes any scalar where it expected a container
/// and makes `$value` of it: lenient readers skip what they cannot use instead of failing.
macro_rules! ignore_scalars {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}
pub(crate) use ignore_scalars;

pub mod plan;
pub mod state;
