//! S3 notifications (classic, SNS-wrapped, EventBridge), edited from s3-deletion-guard's
//! fixtures.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

fn seeds() -> &'static [Value] {
    static SEEDS: OnceLock<Vec<Value>> = OnceLock::new();
    SEEDS.get_or_init(|| common::fixtures(&["s3-deletion-guard"]))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = common::edited(&mut Unstructured::new(data), seeds()) {
        let _ = s3_deletion_guard::notice::parse(&event);
    }
});
