//! Any bytes as a Terraform state file: the streamed summary s3-deletion-guard compares, and
//! the destroy of the stack the gate judges; each either reads or says why it cannot.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = phoenix_terraform::state::summarize_bytes(data);
    let _ = phoenix_terraform::destroy::read_bytes(data);
});
