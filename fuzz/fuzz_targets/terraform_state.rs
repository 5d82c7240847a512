//! Any bytes as a Terraform state file: the streamed summary, or why it is unusable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phoenix_terraform::state::summarize_bytes(data);
});
