//! S3 notifications (classic, SNS-wrapped, EventBridge), edited from s3-deletion-guard's
//! fixtures.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = common::edited(
        &mut Unstructured::new(data),
        common::seeds(&["s3-deletion-guard"]),
    ) {
        let _ = s3_deletion_guard::notice::parse(&event);
    }
});
