//! The Lambda entry point: the shared edge (`phoenix_shared::runtime::serve`) with this
//! function's clients and handler. The alert topic invokes it (an SNS subscription), so it
//! has no event pattern to print.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    phoenix_shared::runtime::serve(security_hub::EDGE, security_hub::invoke).await
}
