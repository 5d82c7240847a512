//! Any event, edited from any function's fixtures, as an EventBridge envelope: a reading or
//! a rejection, never a panic.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = common::edited(
        &mut Unstructured::new(data),
        common::seeds(&["backup-events", "protection-guard", "s3-deletion-guard"]),
    ) {
        let _ = phoenix_shared::event::Envelope::parse(&event);
    }
});
