//! The Lambda entry point: the shared edge (`phoenix_shared::runtime::serve`) with this
//! function's clients and handler.
//! `backup-events --print-event-pattern` prints the EventBridge pattern of the detail types
//! it acts on as JSON and exits, for the Terraform module.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    phoenix_shared::runtime::serve(backup_events::EDGE, backup_events::invoke).await
}
