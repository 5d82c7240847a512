//! CloudTrail events, edited from protection-guard's fixtures: the call each names and what
//! must be read to confirm it, or a rejection.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = common::edited(
        &mut Unstructured::new(data),
        common::seeds(&["protection-guard"]),
    ) {
        let _ = protection_guard::plan(&event, common::config());
    }
});
