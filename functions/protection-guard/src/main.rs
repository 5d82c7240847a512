//! The Lambda entry point: the shared edge (`phoenix_shared::runtime::serve`) with this
//! function's clients and handler.
//! `protection-guard --print-event-pattern` prints the EventBridge patterns (and the table
//! of handled events they come from) as JSON and exits, for the Terraform module.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    phoenix_shared::runtime::serve(protection_guard::EDGE, protection_guard::invoke).await
}
