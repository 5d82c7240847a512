//! The Lambda entry point: the shared edge (`phoenix_shared::runtime::serve`) with this
//! function's clients and handler.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    phoenix_shared::runtime::serve(sweep_dispatcher::EDGE, sweep_dispatcher::invoke).await
}
