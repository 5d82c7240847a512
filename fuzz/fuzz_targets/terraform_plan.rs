//! Any bytes as `terraform show -json PLANFILE`: the judged changes, or why it is not a plan.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phoenix_terraform::plan::read_bytes(data);
});
