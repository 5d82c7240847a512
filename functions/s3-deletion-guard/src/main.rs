//! The Lambda entry point: the shared edge (`phoenix_shared::runtime::serve`) with this
//! function's clients and handler.
//! `s3-deletion-guard --print-event-pattern` prints the EventBridge pattern and the classic
//! notification events it handles as JSON and exits, for the Terraform module.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    phoenix_shared::runtime::serve(s3_deletion_guard::EDGE, s3_deletion_guard::invoke).await
}
