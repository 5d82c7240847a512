//! AWS Backup events, edited from backup-events' fixtures, through its reading and
//! classification.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use phoenix_shared::{MetricBatch, Timestamp};

fuzz_target!(|data: &[u8]| {
    let Ok(event) = common::edited(
        &mut Unstructured::new(data),
        common::seeds(&["backup-events"]),
    ) else {
        return;
    };
    let Ok(envelope) = phoenix_shared::event::Envelope::parse(&event) else {
        return;
    };
    let mut metrics = MetricBatch::new();
    let now = Timestamp::from_epoch_seconds(1_795_316_700);
    let _ = backup_events::classify(&envelope, common::config(), now, &mut metrics);
});
